// The hunter end to end: the real `hunter` binary against the real devnet processes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>

#include "hunter/app/keyfile.hpp"
#include "hunter/crypto/ss58.hpp"
#include "hunter_harness.hpp"

using namespace hunter;
using namespace hunter::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {}  // namespace

TEST(HunterE2E, HappyPathAcceptsInOrderAndBooksMatchTheChain) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 240;
  o.clusters[0].rate = 20;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  const auto me = devHunter(*d);
  const u128 freeBefore = chainFree(*d, me);
  std::string cfg = writeHunterConfig(*d, d->dir());
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 220; }, 90s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
    std::string log = svc.log();
    EXPECT_NE(log.find("submitted"), std::string::npos) << log;  // one line per submission
  }
  auto rec = reconcile(*d, cfg);
  EXPECT_NE(rec.out.find("accepted (tx 0x"), std::string::npos) << rec.out;  // one line per outcome
  uint64_t next = chainNextSn(*d, cluster);
  // Every sn accepted in order, each by us.
  for (uint64_t sn = 0; sn < next; ++sn) {
    auto ack = chainAck(*d, cluster, sn);
    ASSERT_TRUE(ack.has_value()) << sn;
    EXPECT_EQ(ack->hunter, me) << sn;
  }
  // The database agrees with the chain: rewards, fees, accepted count.
  auto rw = runHunter({"rewards", "--config", cfg, "--json"});
  ASSERT_EQ(rw.exit_code, 0) << rw.err;
  json r = jsonOf(rw);
  ASSERT_EQ(r["rows"].size(), 1u) << r.dump();
  EXPECT_EQ(r["total"]["accepted"].get<uint64_t>(), next);
  u128 reward = dec(r["total"]["reward"]);
  u128 fees = dec(r["total"]["fees"]);
  EXPECT_TRUE(reward == chainHunterRewards(*d, me));
  EXPECT_TRUE(fees > 0);
  // free_after = free_before + rewards - fees (tip 0)
  EXPECT_TRUE(chainFree(*d, me) + fees == freeBefore + reward)
      << u128ToString(chainFree(*d, me)) << " + " << u128ToString(fees) << " vs "
      << u128ToString(freeBefore) << " + " << u128ToString(reward);
  // Batching: far fewer extrinsics than messages.
  auto st = runHunter({"status", "--config", cfg, "--json"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  json s = jsonOf(st);
  EXPECT_TRUE(s["chain"]["reachable"].get<bool>());
  EXPECT_EQ(s["clusters"][0]["chain_next_sn"].get<uint64_t>(), next);
  EXPECT_EQ(s["clusters"][0]["workers"].size(), 4u);
}

TEST(HunterE2E, OneWorkerOfflineStillAccepted) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 30;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  ASSERT_TRUE(
      d->setFault({{"worker", {{"cluster", "alpha"}, {"index", 1}, {"offline", true}}}}).ok());
  std::string cfg = writeHunterConfig(*d, d->dir());
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "30"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("accepted 30"), std::string::npos) << r.out;
  auto w = runHunter({"workers", "--config", cfg, "--json"});
  ASSERT_EQ(w.exit_code, 0);
  bool offlineRecorded = false;
  json wj = jsonOf(w);
  for (auto& x : wj["workers"]) {
    if (x["endpoint"] == d->clusters()[0].workers[0]) {
      EXPECT_GT(x["latency_ms"].get<double>(), 0.0) << x.dump();
      EXPECT_GE(x["signatures_valid"].get<uint64_t>(), 30u) << x.dump();
    }
    if (x["endpoint"] == d->clusters()[0].workers[1]) {
      offlineRecorded =
          x["errors"].get<uint64_t>() > 0 && !x["last_error"].get<std::string>().empty();
    }
  }
  EXPECT_TRUE(offlineRecorded) << w.out << w.err;
}

TEST(HunterE2E, DivergedWorkerIsNamedAndMessagesStillAccepted) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 20;
  // Worker 0 (the first the hunter fetches from) diverges from sn 5.
  o.clusters[0].extra_toml = "[[clusters.faults]]\nindex = 0\ndiverge_from = 5\n";
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  std::string cfg = writeHunterConfig(*d, d->dir());
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(chainNextSn(*d, cluster), 20u);
  const std::string w0 = d->clusters()[0].workers[0];
  auto st = runHunter({"status", "--config", cfg});
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_NE(st.out.find("divergent worker " + w0), std::string::npos) << st.out;
  auto w = runHunter({"workers", "--config", cfg, "--json"});
  bool named = false;
  json wj = jsonOf(w);
  for (auto& x : wj["workers"]) {
    if (x["endpoint"] == w0)
      named = x["divergences"].get<uint64_t>() > 0 && x.contains("diverged_hash");
  }
  EXPECT_TRUE(named) << w.out;
}

TEST(HunterE2E, FewerThanThresholdIsStuckWithReasonAndResumesWhenHealed) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 10;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  for (int i : {2, 3}) {
    ASSERT_TRUE(
        d->setFault({{"worker", {{"cluster", "alpha"}, {"index", i}, {"offline", true}}}}).ok());
  }
  std::string cfg = writeHunterConfig(*d, d->dir());
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "10"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("stuck"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 of 3 signatures"), std::string::npos) << r.out;
  EXPECT_EQ(chainNextSn(*d, cluster), 0u);
  auto st = runHunter({"status", "--config", cfg, "--json"});
  json s = jsonOf(st);
  EXPECT_EQ(s["clusters"][0]["state"], "stuck") << st.out;
  for (int i : {2, 3}) {
    ASSERT_TRUE(
        d->setFault({{"worker", {{"cluster", "alpha"}, {"index", i}, {"clear", true}}}}).ok());
  }
  auto r2 = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "10", "--json"});
  EXPECT_EQ(r2.exit_code, 0) << r2.out << r2.err;
  EXPECT_GE(chainNextSn(*d, cluster), 10u);
  json j = jsonOf(r2);
  EXPECT_EQ(j.value("exit_code", -1), 0) << r2.out;
  EXPECT_EQ(j.value("submitted", 0), 10) << r2.out;
  EXPECT_EQ(j.value("accepted", 0), 10) << r2.out;
  EXPECT_FALSE(j["lines"].empty()) << r2.out;
}

TEST(HunterE2E, ChainUnreachableExitsWithItsOwnCode) {
  auto d = startDevnet(DevnetOptions{});
  ASSERT_TRUE(d);
  std::string cfg = writeHunterConfig(*d, d->dir());
  ASSERT_TRUE(d->terminate().ok());
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha"});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  auto st = runHunter({"status", "--config", cfg});
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_NE(st.out.find("chain: UNREACHABLE"), std::string::npos) << st.out;
}

TEST(HunterE2E, TwoHuntersRacingNeverDoubleAcceptAndPayNoRejectedFees) {
  char tmpl[] = "/tmp/hunter-race-XXXXXX";
  std::string keyDir = mkdtemp(tmpl);
  auto key2 = crypto::SecretKey::generate();
  ASSERT_TRUE(app::writeNewKeyFile(keyDir + "/b.key", key2).ok());
  auto acct2 = crypto::accountId(key2.publicKey());
  DevnetOptions o;
  o.clusters[0].initial_backlog = 120;
  o.clusters[0].rate = 20;
  o.extra_toml = "[[accounts]]\naccount = \"" + toHex(acct2) + "\"\nfree = \"1000000000000000\"\n";
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  const auto acct1 = devHunter(*d);
  const u128 free1 = chainFree(*d, acct1), free2 = chainFree(*d, acct2);
  HunterConfigOptions a;
  a.name = "a";
  a.batch_size = 8;
  HunterConfigOptions b = a;
  b.name = "b";
  b.key_files = {keyDir + "/b.key"};
  std::string cfgA = writeHunterConfig(*d, d->dir(), a);
  std::string cfgB = writeHunterConfig(*d, d->dir(), b);
  {
    HunterService ha(cfgA, d->dir() + "/a.log");
    HunterService hb(cfgB, d->dir() + "/b.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 150; }, 90s))
        << ha.log() << hb.log();
    EXPECT_EQ(ha.terminate(), 0);
    EXPECT_EQ(hb.terminate(), 0);
  }
  reconcile(*d, cfgA);
  reconcile(*d, cfgB);
  uint64_t next = chainNextSn(*d, cluster);
  uint64_t byA = 0, byB = 0;
  for (uint64_t sn = 0; sn < next; ++sn) {
    auto ack = chainAck(*d, cluster, sn);
    ASSERT_TRUE(ack);
    if (ack->hunter == acct1) byA++;
    if (ack->hunter == acct2) byB++;
  }
  EXPECT_EQ(byA + byB, next);
  // Each hunter's books match the chain exactly: its accepted = its ACKs, and what it paid
  // is exactly what its database says (rejections and losses in the race cost nothing).
  for (auto [cfg, acct, freeBefore, count] :
       {std::tuple{cfgA, acct1, free1, byA}, std::tuple{cfgB, acct2, free2, byB}}) {
    json r = jsonOf(runHunter({"rewards", "--config", cfg, "--json"}));
    uint64_t accepted = r["total"]["accepted"].get<uint64_t>();
    u128 reward = dec(r["total"]["reward"]);
    u128 fees = dec(r["total"]["fees"]);
    EXPECT_EQ(accepted, count);
    EXPECT_TRUE(reward == chainHunterRewards(*d, acct));
    EXPECT_TRUE(chainFree(*d, acct) + fees == freeBefore + reward)
        << "fees in the database differ from what the chain charged: free "
        << u128ToString(chainFree(*d, acct)) << " + fees " << u128ToString(fees) << " vs before "
        << u128ToString(freeBefore) << " + reward " << u128ToString(reward);
  }
  std::remove((keyDir + "/b.key").c_str());
  rmdir(keyDir.c_str());
}

TEST(HunterE2E, SigkillMidRunAndRestartLosesNothingAndSubmitsNothingTwice) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 150;
  o.clusters[0].rate = 30;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  const auto me = devHunter(*d);
  const u128 freeBefore = chainFree(*d, me);
  HunterConfigOptions ho;
  ho.batch_size = 4;
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  for (int i = 0; i < 4; ++i) {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    uint64_t before = chainNextSn(*d, cluster);
    // Progress resumes after each restart.
    ASSERT_TRUE(
        DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) > before + 10; }, 30s))
        << svc.log();
    svc.kill9();
  }
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    uint64_t target = chainNextSn(*d, cluster) + 20;
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= target; }, 30s));
    EXPECT_EQ(svc.terminate(), 0);
  }
  reconcile(*d, cfg);
  uint64_t next = chainNextSn(*d, cluster);
  uint64_t mine = 0;
  for (uint64_t sn = 0; sn < next; ++sn) {
    auto ack = chainAck(*d, cluster, sn);
    ASSERT_TRUE(ack);
    if (ack->hunter == me) mine++;
  }
  EXPECT_EQ(mine, next);
  json r = jsonOf(runHunter({"rewards", "--config", cfg, "--json"}));
  EXPECT_EQ(r["total"]["accepted"].get<uint64_t>(), next);
  EXPECT_TRUE(dec(r["total"]["reward"]) == chainHunterRewards(*d, me));
  u128 fees = dec(r["total"]["fees"]);
  // Every fee the chain took is in the books, even for bytes sent just before a kill.
  EXPECT_TRUE(chainFree(*d, me) + fees == freeBefore + dec(r["total"]["reward"]))
      << "free " << u128ToString(chainFree(*d, me)) << " + fees " << u128ToString(fees)
      << " vs before " << u128ToString(freeBefore) << " + reward "
      << u128ToString(dec(r["total"]["reward"]));
}

// A proxy in front of worker 0 that breaks a prev_hash link in every GetClusterMessages answer
// (recomputing nothing), and passes everything else through.
TEST(HunterE2E, WorkerLyingAboutTheHashChainIsMarkedFaultyAndBypassed) {
  DevnetOptions o;
  o.clusters[0].initial_backlog = 20;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  const std::string real = d->clusters()[0].workers[0];
  std::atomic<int> lies{0};
  auto proxy =
      startWorkerProxy(real, [&](const adapters::ServerRequest& req, const adapters::HttpReply& r,
                                 adapters::ServerResponse& out) {
        if (req.path.find("GetClusterMessages") != std::string::npos && r.status == 200) {
          json j = json::parse(r.body);
          if (j["messages"].size() > 1) {
            j["messages"][1]["prev_hash"] = "0x" + std::string(64, 'e');
            out.body = j.dump();
            lies++;
          }
        }
      });
  ASSERT_TRUE(proxy.ok()) << proxy.error().message;
  std::string proxyUrl = (*proxy)->baseUrl();
  // The hunter sees the proxy as the cluster's first worker.
  std::string cfg = writeHunterConfig(*d, d->dir());
  {
    std::ifstream in(cfg);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.replace(text.find(real), real.size(), proxyUrl);
    std::ofstream(cfg) << text;
  }
  auto r = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(chainNextSn(*d, cluster), 20u);
  EXPECT_GE(lies.load(), 1);
  auto w = runHunter({"workers", "--config", cfg, "--json"});
  json wj = jsonOf(w);
  bool faulty = false;
  for (auto& x : wj["workers"]) {
    if (x["endpoint"] == proxyUrl) {
      faulty = x["faulty_hash_chain"].get<uint64_t>() >= 1 &&
               x["last_error"].get<std::string>().find("hash chain") != std::string::npos;
    }
  }
  EXPECT_TRUE(faulty) << w.out;
  auto st = runHunter({"status", "--config", cfg});
  EXPECT_NE(st.out.find("divergent worker " + proxyUrl), std::string::npos) << st.out;
  (*proxy)->stop();
}
