#pragma once
// The hunter's configuration (TOML, see config/hunter.example.toml and the README).
// Loading is strict: an unknown key, a wrong type or an invalid value is an error that names
// the file, the key and its line. The cluster's threshold and worker keys are never configured:
// they come from the chain's Clusters storage.
#include <optional>
#include <string>
#include <vector>

#include "hunter/core/ports.hpp"
#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

struct ClusterConfig {
  H256 id{};
  std::string alias;                 // optional; usable as --cluster NAME
  std::vector<std::string> workers;  // base URLs, http:// or https://
  std::string name() const { return alias.empty() ? toHex(id) : alias; }
};

struct Config {
  std::string path;  // where it was loaded from

  // [chain]
  std::vector<std::string> chain_endpoints;
  // How often the shared chain view asks whether a block came; unset: min(100, poll_interval_ms).
  int64_t head_check_ms = 0;
  // Where ACKs are read: the best block (0, the default), that many blocks below it, or the
  // finalized head ("finalized").
  core::AckDepth ack_depth = core::AckDepth::kBest;
  uint32_t ack_confirmations = 0;
  // [hunter]
  std::vector<std::string> key_files;
  std::string database = "hunter.db";
  int64_t poll_interval_ms = 1000;
  // A cluster with nothing to do for idle_after_s is polled less often, backing off up to this.
  int64_t max_poll_interval_ms = 5000;
  int64_t idle_after_s = 60;
  uint64_t era_period = 64;
  u128 tip = 0;
  std::string log_level = "info";    // trace, debug, info, warn, error
  std::string log_format = "plain";  // plain, json
  std::string ca_file;               // CA bundle for https:// endpoints; empty = system default
  std::string shard;                 // "I/N" (see shard.hpp); empty = every cluster
  // Settled messages (and their signatures, outcome rows, finished submissions) older than
  // this are deleted in the background, their rewards and fees kept as totals; 0 keeps all.
  int64_t retention_s = 14 * 86400;
  // [fees] (docs/operations.md "Fees"): unset min_profit = no profit rule; 0 = no delay, no floor.
  std::optional<i128> min_profit;  // per message: reward − fee ÷ messages at least this
  int64_t max_batch_delay_ms = 0;  // a batch not full waits up to this for more messages
  u128 min_balance = 0;            // accounts below this free balance sign nothing new
  // [limits]
  size_t batch_size = 64;
  size_t max_in_flight = 16;
  // Threads that run the clusters' rounds (at most one per cluster): a cluster whose round waits
  // (slow workers, a hanging answer) holds one; the others go on on the rest.
  size_t cluster_threads = 8;
  // Clusters that may clear a backlog (more than one sign chunk) at once; the others sign one
  // chunk a round meanwhile. Bounds the memory of many backlogs (core::BacklogGate).
  size_t backlog_rounds = 2;
  size_t max_pending = 8192;
  uint32_t fetch_limit = 1024;
  int64_t request_timeout_ms = 5000;
  size_t max_response_bytes = 16u << 20;
  int64_t max_message_age_s = 6 * 3600;
  int64_t lost_after_s = 30;
  int64_t backoff_base_ms = 500;
  int64_t backoff_max_ms = 60'000;
  int64_t progress_timeout_s = 300;  // /healthz: backlog with no acceptance this long = unhealthy
  // A head not moving this long while the workers are ahead (or no worker answering this long)
  // makes its cluster `stuck` and /healthz 503: five 6 s blocks.
  int64_t stuck_after_s = 30;
  // [api] (the service's HTTP API: /healthz, /metrics, /status)
  bool api_enabled = true;
  std::string api_listen = "127.0.0.1:9615";  // "host:port", port 0 = a free port
  int64_t api_chain_stale_s = 0;  // /healthz: chain silent this long = unhealthy; 0 = auto
  // [[clusters]]
  std::vector<ClusterConfig> clusters;

  // The clusters named by --cluster (alias or hex id); all when `names` is empty.
  Result<std::vector<ClusterConfig>> select(const std::vector<std::string>& names) const;
};

// Parses and validates. Error code "config"; the message starts with "FILE:LINE: key ...".
Result<Config> loadConfig(const std::string& path);
Result<Config> parseConfig(const std::string& text, const std::string& source_name);

// "host:port" (port 0..65535; an IPv6 host in brackets: "[::1]:9615").
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> parseListen(const std::string& text);
// The log line for a started API: the address bound, and for a wildcard host (0.0.0.0, ::) that
// it is every interface and the URL that reaches it from this host.
std::string apiListeningLine(const std::string& listen, const std::string& local_url);

// The chain freshness threshold of /healthz in seconds: api_chain_stale_s, or when 0
// max(30 s, 5 x poll interval).
int64_t chainStaleSeconds(const Config& cfg);

// Environment overrides for per-deployment values (applied by the commands after loading):
// HUNTER_CHAIN_ENDPOINTS (comma-separated), HUNTER_KEY_FILE (comma-separated), HUNTER_DATABASE.
void applyEnvironment(Config& cfg);

}  // namespace hunter::app
