#pragma once
// Runs the real `hunter` binary against a DevnetProcess: writes its config, runs one-shot
// commands (status, submit, rewards, workers) and the `run` service as a child process.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "devnet_harness.hpp"
#include "hunter/core/storage.hpp"

namespace hunter::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `hunter args...` to completion (killed after `deadline`).
CommandResult runHunter(const std::vector<std::string>& args,
                        std::chrono::milliseconds deadline = std::chrono::seconds(120));

// A hunter config for `devnet`, written to <dir>/<name>.toml; returns its path.
struct HunterConfigOptions {
  std::string name = "hunter";
  std::vector<std::string> key_files;  // default: the devnet's dev hunter key
  std::string database;                // default: <dir>/<name>.db
  int64_t poll_interval_ms = 100;
  size_t batch_size = 64;
  size_t max_in_flight = 8;
  int64_t request_timeout_ms = 2000;
  int64_t lost_after_s = 3;
  int64_t backoff_base_ms = 200;
  int64_t backoff_max_ms = 2000;
  std::string extra_limits;  // more lines for [limits]
  std::string extra_hunter;  // more lines for [hunter] (e.g. "era_period = 8\n")
  std::string extra_chain;   // more lines for [chain] (e.g. "ack_confirmations = 2\n")
  // The [api] table: a free port by default, so hunters of parallel tests never collide.
  std::string api_toml = "[api]\nlisten = \"127.0.0.1:0\"\n";
};
std::string writeHunterConfig(const DevnetProcess& devnet, const std::string& dir,
                              const HunterConfigOptions& o = {});

// `hunter run` in the background; its stderr goes to <log>.
class HunterService {
 public:
  HunterService(const std::string& config, const std::string& log,
                std::vector<std::string> extra = {});
  ~HunterService();
  pid_t pid() const { return pid_; }
  int terminate(std::chrono::milliseconds deadline = std::chrono::seconds(20));  // exit code
  void kill9();
  bool running() const { return pid_ > 0; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// A worker that lies: an HTTP server on 127.0.0.1 (free port) forwarding every request to
// `target` (a worker's base URL); `rewrite` may change each answer before it goes
// back. A transport failure towards `target` is answered 502.
using ProxyRewrite = std::function<void(const adapters::ServerRequest&, const adapters::HttpReply&,
                                        adapters::ServerResponse&)>;
Result<std::unique_ptr<adapters::HttpServer>> startWorkerProxy(const std::string& target,
                                                               ProxyRewrite rewrite);

// A new 0600 key file in dir (for a second hunter); returns its path.
std::string newKeyFile(const std::string& dir, const std::string& name);

// The chain's next sn (Queues) of a cluster, HunterRewards and free balance of an account.
uint64_t chainNextSn(DevnetProcess& d, const H256& cluster);
u128 chainHunterRewards(DevnetProcess& d, const crypto::AccountId32& account);
u128 chainFree(DevnetProcess& d, const crypto::AccountId32& account);
std::optional<core::AckRecord> chainAck(DevnetProcess& d, const H256& cluster, uint64_t sn);

// Shared test helpers (they record gtest failures).
// A devnet started with `o`, or nullptr after recording why it did not start.
std::unique_ptr<DevnetProcess> startDevnet(const DevnetOptions& o);
// The devnet's dev hunter account.
crypto::AccountId32 devHunter(DevnetProcess& d);
// The command's stdout as JSON (a failure and null when it is not JSON).
nlohmann::json jsonOf(const CommandResult& r);
// A decimal-string u128 from JSON.
u128 dec(const nlohmann::json& v);
std::string readFile(const std::string& path);
bool poolEmpty(DevnetProcess& d);
// After the service stopped: waits for the devnet's pool to drain (what the stopped hunter left
// there still gets included), then a one-shot `submit --max 0` per cluster reads every ACK, so
// the database
// is complete before it is compared with the chain.
CommandResult reconcile(DevnetProcess& d, const std::string& cfg,
                        const std::vector<std::string>& clusters = {"alpha"});

// The books check every fault scenario ends with (after reconcile()): every sn below the chain's
// next sn whose ACK names one of `accounts` is booked accepted exactly once, with the ACK's hash
// and reward; nothing else is booked accepted; the fees booked are exactly what the chain took
// (the accounts' free balances before, plus rewards, minus fees, is what they hold now).
// Returns how many sns the chain gives to `accounts`.
struct Account {
  crypto::AccountId32 id{};
  u128 free_before = 0;
};
std::vector<Account> accountsBefore(DevnetProcess& d, const std::vector<crypto::AccountId32>& ids);
uint64_t expectBooksExact(DevnetProcess& d, const std::string& database, const H256& cluster,
                          const std::vector<Account>& accounts);
// The same over several clusters whose fees the same accounts paid.
uint64_t expectBooksExact(DevnetProcess& d, const std::string& database,
                          const std::vector<H256>& clusters, const std::vector<Account>& accounts);

// The first column of the first row of `sql` on the database, opened read-only; -1 when that
// fails or there is no row (a NULL reads 0).
int64_t queryInt(const std::string& database, const std::string& sql);

// The URL `hunter run` logs as "api listening on http://HOST:PORT" (empty if not in time).
std::string apiUrlFromLog(const HunterService& svc,
                          std::chrono::milliseconds deadline = std::chrono::seconds(20));

// GET url: the HTTP status (0 when there was no answer) and the body as JSON (discarded when it
// is not JSON).
std::pair<long, nlohmann::json> getJson(const std::string& url);
// GET url: the HTTP status (0 when there was no answer) and the body as it came.
std::pair<long, std::string> getText(const std::string& url);

}  // namespace hunter::testing
