// Many clusters at once, cheaply: the devnet serves every worker on one port under a path per
// worker (workers_on_one_port), and the hunter relays from them with the config the devnet
// writes (--hunter-config-out), books exact.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "integration/hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;

TEST(OnePort, AHunterRelaysTwoClustersWhoseWorkersShareOnePortBooksExact) {
  DevnetOptions o;
  o.extra_toml = "workers_on_one_port = true\n";
  o.hunter_config_out = true;
  o.clusters[0].initial_backlog = 40;
  o.clusters[0].rate = 20;
  DevnetClusterOptions beta;
  beta.alias = "beta";
  beta.workers = 3;
  beta.threshold = 2;
  beta.initial_backlog = 25;
  beta.rate = 10;
  o.clusters.push_back(beta);
  auto d = startDevnet(o);
  ASSERT_TRUE(d);

  // Seven workers, one host:port, seven paths; the written hunter config carries them.
  const std::string cfg = d->hunterConfigOut();
  const std::string written = readFile(cfg);
  std::set<std::string> authorities, urls;
  for (size_t ci = 0; ci < d->clusters().size(); ++ci) {
    for (const auto& w : d->clusters()[ci].workers) {
      const size_t host = w.find("://") + 3, path = w.find('/', host);
      ASSERT_NE(path, std::string::npos) << w;
      authorities.insert(w.substr(host, path - host));
      urls.insert(w);
      EXPECT_NE(written.find("\"" + w + "\""), std::string::npos) << w << " in\n" << written;
    }
  }
  EXPECT_EQ(authorities.size(), 1u);
  EXPECT_EQ(urls.size(), 7u);

  const H256 alpha = d->clusters()[0].id, beta_id = d->clusters()[1].id;
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  {
    HunterService svc(cfg, d->dir() + "/hunter.log", {"--api-listen", "127.0.0.1:0"});
    EXPECT_TRUE(DevnetProcess::waitUntil(
        [&] { return chainNextSn(*d, alpha) >= 80 && chainNextSn(*d, beta_id) >= 45; }, 60s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg, {"alpha", "beta"});
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", {alpha, beta_id}, accounts), 125u);
}

}  // namespace
}  // namespace hunter::testing
