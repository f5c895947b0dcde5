// The hunter-devnet process wiring: chain and worker HTTP servers (a server per worker, or one
// for all of them with workers_on_one_port), block and producer threads, admin endpoints, dev
// hunter key, signal handling.
#include "hunter/devnet/devnet.hpp"

#include "hunter/app/keyfile.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "hunter/adapters/http.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::devnet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kHost = "127.0.0.1";
constexpr size_t kChainMaxBody = 256u << 20;
constexpr size_t kWorkerMaxBody = 16u << 20;

// The key at `path`, created with a fresh random key if absent.
Result<crypto::SecretKey> loadOrCreateKey(const std::string& path, bool& created) {
  created = false;
  if (fs::exists(path)) return app::readKeyFile(path);
  crypto::SecretKey key = crypto::SecretKey::generate();
  HUNTER_CHECK(app::writeNewKeyFile(path, key));
  created = true;
  return key;
}

json chainFaultsJson(const ChainFaults& f) {
  return json{{"unavailable", f.unavailable}, {"latency_ms", f.latency_ms},
              {"drop_rate", f.drop_rate},     {"submit_reply_delay_ms", f.submit_reply_delay_ms},
              {"lag_blocks", f.lag_blocks},   {"query_info_fails", f.query_info_fails}};
}

// Strict readers for the admin fault requests.
Status checkFields(const json& obj, const std::string& where,
                   std::initializer_list<const char*> known) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool found = false;
    for (const char* k : known) found = found || it.key() == k;
    if (!found) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return makeError("bad_request",
                       where + "." + it.key() + ": unknown field (expected one of: " + list + ")");
    }
  }
  return okStatus();
}
Result<bool> jsonBool(const json& v, const std::string& where) {
  if (!v.is_boolean()) return makeError("bad_request", where + ": expected true or false");
  return v.get<bool>();
}
Result<uint64_t> jsonU64(const json& v, const std::string& where, uint64_t max) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
    return makeError("bad_request",
                     where + ": expected an unsigned integer up to " + std::to_string(max));
  }
  return v.get<uint64_t>();
}
Result<double> jsonRate(const json& v, const std::string& where) {
  if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= 1.0)) {
    return makeError("bad_request", where + ": expected a number between 0 and 1");
  }
  return v.get<double>();
}

}  // namespace

// ---- Devnet -------------------------------------------------------------------------------

struct WorkerSlot {
  DevCluster* cluster = nullptr;
  size_t cluster_index = 0;
  size_t index = 0;
  uint16_t port = 0;
  std::string url;
  std::atomic<bool> offline{false};
  std::atomic<int> inflight{0};  // requests being answered (GET /devnet/state shows it)
  // Guarded by Impl::servers_mu; null = offline, or every worker on Impl::workers_server.
  std::unique_ptr<adapters::HttpServer> server;
};

namespace {

// "/c<C>/w<W>/rest" -> {C, W, "/rest"}; nullopt unless C and W are decimal without leading zeros
// and a '/' or the end follows W. The one-port server's way to find the worker of a request.
struct WorkerPath {
  size_t cluster = 0;
  size_t worker = 0;
  std::string_view rest;
};
std::optional<WorkerPath> parseWorkerPath(std::string_view path) {
  auto number = [&path](char tag, size_t& out) {
    if (path.size() < 3 || path[0] != '/' || path[1] != tag) return false;
    const char* first = path.data() + 2;
    const char* end = path.data() + path.size();
    auto [ptr, ec] = std::from_chars(first, end, out);
    if (ec != std::errc() || (*first == '0' && ptr - first > 1)) return false;
    path.remove_prefix(static_cast<size_t>(ptr - path.data()));
    return true;
  };
  WorkerPath wp;
  if (!number('c', wp.cluster) || !number('w', wp.worker)) return std::nullopt;
  if (!path.empty() && path[0] != '/') return std::nullopt;
  wp.rest = path;
  return wp;
}

}  // namespace

struct Devnet::Impl {
  DevnetConfig cfg;
  std::string hunter_key_path;
  crypto::AccountId32 hunter_account{};
  std::unique_ptr<DevChain> chain;
  std::vector<std::unique_ptr<DevCluster>> clusters;
  std::vector<std::vector<std::unique_ptr<WorkerSlot>>> slots;  // [cluster][worker]
  std::map<H256, DevCluster*> by_id;

  std::mutex servers_mu;
  std::unique_ptr<adapters::HttpServer> chain_server;
  // workers_on_one_port: the one server of every worker (set before any request can come, reset
  // only by stop()).
  std::unique_ptr<adapters::HttpServer> workers_server;

  std::mutex mu;  // guards stopping and unavailable_until
  std::condition_variable cv;
  bool stopping = false;
  std::optional<Clock::time_point> unavailable_until;  // nullopt: available
  std::thread block_thread;
  std::thread producer_thread;
  Clock::time_point started = Clock::now();
  // The same moment on the wall clock (ms since the epoch): sn k of a cluster with rate r and
  // no initial backlog is due at started_ms + (k + 1) * 1000 / r (GET /devnet/state shows it).
  int64_t started_ms = 0;
  std::atomic<bool> stopped{false};

  // Waits `ms` unless the devnet stops or `abort` turns true (polled on notify and every 50 ms).
  void sleepFor(std::chrono::milliseconds ms, const std::function<bool()>& abort = {}) {
    auto deadline = Clock::now() + ms;
    std::unique_lock lock(mu);
    while (!stopping && !(abort && abort())) {
      auto now = Clock::now();
      if (now >= deadline) return;
      cv.wait_for(lock, std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(50)));
    }
  }

  // Whether the chain RPC is unavailable now; clears an expired outage.
  bool chainUnavailable() {
    bool expired = false;
    {
      std::lock_guard lock(mu);
      if (!unavailable_until) return false;
      if (Clock::now() < *unavailable_until) return true;
      unavailable_until.reset();
      expired = true;
    }
    if (expired) {
      ChainFaults f = chain->faults();
      f.unavailable = false;
      chain->setFaults(f);
      spdlog::info("chain: available again");
    }
    return false;
  }

  void setUnavailable(std::optional<Clock::time_point> until) {
    {
      std::lock_guard lock(mu);
      unavailable_until = until;
    }
    ChainFaults f = chain->faults();
    f.unavailable = until.has_value();
    chain->setFaults(f);
  }

  adapters::ServerResponse workerHandle(WorkerSlot& slot, std::string_view path,
                                        const std::string& body) {
    struct Count {
      std::atomic<int>& n;
      explicit Count(std::atomic<int>& c) : n(c) { ++n; }
      ~Count() { --n; }
    } count(slot.inflight);
    DevWorker& w = slot.cluster->worker(slot.index);
    WorkerReply rep = w.handlePath(path, body);
    if (rep.delay.count() > 0) sleepFor(rep.delay, [&slot] { return slot.offline.load(); });
    adapters::ServerResponse out;
    out.status = rep.status;
    out.body = std::move(rep.body);
    return out;
  }

  // The one-port server: the path names the worker. An offline worker cannot refuse connections
  // on a port the others share, so its path answers 503 "offline" at once.
  adapters::ServerResponse sharedWorkerHandle(const adapters::ServerRequest& req) {
    adapters::ServerResponse out;
    auto wp = parseWorkerPath(req.path);
    if (!wp || wp->cluster >= slots.size() || wp->worker >= slots[wp->cluster].size()) {
      out.status = 404;
      out.body = json{{"error", "no worker at " + req.path + " (expected /c<cluster>/w<worker>/" +
                                    "prpc/PhactoryAPI.<Method>)"},
                      {"code", "not_found"}}
                     .dump();
      return out;
    }
    WorkerSlot& slot = *slots[wp->cluster][wp->worker];
    if (slot.offline) {
      out.status = 503;
      out.body = R"({"error":"worker offline","code":"offline"})";
      return out;
    }
    return workerHandle(slot, wp->rest, req.body);
  }

  adapters::ServerResponse chainHandle(const adapters::ServerRequest& req, Devnet& self) {
    adapters::ServerResponse out;
    if (req.path.rfind("/devnet/", 0) == 0) return adminHandle(req, self);
    if (req.method == "GET" && req.path == "/health") {
      out.body = R"({"ok":true})";
      return out;
    }
    if (req.method != "POST") {
      out.status = 405;
      out.body = R"({"error":"use POST for JSON-RPC","code":"method_not_allowed"})";
      return out;
    }
    if (chainUnavailable()) {
      out.status = 503;
      out.body =
          R"json({"error":"chain RPC unavailable (injected fault)","code":"unavailable"})json";
      return out;
    }
    uint32_t latency = chain->faults().latency_ms;
    if (latency > 0) sleepFor(std::chrono::milliseconds(latency));
    // /lagging: the same chain as seen by a node lag_blocks behind (a load balancer's backend).
    out.body = req.path == "/lagging" ? chain->handleRpcBody(req.body, chain->faults().lag_blocks)
                                      : chain->handleRpcBody(req.body);
    uint32_t submitDelay = chain->faults().submit_reply_delay_ms;
    if (submitDelay > 0 && req.body.find("\"author_submitExtrinsic\"") != std::string::npos) {
      sleepFor(std::chrono::milliseconds(submitDelay));
    }
    return out;
  }

  adapters::ServerResponse adminHandle(const adapters::ServerRequest& req, Devnet& self) {
    adapters::ServerResponse out;
    if (req.path == "/devnet/state" && req.method == "GET") {
      out.body = self.stateJson().dump();
    } else if (req.path == "/devnet/endpoints" && req.method == "GET") {
      out.body = self.endpoints().dump();
    } else if (req.path == "/devnet/fault" && req.method == "POST") {
      json body = json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        out.status = 400;
        out.body = json{{"error", "body must be a JSON object"}, {"code", "bad_request"}}.dump();
        return out;
      }
      auto r = self.applyFault(body);
      if (!r.ok()) {
        out.status = 400;
        out.body = json{{"error", r.error().message}, {"code", r.error().code}}.dump();
      } else {
        out.body = r->dump();
      }
    } else {
      out.status = 404;
      out.body = json{{"error", "unknown admin endpoint " + req.method + " " + req.path},
                      {"code", "not_found"}}
                     .dump();
    }
    return out;
  }

  Status startWorkerServer(WorkerSlot& slot) {
    auto server = adapters::HttpServer::start(
        kHost, slot.port,
        [this, &slot](const adapters::ServerRequest& r) {
          return workerHandle(slot, r.path, r.body);
        },
        kWorkerMaxBody);
    if (!server.ok()) return server.error();
    slot.port = (*server)->port();
    slot.url = (*server)->baseUrl();
    slot.server = std::move(server).value();
    return okStatus();
  }

  // Brings a worker's HTTP server down or up to match its offline fault. On the one-port server
  // only the flag changes (sharedWorkerHandle reads it).
  Status syncOffline(WorkerSlot& slot, bool offline) {
    std::unique_ptr<adapters::HttpServer> old;
    {
      std::lock_guard lock(servers_mu);
      slot.offline = offline;
      if (cfg.workers_on_one_port) {
        // nothing to start or stop
      } else if (offline) {
        old = std::move(slot.server);
      } else if (!slot.server && !stopped) {
        HUNTER_CHECK(startWorkerServer(slot));
      }
    }
    cv.notify_all();  // wakes this worker's slow replies
    if (old) old->stop();
    return okStatus();
  }

  // A server per worker: on worker_base_port, +1, ... in config order, or free ports.
  Status startWorkerServers() {
    uint32_t next_port = cfg.worker_base_port;
    size_t total_workers = 0;
    for (const auto& c : clusters) total_workers += c->workerCount();
    if (next_port != 0 && next_port + total_workers > 65536) {
      return makeError("config", "worker_base_port " + std::to_string(next_port) +
                                     " leaves no room for " + std::to_string(total_workers) +
                                     " workers");
    }
    for (size_t ci = 0; ci < clusters.size(); ++ci) {
      slots.emplace_back();
      for (size_t i = 0; i < clusters[ci]->workerCount(); ++i) {
        auto slot = makeSlot(ci, i);
        slot->port = cfg.worker_base_port == 0 ? 0 : static_cast<uint16_t>(next_port++);
        auto st = startWorkerServer(*slot);
        if (!st.ok()) {
          return st.error().context("worker " + cfg.clusters[ci].alias + "/" + std::to_string(i));
        }
        if (clusters[ci]->worker(i).faults().offline) HUNTER_CHECK(syncOffline(*slot, true));
        slots.back().push_back(std::move(slot));
      }
    }
    return okStatus();
  }

  std::unique_ptr<WorkerSlot> makeSlot(size_t ci, size_t i) {
    auto slot = std::make_unique<WorkerSlot>();
    slot->cluster = clusters[ci].get();
    slot->cluster_index = ci;
    slot->index = i;
    return slot;
  }

  // workers_on_one_port: one server for every worker, on worker_base_port or a free port. Every
  // slot exists before the server can call sharedWorkerHandle, which reads `slots` without a
  // lock (they never change after this).
  Status startWorkersOnOnePort() {
    for (size_t ci = 0; ci < clusters.size(); ++ci) {
      slots.emplace_back();
      for (size_t i = 0; i < clusters[ci]->workerCount(); ++i) {
        auto slot = makeSlot(ci, i);
        slot->offline = clusters[ci]->worker(i).faults().offline;
        slots.back().push_back(std::move(slot));
      }
    }
    auto server = adapters::HttpServer::start(
        kHost, cfg.worker_base_port,
        [this](const adapters::ServerRequest& r) { return sharedWorkerHandle(r); }, kWorkerMaxBody);
    if (!server.ok()) return server.error().context("workers' server");
    for (auto& cs : slots) {
      for (auto& s : cs) {
        s->port = (*server)->port();
        s->url = (*server)->baseUrl() + "/c" + std::to_string(s->cluster_index) + "/w" +
                 std::to_string(s->index);
      }
    }
    std::lock_guard lock(servers_mu);
    workers_server = std::move(server).value();
    return okStatus();
  }

  void blockLoop() {
    auto period = std::chrono::milliseconds(cfg.block_ms);
    auto next = Clock::now() + period;
    for (;;) {
      {
        std::unique_lock lock(mu);
        if (cv.wait_until(lock, next, [this] { return stopping; })) return;
      }
      chainUnavailable();  // expires an outage even when nobody calls
      chain->produceBlock();
      next += period;
      auto now = Clock::now();
      if (next < now) next = now + period;
    }
  }

  void produceAll() {
    double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    for (size_t i = 0; i < clusters.size(); ++i) {
      const ClusterConfig& cc = cfg.clusters[i];
      double target = static_cast<double>(cc.initial_backlog) + std::floor(cc.rate * elapsed);
      clusters[i]->produceUpTo(static_cast<uint64_t>(target));
    }
  }

  // Wakes when the next message of a producing cluster is due (sn k at (k + 1) / rate after the
  // start), at most 10 ms apart, so that a message is available when GET /devnet/state's
  // started_ms and the rate say it is (a fixed 10 ms tick made it up to 10 ms late).
  void producerLoop() {
    for (;;) {
      auto now = Clock::now();
      auto wake = now + untilNextProduction(cfg.clusters,
                                            std::chrono::duration<double>(now - started).count());
      {
        std::unique_lock lock(mu);
        if (cv.wait_until(lock, wake, [this] { return stopping; })) return;
      }
      produceAll();
    }
  }

  Result<WorkerSlot*> findWorker(const json& sel, const std::string& where) {
    auto c = sel.find("cluster");
    DevCluster* cluster = nullptr;
    size_t ci = 0;
    if (c == sel.end()) {
      if (clusters.size() != 1) {
        return makeError("bad_request", where + ".cluster: required (alias or 0x id)");
      }
    } else {
      if (!c->is_string()) return makeError("bad_request", where + ".cluster: expected a string");
      std::string name = c->get<std::string>();
      for (size_t i = 0; i < clusters.size(); ++i) {
        auto id = fixedFromHex<32>(name);
        if (cfg.clusters[i].alias == name || (id.ok() && *id == clusters[i]->id())) {
          cluster = clusters[i].get();
          ci = i;
        }
      }
      if (!cluster) return makeError("bad_request", where + ".cluster: unknown cluster " + name);
    }
    auto ix = sel.find("index");
    if (ix == sel.end()) return makeError("bad_request", where + ".index: required");
    HUNTER_TRY(uint64_t index, jsonU64(*ix, where + ".index", slots[ci].size() - 1));
    return slots[ci][index].get();
  }

  Result<json> applyWorkerFault(const json& req, const std::string& where) {
    if (!req.is_object()) return makeError("bad_request", where + ": expected an object");
    HUNTER_CHECK(checkFields(req, where,
                             {"cluster", "index", "clear", "offline", "slow_ms", "flaky_rate",
                              "garbage", "bad_signatures", "diverge_from", "empty_messages"}));
    HUNTER_TRY(WorkerSlot * slot, findWorker(req, where));
    DevWorker& w = slot->cluster->worker(slot->index);
    WorkerFaults f = w.faults();
    if (auto it = req.find("clear"); it != req.end()) {
      HUNTER_TRY(bool clear, jsonBool(*it, where + ".clear"));
      if (clear) f = WorkerFaults{};
    }
    if (auto it = req.find("offline"); it != req.end()) {
      HUNTER_TRY(f.offline, jsonBool(*it, where + ".offline"));
    }
    if (auto it = req.find("slow_ms"); it != req.end()) {
      HUNTER_TRY(uint64_t v, jsonU64(*it, where + ".slow_ms", 3'600'000));
      f.slow_ms = static_cast<uint32_t>(v);
    }
    if (auto it = req.find("flaky_rate"); it != req.end()) {
      HUNTER_TRY(f.flaky_rate, jsonRate(*it, where + ".flaky_rate"));
    }
    if (auto it = req.find("garbage"); it != req.end()) {
      HUNTER_TRY(f.garbage, jsonBool(*it, where + ".garbage"));
    }
    if (auto it = req.find("bad_signatures"); it != req.end()) {
      HUNTER_TRY(f.bad_signatures, jsonBool(*it, where + ".bad_signatures"));
    }
    if (auto it = req.find("empty_messages"); it != req.end()) {
      HUNTER_TRY(f.empty_messages, jsonBool(*it, where + ".empty_messages"));
    }
    if (auto it = req.find("diverge_from"); it != req.end()) {
      if (it->is_null()) {
        f.diverge_from.reset();
      } else {
        HUNTER_TRY(f.diverge_from, jsonU64(*it, where + ".diverge_from", INT64_MAX));
      }
    }
    w.setFaults(f);
    HUNTER_CHECK(syncOffline(*slot, f.offline));
    spdlog::info("fault: cluster {} worker {}: {}", cfg.clusters[slot->cluster_index].alias,
                 slot->index, f.toJson().dump());
    return json{{"cluster", toHex(slot->cluster->id())},
                {"alias", cfg.clusters[slot->cluster_index].alias},
                {"index", slot->index},
                {"faults", f.toJson()}};
  }

  Result<json> applyChainFault(const json& req) {
    if (!req.is_object()) return makeError("bad_request", "chain: expected an object");
    HUNTER_CHECK(
        checkFields(req, "chain",
                    {"clear", "unavailable", "unavailable_ms", "latency_ms", "drop_rate",
                     "submit_reply_delay_ms", "lag_blocks", "query_info_fails", "upgrade"}));
    std::optional<std::pair<uint32_t, uint32_t>> upgrade;
    if (auto it = req.find("upgrade"); it != req.end()) {
      HUNTER_TRY(upgrade, readUpgrade(*it));
    }
    ChainFaults f = chain->faults();
    std::optional<std::optional<Clock::time_point>> outage;  // set: change the outage
    if (auto it = req.find("clear"); it != req.end()) {
      HUNTER_TRY(bool clear, jsonBool(*it, "chain.clear"));
      if (clear) {
        f = ChainFaults{};
        outage = std::optional<Clock::time_point>{};
      }
    }
    if (auto it = req.find("unavailable"); it != req.end()) {
      HUNTER_TRY(bool on, jsonBool(*it, "chain.unavailable"));
      outage = on ? std::optional<Clock::time_point>(Clock::time_point::max())
                  : std::optional<Clock::time_point>{};
    }
    if (auto it = req.find("unavailable_ms"); it != req.end()) {
      HUNTER_TRY(uint64_t ms, jsonU64(*it, "chain.unavailable_ms", 86'400'000));
      outage = ms == 0
                   ? std::optional<Clock::time_point>{}
                   : std::optional<Clock::time_point>(Clock::now() + std::chrono::milliseconds(ms));
    }
    if (auto it = req.find("latency_ms"); it != req.end()) {
      HUNTER_TRY(uint64_t v, jsonU64(*it, "chain.latency_ms", 3'600'000));
      f.latency_ms = static_cast<uint32_t>(v);
    }
    if (auto it = req.find("drop_rate"); it != req.end()) {
      HUNTER_TRY(f.drop_rate, jsonRate(*it, "chain.drop_rate"));
    }
    if (auto it = req.find("submit_reply_delay_ms"); it != req.end()) {
      HUNTER_TRY(uint64_t v, jsonU64(*it, "chain.submit_reply_delay_ms", 3'600'000));
      f.submit_reply_delay_ms = static_cast<uint32_t>(v);
    }
    if (auto it = req.find("query_info_fails"); it != req.end()) {
      HUNTER_TRY(f.query_info_fails, jsonBool(*it, "chain.query_info_fails"));
    }
    if (auto it = req.find("lag_blocks"); it != req.end()) {
      HUNTER_TRY(uint64_t v, jsonU64(*it, "chain.lag_blocks", 1'000'000));
      f.lag_blocks = static_cast<uint32_t>(v);
    }
    f.unavailable = outage ? outage->has_value() : chain->faults().unavailable;
    chain->setFaults(f);
    if (outage) setUnavailable(*outage);
    cv.notify_all();
    json out = chainFaultsJson(chain->faults());
    if (upgrade) {
      chain->scheduleUpgrade(upgrade->first, upgrade->second);
      out["upgrade"] = {{"spec_version", upgrade->first},
                        {"transaction_version", upgrade->second},
                        {"at_block", chain->bestNumber() + 1}};
    }
    spdlog::info("fault: chain: {}", out.dump());
    return out;
  }

  // {"spec_version": N, "transaction_version": M}: a runtime upgrade enacted by the next block.
  static Result<std::pair<uint32_t, uint32_t>> readUpgrade(const json& u) {
    if (!u.is_object()) return makeError("bad_request", "chain.upgrade: expected an object");
    HUNTER_CHECK(checkFields(u, "chain.upgrade", {"spec_version", "transaction_version"}));
    auto spec = u.find("spec_version");
    auto tx = u.find("transaction_version");
    if (spec == u.end() || tx == u.end()) {
      return makeError("bad_request",
                       "chain.upgrade: spec_version and transaction_version are both required");
    }
    HUNTER_TRY(uint64_t s, jsonU64(*spec, "chain.upgrade.spec_version", UINT32_MAX));
    HUNTER_TRY(uint64_t t, jsonU64(*tx, "chain.upgrade.transaction_version", UINT32_MAX));
    return std::make_pair(static_cast<uint32_t>(s), static_cast<uint32_t>(t));
  }
};

Devnet::Devnet() : impl_(std::make_unique<Impl>()) {}

Devnet::~Devnet() { stop(); }

DevChain& Devnet::chain() { return *impl_->chain; }
DevCluster& Devnet::cluster(size_t i) { return *impl_->clusters.at(i); }

Result<std::unique_ptr<Devnet>> Devnet::start(DevnetConfig config) {
  std::unique_ptr<Devnet> self(new Devnet());
  Impl& d = *self->impl_;
  d.cfg = std::move(config);
  DevnetConfig& cfg = d.cfg;

  // Dev hunter key.
  std::error_code ec;
  fs::create_directories(cfg.state_dir, ec);
  if (ec) return makeError("io", "cannot create state dir " + cfg.state_dir + ": " + ec.message());
  fs::path key_path = fs::path(cfg.hunter_key_out).is_absolute()
                          ? fs::path(cfg.hunter_key_out)
                          : fs::path(cfg.state_dir) / cfg.hunter_key_out;
  d.hunter_key_path = fs::absolute(key_path, ec).lexically_normal().string();
  bool created = false;
  HUNTER_TRY(crypto::SecretKey hunter_key, loadOrCreateKey(d.hunter_key_path, created));
  d.hunter_account = crypto::accountId(hunter_key.publicKey());
  if (created) spdlog::info("wrote a new dev hunter key to {}", d.hunter_key_path);

  // Genesis.
  ChainConfig chain_cfg = cfg.chain;
  std::map<crypto::AccountId32, u128> balances;
  balances[d.hunter_account] += cfg.hunter_free;
  for (const auto& a : cfg.accounts) {
    crypto::AccountId32 account{};
    if (a.account) {
      account = *a.account;
    } else {
      fs::path p = fs::path(a.key_file).is_absolute() ? fs::path(a.key_file)
                                                      : fs::path(cfg.state_dir) / a.key_file;
      HUNTER_TRY(crypto::SecretKey k, app::readKeyFile(p.string()));
      account = crypto::accountId(k.publicKey());
    }
    balances[account] += a.free;
  }
  for (const auto& [account, free] : balances) chain_cfg.accounts.push_back({account, free});

  for (const auto& cc : cfg.clusters) {
    StreamSpec spec;
    spec.cluster = cc.id;
    spec.seed = cc.seed;
    spec.payload_size = cc.payload_size;
    spec.destination = cc.destination;
    spec.max_pending = cc.max_pending;
    auto cluster = std::make_unique<DevCluster>(spec, cc.workers);
    for (const auto& [index, faults] : cc.faults) cluster->worker(index).setFaults(faults);
    GenesisCluster g;
    g.id = cc.id;
    g.workers = cluster->workerKeys();
    g.threshold = cc.threshold;
    g.reward_per_message = cc.reward_per_message;
    chain_cfg.clusters.push_back(g);
    d.by_id[cc.id] = cluster.get();
    d.clusters.push_back(std::move(cluster));
  }
  // The genesis must be valid before the constructor sees it (it throws otherwise).
  if (auto valid = DevChain::validateConfig(chain_cfg); !valid.ok()) {
    return valid.error().context("genesis");
  }
  d.chain = std::make_unique<DevChain>(chain_cfg);
  d.chain->addAckListener([&d](const H256& cluster, uint64_t sn, const core::AckRecord& ack) {
    auto it = d.by_id.find(cluster);
    if (it != d.by_id.end()) it->second->onAck(sn, ack);
  });
  if (cfg.chain_faults.unavailable) {
    d.unavailable_until = Clock::time_point::max();
  }
  d.chain->setFaults(cfg.chain_faults);

  // The initial backlog exists before anyone can ask.
  d.started = Clock::now();
  d.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  d.produceAll();

  // Servers: the workers first, so that the admin endpoints never see a half-built devnet.
  if (cfg.workers_on_one_port) {
    HUNTER_CHECK(d.startWorkersOnOnePort());
  } else {
    HUNTER_CHECK(d.startWorkerServers());
  }
  {
    Devnet* raw = self.get();
    auto server = adapters::HttpServer::start(
        kHost, cfg.chain_port,
        [&d, raw](const adapters::ServerRequest& r) { return d.chainHandle(r, *raw); },
        kChainMaxBody);
    if (!server.ok()) return server.error().context("chain server");
    d.chain_server = std::move(server).value();
  }
  d.block_thread = std::thread([&d] { d.blockLoop(); });
  d.producer_thread = std::thread([&d] { d.producerLoop(); });
  return self;
}

void Devnet::stop() {
  Impl& d = *impl_;
  if (d.stopped.exchange(true)) return;
  {
    std::lock_guard lock(d.mu);
    d.stopping = true;
  }
  d.cv.notify_all();
  if (d.block_thread.joinable()) d.block_thread.join();
  if (d.producer_thread.joinable()) d.producer_thread.join();
  std::vector<std::unique_ptr<adapters::HttpServer>> servers;
  {
    std::lock_guard lock(d.servers_mu);
    for (auto& cs : d.slots) {
      for (auto& s : cs) {
        if (s->server) servers.push_back(std::move(s->server));
      }
    }
    if (d.workers_server) servers.push_back(std::move(d.workers_server));
    if (d.chain_server) servers.push_back(std::move(d.chain_server));
  }
  for (auto& s : servers) s->stop();
}

json Devnet::endpoints() const {
  const Impl& d = *impl_;
  json clusters = json::array();
  for (size_t ci = 0; ci < d.clusters.size(); ++ci) {
    json urls = json::array(), keys = json::array();
    for (const auto& s : d.slots.at(ci)) urls.push_back(s->url);
    for (const auto& k : d.clusters[ci]->workerKeys()) keys.push_back(toHex(k));
    clusters.push_back({{"id", toHex(d.clusters[ci]->id())},
                        {"alias", d.cfg.clusters[ci].alias},
                        {"threshold", d.cfg.clusters[ci].threshold},
                        {"workers", urls},
                        {"public_keys", keys}});
  }
  std::string chain_url = d.chain_server ? d.chain_server->baseUrl() : std::string();
  return json{{"chain", chain_url},
              {"admin", chain_url + "/devnet"},
              {"clusters", clusters},
              {"hunter_key", d.hunter_key_path},
              {"hunter_account", toHex(d.hunter_account)},
              {"hunter_ss58", crypto::ss58Encode(d.hunter_account)},
              {"genesis_hash", toHex(d.chain->genesisHash())},
              {"block_ms", d.cfg.block_ms},
              {"pid", static_cast<int64_t>(::getpid())}};
}

json Devnet::stateJson() const {
  Impl& d = *impl_;
  json state = d.chain->stateJson();
  if (!state.is_object()) state = json{{"chain", state}};
  json& chain_clusters = state["clusters"];
  json stopped = json::array();
  for (size_t ci = 0; ci < d.clusters.size(); ++ci) {
    json c = d.clusters[ci]->stateJson();
    std::string id = c["id"];
    c["alias"] = d.cfg.clusters[ci].alias;
    c["threshold"] = d.cfg.clusters[ci].threshold;
    c["rate"] = d.cfg.clusters[ci].rate;
    for (size_t i = 0; i < c["workers"].size(); ++i) {
      const WorkerSlot& slot = *d.slots.at(ci).at(i);
      c["workers"][i]["url"] = slot.url;
      c["workers"][i]["inflight"] = slot.inflight.load();
      if (c["workers"][i]["stopped"].get<bool>()) {
        stopped.push_back({{"cluster", id},
                           {"alias", d.cfg.clusters[ci].alias},
                           {"index", i},
                           {"url", slot.url},
                           {"public_key", c["workers"][i]["public_key"]}});
      }
    }
    c.erase("id");
    // Merge into the chain's view of the cluster (an object keyed by id, or an array of
    // objects with "id").
    json* target = nullptr;
    if (chain_clusters.is_object()) {
      target = &chain_clusters[id];
    } else if (chain_clusters.is_array()) {
      for (auto& x : chain_clusters) {
        if (x.is_object() && x.value("id", "") == id) target = &x;
      }
      if (!target) {
        chain_clusters.push_back({{"id", id}});
        target = &chain_clusters.back();
      }
    } else {
      chain_clusters = json::object();
      target = &chain_clusters[id];
    }
    if (!target->is_object()) *target = json::object();
    for (auto& [k, v] : c.items()) (*target)[k] = v;
  }
  state["stopped_workers"] = stopped;
  json devnet = {
      {"block_ms", d.cfg.block_ms},
      {"started_ms", d.started_ms},
      {"uptime_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - d.started).count()},
      {"chain_faults", chainFaultsJson(d.chain->faults())},
      {"hunter_account", toHex(d.hunter_account)}};
  {
    std::lock_guard lock(d.mu);
    if (d.unavailable_until && *d.unavailable_until != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*d.unavailable_until -
                                                                        Clock::now());
      devnet["chain_faults"]["unavailable_ms_left"] = std::max<int64_t>(0, left.count());
    }
  }
  state["devnet"] = devnet;
  return state;
}

Result<json> Devnet::applyFault(const json& request) {
  Impl& d = *impl_;
  if (!request.is_object()) return makeError("bad_request", "fault request: expected an object");
  HUNTER_CHECK(checkFields(request, "fault", {"worker", "workers", "chain"}));
  json out = json::object();
  if (auto it = request.find("worker"); it != request.end()) {
    HUNTER_TRY(json w, d.applyWorkerFault(*it, "worker"));
    out["workers"].push_back(w);
  }
  if (auto it = request.find("workers"); it != request.end()) {
    if (!it->is_array()) return makeError("bad_request", "workers: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      HUNTER_TRY(json w, d.applyWorkerFault((*it)[i], "workers[" + std::to_string(i) + "]"));
      out["workers"].push_back(w);
    }
  }
  if (auto it = request.find("chain"); it != request.end()) {
    HUNTER_TRY(out["chain"], d.applyChainFault(*it));
  }
  out["ok"] = true;
  return out;
}

// ---- main -------------------------------------------------------------------------------

namespace {
constexpr size_t kServerThreads = 8;
}  // namespace

int devnetMain(int argc, char** argv) {
  // Signals are taken by sigwait() below; every thread started later inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // The chain and worker servers share one pool. cpprestsdk's default of 40 threads cost the
  // devnet about 8 % more CPU under the bench's load than 4 to 8 threads (an idle thread was
  // woken for every 4 KiB piece of a body). Eight leave room for the replies that injected
  // faults (slow_ms, latency_ms, submit_reply_delay_ms) hold back: those sleep on a pool thread.
  adapters::setServerThreads(kServerThreads);

  CLI::App app{
      "hunter-devnet: a local chain with the PhalaClusterMq pallet and simulated pRuntime "
      "workers, on 127.0.0.1"};
  std::string config_path;
  std::string state_dir;
  uint32_t block_ms = 0;
  uint16_t chain_port = 0;
  bool print_json = false;
  std::string hunter_config_out;
  app.add_option("--config", config_path, "TOML config (default: one cluster 'alpha', 4 of 3)")
      ->check(CLI::ExistingFile);
  auto* block_opt = app.add_option("--block-ms", block_ms, "block time in ms (overrides config)")
                        ->check(CLI::Range(10u, 3'600'000u));
  auto* state_opt = app.add_option("--state-dir", state_dir,
                                   "where the dev hunter key is written (overrides "
                                   "config)");
  auto* port_opt = app.add_option("--chain-port", chain_port, "chain RPC port, 0 = free");
  app.add_option("--hunter-config-out", hunter_config_out,
                 "write a hunter config (TOML) for this devnet to this file: chain endpoint, "
                 "the dev hunter key, every cluster with its workers, database in the state dir");
  app.add_flag("--print-json", print_json,
               "print the endpoints as one JSON line on stdout (logs go to stderr)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto logger = spdlog::stderr_color_mt("devnet");
  spdlog::set_default_logger(logger);

  DevnetConfig cfg = defaultDevnetConfig();
  if (!config_path.empty()) {
    auto loaded = loadDevnetConfig(config_path);
    if (!loaded.ok()) {
      std::cerr << "hunter-devnet: " << loaded.error().message << "\n";
      return 2;
    }
    cfg = std::move(loaded).value();
  }
  if (block_opt->count()) cfg.block_ms = block_ms;
  if (state_opt->count()) cfg.state_dir = state_dir;
  if (port_opt->count()) cfg.chain_port = chain_port;

  auto devnet = Devnet::start(cfg);
  if (!devnet.ok()) {
    std::cerr << "hunter-devnet: cannot start: " << devnet.error().message << "\n";
    return 1;
  }
  json ep = (*devnet)->endpoints();
  {
    std::error_code ec;
    fs::path ep_path = fs::path(cfg.state_dir) / "endpoints.json";
    std::ofstream(ep_path) << ep.dump(2) << "\n";
  }
  if (!hunter_config_out.empty()) {
    auto q = [](const std::string& v) { return json(v).dump(); };  // a TOML basic string
    std::ofstream t(hunter_config_out);
    t << "# hunter config for the devnet at " << ep["chain"].get<std::string>()
      << " (written by hunter-devnet)\n[chain]\nendpoints = [" << q(ep["chain"]) << "]\n\n"
      << "[hunter]\nkey_files = [" << q(fs::absolute(ep["hunter_key"].get<std::string>()).string())
      << "]\ndatabase = " << q((fs::absolute(cfg.state_dir) / "hunter.db").string())
      << "\npoll_interval_ms = 200\n\n[limits]\nlost_after_s = 5\n";
    for (const auto& c : ep["clusters"]) {
      t << "\n[[clusters]]\nid = " << q(c["id"]) << "\nalias = " << q(c["alias"])
        << "\nworkers = [";
      for (size_t i = 0; i < c["workers"].size(); ++i) t << (i ? ", " : "") << q(c["workers"][i]);
      t << "]\n";
    }
    if (!t) {
      std::cerr << "hunter-devnet: cannot write " << hunter_config_out << "\n";
      (*devnet)->stop();
      return 1;
    }
  }
  if (print_json) {
    std::cout << ep.dump() << std::endl;
  }
  std::ostream& human = print_json ? std::cerr : std::cout;
  human << "hunter-devnet ready\n"
        << "  chain RPC : " << ep["chain"].get<std::string>() << "\n"
        << "  admin     : " << ep["admin"].get<std::string>() << "/state, /fault\n"
        << "  hunter key: " << ep["hunter_key"].get<std::string>() << " (account "
        << ep["hunter_ss58"].get<std::string>() << ")\n";
  for (const auto& c : ep["clusters"]) {
    human << "  cluster " << c["alias"].get<std::string>() << " " << c["id"].get<std::string>()
          << " threshold " << c["threshold"] << " of " << c["workers"].size() << "\n";
    for (const auto& w : c["workers"]) human << "    worker " << w.get<std::string>() << "\n";
  }
  human << std::flush;

  int sig = 0;
  sigwait(&sigs, &sig);
  spdlog::info("signal {}: stopping", sig);
  (*devnet)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hunter::devnet
