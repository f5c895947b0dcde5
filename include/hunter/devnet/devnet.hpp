#pragma once
// The hunter-devnet process: a DevChain served as JSON-RPC over HTTP, and per cluster M simulated
// pRuntime workers (DevCluster), each on its own HTTP server or, with workers_on_one_port, all
// on one HTTP server under a path per worker; all on 127.0.0.1.
//
// Endpoints (ports from the config; 0 = a free port):
//   chain   POST /                 JSON-RPC 2.0 (DevChain::handleRpcBody), with the chain faults
//   admin   GET  /devnet/state     chain state + per cluster produced sns, workers, faults
//           POST /devnet/fault     {"worker": {...}} | {"workers": [...]} | {"chain": {...}}
//           GET  /devnet/endpoints the same JSON as --print-json
//   worker  POST <base>/prpc/PhactoryAPI.<Method>?json   (docs/protocol.md §3), where <base> is
//           http://127.0.0.1:PORT (a port per worker) or http://127.0.0.1:PORT/c<C>/w<W> (one
//           port: C the cluster's index in the config, W the worker's index, both from 0)
// The admin paths live on the chain's port and ignore the chain faults.
//
// Threads: one block timer (produceBlock() every block_ms), one producer (advances every
// cluster's stream at its rate), and the HTTP servers' pool, which every server of the process
// shares (adapters::setServerThreads): the thread count does not grow with the workers.
// stop() ends them all.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hunter/devnet/chain.hpp"
#include "hunter/devnet/worker.hpp"

namespace hunter::devnet {

struct ClusterConfig {
  std::string alias;
  std::string seed;  // default: alias
  H256 id{};         // default: clusterIdFromSeed(seed)
  uint32_t workers = 4;
  uint32_t threshold = 3;
  u128 reward_per_message = 1'000'000'000;
  double rate = 50.0;  // messages per second
  size_t payload_size = 256;
  uint64_t initial_backlog = 0;  // messages already produced at start
  uint64_t max_pending = 100'000;
  std::string destination = "phala/cluster/event";
  std::vector<std::pair<size_t, WorkerFaults>> faults;  // initial faults by worker index
};

struct AccountConfig {
  std::string key_file;  // a key file ("0x<hex>\n"), relative to state_dir; or
  std::optional<crypto::AccountId32> account;  // an account (0x-hex or SS58)
  u128 free = 0;
};

struct DevnetConfig {
  uint16_t chain_port = 0;
  uint16_t worker_base_port = 0;  // 0: free ports; N: workers on N, N+1, ... in config order
  // Every worker on one HTTP server, on worker_base_port (0: a free port), under the path
  // /c<cluster index>/w<worker index>: one listening socket for any number of workers. An
  // offline worker's path then answers HTTP 503 {"code": "offline"} at once (the port stays
  // open for the others) instead of refusing connections.
  bool workers_on_one_port = false;
  uint32_t block_ms = 1000;
  std::string state_dir = ".devnet";              // relative to the working directory
  std::string hunter_key_out = "dev-hunter.key";  // relative to state_dir
  u128 hunter_free = static_cast<u128>(1'000'000) * 1'000'000'000'000ull;  // 1M PHA
  ChainConfig chain;  // name, versions, fees, block size; clusters/accounts built at start
  ChainFaults chain_faults;
  std::vector<ClusterConfig> clusters;
  std::vector<AccountConfig> accounts;
};

// blake2_256("hunter-devnet/cluster/" ++ seed)
H256 clusterIdFromSeed(const std::string& seed);
// One cluster "alpha": 4 workers, threshold 3.
DevnetConfig defaultDevnetConfig();
// Parses TOML. Unknown keys, wrong types and out-of-range values are errors (code "config")
// naming the source, line and key.
Result<DevnetConfig> parseDevnetConfig(std::string_view text, const std::string& source);
Result<DevnetConfig> loadDevnetConfig(const std::string& path);

// How long after `elapsed_s` (seconds since the devnet started) the producer wakes: when the
// next message of a cluster with rate > 0 is due (sn k at (k + 1) / rate), at most 10 ms.
std::chrono::microseconds untilNextProduction(const std::vector<ClusterConfig>& clusters,
                                              double elapsed_s);

class Devnet {
 public:
  // Writes the dev hunter key if absent, builds genesis, starts every server and thread.
  static Result<std::unique_ptr<Devnet>> start(DevnetConfig config);
  ~Devnet();
  Devnet(const Devnet&) = delete;
  Devnet& operator=(const Devnet&) = delete;

  // Stops the threads and servers; idempotent.
  void stop();

  // {"chain", "admin", "clusters": [{"id", "alias", "threshold", "workers": [url...],
  //   "public_keys": [...]}], "hunter_key", "hunter_account", "block_ms"}
  nlohmann::json endpoints() const;
  nlohmann::json stateJson() const;
  // Applies a POST /devnet/fault body. Error code "bad_request" naming the field.
  Result<nlohmann::json> applyFault(const nlohmann::json& request);

  DevChain& chain();
  DevCluster& cluster(size_t i);

 private:
  Devnet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The hunter-devnet command line: --config, --block-ms, --state-dir, --chain-port, --print-json.
// Returns the exit code; blocks until SIGTERM or SIGINT.
int devnetMain(int argc, char** argv);

}  // namespace hunter::devnet
