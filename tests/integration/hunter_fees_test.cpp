// The fee policy against the devnet at 1 s blocks: what an operator sees when hunter will not
// relay at a loss, or when its accounts are below the balance floor.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "integration/hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// Runs `hunter run` with `fees` as its [fees] table against a devnet whose cluster pays
// `reward` a message, and expects the cluster to wait with `reason` and nothing relayed.
void expectHeldBack(const std::string& reward, const std::string& fees, const std::string& reason,
                    const std::string& detail_part) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 5;
  o.clusters[0].reward_per_message = reward;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  HunterConfigOptions ho;
  ho.api_toml = "[api]\nlisten = \"127.0.0.1:0\"\n\n[fees]\n" + fees;
  const std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = apiUrlFromLog(svc);
  ASSERT_FALSE(api.empty()) << svc.log();
  json cluster;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto s = getJson(api + "/status").second;
        if (!s.contains("clusters") || s["clusters"].empty()) return false;
        cluster = s["clusters"][0];
        return cluster.value("reason", "") == reason && cluster.value("backlog", 0) >= 10;
      },
      30s, 200ms))
      << cluster.dump() << "\n"
      << svc.log();
  EXPECT_NE(cluster.value("detail", "").find(detail_part), std::string::npos) << cluster.dump();
  EXPECT_EQ(chainNextSn(*d, d->clusters()[0].id), 0u) << "nothing was relayed";
  EXPECT_TRUE(poolEmpty(*d)) << "nothing was sent";
  EXPECT_EQ(svc.terminate(), 0);
  // The books: nothing booked, and the account paid no fee.
  EXPECT_EQ(expectBooksExact(*d, d->dir() + "/hunter.db", d->clusters()[0].id, accounts), 0u);
}

TEST(Fees, AClusterWhoseRewardIsBelowTheFeeIsNotRelayedAtALoss) {
  expectHeldBack("1", "min_profit = \"0\"\n", "unprofitable", "below fees.min_profit 0");
}

TEST(Fees, AccountsBelowTheBalanceFloorSignNothing) {
  expectHeldBack("1000000000", "min_balance = \"1000000000000000000000000\"\n", "balance_floor",
                 "below fees.min_balance 1000000000000000000000000");
}

}  // namespace
}  // namespace hunter::testing
