#pragma once
// The hunter's configuration (TOML, see config/hunter.example.toml and the README).
// Loading is strict: an unknown key, a wrong type or an invalid value is an error that names
// the file, the key and its line. The cluster's threshold and worker keys are never configured:
// they come from the chain's Clusters storage.
#include <optional>
#include <string>
#include <vector>

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
  // [hunter]
  std::vector<std::string> key_files;
  std::string database = "hunter.db";
  int64_t poll_interval_ms = 1000;
  uint64_t era_period = 64;
  u128 tip = 0;
  std::string log_level = "info";    // trace, debug, info, warn, error
  std::string log_format = "plain";  // plain, json
  std::string ca_file;               // CA bundle for https:// endpoints; empty = system default
  // [limits]
  size_t batch_size = 64;
  size_t max_in_flight = 16;
  size_t max_pending = 8192;
  uint32_t fetch_limit = 1024;
  int64_t request_timeout_ms = 5000;
  size_t max_response_bytes = 16u << 20;
  int64_t max_message_age_s = 6 * 3600;
  int64_t lost_after_s = 30;
  int64_t backoff_base_ms = 500;
  int64_t backoff_max_ms = 60'000;
  // [[clusters]]
  std::vector<ClusterConfig> clusters;

  // The clusters named by --cluster (alias or hex id); all when `names` is empty.
  Result<std::vector<ClusterConfig>> select(const std::vector<std::string>& names) const;
};

// Parses and validates. Error code "config"; the message starts with "FILE:LINE: key ...".
Result<Config> loadConfig(const std::string& path);
Result<Config> parseConfig(const std::string& text, const std::string& source_name);

// Environment overrides for per-deployment values (applied by the commands after loading):
// HUNTER_CHAIN_ENDPOINTS (comma-separated), HUNTER_KEY_FILE (comma-separated), HUNTER_DATABASE.
void applyEnvironment(Config& cfg);

}  // namespace hunter::app
