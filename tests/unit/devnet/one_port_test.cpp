// The devnet with workers_on_one_port: every worker of every cluster on one HTTP server, each
// under its own path, started in-process on 127.0.0.1 with a free port.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "hunter/adapters/http.hpp"
#include "hunter/devnet/devnet.hpp"

namespace hunter::devnet {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A fresh state directory, removed at the end of the test.
struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "hunter-one-port-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  std::string path;
};

ClusterConfig cluster(const std::string& alias, uint32_t workers, uint32_t threshold,
                      uint64_t backlog) {
  ClusterConfig c;
  c.alias = alias;
  c.seed = alias;
  c.id = clusterIdFromSeed(alias);
  c.workers = workers;
  c.threshold = threshold;
  c.rate = 0;  // only the backlog: nothing moves while the test looks
  c.initial_backlog = backlog;
  return c;
}

DevnetConfig onePort(const std::string& state_dir) {
  DevnetConfig cfg;
  cfg.state_dir = state_dir;
  cfg.workers_on_one_port = true;
  cfg.block_ms = 3'600'000;  // no block while the test runs: no ACK purges a message
  return cfg;
}

// "http://127.0.0.1:PORT/c1/w2" -> {"127.0.0.1:PORT", "/c1/w2"}
std::pair<std::string, std::string> splitUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return {};
  size_t slash = url.find('/', scheme.size());
  if (slash == std::string::npos) return {url.substr(scheme.size()), ""};
  return {url.substr(scheme.size(), slash - scheme.size()), url.substr(slash)};
}

struct Reply {
  long status = 0;
  json body;
  std::chrono::milliseconds elapsed{0};
};

Reply call(adapters::HttpClient& http, const std::string& base, const std::string& method,
           const json& body) {
  adapters::HttpCall c;
  c.url = base + "/prpc/PhactoryAPI." + method + "?json";
  c.body = body.dump();
  c.timeout = std::chrono::seconds(10);
  auto t0 = Clock::now();
  auto r = http.post(c);
  Reply out;
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  if (!r.ok()) {
    ADD_FAILURE() << c.url << ": " << r.error().message;
    out.body = json::object();
    return out;
  }
  out.status = r->status;
  out.body = json::parse(r->body, nullptr, false);
  if (!out.body.is_object()) out.body = json::object();  // so that value() never throws
  return out;
}

json fetchAll(const H256& id) { return {{"cluster", toHex(id)}, {"from_sn", 0}, {"limit", 4096}}; }

size_t countEntries(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

TEST(DevnetOnePort, WorkersShareOnePortDifferByPathAndEachAnswersAsItself) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  DevnetConfig cfg = onePort(dir.path);
  cfg.clusters = {cluster("alpha", 4, 3, 3), cluster("beta", 3, 2, 5)};
  auto devnet = Devnet::start(cfg);
  ASSERT_TRUE(devnet.ok()) << devnet.error().message;
  Devnet& d = **devnet;

  const json ep = d.endpoints();
  ASSERT_EQ(ep["clusters"].size(), 2u);
  std::set<std::string> authorities, paths;
  for (size_t ci = 0; ci < 2; ++ci) {
    const json& workers = ep["clusters"][ci]["workers"];
    ASSERT_EQ(workers.size(), cfg.clusters[ci].workers);
    for (size_t wi = 0; wi < workers.size(); ++wi) {
      auto [authority, path] = splitUrl(workers[wi].get<std::string>());
      authorities.insert(authority);
      paths.insert(path);
      EXPECT_EQ(path, "/c" + std::to_string(ci) + "/w" + std::to_string(wi));
    }
  }
  EXPECT_EQ(authorities.size(), 1u) << "one host:port for every worker";
  EXPECT_EQ(paths.size(), 7u) << "a path per worker";
  EXPECT_NE(*authorities.begin(), splitUrl(ep["chain"].get<std::string>()).first)
      << "the workers' port is not the chain's";
  // GET /devnet/state shows the same URLs.
  const json state = d.stateJson();
  EXPECT_EQ(state["clusters"][toHex(d.cluster(1).id())]["workers"][2]["url"],
            ep["clusters"][1]["workers"][2]);

  adapters::HttpClient http;
  for (size_t ci = 0; ci < 2; ++ci) {
    DevCluster& c = d.cluster(ci);
    for (size_t wi = 0; wi < c.workerCount(); ++wi) {
      const std::string base = ep["clusters"][ci]["workers"][wi];
      Reply info = call(http, base, "GetClusterInfo", json::object());
      ASSERT_EQ(info.status, 200) << base << " " << info.body.dump();
      EXPECT_EQ(info.body["public_key"], toHex(c.worker(wi).publicKey())) << base;
      EXPECT_EQ(info.body["clusters"], json::array({toHex(c.id())})) << base;
      Reply msgs = call(http, base, "GetClusterMessages", fetchAll(c.id()));
      ASSERT_EQ(msgs.status, 200) << base << " " << msgs.body.dump();
      EXPECT_EQ(msgs.body["messages"].size(), cfg.clusters[ci].initial_backlog) << base;
    }
  }
  // A worker of alpha does not serve beta's messages: the path chose the worker.
  const std::string alpha0 = ep["clusters"][0]["workers"][0];
  Reply other = call(http, alpha0, "GetClusterMessages", fetchAll(d.cluster(1).id()));
  EXPECT_NE(other.status, 200) << other.body.dump();

  // Paths that name no worker: 404, as a worker answers an unknown path.
  const std::string root = "http://" + *authorities.begin();
  for (const char* bad : {"/c2/w0", "/c0/w4", "/c1/w3", "/c0", "/x0/w0", "/c0/w0x", ""}) {
    Reply r = call(http, root + bad, "GetClusterInfo", json::object());
    EXPECT_EQ(r.status, 404) << bad << " " << r.body.dump();
    EXPECT_EQ(r.body.value("code", ""), "not_found") << bad;
  }
}

// Worker faults stay per worker on the shared port: offline answers 503 "offline" on that
// worker's path only (the port stays open for the others) and comes back when cleared; slow_ms
// delays only that worker.
TEST(DevnetOnePort, FaultsStayPerWorker) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  DevnetConfig cfg = onePort(dir.path);
  cfg.clusters = {cluster("alpha", 4, 3, 2)};
  WorkerFaults slow;
  slow.slow_ms = 600;
  cfg.clusters[0].faults.emplace_back(2, slow);
  WorkerFaults offline;
  offline.offline = true;
  cfg.clusters[0].faults.emplace_back(3, offline);
  auto devnet = Devnet::start(cfg);
  ASSERT_TRUE(devnet.ok()) << devnet.error().message;
  Devnet& d = **devnet;
  const json workers = d.endpoints()["clusters"][0]["workers"];
  adapters::HttpClient http;

  Reply down = call(http, workers[3], "GetClusterInfo", json::object());
  EXPECT_EQ(down.status, 503) << down.body.dump();
  EXPECT_EQ(down.body.value("code", ""), "offline");
  Reply late = call(http, workers[2], "GetClusterInfo", json::object());
  EXPECT_EQ(late.status, 200);
  EXPECT_GE(late.elapsed.count(), 600);
  Reply fine = call(http, workers[0], "GetClusterInfo", json::object());
  EXPECT_EQ(fine.status, 200);
  EXPECT_LT(fine.elapsed.count(), 600) << "worker 0 waited for worker 2's fault";

  // At run time, as POST /devnet/fault does it.
  auto r = d.applyFault(json::parse(R"({"workers": [{"index": 3, "clear": true},
                                                  {"index": 1, "offline": true},
                                                  {"index": 2, "slow_ms": 0}]})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(call(http, workers[3], "GetClusterInfo", json::object()).status, 200);
  Reply now_down = call(http, workers[1], "GetClusterMessages", fetchAll(d.cluster(0).id()));
  EXPECT_EQ(now_down.status, 503);
  EXPECT_EQ(now_down.body.value("code", ""), "offline");
  EXPECT_EQ(call(http, workers[0], "GetClusterMessages", fetchAll(d.cluster(0).id())).status, 200);
  Reply quick = call(http, workers[2], "GetClusterInfo", json::object());
  EXPECT_EQ(quick.status, 200);
  EXPECT_LT(quick.elapsed.count(), 600);
  d.stop();
}

// 1,000 clusters x 4 workers: one listening socket and the shared server pool, not 4,000 servers
// (and their 4,000 sockets), so the devnet starts quickly and its thread count stays bounded.
TEST(DevnetOnePort, AThousandClustersOfFourWorkersStartQuicklyWithBoundedThreadsAndSockets) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  DevnetConfig cfg = onePort(dir.path);
  for (int i = 0; i < 1000; ++i) cfg.clusters.push_back(cluster("c" + std::to_string(i), 4, 3, 0));
  // The devnet process sizes the pool at 8 (devnetMain); in-process it is cpprestsdk's default
  // (40) unless a server started earlier in this process already fixed it.
  adapters::setServerThreads(8);
  const size_t threads_before = countEntries("/proc/self/task");
  const size_t fds_before = countEntries("/proc/self/fd");
  const auto t0 = Clock::now();
  auto devnet = Devnet::start(cfg);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  ASSERT_TRUE(devnet.ok()) << devnet.error().message;
  Devnet& d = **devnet;
  const size_t threads = countEntries("/proc/self/task");
  const size_t fds = countEntries("/proc/self/fd");
  EXPECT_LT(took.count(), 30'000) << "start-up of 4,000 workers on one port";
  EXPECT_LE(threads, threads_before + 48)
      << "server pool (at most cpprestsdk's default 40) + block and producer threads";
  EXPECT_LE(fds, fds_before + 32) << "one listening socket for the workers, not 4,000";

  const json ep = d.endpoints();
  ASSERT_EQ(ep["clusters"].size(), 1000u);
  std::set<std::string> authorities;
  for (const auto& c : ep["clusters"]) {
    for (const auto& w : c["workers"]) authorities.insert(splitUrl(w.get<std::string>()).first);
  }
  EXPECT_EQ(authorities.size(), 1u);
  // The first and the last worker answer as themselves.
  adapters::HttpClient http;
  Reply first = call(http, ep["clusters"][0]["workers"][0], "GetClusterInfo", json::object());
  EXPECT_EQ(first.body.value("public_key", ""), toHex(d.cluster(0).worker(0).publicKey()));
  Reply last = call(http, ep["clusters"][999]["workers"][3], "GetClusterInfo", json::object());
  EXPECT_EQ(last.body.value("public_key", ""), toHex(d.cluster(999).worker(3).publicKey()));
  EXPECT_LE(countEntries("/proc/self/task"), threads_before + 48);
  d.stop();
}

}  // namespace
}  // namespace hunter::devnet
