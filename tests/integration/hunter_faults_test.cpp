// The faults operators meet every week, end to end: the real `hunter` against the real devnet at
// realistic block times (1 s; 6 s where eras matter). Each scenario ends with the shared books
// check (expectBooksExact). Every wait has a deadline; everything started is stopped.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/app/keyfile.hpp"
#include "hunter_harness.hpp"
#include "support/trickle_server.hpp"

using namespace hunter;
using namespace hunter::testing;
using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

json workerFault(int index, json fault) {
  fault["cluster"] = "alpha";
  fault["index"] = index;
  return {{"worker", fault}};
}

std::string clusterState(const std::string& cfg) {
  auto st = runHunter({"status", "--config", cfg, "--json"});
  if (st.exit_code != 0) return "";
  json j = jsonOf(st);
  if (!j.contains("clusters") || j["clusters"].empty()) return "";
  return j["clusters"][0].value("state", "");
}

// n extra funded accounts with 0600 key files in the devnet's directory; their paths.
struct Keys {
  std::vector<std::string> files;
  std::vector<crypto::AccountId32> ids;
  std::string toml;  // [[accounts]] tables for the devnet config
};
Keys extraKeys(const std::string& dir, size_t n) {
  Keys k;
  for (size_t i = 0; i < n; ++i) {
    auto key = crypto::SecretKey::generate();
    std::string path = dir + "/extra-" + std::to_string(i) + ".key";
    EXPECT_TRUE(app::writeNewKeyFile(path, key).ok());
    auto id = crypto::accountId(key.publicKey());
    k.files.push_back(path);
    k.ids.push_back(id);
    k.toml += "[[accounts]]\naccount = \"" + toHex(id) + "\"\nfree = \"1000000000000000\"\n";
  }
  return k;
}

// Once a fault has ended (1 s blocks): the chain's next sn moves within 3 blocks, and what the
// workers had produced by then goes through within 10 s.
void expectRecoveryWithinThreeBlocks(DevnetProcess& d, HunterService& svc) {
  const H256 cluster = d.clusters()[0].id;
  const uint64_t atClear = chainNextSn(d, cluster);
  auto info = d.workerCall(0, 1, "GetClusterInfo");
  ASSERT_TRUE(info.ok());
  const uint64_t produced = info->json["next_sn"].get<uint64_t>();
  EXPECT_TRUE(
      DevnetProcess::waitUntil([&] { return chainNextSn(d, cluster) > atClear; }, 3s + 500ms))
      << "no progress within 3 blocks of the fault ending\n"
      << svc.log();
  EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(d, cluster) >= produced; }, 10s))
      << chainNextSn(d, cluster) << " of " << produced << "\n"
      << svc.log();
}

// A devnet with one cluster: `block_ms` blocks, `backlog` messages at start, `rate` a second.
std::unique_ptr<DevnetProcess> devnetAt(uint32_t block_ms, uint64_t backlog, double rate) {
  DevnetOptions o;
  o.block_ms = block_ms;
  o.clusters[0].initial_backlog = backlog;
  o.clusters[0].rate = rate;
  return startDevnet(o);
}

std::string tempDir(const std::string& tag) {
  std::string tmpl = "/tmp/hunter-" + tag + "-XXXXXX";
  return mkdtemp(tmpl.data());
}

}  // namespace

// Two of four workers offline for longer than max_message_age_s: the head is reported dead (the
// cluster's state says so), yet retried; once the workers are back the cluster resumes within one
// backoff period, and `hunter retry` cuts a long backoff short. 1 s blocks.
TEST(HunterFaults, ADeadHeadResumesOnceTheWorkersAreBack) {
  auto d = devnetAt(1000, 5, 0);  // no new messages: the head is sn 0, from the backlog
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  for (int w : {2, 3}) ASSERT_TRUE(d->setFault(workerFault(w, {{"offline", true}})).ok());
  HunterConfigOptions ho;
  ho.backoff_base_ms = 500;
  ho.backoff_max_ms = 3000;
  ho.extra_limits = "max_message_age_s = 3\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return clusterState(cfg) == "dead"; }, 30s, 250ms))
        << svc.log();
    EXPECT_NE(svc.log().find("dead: not accepted within 3 s"), std::string::npos) << svc.log();
    EXPECT_EQ(chainNextSn(*d, cluster), 0u);
    for (int w : {2, 3}) ASSERT_TRUE(d->setFault(workerFault(w, {{"clear", true}})).ok());
    auto healed = SteadyClock::now();
    // One backoff period (3 s), the workers' handshake retry (2 s) and two blocks.
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 5; }, 8s))
        << svc.log();
    EXPECT_LT(SteadyClock::now() - healed, 8s);
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return clusterState(cfg) == "ok"; }, 10s, 250ms));
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 5u);
}

TEST(HunterFaults, RetryCutsALongBackoffShort) {
  auto d = devnetAt(1000, 3, 0);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  for (int w : {2, 3}) ASSERT_TRUE(d->setFault(workerFault(w, {{"offline", true}})).ok());
  HunterConfigOptions ho;
  ho.backoff_base_ms = 60'000;  // a first retry a minute away
  ho.backoff_max_ms = 120'000;
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  HunterService svc(cfg, d->dir() + "/hunter.log");
  auto attempted = [&] {  // the head's first attempt failed: it now waits a minute
    auto st = runHunter({"status", "--config", cfg, "--json"});
    return st.out.find("2 of 3 signatures") != std::string::npos;
  };
  ASSERT_TRUE(DevnetProcess::waitUntil(attempted, 20s, 250ms)) << svc.log();
  for (int w : {2, 3}) ASSERT_TRUE(d->setFault(workerFault(w, {{"clear", true}})).ok());
  std::this_thread::sleep_for(3s);  // the workers' handshake is retried every 2 s
  EXPECT_EQ(chainNextSn(*d, cluster), 0u) << "still backing off";
  auto r = runHunter({"retry", "--config", cfg, "--cluster", "alpha"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("alpha: every waiting message is due now"), std::string::npos) << r.out;
  EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 3; }, 5s))
      << svc.log();
  EXPECT_EQ(svc.terminate(), 0);
}

// One worker answers GetClusterMessages with an empty list (re-syncing) while the others hold a
// backlog: the others are asked and the backlog is relayed. 1 s blocks.
TEST(HunterFaults, AWorkerAnsweringEmptyListsDoesNotStopRelaying) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 300;
  o.clusters[0].rate = 10;
  o.clusters[0].extra_toml = "[[clusters.faults]]\nindex = 0\nempty_messages = true\n";
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  std::string cfg = writeHunterConfig(*d, d->dir());
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 300; }, 20s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 300u);
}

// Half of the submissions dropped by the chain's pool for 10 s while a backlog flows: once the
// fault ends, the cluster advances within 3 blocks and the backlog drains, with one account and
// with three. lost_after_s stays at its default (30 s). 1 s blocks.
class DroppedTransactions : public ::testing::TestWithParam<size_t> {};

TEST_P(DroppedTransactions, TheClusterAdvancesWithinThreeBlocksOfTheFaultEnding) {
  const size_t extra = GetParam() - 1;
  std::string keyDir = tempDir("drop");
  Keys keys = extraKeys(keyDir, extra);
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 100;
  o.clusters[0].rate = 20;
  o.extra_toml = keys.toml;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  std::vector<crypto::AccountId32> ids = {devHunter(*d)};
  ids.insert(ids.end(), keys.ids.begin(), keys.ids.end());
  auto accounts = accountsBefore(*d, ids);
  HunterConfigOptions ho;
  ho.batch_size = 8;
  ho.lost_after_s = 30;
  ho.key_files = {d->hunterKeyPath()};
  ho.key_files.insert(ho.key_files.end(), keys.files.begin(), keys.files.end());
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 50; }, 20s))
        << svc.log();
    ASSERT_TRUE(d->setFault({{"chain", {{"drop_rate", 0.5}}}}).ok());
    std::this_thread::sleep_for(10s);
    ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
    expectRecoveryWithinThreeBlocks(*d, svc);
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 100u);
  (void)std::system(("rm -rf " + keyDir).c_str());
}

INSTANTIATE_TEST_SUITE_P(Accounts, DroppedTransactions, ::testing::Values(1, 3),
                         [](const auto& info) { return std::to_string(info.param) + "Accounts"; });

// Every submission dropped for longer than an era (era_period 4 at 6 s blocks: 24 s), so that
// transactions expire in the hunter's hands: once the fault ends the cluster advances within 3
// blocks. 6 s blocks.
TEST(HunterFaults, ExpiredTransactionsRecoverWithinThreeBlocksAtSixSecondBlocks) {
  auto d = devnetAt(6000, 10, 1);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterConfigOptions ho;
  ho.batch_size = 4;
  ho.lost_after_s = 30;
  ho.extra_hunter = "era_period = 4\n";
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  {
    ASSERT_TRUE(d->setFault({{"chain", {{"drop_rate", 1.0}}}}).ok());
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil(
        [&] { return svc.log().find("ancient birth block") != std::string::npos; }, 60s, 250ms))
        << svc.log();
    ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) > 0; }, 18s + 1s))
        << "no progress within 3 blocks of the fault ending\n"
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 1u);
}

// A node that answers 2 s late, against eras of 4 blocks at 1 s blocks: between the head an
// extrinsic's era is anchored at and the pool's check lie at least three late answers (the
// head's batch, the fee, the submission), so every era is over by the time the pool checks it ("bad
// signature" or "ancient birth block"). That is an era that ended, not a key or chain mismatch and
// not an outcome of the messages: the log says so, nothing is booked `rejected`, and once the node
// answers in time again the cluster moves within three blocks, the books exact. (Before: each
// refusal booked `rejected` rows and blamed the key.)
TEST(HunterFaults, ErasThatEndBeforeALateNodeChecksThemAreSignedAgainNotRejected) {
  auto d = devnetAt(1000, 0, 10);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterConfigOptions ho;
  ho.request_timeout_ms = 12'000;
  ho.lost_after_s = 60;
  ho.extra_hunter = "era_period = 4\n";
  const std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  const std::string db = d->dir() + "/hunter.db";
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 20; }, 30s))
        << svc.log();
    ASSERT_TRUE(d->setFault({{"chain", {{"latency_ms", 2000}}}}).ok());
    EXPECT_TRUE(DevnetProcess::waitUntil(
        [&] { return svc.log().find("era ended before the pool checked it") != std::string::npos; },
        60s, 250ms))
        << svc.log();
    ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
    // Answers already on their way come 2 s late still; then three blocks.
    const uint64_t atClear = chainNextSn(*d, cluster);
    const auto cleared = std::chrono::steady_clock::now();
    EXPECT_TRUE(
        DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) > atClear; }, 2s + 3s))
        << "the cluster did not move within three blocks of the node answering in time\n"
        << svc.log();
    std::cout << "moved "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - cleared)
                     .count()
              << " ms after the fault ended\n";
    EXPECT_EQ(svc.log().find("key or chain mismatch"), std::string::npos) << svc.log();
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  EXPECT_EQ(queryInt(db, "SELECT count(*) FROM outcomes WHERE kind = 'rejected'"), 0)
      << "an ended era is no outcome of the messages";
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, db, cluster, accounts), 20u);
}

// The same key twice (a path and a symlink to it) is refused by `config check` and by `run`: one
// account is one nonce sequence.
TEST(HunterFaults, TheSameKeyListedTwiceIsRefused) {
  std::string dir = tempDir("dupkey");
  std::string key = newKeyFile(dir, "h.key");
  ASSERT_EQ(::symlink(key.c_str(), (dir + "/link.key").c_str()), 0);
  std::string cfg = dir + "/h.toml";
  std::ofstream(cfg) << "[chain]\nendpoints = [\"http://127.0.0.1:9\"]\n[hunter]\nkey_files = [\""
                     << key << "\", \"" << dir << "/link.key\"]\ndatabase = \"" << dir
                     << "/h.db\"\n[[clusters]]\nid = \"0x" << std::string(64, 'a')
                     << "\"\nalias = \"alpha\"\nworkers = [\"http://127.0.0.1:9\"]\n";
  for (auto args : std::vector<std::vector<std::string>>{{"config", "check", "--config", cfg},
                                                         {"run", "--config", cfg}}) {
    auto r = runHunter(args, 20s);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("hunter.key_files[1]"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("same key as hunter.key_files[0]"), std::string::npos) << r.err;
  }
  (void)std::system(("rm -rf " + dir).c_str());
}

// Exactly one writer per database: a second `run`, or a `submit` beside a running service, exits
// with an error naming the holder's PID; `status`, `rewards` and `workers` keep working.
TEST(HunterFaults, OneWriterPerDatabase) {
  auto d = devnetAt(1000, 20, 5);
  ASSERT_TRUE(d);
  std::string cfg = writeHunterConfig(*d, d->dir());
  HunterService svc(cfg, d->dir() + "/hunter.log");
  ASSERT_TRUE(
      DevnetProcess::waitUntil([&] { return chainNextSn(*d, d->clusters()[0].id) >= 5; }, 20s))
      << svc.log();
  const std::string pid = std::to_string(svc.pid());
  for (auto args : std::vector<std::vector<std::string>>{
           {"run", "--config", cfg}, {"submit", "--config", cfg, "--cluster", "alpha"}}) {
    auto r = runHunter(args, 20s);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("in use by hunter process " + pid), std::string::npos) << r.err;
  }
  for (auto cmd : {"status", "rewards", "workers"}) {
    auto r = runHunter({cmd, "--config", cfg}, 20s);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.out << r.err;
  }
  EXPECT_EQ(svc.terminate(), 0) << svc.log();
  auto after = runHunter({"submit", "--config", cfg, "--cluster", "alpha", "--max", "0"}, 60s);
  EXPECT_EQ(after.exit_code, 0) << "the lock went with the process: " << after.err;
}

// A database belongs to one chain. Pointed at another chain (another genesis hash) hunter
// refuses to start, naming both hashes and how to start afresh; a failover endpoint of another
// chain is left out while the right one is used, and the books stay exact.
TEST(HunterFaults, AnotherChainIsRefusedAndItsEndpointsAreNotUsed) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 10;
  o.clusters[0].rate = 2;
  auto a = startDevnet(o);
  ASSERT_TRUE(a);
  auto b = startDevnet(o);  // its own directory and key: another genesis
  ASSERT_TRUE(b);
  const H256 cluster = a->clusters()[0].id;
  auto accounts = accountsBefore(*a, {devHunter(*a)});
  std::string cfg = writeHunterConfig(*a, a->dir());
  {
    HunterService svc(cfg, a->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*a, cluster) >= 5; }, 20s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  auto genesisOf = [](DevnetProcess& d) {
    auto r = d.rpcResult("chain_getBlockHash", json::array({0}));
    return r.ok() ? r->get<std::string>() : std::string();
  };
  const std::string ga = genesisOf(*a), gb = genesisOf(*b);
  ASSERT_NE(ga, gb);
  std::string text = readFile(cfg);
  auto withEndpoints = [&](const std::string& endpoints) {
    std::string t = text;
    auto at = t.find("endpoints = [");
    t.replace(at, t.find(']', at) - at + 1, "endpoints = [" + endpoints + "]");
    std::string path = a->dir() + "/other.toml";
    std::ofstream(path) << t;
    return path;
  };
  std::string onlyB = withEndpoints("\"" + b->chainUrl() + "\"");
  for (auto args : std::vector<std::vector<std::string>>{
           {"run", "--config", onlyB}, {"submit", "--config", onlyB, "--cluster", "alpha"}}) {
    auto r = runHunter(args, 30s);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("belongs to the chain with genesis " + ga), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(gb), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("to start afresh"), std::string::npos) << r.err;
  }
  std::string bThenA = withEndpoints("\"" + b->chainUrl() + "\", \"" + a->chainUrl() + "\"");
  {
    HunterService svc(bThenA, a->dir() + "/hunter2.log");
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*a, cluster) >= 12; }, 20s))
        << svc.log();
    EXPECT_NE(svc.log().find("on another chain, not used: " + b->chainUrl()), std::string::npos)
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  EXPECT_EQ(chainNextSn(*b, b->clusters()[0].id), 0u) << "nothing went to the other chain";
  reconcile(*a, cfg);
  EXPECT_GE(expectBooksExact(*a, a->dir() + "/hunter.db", cluster, accounts), 12u);
}

// The devnet restarted under an existing database (same genesis, a new chain from block 0):
// refused, instead of wedging on messages the new chain never saw.
TEST(HunterFaults, AChainResetUnderTheDatabaseIsRefused) {
  DevnetOptions o;
  o.block_ms = 500;
  o.clusters[0].initial_backlog = 5;
  o.clusters[0].rate = 0;
  auto a = startDevnet(o);
  ASSERT_TRUE(a);
  std::string cfg = writeHunterConfig(*a, a->dir());
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto h = a->rpcResult("chain_getHeader");
        return h.ok() && (*h)["number"] != "0x0" && (*h)["number"] != "0x1";
      },
      10s));
  auto first = runHunter({"submit", "--config", cfg, "--cluster", "alpha"}, 60s);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  DevnetOptions again = o;
  again.state_dir = a->dir();
  ASSERT_TRUE(a->terminate().ok());
  auto b = startDevnet(again);
  ASSERT_TRUE(b);
  std::string text = readFile(cfg);
  auto swap = [&](std::string t, const std::string& from, const std::string& to) {
    for (auto at = t.find(from); at != std::string::npos; at = t.find(from, at + to.size()))
      t.replace(at, from.size(), to);
    return t;
  };
  text = swap(text, a->chainUrl(), b->chainUrl());
  for (size_t w = 0; w < a->clusters()[0].workers.size(); ++w)
    text = swap(text, a->clusters()[0].workers[w], b->clusters()[0].workers[w]);
  std::string cfg2 = a->dir() + "/reset.toml";
  std::ofstream(cfg2) << text;
  auto r = runHunter({"submit", "--config", cfg2, "--cluster", "alpha"}, 60s);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("the chain was reset under database"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("to start afresh"), std::string::npos) << r.err;
}

namespace {
// hh:mm:ss.mmm of a log line, in ms of the day (-1 if the line has none).
int64_t logMs(const std::string& line) {
  auto t = line.find('T');
  if (t == std::string::npos || line.size() < t + 13) return -1;
  int h = 0, m = 0, s = 0, ms = 0;
  if (std::sscanf(line.c_str() + t + 1, "%d:%d:%d.%d", &h, &m, &s, &ms) != 4) return -1;
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}
}  // namespace

// A worker that answers SignClusterMessages one byte every 0.5 s (never finishing within the
// request timeout): its probes no longer hold up rounds. Measured as the longest gap between two
// submissions while messages arrive at 5/s, with the default 5 s request timeout. 1 s blocks.
TEST(HunterFaults, ATricklingWorkerDoesNotHoldUpRounds) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 5;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const std::string honest = d->clusters()[0].workers[3];
  TrickleServer trickle(
      [&](const std::string& path, const std::string& body) {
        adapters::HttpClient http;
        adapters::HttpCall call;
        call.url = honest + path;
        call.body = body;
        auto r = http.post(call);
        return r.ok() ? r->body : std::string("{}");
      },
      [](const std::string& path) { return path.find("SignClusterMessages") != std::string::npos; },
      500ms);
  ASSERT_TRUE(trickle.ok());
  HunterConfigOptions ho;
  ho.request_timeout_ms = 5000;
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  std::string text = readFile(cfg);
  text.replace(text.find(honest), honest.size(), trickle.url());
  std::ofstream(cfg) << text;
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  std::string log;
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 5; }, 20s))
        << svc.log();
    std::this_thread::sleep_for(15s);  // three probe intervals of message flow
    log = svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  int64_t last = -1, worst = 0;
  size_t submissions = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" submitted ") == std::string::npos) continue;
    int64_t t = logMs(line);
    if (last >= 0 && t >= last) worst = std::max(worst, t - last);
    last = t;
    submissions++;
  }
  EXPECT_GE(submissions, 20u) << log;
  EXPECT_LT(worst, 1500) << "the longest gap between two submissions, ms\n" << log;
  reconcile(*d, cfg);
  expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts);
}

// Protocol-maximum payloads (65,536 bytes) under the default limits (fetch_limit 1024, 16 MiB
// answers): relayed, with the books exact. 1 s blocks.
TEST(HunterFaults, ProtocolMaximumPayloadsRelayUnderTheDefaults) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].initial_backlog = 200;
  o.clusters[0].rate = 0;
  o.clusters[0].payload_size = 65'536;
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterConfigOptions ho;
  ho.batch_size = 64;  // the default
  ho.max_in_flight = 16;
  ho.request_timeout_ms = 10'000;
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 200; }, 60s))
        << chainNextSn(*d, cluster) << "\n"
        << svc.log();
    EXPECT_EQ(svc.log().find("response larger than"), std::string::npos) << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 200u);
}

// A load balancer in front of two nodes, one of them `lag_blocks` behind (the devnet's /lagging
// view): each request goes to either. Our own accepted messages are never booked
// superseded: ACKs are read at the head's block, which the lagging node does not know (not
// yet), and an absent ACK is never "gone". 1 s blocks.
TEST(HunterFaults, ALaggingNodeBehindALoadBalancerDoesNotMisbook) {
  auto d = devnetAt(1000, 50, 10);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->setFault({{"chain", {{"lag_blocks", 5}}}}).ok());
  const std::vector<std::string> backends = {d->chainUrl(), d->chainUrl() + "/lagging"};
  struct Pick {
    std::mutex mu;
    std::mt19937 rng{7};
  };
  auto pick = std::make_shared<Pick>();
  auto lb = adapters::HttpServer::start(
      "127.0.0.1", 0, [backends, pick](const adapters::ServerRequest& req) {
        adapters::HttpClient http;
        adapters::HttpCall call;
        {
          std::lock_guard lock(pick->mu);
          call.url = backends[pick->rng() % backends.size()];
        }
        call.body = req.body;
        auto r = http.post(call);
        if (!r.ok()) return adapters::ServerResponse{502, "application/json", "{}"};
        return adapters::ServerResponse{static_cast<int>(r->status), "application/json", r->body};
      });
  ASSERT_TRUE(lb.ok());
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  std::string cfg = writeHunterConfig(*d, d->dir());
  std::string text = readFile(cfg);
  text.replace(text.find(d->chainUrl()), d->chainUrl().size(), (*lb)->baseUrl());
  std::ofstream(cfg) << text;
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 150; }, 30s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
  reconcile(*d, cfg);
  (*lb)->stop();
  auto store = adapters::SqliteStore::open(d->dir() + "/hunter.db");
  ASSERT_TRUE(store.ok());
  size_t superseded = 0;
  for (auto& out : (*store)->outcomes(cluster).value()) {
    superseded += out.kind == core::OutcomeKind::kSuperseded ? 1 : 0;
  }
  EXPECT_EQ(superseded, 0u);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 150u);
}

// The -wal file deleted after a crash (SIGKILL): the transactions in it are gone, among them the
// outcomes of messages the chain accepted from us. On restart the journal brings the
// submissions back and the audit books those sns from the chain's ACKs: the books heal. 1 s
// blocks.
TEST(HunterFaults, ADeletedWalAfterACrashHealsFromTheChainsAcks) {
  auto d = devnetAt(1000, 60, 5);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  std::string cfg = writeHunterConfig(*d, d->dir());
  const std::string db = d->dir() + "/hunter.db";
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 40; }, 20s))
        << svc.log();
    svc.kill9();
  }
  struct stat st {};
  ASSERT_EQ(::stat((db + "-wal").c_str(), &st), 0) << "a crash leaves the WAL";
  ASSERT_EQ(::unlink((db + "-wal").c_str()), 0);
  (void)::unlink((db + "-shm").c_str());
  std::string log;
  {
    HunterService svc(cfg, d->dir() + "/hunter2.log");
    EXPECT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 90; }, 30s))
        << svc.log();
    log = svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  EXPECT_NE(log.find("booked from its ACKs"), std::string::npos) << log;
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, db, cluster, accounts), 90u);
}

// A proxy in front of the chain swallows 30 % of author_submitExtrinsic requests for 10 s (never
// forwarded; the hunter's request times out): once it stops, the cluster advances within 3
// blocks and the backlog drains. 1 s blocks.
TEST(HunterFaults, BlackholedSubmissionsRecoverWithinThreeBlocks) {
  auto d = devnetAt(1000, 60, 10);
  ASSERT_TRUE(d);
  struct Hole {
    std::mutex mu;
    std::mt19937 rng{11};
    std::atomic<bool> on{false};
  };
  auto hole = std::make_shared<Hole>();
  const std::string chain = d->chainUrl();
  auto proxy = adapters::HttpServer::start(
      "127.0.0.1", 0, [chain, hole](const adapters::ServerRequest& req) {
        bool swallow = false;
        if (hole->on && req.body.find("author_submitExtrinsic") != std::string::npos) {
          std::lock_guard lock(hole->mu);
          swallow = hole->rng() % 10 < 3;
        }
        if (swallow) {  // held past the hunter's 2 s timeout, never forwarded
          std::this_thread::sleep_for(2500ms);
          return adapters::ServerResponse{504, "application/json", "{}"};
        }
        adapters::HttpClient http;
        adapters::HttpCall call;
        call.url = chain + req.path;
        call.body = req.body;
        auto r = http.post(call);
        if (!r.ok()) return adapters::ServerResponse{502, "application/json", "{}"};
        return adapters::ServerResponse{static_cast<int>(r->status), "application/json", r->body};
      });
  ASSERT_TRUE(proxy.ok());
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterConfigOptions ho;
  ho.batch_size = 8;
  ho.lost_after_s = 30;
  std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  std::string text = readFile(cfg);
  text.replace(text.find(chain), chain.size(), (*proxy)->baseUrl());
  std::ofstream(cfg) << text;
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 30; }, 20s))
        << svc.log();
    hole->on = true;
    std::this_thread::sleep_for(10s);
    hole->on = false;
    std::this_thread::sleep_for(2600ms);  // the last swallowed request times out
    expectRecoveryWithinThreeBlocks(*d, svc);
    EXPECT_EQ(svc.terminate(), 0) << svc.log();
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 100u);
  (*proxy)->stop();
}

// payment_queryInfo fails while submissions go through (the chain's fault query_info_fails): no
// fee is booked as 0; each is asked again before its messages are booked, and the books equal
// what the chain took. 1 s blocks.
TEST(HunterFaults, FeesAreNeverGuessedWhenTheFeeQueryFails) {
  auto d = devnetAt(1000, 20, 5);
  ASSERT_TRUE(d);
  const H256 cluster = d->clusters()[0].id;
  auto accounts = accountsBefore(*d, {devHunter(*d)});
  ASSERT_TRUE(d->setFault({{"chain", {{"query_info_fails", true}}}}).ok());
  std::string cfg = writeHunterConfig(*d, d->dir());
  {
    HunterService svc(cfg, d->dir() + "/hunter.log");
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 30; }, 20s))
        << svc.log();
    ASSERT_TRUE(d->setFault({{"chain", {{"clear", true}}}}).ok());
    ASSERT_TRUE(DevnetProcess::waitUntil([&] { return chainNextSn(*d, cluster) >= 40; }, 20s))
        << svc.log();
    EXPECT_EQ(svc.terminate(), 0);
  }
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, d->dir() + "/hunter.db", cluster, accounts), 40u);
}
