#include "hunter_harness.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "hunter/adapters/http.hpp"
#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/core/storage.hpp"

extern char** environ;

namespace hunter::testing {
namespace {

std::string readAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  std::vector<char*> argv;
  std::string bin = HUNTER_BIN;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int waitFor(pid_t pid, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string tomlString(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

Bytes storage(DevnetProcess& d, const Bytes& key) {
  auto r = d.rpcResult("state_getStorage", {toHex(key)});
  if (!r.ok() || r->is_null()) return {};
  return fromHex(r->get<std::string>()).value();
}

}  // namespace

CommandResult runHunter(const std::vector<std::string>& args, std::chrono::milliseconds deadline) {
  char tmpl[] = "/tmp/hunter-cmd-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  CommandResult r;
  pid_t pid = spawn(args, dir + "/out", dir + "/err");
  if (pid > 0) r.exit_code = waitFor(pid, deadline);
  r.out = readAll(dir + "/out");
  r.err = readAll(dir + "/err");
  std::remove((dir + "/out").c_str());
  std::remove((dir + "/err").c_str());
  rmdir(dir.c_str());
  return r;
}

std::string writeHunterConfig(const DevnetProcess& devnet, const std::string& dir,
                              const HunterConfigOptions& o) {
  std::ostringstream t;
  t << "[chain]\nendpoints = [" << tomlString(devnet.chainUrl()) << "]\n"
    << o.extra_chain << "\n[hunter]\n";
  std::vector<std::string> keys = o.key_files;
  if (keys.empty()) keys.push_back(devnet.hunterKeyPath());
  t << "key_files = [";
  for (size_t i = 0; i < keys.size(); ++i) t << (i ? ", " : "") << tomlString(keys[i]);
  t << "]\n";
  t << "database = " << tomlString(o.database.empty() ? dir + "/" + o.name + ".db" : o.database)
    << "\n";
  t << "poll_interval_ms = " << o.poll_interval_ms << "\n" << o.extra_hunter << "\n[limits]\n";
  t << "batch_size = " << o.batch_size << "\nmax_in_flight = " << o.max_in_flight
    << "\nrequest_timeout_ms = " << o.request_timeout_ms << "\nlost_after_s = " << o.lost_after_s
    << "\nbackoff_base_ms = " << o.backoff_base_ms << "\nbackoff_max_ms = " << o.backoff_max_ms
    << "\n"
    << o.extra_limits << "\n"
    << o.api_toml << "\n";
  for (const auto& c : devnet.clusters()) {
    t << "[[clusters]]\nid = " << tomlString(toHex(c.id)) << "\nalias = " << tomlString(c.alias)
      << "\nworkers = [";
    for (size_t i = 0; i < c.workers.size(); ++i) t << (i ? ", " : "") << tomlString(c.workers[i]);
    t << "]\n\n";
  }
  std::string path = dir + "/" + o.name + ".toml";
  std::ofstream(path) << t.str();
  return path;
}

Result<std::unique_ptr<adapters::HttpServer>> startWorkerProxy(const std::string& target,
                                                               ProxyRewrite rewrite) {
  return adapters::HttpServer::start(
      "127.0.0.1", 0,
      [target, rewrite = std::move(rewrite)](
          const adapters::ServerRequest& req) -> adapters::ServerResponse {
        adapters::HttpClient http;
        adapters::HttpCall call;
        call.url = target + req.path + (req.query.empty() ? "" : "?" + req.query);
        call.body = req.body;
        auto r = http.post(call);
        if (!r.ok()) return {502, "application/json", R"({"error":"proxy","code":"internal"})"};
        adapters::ServerResponse out{static_cast<int>(r->status), "application/json", r->body};
        rewrite(req, *r, out);
        return out;
      });
}

HunterService::HunterService(const std::string& config, const std::string& log,
                             std::vector<std::string> extra)
    : log_(log) {
  std::vector<std::string> args = {"run", "--config", config};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = spawn(args, log + ".out", log);
}

HunterService::~HunterService() {
  if (pid_ > 0) terminate();
}

int HunterService::terminate(std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = waitFor(pid_, deadline);
  pid_ = -1;
  return code;
}

void HunterService::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitFor(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

std::string HunterService::log() const { return readAll(log_); }

std::string newKeyFile(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  auto r = runHunter({"key", "generate", "--out", path});
  return r.exit_code == 0 ? path : std::string();
}

uint64_t chainNextSn(DevnetProcess& d, const H256& cluster) {
  Bytes v = storage(d, core::queuesKey(cluster));
  if (v.empty()) return 0;
  return core::decodeQueueState(v).value().next_sn;
}

u128 chainHunterRewards(DevnetProcess& d, const crypto::AccountId32& account) {
  Bytes v = storage(d, core::hunterRewardsKey(account));
  if (v.empty()) return 0;
  return core::decodeU128(v).value();
}

u128 chainFree(DevnetProcess& d, const crypto::AccountId32& account) {
  Bytes v = storage(d, core::systemAccountKey(account));
  if (v.empty()) return 0;
  return core::decodeAccountInfo(v).value().data.free;
}

std::optional<core::AckRecord> chainAck(DevnetProcess& d, const H256& cluster, uint64_t sn) {
  Bytes v = storage(d, core::acksKey(cluster, sn));
  if (v.empty()) return std::nullopt;
  return core::decodeAckRecord(v).value();
}

std::unique_ptr<DevnetProcess> startDevnet(const DevnetOptions& o) {
  auto d = DevnetProcess::start(o);
  if (!d.ok()) {
    ADD_FAILURE() << "devnet did not start: " << d.error().message;
    return nullptr;
  }
  return std::move(d).value();
}

crypto::AccountId32 devHunter(DevnetProcess& d) {
  return crypto::accountId(d.hunterKey().value().publicKey());
}

nlohmann::json jsonOf(const CommandResult& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (...) {
    ADD_FAILURE() << "not JSON: " << r.out << r.err;
    return nlohmann::json();
  }
}

u128 dec(const nlohmann::json& v) { return u128FromString(v.get<std::string>()).value(); }

std::string readFile(const std::string& path) { return readAll(path); }

bool poolEmpty(DevnetProcess& d) {
  auto p = d.rpcResult("author_pendingExtrinsics");
  return p.ok() && p->is_array() && p->empty();
}

CommandResult reconcile(DevnetProcess& d, const std::string& cfg,
                        const std::vector<std::string>& clusters) {
  bool drained = DevnetProcess::waitUntil([&] { return poolEmpty(d); }, std::chrono::seconds(30));
  EXPECT_TRUE(drained) << "the devnet's pool did not drain";
  CommandResult r;
  for (const auto& cluster : clusters) {
    r = runHunter({"submit", "--config", cfg, "--cluster", cluster, "--max", "0"});
    EXPECT_EQ(r.exit_code, 0) << cluster << ": " << r.out << r.err;
  }
  return r;
}

std::vector<Account> accountsBefore(DevnetProcess& d, const std::vector<crypto::AccountId32>& ids) {
  std::vector<Account> out;
  for (const auto& id : ids) out.push_back(Account{id, chainFree(d, id)});
  return out;
}

namespace {

struct BooksTally {
  uint64_t mine = 0;
  u128 rewards = 0;
  u128 fees = 0;
};

// The per-sn half of expectBooksExact for one cluster; the rewards and fees it booked.
BooksTally checkClusterBooks(DevnetProcess& d, adapters::SqliteStore& store, const H256& cluster,
                             const std::vector<Account>& accounts) {
  BooksTally t;
  auto outs = store.outcomes(cluster);
  EXPECT_TRUE(outs.ok());
  if (!outs.ok()) return t;
  std::map<uint64_t, std::vector<core::OutcomeRecord>> accepted;
  for (auto& o : *outs) {
    if (o.kind != core::OutcomeKind::kAccepted) continue;
    t.fees += o.fee;
    accepted[o.sn].push_back(o);
  }
  auto ours = [&](const crypto::AccountId32& a) {
    for (auto& x : accounts)
      if (x.id == a) return true;
    return false;
  };
  const uint64_t next = chainNextSn(d, cluster);
  for (uint64_t sn = 0; sn < next; ++sn) {
    auto ack = chainAck(d, cluster, sn);
    EXPECT_TRUE(ack.has_value()) << "sn " << sn << " has no ACK";
    auto it = accepted.find(sn);
    if (!ack || !ours(ack->hunter)) {
      EXPECT_TRUE(it == accepted.end()) << "sn " << sn << " is booked accepted but not ours";
      continue;
    }
    t.mine++;
    t.rewards += ack->reward;
    if (it == accepted.end()) {
      ADD_FAILURE() << "sn " << sn << " is ours on chain but not booked accepted";
      continue;
    }
    EXPECT_EQ(it->second.size(), 1u)
        << "sn " << sn << " is booked accepted " << it->second.size() << " times";
    EXPECT_TRUE(it->second[0].reward == ack->reward) << "sn " << sn;
    EXPECT_EQ(it->second[0].ack_hash, std::optional<H256>(ack->hash)) << "sn " << sn;
  }
  for (auto& [sn, rows] : accepted) EXPECT_LT(sn, next) << "sn " << sn << " booked, not on chain";
  return t;
}

}  // namespace

uint64_t expectBooksExact(DevnetProcess& d, const std::string& database,
                          const std::vector<H256>& clusters, const std::vector<Account>& accounts) {
  auto store = adapters::SqliteStore::open(database);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  if (!store.ok()) return 0;
  BooksTally all;
  for (const auto& cluster : clusters) {
    auto t = checkClusterBooks(d, **store, cluster, accounts);
    all.mine += t.mine;
    all.rewards += t.rewards;
    all.fees += t.fees;
  }
  u128 before = 0, now = 0;
  for (auto& a : accounts) {
    before += a.free_before;
    now += chainFree(d, a.id);
  }
  EXPECT_TRUE(now + all.fees == before + all.rewards)
      << "free now " << u128ToString(now) << " + booked fees " << u128ToString(all.fees)
      << " != free before " << u128ToString(before) << " + rewards " << u128ToString(all.rewards);
  return all.mine;
}

uint64_t expectBooksExact(DevnetProcess& d, const std::string& database, const H256& cluster,
                          const std::vector<Account>& accounts) {
  return expectBooksExact(d, database, std::vector<H256>{cluster}, accounts);
}

std::string apiUrlFromLog(const HunterService& svc, std::chrono::milliseconds deadline) {
  std::string url;
  static const std::regex re("api listening on (http://[0-9.]+:[0-9]+)");
  DevnetProcess::waitUntil(
      [&] {
        std::smatch m;
        std::string log = svc.log();
        if (std::regex_search(log, m, re)) url = m[1];
        return !url.empty();
      },
      deadline);
  return url;
}

std::pair<long, std::string> getText(const std::string& url) {
  adapters::HttpClient http;
  adapters::HttpCall call;
  call.url = url;
  call.timeout = std::chrono::seconds(5);
  auto r = http.get(call);
  if (!r.ok()) return {0, std::string()};
  return {r->status, r->body};
}

std::pair<long, nlohmann::json> getJson(const std::string& url) {
  auto [status, body] = getText(url);
  if (status == 0) return {0, nlohmann::json()};
  return {status, nlohmann::json::parse(body, nullptr, false)};
}

int64_t queryInt(const std::string& database, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

}  // namespace hunter::testing
