// The service API of `hunter run` (/healthz, /metrics, /status) and `hunter config check`,
// with the real binary against the real devnet.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "hunter/adapters/http.hpp"
#include "hunter/core/wait_reason.hpp"
#include "hunter_harness.hpp"

using namespace hunter;
using namespace hunter::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Reply {
  long status = 0;
  std::string body;
};

Reply get(const std::string& url) {
  adapters::HttpClient http;
  adapters::HttpCall call;
  call.url = url;
  call.timeout = 5s;
  auto r = http.get(call);
  if (!r.ok()) return {};
  return {r->status, r->body};
}

json jsonBody(const Reply& r) {
  try {
    return json::parse(r.body);
  } catch (...) {
    return json();
  }
}

// The value of one sample line "name{labels} value" in a text exposition (-1 when absent).
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

bool havePromtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

void writeFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

}  // namespace

TEST(HunterApi, HealthzFollowsTheChainAndMetricsMatchTheChain) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 150;
  o.clusters[0].rate = 0;  // a fixed amount of work, so the counts can settle
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  HunterConfigOptions ho;
  ho.extra_limits = "progress_timeout_s = 60\n";
  ho.api_toml = "[api]\nlisten = \"127.0.0.1:0\"\nchain_stale_s = 2\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);

  HunterService svc(cfg, d->dir() + "/hunter.log");
  std::string api = apiUrlFromLog(svc, 20s);
  ASSERT_FALSE(api.empty()) << svc.log();

  // Healthy once the chain answered and the backlog is moving.
  Reply h;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = get(api + "/healthz");
        return h.status == 200;
      },
      30s, 100ms))
      << h.status << " " << h.body << "\n"
      << svc.log();
  EXPECT_EQ(jsonBody(h)["status"], "ok") << h.body;

  // The chain goes away: unhealthy, naming the chain.
  ASSERT_TRUE(d->setFault({{"chain", {{"unavailable", true}}}}).ok());
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = get(api + "/healthz");
        return h.status == 503;
      },
      20s, 100ms))
      << h.status << " " << h.body;
  json hj = jsonBody(h);
  EXPECT_EQ(hj["status"], "unhealthy") << h.body;
  EXPECT_NE(hj.value("reason", "").find("chain unreachable"), std::string::npos) << h.body;

  // And comes back: healthy again.
  ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = get(api + "/healthz");
        return h.status == 200;
      },
      30s, 100ms))
      << h.status << " " << h.body << "\n"
      << svc.log();

  // Everything accepted and the pool empty: the accepted counter equals the chain's count.
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto p = d->rpcResult("author_pendingExtrinsics");
        return chainNextSn(*d, cluster) >= 150 && p.ok() && p->is_array() && p->empty();
      },
      60s, 100ms))
      << svc.log();
  auto st = d->state();
  ASSERT_TRUE(st.ok());
  uint64_t chainAccepted = (*st)["clusters"][toHex(cluster)]["accepted"].get<uint64_t>();
  EXPECT_EQ(chainAccepted, 150u) << st->dump();
  const std::string series = "hunter_outcomes_total{cluster=\"alpha\",outcome=\"accepted\"}";
  Reply m;
  EXPECT_TRUE(DevnetProcess::waitUntil(
      [&] {
        m = get(api + "/metrics");
        return sample(m.body, series) == static_cast<double>(chainAccepted);
      },
      15s, 100ms))
      << sample(m.body, series) << " vs " << chainAccepted << "\n"
      << m.body;
  EXPECT_EQ(m.status, 200);
  // One backlog series per cluster, labelled with why it waits (a known reason).
  size_t backlogSeries = 0;
  for (auto r : core::kAllWaitReasons) {
    std::string s =
        "hunter_backlog_messages{cluster=\"alpha\",reason=\"" + std::string(core::label(r)) + "\"}";
    if (sample(m.body, s) >= 0) backlogSeries++;
  }
  EXPECT_EQ(backlogSeries, 1u) << m.body;
  EXPECT_EQ(sample(m.body, "hunter_cluster_stuck{cluster=\"alpha\"}"), 0) << m.body;
  EXPECT_NE(m.body.find("# TYPE hunter_worker_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(m.body.find("hunter_rpc_errors_total{endpoint="), std::string::npos) << m.body;
  if (havePromtool()) {
    std::string file = d->dir() + "/metrics.txt";
    std::ofstream(file) << m.body;
    std::string out = d->dir() + "/promtool.out";
    int rc = std::system(("promtool check metrics < " + file + " > " + out + " 2>&1").c_str());
    std::ifstream f(out);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << ss.str() << "\n" << m.body;
  }

  // /status is the JSON of `hunter status --json`; other paths are a JSON 404.
  Reply s = get(api + "/status");
  EXPECT_EQ(s.status, 200) << s.body;
  json sj = jsonBody(s);
  ASSERT_TRUE(sj.contains("clusters")) << s.body;
  EXPECT_EQ(sj["clusters"][0]["alias"], "alpha") << s.body;
  Reply nf = get(api + "/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_TRUE(jsonBody(nf).contains("error")) << nf.body;

  EXPECT_EQ(svc.terminate(), 0) << svc.log();
  // The port is closed once the service stopped.
  EXPECT_EQ(get(api + "/healthz").status, 0);
  if (!havePromtool()) {
    GTEST_SKIP() << "promtool not installed (Debian package 'prometheus', see "
                    "scripts/setup-deps.sh): the /metrics syntax check was skipped";
  }
}

TEST(HunterApi, ConfigCheckNamesTheBrokenKey) {
  char tmpl[] = "/tmp/hunter-api-cfg-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string key = newKeyFile(dir, "h.key");
  ASSERT_FALSE(key.empty());
  auto config = [&](const std::string& hunterExtra, const std::string& tail,
                    const std::string& keyPath) {
    return "[chain]\nendpoints = [\"http://127.0.0.1:9944\"]\n[hunter]\nkey_files = [\"" + keyPath +
           "\"]\ndatabase = \"" + dir + "/h.db\"\n" + hunterExtra + "[[clusters]]\nid = \"0x" +
           std::string(64, 'a') + "\"\nalias = \"alpha\"\nworkers = [\"http://127.0.0.1:8001\"]\n" +
           tail;
  };
  std::string good = dir + "/good.toml";
  writeFile(good, config("shard = \"1/2\"\n", "[api]\nlisten = \"127.0.0.1:0\"\n", key));
  auto r = runHunter({"config", "check", "--config", good});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(good + ": ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alpha"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir + "/h.db"), std::string::npos) << r.out;
  // The account as SS58 (prefix 30 addresses start with 4), never the secret.
  std::ifstream kf(key);
  std::string secret;
  std::getline(kf, secret);
  EXPECT_EQ(r.out.find(secret.substr(2)), std::string::npos);
  EXPECT_EQ(r.err, "");

  std::string loose = dir + "/loose.key";
  {
    std::ifstream in(key);
    std::stringstream ss;
    ss << in.rdbuf();
    writeFile(loose, ss.str(), 0644);
  }
  struct Case {
    std::string name, text, key;
  };
  std::vector<Case> cases = {
      {"unknown", config("databse = \"x\"\n", "", key), "hunter.databse"},
      {"shard", config("shard = \"3/2\"\n", "", key), "hunter.shard"},
      {"listen", config("", "[api]\nlisten = \"x\"\n", key), "api.listen"},
      {"keyfile", config("", "", loose), "hunter.key_files[0]"},
      {"url",
       config("", "", key) + "[[clusters]]\nid = \"0x" + std::string(64, 'b') +
           "\"\nworkers = [\"http://:80\"]\n",
       "clusters[1].workers"},
  };
  for (const auto& c : cases) {
    std::string path = dir + "/" + c.name + ".toml";
    writeFile(path, c.text);
    r = runHunter({"config", "check", "--config", path});
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(c.key), std::string::npos) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find("hunter: error: " + path), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(r.out.find(": ok"), std::string::npos) << c.name << ": " << r.out;
  }
  // The chmod that fixes the key file is named; its content is not.
  std::string kpath = dir + "/keyfile.toml";
  r = runHunter({"config", "check", "--config", kpath});
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;

  // run's overrides are validated the same way, before anything starts.
  r = runHunter({"run", "--config", good, "--shard", "3/2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  r = runHunter({"run", "--config", good, "--api-listen", "x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--api-listen"), std::string::npos) << r.err;

  // The file as an argument, and --json, with the same exit codes.
  r = runHunter({"config", "check", good, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json ok = json::parse(r.out, nullptr, false);
  EXPECT_EQ(ok.value("ok", false), true) << r.out;
  EXPECT_EQ(ok.value("config", ""), good) << r.out;
  EXPECT_EQ(ok["clusters"], json::array({"alpha"})) << r.out;
  EXPECT_EQ(ok.value("shard", ""), "1/2") << r.out;
  r = runHunter({"config", "check", dir + "/unknown.toml", "--json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  json bad = json::parse(r.out, nullptr, false);
  EXPECT_EQ(bad.value("ok", true), false) << r.out;
  ASSERT_TRUE(bad.contains("errors") && !bad["errors"].empty()) << r.out;
  EXPECT_NE(bad["errors"][0].value("problem", "").find("hunter.databse"), std::string::npos)
      << r.out;
  r = runHunter({"config", "check", dir + "/keyfile.toml", "--json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  bad = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(bad.contains("errors") && !bad["errors"].empty()) << r.out;
  EXPECT_EQ(bad["errors"][0].value("key", ""), "hunter.key_files[0]") << r.out;
  // The image sets HUNTER_CONFIG; a FILE given on the command line still wins.
  ::setenv("HUNTER_CONFIG", (dir + "/nonexistent.toml").c_str(), 1);
  r = runHunter({"config", "check", good});
  ::unsetenv("HUNTER_CONFIG");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  r = runHunter({"config", "check", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--config"), std::string::npos) << r.out;
  (void)std::system(("rm -rf " + dir).c_str());
}

// Progress stops (fewer than threshold workers reachable while a backlog waits): /healthz turns
// 503 with the reason, and 200 again once messages are accepted.
TEST(HunterApi, HealthzGoesUnhealthyWhenProgressStopsAndRecovers) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 40;
  o.clusters[0].rate = 10;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  for (int i : {2, 3}) {
    ASSERT_TRUE(
        d->setFault({{"worker", {{"cluster", "alpha"}, {"index", i}, {"offline", true}}}}).ok());
  }
  HunterConfigOptions ho;
  ho.extra_limits = "progress_timeout_s = 2\n";
  ho.api_toml = "[api]\nlisten = \"127.0.0.1:0\"\nchain_stale_s = 30\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  HunterService svc(cfg, d->dir() + "/hunter.log");
  std::string api = apiUrlFromLog(svc, 20s);
  ASSERT_FALSE(api.empty()) << svc.log();

  Reply h;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = get(api + "/healthz");
        return h.status == 503 &&
               jsonBody(h).value("reason", "").find("starting") == std::string::npos;
      },
      20s, 100ms))
      << h.status << " " << h.body;
  std::string reason = jsonBody(h).value("reason", "");
  EXPECT_TRUE(reason.find("stuck") != std::string::npos ||
              reason.find("no acceptance") != std::string::npos)
      << h.body;

  for (int i : {2, 3}) {
    ASSERT_TRUE(
        d->setFault({{"worker", {{"cluster", "alpha"}, {"index", i}, {"clear", true}}}}).ok());
  }
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = get(api + "/healthz");
        return h.status == 200;
      },
      30s, 100ms))
      << h.status << " " << h.body << "\n"
      << svc.log();
  EXPECT_GT(chainNextSn(*d, d->clusters()[0].id), 0u);
  EXPECT_EQ(svc.terminate(), 0);
}
