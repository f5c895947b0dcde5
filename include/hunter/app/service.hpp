#pragma once
// Wires the layers for the commands: config -> key files, SQLite store, chain client, one
// worker client and one Relay per cluster; the `run` loop and the one-shot `submit`.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "hunter/adapters/chain_client.hpp"
#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/adapters/worker_client.hpp"
#include "hunter/app/config.hpp"
#include "hunter/core/relay.hpp"

namespace hunter::app {

class SystemClock : public core::Clock {
 public:
  int64_t nowMs() override;
};

// Exit codes of `hunter submit` (and the meaning of SubmitReport::code).
enum SubmitExit : int {
  kExitOk = 0,
  kExitUsage = 2,        // bad flags, config or key file
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

class Service {
 public:
  // Opens the database, reads the key files, builds the clients. Errors name the key or file.
  static Result<std::unique_ptr<Service>> create(const Config& config,
                                                 const std::vector<ClusterConfig>& clusters,
                                                 core::EventSink sink);
  ~Service();

  // Starts every relay (chain parameters, cluster registration, worker handshakes). A relay
  // whose cluster cannot be started now is retried by run().
  Status start();
  // The service loop until `stop` becomes true. Rounds run back to back while there is work
  // and wait poll_interval_ms (interruptibly) when a round did nothing.
  void run(const std::atomic<bool>& stop);
  // One cluster, one round of submissions, then (unless no_wait) wait for every ACK.
  SubmitReport submitOnce(uint64_t max, bool no_wait, int64_t timeout_ms,
                          const std::atomic<bool>& stop);

  adapters::SqliteStore& store() { return *store_; }
  adapters::JsonRpcChainClient& chain() { return *chain_; }
  core::AccountPool& accounts() { return *accounts_; }

 private:
  Service() = default;
  struct ClusterRuntime;
  const Config* config_ = nullptr;
  Config cfg_;
  std::unique_ptr<adapters::SqliteStore> store_;
  std::unique_ptr<adapters::JsonRpcChainClient> chain_;
  std::unique_ptr<core::AccountPool> accounts_;
  SystemClock clock_;
  std::vector<std::unique_ptr<ClusterRuntime>> clusters_;
  core::EventSink sink_;
};

}  // namespace hunter::app
