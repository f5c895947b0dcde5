// The shipped deployment files, run as an operator would: the Kubernetes ConfigMap's hunter.toml
// on every ordinal of the shipped StatefulSet (--shard I/3, one cluster in the config), against
// the devnet. No pod may exit (a shard with no clusters exited 2, so two of three pods
// crash-looped); the idle ones are healthy and say why they idle.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "hunter/adapters/http.hpp"
#include "hunter_harness.hpp"

using namespace hunter;
using namespace hunter::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The text of the ConfigMap's `hunter.toml: |` block, without its indentation.
std::string configMapToml() {
  std::istringstream in(readFile(std::string(HUNTER_SOURCE_DIR) + "/config/k8s/configmap.yaml"));
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.find("hunter.toml: |") != std::string::npos) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (!line.empty() && line.rfind("    ", 0) != 0) break;
    out += (line.size() >= 4 ? line.substr(4) : "") + "\n";
  }
  return out;
}

// The shipped config pointed at the devnet: its endpoints, key and database replaced, all else
// (the cluster id, log format, api section) as shipped.
std::string forDevnet(std::string toml, const DevnetProcess& d, const std::string& db) {
  std::string workers;
  for (const auto& w : d.clusters()[0].workers)
    workers += (workers.empty() ? "" : ", ") + ("\"" + w + "\"");
  toml = std::regex_replace(toml, std::regex(R"(endpoints = \[[^\]]*\])"),
                            "endpoints = [\"" + d.chainUrl() + "\"]");
  toml = std::regex_replace(toml, std::regex(R"(workers = \[[^\]]*\])"),
                            "workers = [" + workers + "]");
  toml = std::regex_replace(toml, std::regex(R"(key_files = \[[^\]]*\])"),
                            "key_files = [\"" + d.hunterKeyPath() + "\"]");
  toml = std::regex_replace(toml, std::regex(R"re(database = "[^"]*")re"),
                            "database = \"" + db + "\"");
  return std::regex_replace(toml, std::regex(R"re(listen = "[^"]*")re"),
                            "listen = \"127.0.0.1:0\"");
}

}  // namespace

TEST(Deploy, EveryOrdinalOfTheShippedStatefulSetStaysUp) {
  const std::string shipped = configMapToml();
  ASSERT_NE(shipped.find("[[clusters]]"), std::string::npos) << shipped;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(shipped, id, std::regex(R"re(id = "(0x[0-9a-fA-F]{64})")re")));
  const std::string statefulset =
      readFile(std::string(HUNTER_SOURCE_DIR) + "/config/k8s/statefulset.yaml");
  std::smatch replicas;
  ASSERT_TRUE(std::regex_search(statefulset, replicas, std::regex(R"(replicas: (\d+))")));
  const int n = std::stoi(replicas[1]);
  ASSERT_EQ(n, 3) << "the test follows the shipped replicas";

  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].id = id[1];
  o.clusters[0].rate = 2;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);

  int relaying = 0, idle = 0;
  for (int i = 0; i < n; ++i) {
    SCOPED_TRACE("ordinal " + std::to_string(i));
    const std::string cfg = d->dir() + "/hunter-" + std::to_string(i) + ".toml";
    std::ofstream(cfg) << forDevnet(shipped, *d, d->dir() + "/hunter-" + std::to_string(i) + ".db");
    const std::string shard = std::to_string(i) + "/" + std::to_string(n);
    HunterService svc(cfg, d->dir() + "/hunter-" + std::to_string(i) + ".log", {"--shard", shard});
    const std::string api = apiUrlFromLog(svc);
    ASSERT_FALSE(api.empty()) << svc.log();
    std::pair<long, json> h;
    ASSERT_TRUE(DevnetProcess::waitUntil(
        [&] {
          h = getJson(api + "/healthz");
          return h.first == 200;
        },
        30s, 200ms))
        << h.first << " " << h.second.dump() << "\n"
        << svc.log();
    int status = 0;
    EXPECT_EQ(::waitpid(svc.pid(), &status, WNOHANG), 0) << "the pod's process exited:\n"
                                                         << svc.log();
    if (h.second.value("reason", "").find("holds no clusters") != std::string::npos) {
      ++idle;
      EXPECT_NE(svc.log().find("shard " + shard + " holds none of the 1 selected cluster(s)"),
                std::string::npos)
          << svc.log();
    } else {
      ++relaying;
    }
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  EXPECT_EQ(relaying, 1) << "exactly one ordinal holds the one cluster";
  EXPECT_EQ(idle, n - 1);
}
