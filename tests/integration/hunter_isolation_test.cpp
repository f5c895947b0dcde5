// Many clusters at once, against the devnet at 1 s blocks: a cluster whose workers answer late
// delays only itself (limits.cluster_threads; the service's RoundScheduler).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "integration/hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;

// When each of the cluster's extrinsics was submitted (ms, in order), read from the database.
std::vector<int64_t> submittedAt(const std::string& database, const H256& cluster) {
  std::vector<int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT created_ms FROM submissions WHERE cluster = ? ORDER BY created_ms",
                         -1, &q, nullptr) == SQLITE_OK) {
    sqlite3_bind_blob(q, 1, cluster.data(), static_cast<int>(cluster.size()), SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) out.push_back(sqlite3_column_int64(q, 0));
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return out;
}

int64_t largestGap(const std::vector<int64_t>& at) {
  int64_t gap = 0;
  for (size_t i = 1; i < at.size(); ++i) gap = std::max(gap, at[i] - at[i - 1]);
  return gap;
}

// Two of alpha's four workers answer after 3 s (threshold 3: each of alpha's rounds waits for
// one of them). Before the scheduler, one loop ran alpha's round and then beta's, so beta
// submitted at most once per 3 s; now beta submits every block while alpha crawls on its own.
TEST(Isolation, ASlowClusterDoesNotDelayAHealthyOne) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 2;
  o.clusters[0].extra_toml =
      "[[clusters.faults]]\nindex = 2\nslow_ms = 3000\n"
      "[[clusters.faults]]\nindex = 3\nslow_ms = 3000\n";
  DevnetClusterOptions beta;
  beta.alias = "beta";
  beta.rate = 5;
  o.clusters.push_back(beta);
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  HunterConfigOptions ho;
  ho.request_timeout_ms = 6000;
  const std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  const std::string db = d->dir() + "/hunter.db";
  const H256 alpha_id = d->clusters()[0].id, beta_id = d->clusters()[1].id;
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  // Twelve of beta's extrinsics after its first three (start-up), with alpha slow throughout.
  ASSERT_TRUE(
      DevnetProcess::waitUntil([&] { return submittedAt(db, beta_id).size() >= 15; }, 90s, 200ms))
      << svc.log();
  auto at = submittedAt(db, beta_id);
  at.erase(at.begin(), at.begin() + 3);
  EXPECT_LT(largestGap(at), 2000) << "beta waited for alpha's slow workers";
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha_id) > 0; }, 60s))
      << "alpha is slow, not stopped\n"
      << svc.log();
  EXPECT_EQ(svc.terminate(), 0);
  reconcile(*d, cfg, {"alpha", "beta"});
  EXPECT_GT(expectBooksExact(*d, db, {alpha_id, beta_id}, accounts), 0u)
      << "both clusters' books exact, the fees of both paid by one account";
}

// Adaptive polling: a cluster with a message every 10 s is idle in between. With idle_after_s 1
// and max_poll_interval_ms 2000 it backs off from 100 ms to 2 s between messages (about 10
// fetches a message instead of 100) and still relays every message, its first new message
// bringing it back to the fast rate.
TEST(AdaptivePolling, AnIdleClusterIsPolledLessOftenAndStillRelaysEveryMessage) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 0.1;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  std::atomic<int> fetches{0};
  std::vector<std::unique_ptr<adapters::HttpServer>> proxies;
  HunterConfigOptions ho;
  ho.extra_hunter = "max_poll_interval_ms = 2000\nidle_after_s = 1\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  std::stringstream text;
  text << std::ifstream(cfg).rdbuf();
  std::string toml = text.str();
  for (const auto& real : d->clusters()[0].workers) {
    auto proxy = startWorkerProxy(real, [&](const adapters::ServerRequest& req,
                                            const adapters::HttpReply&, adapters::ServerResponse&) {
      if (req.path.find("GetClusterMessages") != std::string::npos) ++fetches;
    });
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    toml.replace(toml.find(real), real.size(), (*proxy)->baseUrl());
    proxies.push_back(std::move(*proxy));
  }
  std::ofstream(cfg) << toml;
  const H256 alpha = d->clusters()[0].id;
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterService svc(cfg, d->dir() + "/hunter.log");
  // The first message (produced at 10 s) relayed; then 20 s more: two messages more.
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha) >= 1; }, 30s))
      << svc.log();
  const int before = fetches.load();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, alpha) >= 3; }, 40s))
      << svc.log();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int during = fetches.load() - before;
  EXPECT_LT(during, static_cast<int>(secs * 4))
      << during << " fetches in " << secs << " s: at 100 ms it would be about " << secs * 10;
  EXPECT_GT(during, static_cast<int>(secs / 2.5)) << "it polls at least every 2 s";
  EXPECT_EQ(svc.terminate(), 0);
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", alpha, accounts), 3u);
}

}  // namespace
}  // namespace hunter::testing
