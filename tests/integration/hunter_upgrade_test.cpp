// Following the chain through a runtime upgrade, against the devnet at 1 s blocks (issue #19):
// the devnet enacts the upgrade at its next block while a backlog flows; hunter sees the new
// runtime in its chain view, signs for it from then on and signs again what the upgrade made
// invalid in the pool.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "integration/hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

uint64_t rejectionsFor(DevnetProcess& d, const std::string& data) {
  auto s = d.state();
  if (!s.ok()) return UINT64_MAX;
  return s->value("rejections", json::object()).value(data, uint64_t{0});
}

// Before: hunter read the runtime once, and after the upgrade every submission was refused
// ("bad signature", a rejected outcome per message) until each cluster re-read it. Now: no
// rejected outcome, at most one round's refusals (a submission signed in the instant between
// the upgrade's block and hunter's next look at the chain), the queue moving again within three
// blocks, and the books exact.
TEST(RuntimeUpgrade, AnUpgradeMidRunCostsNoRejectedOutcomeAndTheBooksStayExact) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 20;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  HunterConfigOptions ho;
  ho.api_toml = "[api]\nlisten = \"127.0.0.1:0\"\n";
  const std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  const std::string db = d->dir() + "/hunter.db";
  const H256 alpha = d->clusters()[0].id;
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  const std::string api = apiUrlFromLog(svc);
  ASSERT_FALSE(api.empty()) << svc.log();
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha) >= 40; }, 60s))
      << svc.log();

  auto up =
      d->setFault({{"chain", {{"upgrade", {{"spec_version", 1001}, {"transaction_version", 2}}}}}});
  ASSERT_TRUE(up.ok()) << up.error().message;
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto s = d->state();
        return s.ok() && (*s)["runtime"].value("spec_version", 0) == 1001;
      },
      5s, 20ms));
  const auto enacted = std::chrono::steady_clock::now();
  const uint64_t atUpgrade = chainNextSn(*d, alpha);
  ASSERT_TRUE(
      DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha) > atUpgrade; }, 10s, 50ms))
      << svc.log();
  const auto moved = std::chrono::steady_clock::now() - enacted;
  EXPECT_LE(moved, 3500ms) << "the queue moved again "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(moved).count()
                           << " ms after the upgrade's block (1 s blocks)";
  ASSERT_TRUE(
      DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha) >= atUpgrade + 60; }, 30s))
      << svc.log();

  EXPECT_NE(svc.log().find("runtime upgraded: spec 1000 -> 1001, tx 1 -> 2"), std::string::npos)
      << svc.log();
  EXPECT_NE(getText(api + "/metrics").second.find("hunter_runtime_spec_version 1001"),
            std::string::npos);
  EXPECT_LE(rejectionsFor(*d, "Transaction has a bad signature"), 2u)
      << "at most one round signed in the instant before hunter saw the upgrade";
  EXPECT_EQ(svc.terminate(), 0);
  EXPECT_EQ(queryInt(db, "SELECT count(*) FROM outcomes WHERE kind = 'rejected'"), 0)
      << "an upgrade is not a rejection of the messages";
  reconcile(*d, cfg);
  EXPECT_GT(expectBooksExact(*d, db, alpha, accounts), atUpgrade);
}

}  // namespace
}  // namespace hunter::testing
