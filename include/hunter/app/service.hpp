#pragma once
// Wires the layers for the commands: config -> key files, SQLite store, chain client, one
// worker client and one Relay per cluster; the `run` loop and the one-shot `submit`.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hunter/adapters/chain_client.hpp"
#include "hunter/adapters/http.hpp"
#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/adapters/worker_client.hpp"
#include "hunter/app/config.hpp"
#include "hunter/app/health.hpp"
#include "hunter/app/metrics.hpp"
#include "hunter/app/poll_backoff.hpp"
#include "hunter/app/repeated_lines.hpp"
#include "hunter/app/retention_pacer.hpp"
#include "hunter/core/relay.hpp"

namespace hunter::app {

class SystemClock : public core::Clock {
 public:
  int64_t nowMs() override;
};

// The exit codes of every `hunter` command, defined once (docs/cli.md "Exit codes"); 3, 4 and 5
// only from `submit` (SubmitReport::code).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,     // something that is not the user's input failed (e.g. stdout)
  kExitUsage = 2,        // a usage error or bad input: flags, config, key file, hex, JSON
  kExitStuck = 3,        // fewer than threshold workers agree, or the account cannot pay
  kExitRejected = 4,     // the chain refused, or the messages went in as another's / diverged
  kExitUnreachable = 5,  // the chain or every worker could not be reached
};

struct SubmitReport {
  int code = kExitOk;
  uint64_t submitted = 0;
  uint64_t accepted = 0;
  uint64_t superseded = 0;
  uint64_t diverged = 0;
  uint64_t rejected = 0;
  std::vector<std::string> lines;  // what happened, for the terminal
};

// Every metric family the service exports (name, type, help); /metrics renders them all.
void describeServiceMetrics(MetricsRegistry& m);

class Service {
 public:
  // Opens the database, reads the key files, builds the clients. Errors name the key or file.
  static Result<std::unique_ptr<Service>> create(const Config& config,
                                                 const std::vector<ClusterConfig>& clusters,
                                                 core::EventSink sink);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts every relay (chain parameters, cluster registration, worker handshakes). A relay
  // whose cluster cannot be started now is retried by run().
  Status start();
  // The service loop until `stop` becomes true. Each cluster's rounds run back to back while it
  // has work and poll_interval_ms apart when a round did nothing, on limits.cluster_threads
  // threads, so that a slow cluster delays only itself.
  void run(const std::atomic<bool>& stop);
  // One cluster, one round of submissions, then (unless no_wait) wait for every ACK.
  SubmitReport submitOnce(uint64_t max, bool no_wait, int64_t timeout_ms,
                          const std::atomic<bool>& stop);

  // The service API (GET /healthz, /metrics, /status) on cfg.api_listen, or `listen` when not
  // empty. Returns its base URL ("http://127.0.0.1:PORT"). Handlers run on cpprestsdk's pool and
  // read only snapshots that run() publishes under a mutex, so they never wait for a round.
  Result<std::string> startApi(const std::string& listen = "");
  // The API's answer to one request (also used by tests without a socket).
  adapters::ServerResponse handleApi(const adapters::ServerRequest& req);
  HealthVerdict health();
  MetricsRegistry& metrics() { return metrics_; }

  adapters::SqliteStore& store() { return *store_; }
  adapters::JsonRpcChainClient& chain() { return *chain_; }
  core::AccountPool& accounts() { return *accounts_; }

 private:
  Status checkChainIdentity();
  Status checkChainNotReset(const std::string& afresh);
  Service() = default;
  struct ClusterRuntime;
  void describeMetrics();
  void onEvent(ClusterRuntime& c, const core::RelayEvent& e);
  int64_t clusterRound(ClusterRuntime& c);
  RoundOutcome roundOutcome(const ClusterRuntime& c, const core::RoundStats& st) const;
  void afterRound(ClusterRuntime& c, const core::RoundStats& st, int64_t now);
  void updateAccounts(int64_t now);
  void pruneSettled(int64_t now);
  uint64_t pruneBelow(const H256& cluster);
  // Passes a relay event to sink_, a warning or error repeated within a minute only counted.
  void forward(core::RelayEvent e);
  // A warning of the service itself, repeats summarised as forward() does.
  void warn(const std::string& text);
  // The summaries of repeats whose minute ended.
  void summariseRepeats();
  Config cfg_;
  std::optional<adapters::WriterLock> lock_;  // taken before store_ is opened
  std::unique_ptr<adapters::SqliteStore> store_;
  std::unique_ptr<adapters::JsonRpcChainClient> chain_;
  std::unique_ptr<core::AccountPool> accounts_;
  std::unique_ptr<core::BacklogGate> backlogs_;  // limits.backlog_rounds, shared by the relays
  SystemClock clock_;
  std::vector<std::unique_ptr<ClusterRuntime>> clusters_;
  core::EventSink sink_;
  std::string idle_reason_;  // set when the shard holds no clusters: healthy and idle
  RetentionPacer pacer_;     // when retention deletes, and how much
  int64_t pruned_logged_ms_ = 0;
  RepeatedLines repeats_;

  MetricsRegistry metrics_;
  std::mutex health_mu_;  // guards the members below (read by the API threads)
  int64_t started_ms_ = 0;
  int64_t chain_last_ok_ms_ = 0;
  int64_t last_accept_ms_ = 0;
  std::map<std::string, uint64_t> backlog_;        // per cluster name
  std::map<std::string, std::string> stuck_;       // per cluster name, when stuck
  std::map<std::string, StalledCluster> stalled_;  // per cluster name, when stalled
  int64_t accounts_at_ms_ = 0;                     // last account refresh (run thread only)
  std::unique_ptr<adapters::HttpServer> api_;      // declared last: stopped first
};

}  // namespace hunter::app
