// "Never silent", end to end at 1 s blocks: a cluster whose head stops moving turns /healthz 503
// within stuck_after_s, naming the cluster and its reason, and the web status page at GET / shows
// it (loaded in headless Chromium, with a screenshot saved next to the test binary).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "hunter/adapters/http.hpp"
#include "hunter_harness.hpp"
#include "support/loopback_socket.hpp"

using namespace hunter;
using namespace hunter::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// The service's API URL once its /healthz answers 200 ("" and a failure if not within 30 s).
std::string healthyApi(const HunterService& svc) {
  const std::string api = apiUrlFromLog(svc);
  EXPECT_FALSE(api.empty()) << svc.log();
  if (api.empty()) return api;
  const bool healthy = DevnetProcess::waitUntil(
      [&] { return getJson(api + "/healthz").first == 200; }, std::chrono::seconds(30));
  EXPECT_TRUE(healthy) << svc.log();
  return healthy ? api : "";
}

// The service's API URL once its first cluster is ok and has accepted messages ("" and a
// failure if not within 30 s).
std::string acceptingApi(const HunterService& svc) {
  const std::string api = apiUrlFromLog(svc);
  EXPECT_FALSE(api.empty()) << svc.log();
  if (api.empty()) return api;
  const bool accepting = DevnetProcess::waitUntil(
      [&] {
        auto s = getJson(api + "/status").second;
        return s.contains("clusters") && s["clusters"][0].value("state", "") == "ok" &&
               s["clusters"][0].value("counts", json::object()).value("accepted", 0) > 0;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(200));
  EXPECT_TRUE(accepting) << svc.log();
  return accepting ? api : "";
}

std::unique_ptr<DevnetProcess> oneSecondDevnet() {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 20;
  o.clusters[0].rate = 2;
  return startDevnet(o);
}

void takeWorkersOffline(DevnetProcess& d, bool offline) {
  for (int i : {2, 3}) {
    json f = offline ? json{{"offline", true}} : json{{"clear", true}};
    f["cluster"] = "alpha";
    f["index"] = i;
    ASSERT_TRUE(d.setFault({{"worker", f}}).ok());
  }
}

// The page after its scripts ran, as Chromium sees it (empty when Chromium is missing).
// The screenshot is 390 px wide: the page must be readable on a phone.
std::string renderPage(const std::string& url, const std::string& screenshot) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) return "";
  const std::string profile = screenshot + ".profile";
  const std::string flags =
      "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
      "--disable-quic --no-first-run --disable-background-networking --disable-component-update "
      "--disable-sync "
      "--window-size=390,1400 --virtual-time-budget=4000 --user-data-dir=" +
      profile + " ";
  std::system(("timeout 60 chromium " + flags + "--screenshot=" + screenshot + " " + url +
               " >/dev/null 2>&1")
                  .c_str());
  std::string dom = screenshot + ".html";
  std::system(("timeout 60 chromium " + flags + "--dump-dom " + url + " > " + dom + " 2>/dev/null")
                  .c_str());
  std::system(("rm -rf " + profile).c_str());
  std::ifstream in(dom);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(NeverSilent, HealthzNamesAStuckClusterWithinStuckAfter) {
  auto d = oneSecondDevnet();
  ASSERT_TRUE(d);
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterConfigOptions ho;
  ho.extra_limits = "stuck_after_s = 4\n";  // progress_timeout_s stays 300 s
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = healthyApi(svc);
  ASSERT_FALSE(api.empty());

  takeWorkersOffline(*d, true);
  const auto t0 = Clock::now();
  std::pair<long, json> h;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = getJson(api + "/healthz");
        return h.first == 503 && !h.second.value("unhealthy", json::array()).empty();
      },
      30s, 200ms))
      << h.first << " " << h.second.dump() << "\n"
      << svc.log();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_LT(secs, 4 + 6) << "stuck_after_s 4, plus a backoff and a few 1 s blocks";
  const json& u = h.second["unhealthy"][0];
  EXPECT_EQ(u.value("cluster", ""), "alpha") << h.second.dump();
  EXPECT_NE(u.value("reason", ""), "moving") << h.second.dump();
  EXPECT_NE(h.second.value("reason", "").find("cluster stuck: alpha"), std::string::npos)
      << h.second.dump();

  auto st = getJson(api + "/status").second;
  ASSERT_TRUE(st.contains("clusters")) << st.dump();
  EXPECT_EQ(st["clusters"][0].value("state", ""), "stuck") << st.dump();
  EXPECT_GT(st["clusters"][0].value("backlog", uint64_t{0}), 0u) << st.dump();
  EXPECT_NE(svc.log().find("alpha: stuck ("), std::string::npos) << "one line says so";

  // explain, beside the running service: the head, why it waits, and who answered what.
  auto ex = runHunter({"explain", "--config", cfg, "--cluster", "alpha", "--json"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  json e = json::parse(ex.out, nullptr, false);
  EXPECT_EQ(e.value("sn", uint64_t{99}),
            st["clusters"][0].value("last_known_chain_next_sn",
                                    st["clusters"][0].value("chain_next_sn", uint64_t{0})))
      << ex.out;
  EXPECT_EQ(e["cluster_state"].value("state", ""), "stuck") << ex.out;
  EXPECT_EQ(e["cluster_state"].value("reason", ""), "short_of_signatures") << ex.out;
  ASSERT_FALSE(e["message"].is_null()) << ex.out;
  EXPECT_EQ(e["message"].value("state", ""), "pending") << ex.out;
  EXPECT_NE(e.value("next", "").find("fewer than threshold"), std::string::npos) << ex.out;
  auto text = runHunter({"explain", "--config", cfg, "--cluster", "alpha"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("next: its signatures are asked for again"), std::string::npos)
      << text.out;

  std::string dom = renderPage(api + "/", "status_page_stuck.png");
  ASSERT_FALSE(dom.empty()) << "Chromium rendered nothing (scripts/setup-deps.sh installs it)";
  EXPECT_NE(dom.find("data-status=\"unhealthy\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("data-cluster=\"alpha\" data-state=\"stuck\""), std::string::npos) << dom;

  takeWorkersOffline(*d, false);
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return getJson(api + "/healthz").first == 200; }, 30s))
      << svc.log();
  EXPECT_NE(svc.log().find("alpha: ok again (was stuck)"), std::string::npos) << svc.log();
  EXPECT_EQ(svc.terminate(), 0);
  // The books after the fault: every sn the chain gives to us booked accepted once.
  reconcile(*d, cfg);
  EXPECT_GT(expectBooksExact(*d, d->dir() + "/hunter.db", d->clusters()[0].id, accounts), 0u);
}

TEST(NeverSilent, TheStatusPageShowsAHealthyCluster) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    FAIL() << "chromium is not installed (scripts/setup-deps.sh installs it)";
  }
  auto d = oneSecondDevnet();
  ASSERT_TRUE(d);
  std::string cfg = writeHunterConfig(*d, d->dir(), {});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = acceptingApi(svc);
  ASSERT_FALSE(api.empty());
  std::string dom = renderPage(api + "/", "status_page_ok.png");
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find("data-loaded=\"1\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("data-status=\"ok\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("data-cluster=\"alpha\" data-state=\"ok\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("id=\"accounts\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("class=\"recent\" data-cluster=\"alpha\""), std::string::npos)
      << "recent outcomes are listed: " << dom;
  EXPECT_NE(dom.find("data-kind=\"accepted\""), std::string::npos) << dom;
  EXPECT_EQ(dom.find(">null"), std::string::npos) << "no absent value shown as 'null': " << dom;
  EXPECT_EQ(dom.find("null<"), std::string::npos) << "no absent value shown as 'null': " << dom;
  std::ifstream png("status_page_ok.png", std::ios::binary);
  EXPECT_TRUE(png.good()) << "the screenshot is saved";

  // explain sn 0, settled: its outcome, its submission and the account, as SS58.
  auto ex = runHunter({"explain", "--config", cfg, "--cluster", "alpha", "0", "--json"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  json e = json::parse(ex.out, nullptr, false);
  ASSERT_TRUE(e.is_object()) << ex.out;
  EXPECT_EQ(e["message"].value("state", ""), "accepted") << ex.out;
  ASSERT_FALSE(e["outcomes"].empty()) << ex.out;
  EXPECT_EQ(e["outcomes"][0].value("kind", ""), "accepted") << ex.out;
  EXPECT_EQ(e["outcomes"][0].value("account", "").rfind("0x", 0), std::string::npos)
      << "an SS58 address, not hex: " << ex.out;
  ASSERT_FALSE(e["submissions"].empty()) << ex.out;
  EXPECT_EQ(e["submissions"][0].value("status", ""), "included") << ex.out;
  EXPECT_EQ(e.value("next", ""), "nothing: it is settled") << ex.out;
  auto bad = runHunter({"explain", "--config", cfg, "--cluster", "nosuch"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("nosuch"), std::string::npos) << bad.err;
  EXPECT_EQ(svc.terminate(), 0);
}

// A chain outage with two clusters: each cluster says once that it waits for the chain, and a
// warning that repeats is counted, not logged each round (main logged about 10 lines a second).
TEST(NeverSilent, AChainOutageIsAFewLinesNotOnePerRound) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 2;
  DevnetClusterOptions beta;
  beta.alias = "beta";
  beta.rate = 2;
  o.clusters.push_back(beta);
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  HunterConfigOptions ho;
  ho.api_toml = "[api]\nlisten = \"127.0.0.1:0\"\nchain_stale_s = 2\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = healthyApi(svc);
  ASSERT_FALSE(api.empty());
  // Both clusters running (healthy needs only the chain; under ASan a cluster may still start).
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto st = getJson(api + "/status").second;
        if (!st.contains("clusters") || st["clusters"].size() != 2) return false;
        for (const auto& c : st["clusters"]) {
          if (c.value("state", "") != "ok") return false;
        }
        return true;
      },
      30s, 200ms))
      << svc.log();

  const size_t before = svc.log().size();
  ASSERT_TRUE(d->setFault({{"chain", {{"unavailable", true}}}}).ok());
  std::pair<long, json> h;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        h = getJson(api + "/healthz");
        return h.first == 503;
      },
      20s, 200ms))
      << svc.log();
  // Let the outage last: rounds go on every poll_interval_ms (100 ms) for both clusters.
  const auto until = Clock::now() + 6s;
  DevnetProcess::waitUntil([&] { return Clock::now() >= until; }, 10s, 500ms);
  std::string during = svc.log().substr(before);
  ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());

  size_t lines = 0;
  for (char ch : during) lines += ch == '\n';
  EXPECT_LE(lines, 12u) << "about 6 s of outage, two clusters:\n" << during;
  for (const char* c : {"alpha", "beta"}) {
    const std::string line = std::string(c) + ": chain_unreachable";
    EXPECT_NE(during.find(line), std::string::npos) << "one line says so for " << c << ":\n"
                                                    << during;
  }
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return getJson(api + "/healthz").first == 200; }, 30s))
      << svc.log();
  EXPECT_EQ(svc.terminate(), 0);
}

// Credentials in endpoint URLs (user:password@) reach the chain and the workers but never the
// log, /status, /metrics, the page's data, `hunter status` or `hunter workers`, even when the
// endpoints fail.
TEST(NeverSilent, CredentialsInEndpointUrlsAreNeverShown) {
  auto d = oneSecondDevnet();
  ASSERT_TRUE(d);
  std::string cfg = writeHunterConfig(*d, d->dir(), {});
  {
    std::ifstream in(cfg);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = std::regex_replace(ss.str(), std::regex("http://127\\.0\\.0\\.1"),
                                          "http://op:s3cretpw@127.0.0.1");
    ASSERT_NE(text.find("s3cretpw"), std::string::npos);
    std::ofstream(cfg) << text;
  }
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = acceptingApi(svc);
  ASSERT_FALSE(api.empty());
  takeWorkersOffline(*d, true);  // errors that name the endpoints
  ASSERT_TRUE(d->setFault({{"chain", {{"unavailable_ms", 1500}}}}).ok());
  DevnetProcess::waitUntil([&] { return svc.log().find("s3cretpw") != std::string::npos; }, 4s);

  std::vector<std::pair<std::string, std::string>> shown = {
      {"log", svc.log()},
      {"/status", getJson(api + "/status").second.dump()},
      {"/workers", getJson(api + "/workers").second.dump()},
      {"/healthz", getJson(api + "/healthz").second.dump()}};
  {
    adapters::HttpClient http;
    adapters::HttpCall call;
    call.url = api + "/metrics";
    call.timeout = 5s;
    auto r = http.get(call);
    ASSERT_TRUE(r.ok());
    shown.emplace_back("/metrics", r->body);
  }
  for (const auto& cmd :
       std::vector<std::vector<std::string>>{{"status", "--config", cfg, "--json"},
                                             {"status", "--config", cfg},
                                             {"workers", "--config", cfg},
                                             {"explain", "--config", cfg, "--cluster", "alpha"}}) {
    auto r = runHunter(cmd);
    shown.emplace_back("hunter " + cmd[0], r.out + r.err);
  }
  for (const auto& [where, text] : shown) {
    EXPECT_EQ(text.find("s3cretpw"), std::string::npos) << where << " shows the password:\n"
                                                        << text;
  }
  EXPECT_NE(shown[0].second.find("***@127.0.0.1"), std::string::npos)
      << "endpoints are shown with their credentials masked:\n"
      << shown[0].second;
  takeWorkersOffline(*d, false);
  EXPECT_EQ(svc.terminate(), 0);
}

namespace {

// Sends `head` (an HTTP request head, possibly huge) on a fresh connection to the API and
// returns the status line it answered, or "" when it closed the connection without one.
std::string rawRequest(const std::string& api, const std::string& head) {
  const auto port = static_cast<uint16_t>(std::stoi(api.substr(api.rfind(':') + 1)));
  int fd = connectLoopback(port, 10);
  if (fd < 0) return "connect failed";
  for (size_t sent = 0; sent < head.size();) {
    ssize_t n = ::send(fd, head.data() + sent, head.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading and closed: what a bound looks like
    sent += static_cast<size_t>(n);
  }
  std::string got(256, '\0');
  ssize_t n = ::recv(fd, got.data(), got.size(), 0);
  ::close(fd);
  got.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return got.substr(0, got.find("\r\n"));
}

// The peak resident memory of a process, in MiB (VmHWM).
long peakMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

}  // namespace

// A huge header or body costs the service nothing: it is refused once past its bound (main
// read a 200 MB header into memory: 884 MB resident), and the API goes on serving.
TEST(NeverSilent, TheApiBoundsHeadersAndBodies) {
  auto d = oneSecondDevnet();
  ASSERT_TRUE(d);
  std::string cfg = writeHunterConfig(*d, d->dir(), {});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = healthyApi(svc);
  ASSERT_FALSE(api.empty());
  const long before = peakMiB(svc.pid());

  std::string huge = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200u << 20, 'a');
  std::string status = rawRequest(api, huge);
  EXPECT_TRUE(status.empty() || status.find(" 431 ") != std::string::npos) << status;
  std::string body = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 209715200\r\n\r\n" +
                     std::string(8u << 20, '{');
  status = rawRequest(api, body);
  EXPECT_TRUE(status.empty() || status.find(" 413 ") != std::string::npos) << status;

  const long after = peakMiB(svc.pid());
  EXPECT_LT(after - before, 32) << "peak resident memory went from " << before << " to " << after
                                << " MiB";
  EXPECT_EQ(getJson(api + "/healthz").first, 200) << "the API still serves";
  EXPECT_EQ(svc.terminate(), 0);
}
