#pragma once
// DevnetProcess: runs the real hunter-devnet binary for integration tests.
//
// start() writes a config into a fresh temp dir (every port 0, short blocks), launches
// `hunter-devnet --config <dir>/devnet.toml --state-dir <dir> --print-json` with its stderr in
// <dir>/devnet.log, and reads the endpoints line from its stdout with a deadline. The devnet dies
// with the test process (PR_SET_PDEATHSIG). The destructor sends SIGTERM, waits with a deadline,
// SIGKILLs if needed and removes the temp dir.
//
// Not thread-safe except where noted; one DevnetProcess per test is the intended use.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hunter/adapters/http.hpp"
#include "hunter/crypto/keys.hpp"

namespace hunter::testing {

struct DevnetClusterOptions {
  std::string alias = "alpha";
  std::string id;  // 0x-hex H256; empty = derived by the devnet
  uint32_t workers = 4;
  uint32_t threshold = 3;
  double rate = 20.0;
  size_t payload_size = 64;
  uint64_t initial_backlog = 0;
  std::string reward_per_message = "1000000000";
  // TOML lines appended inside this [[clusters]] table, e.g.
  // "[[clusters.faults]]\nindex = 3\ndiverge_from = 5\n".
  std::string extra_toml;
};

struct DevnetOptions {
  uint32_t block_ms = 200;
  std::vector<DevnetClusterOptions> clusters{DevnetClusterOptions{}};
  // TOML appended at the top level before the clusters (e.g. "[fees]\nbase_fee = \"5\"\n").
  std::string extra_toml;
  std::chrono::milliseconds start_timeout{30000};
  // Another devnet's directory to run in (its key file, so the same genesis): this devnet
  // leaves it in place when it stops. Empty: a fresh temporary directory of its own.
  std::string state_dir;
  // Also pass --hunter-config-out <dir>/devnet-hunter.toml (DevnetProcess::hunterConfigOut()).
  bool hunter_config_out = false;
};

struct DevnetClusterInfo {
  H256 id{};
  std::string alias;
  uint32_t threshold = 0;
  std::vector<std::string> workers;  // base URLs
  std::vector<crypto::PublicKey> public_keys;
};

// An HTTP answer: status and parsed JSON body (null if the body is not JSON).
struct JsonReply {
  long status = 0;
  std::string body;
  nlohmann::json json;
  std::chrono::microseconds elapsed{0};
};

class DevnetProcess {
 public:
  static Result<std::unique_ptr<DevnetProcess>> start(const DevnetOptions& options = {});
  // The TOML start() writes for these options (state_dir is filled in by start()).
  static std::string configToml(const DevnetOptions& options, const std::string& state_dir);
  ~DevnetProcess();
  DevnetProcess(const DevnetProcess&) = delete;
  DevnetProcess& operator=(const DevnetProcess&) = delete;

  const nlohmann::json& endpoints() const { return endpoints_; }
  const std::string& chainUrl() const { return chain_url_; }
  const std::string& adminUrl() const { return admin_url_; }  // chainUrl() + "/devnet"
  const std::vector<DevnetClusterInfo>& clusters() const { return clusters_; }
  const std::string& hunterKeyPath() const { return hunter_key_; }
  Result<crypto::SecretKey> hunterKey() const;
  const std::string& dir() const { return dir_; }
  // Where --hunter-config-out wrote (DevnetOptions::hunter_config_out), else empty.
  const std::string& hunterConfigOut() const { return hunter_config_out_; }
  pid_t pid() const { return pid_; }

  // POST /devnet/fault; an error unless HTTP 200. Thread-safe.
  Result<nlohmann::json> setFault(const nlohmann::json& body);
  // GET /devnet/state. Thread-safe.
  Result<nlohmann::json> state();
  // One JSON-RPC call; the whole response object ({"result"} or {"error"}). Thread-safe.
  Result<nlohmann::json> rpc(const std::string& method,
                             nlohmann::json params = nlohmann::json::array());
  // The "result" of a call; a JSON-RPC error becomes Error code "rpc_error" with its JSON.
  Result<nlohmann::json> rpcResult(const std::string& method,
                                   nlohmann::json params = nlohmann::json::array());
  // POST <worker>/prpc/PhactoryAPI.<method>?json. Thread-safe.
  Result<JsonReply> workerCall(size_t cluster, size_t worker, const std::string& method,
                               const nlohmann::json& body = nlohmann::json::object(),
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // SIGTERM, then waits up to `deadline`; returns the exit code (128 + signal if killed by one).
  // Error "timeout" if it did not exit (it is then SIGKILLed).
  Result<int> terminate(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  bool running() const { return pid_ > 0; }
  // The last `bytes` of the devnet's stderr log.
  std::string logTail(size_t bytes = 4000) const;

  // Polls `pred` every `interval` until it is true or `deadline` passes.
  static bool waitUntil(const std::function<bool()>& pred, std::chrono::milliseconds deadline,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(20));

 private:
  DevnetProcess() = default;
  Result<JsonReply> post(const std::string& url, const std::string& body,
                         std::chrono::milliseconds timeout);

  std::string dir_;
  bool owns_dir_ = true;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  nlohmann::json endpoints_;
  std::string chain_url_;
  std::string admin_url_;
  std::string hunter_key_;
  std::string hunter_config_out_;
  std::vector<DevnetClusterInfo> clusters_;
  std::mutex http_mu_;
  std::unique_ptr<adapters::HttpClient> http_;
  uint64_t rpc_id_ = 0;
};

}  // namespace hunter::testing
