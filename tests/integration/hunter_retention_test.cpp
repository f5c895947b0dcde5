// Retention against the devnet: a service with retention_s = 1 deletes what settled, and the
// books (`hunter rewards`) say the same before, after, and after another restart (whose audit
// must not book again what retention deleted).
#include <gtest/gtest.h>

#include "hunter/adapters/sqlite_store.hpp"
#include "hunter_harness.hpp"

using namespace hunter;
using namespace hunter::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json rewardsOf(const std::string& cfg) {
  auto r = runHunter({"rewards", "--config", cfg, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false);
}

uint64_t storedMessages(const std::string& db, const H256& cluster) {
  auto s = adapters::SqliteStore::open(db, adapters::SqliteStore::Access::kReader);
  if (!s.ok()) return UINT64_MAX;
  uint64_t n = 0;
  for (auto& [state, count] : (*s)->messageCounts(cluster).value()) n += count;
  return n;
}

}  // namespace

TEST(Retention, SettledMessagesGoAndTheBooksStay) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 200;
  o.clusters[0].rate = 0;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  const std::string db = d->dir() + "/hunter.db";
  HunterConfigOptions keep;
  keep.name = "keep";
  keep.database = db;
  keep.extra_hunter = "retention_s = 0\n";
  const std::string cfgKeep = writeHunterConfig(*d, d->dir(), keep);
  {
    HunterService svc(cfgKeep, d->dir() + "/keep.log");
    ASSERT_TRUE(DevnetProcess::waitUntil(
        [&] {
          const json r = rewardsOf(cfgKeep);
          return r.contains("total") && r["total"].value("accepted", 0) == 200;
        },
        60s, 500ms))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  const json before = rewardsOf(cfgKeep);
  ASSERT_EQ(before["total"]["accepted"], 200) << before.dump();
  ASSERT_EQ(storedMessages(db, cluster), 200u);

  HunterConfigOptions prune = keep;
  prune.name = "prune";  // the same database
  prune.extra_hunter = "retention_s = 1\n";
  const std::string cfgPrune = writeHunterConfig(*d, d->dir(), prune);
  {
    HunterService svc(cfgPrune, d->dir() + "/prune.log");
    ASSERT_TRUE(DevnetProcess::waitUntil(
        [&] {
          return svc.log().find("retention: deleted 200 settled message(s)") != std::string::npos;
        },
        30s, 200ms))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  EXPECT_EQ(storedMessages(db, cluster), 0u);
  EXPECT_EQ(rewardsOf(cfgPrune), before) << "the books after pruning";

  {
    // Its start audits the books from the durable mark; a round's status is written after it.
    const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    HunterService svc(cfgKeep, d->dir() + "/again.log");
    ASSERT_TRUE(DevnetProcess::waitUntil(
        [&] {
          auto s = adapters::SqliteStore::open(db, adapters::SqliteStore::Access::kReader);
          if (!s.ok()) return false;
          auto cs = (*s)->clusterStatus(cluster);
          return cs.ok() && *cs && (*cs)->updated_ms > t0;
        },
        30s, 200ms))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  EXPECT_EQ(rewardsOf(cfgKeep), before) << "a restart's audit books nothing twice";
}
