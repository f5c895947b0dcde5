// hunter-devnet as a process, over HTTP: startup, workers, messages, an accepted extrinsic,
// divergence and self-stop, faults, SIGTERM.
#include <gtest/gtest.h>

#include <chrono>

#include <cstdio>
#include <filesystem>
#include <map>

#include "devnet_harness.hpp"
#include "hunter/core/extrinsic.hpp"
#include "hunter/core/storage.hpp"

namespace hunter::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::unique_ptr<DevnetProcess> startDevnet(const DevnetOptions& o = {}) {
  auto dn = DevnetProcess::start(o);
  if (!dn.ok()) ADD_FAILURE() << dn.error().code << ": " << dn.error().message;
  return dn.ok() ? std::move(dn).value() : nullptr;
}

std::vector<core::HashedMessage> parseMessages(const json& arr, const H256& cluster) {
  std::vector<core::HashedMessage> out;
  for (const auto& m : arr) {
    core::HashedMessage h;
    h.msg.message.sender = core::MessageOrigin::cluster(cluster);
    h.msg.message.destination = *fromHex(m.at("destination").get<std::string>());
    h.msg.message.payload = *fromHex(m.at("payload").get<std::string>());
    h.msg.sn = m.at("sn").get<uint64_t>();
    h.msg.prev_hash = *fixedFromHex<32>(m.at("prev_hash").get<std::string>());
    h.msg.state_root = *fixedFromHex<32>(m.at("state_root").get<std::string>());
    h.hash = *fixedFromHex<32>(m.at("hash").get<std::string>());
    out.push_back(std::move(h));
  }
  return out;
}

json messagesReq(const DevnetClusterInfo& c, uint64_t from, uint64_t limit) {
  return {{"cluster", toHex(c.id)}, {"from_sn", from}, {"limit", limit}};
}

// Waits until worker `w` has produced at least `n` messages and returns sn 0..n-1.
std::vector<core::HashedMessage> waitMessages(DevnetProcess& dn, size_t w, uint64_t n) {
  const auto& c = dn.clusters()[0];
  std::vector<core::HashedMessage> out;
  bool ok = DevnetProcess::waitUntil(
      [&] {
        auto r = dn.workerCall(0, w, "GetClusterMessages", messagesReq(c, 0, n));
        if (!r.ok() || r->status != 200) return false;
        out = parseMessages(r->json["messages"], c.id);
        return out.size() >= n;
      },
      20s);
  EXPECT_TRUE(ok) << "worker " << w << " did not produce " << n << " messages";
  return out;
}

json signReq(const DevnetClusterInfo& c, const std::vector<core::HashedMessage>& msgs) {
  json items = json::array();
  for (const auto& m : msgs) items.push_back({{"sn", m.msg.sn}, {"hash", toHex(m.hash)}});
  return {{"cluster", toHex(c.id)}, {"items", items}};
}

// Signatures of `workers` for each message, in worker order.
std::vector<std::vector<crypto::Signature>> collectSignatures(
    DevnetProcess& dn, const std::vector<size_t>& workers,
    const std::vector<core::HashedMessage>& msgs) {
  std::vector<std::vector<crypto::Signature>> sigs(msgs.size());
  for (size_t w : workers) {
    auto r = dn.workerCall(0, w, "SignClusterMessages", signReq(dn.clusters()[0], msgs));
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
    if (!r.ok()) continue;
    const json& res = r->json["results"];
    for (size_t i = 0; i < msgs.size(); ++i) {
      auto sig = fixedFromHex<65>(res.at(i).value("signature", ""));
      EXPECT_TRUE(sig.ok()) << res.at(i).dump();
      if (sig.ok()) sigs[i].push_back(*sig);
    }
  }
  return sigs;
}

struct Submission {
  Bytes extrinsic;
  json response;
};

Submission submitBatch(DevnetProcess& dn, const std::vector<core::HashedMessage>& msgs,
                       const std::vector<std::vector<crypto::Signature>>& sigs) {
  auto key = dn.hunterKey();
  EXPECT_TRUE(key.ok());
  core::ChainParams params;
  params.genesis_hash =
      *fixedFromHex<32>(dn.rpcResult("chain_getBlockHash", {0})->get<std::string>());
  json version = *dn.rpcResult("state_getRuntimeVersion");
  params.spec_version = version.at("specVersion").get<uint32_t>();
  params.transaction_version = version.at("transactionVersion").get<uint32_t>();
  crypto::AccountId32 account = crypto::accountId(key->publicKey());
  json nonce = *dn.rpcResult("system_accountNextIndex", {toHex(account)});

  core::ClusterCall call;
  call.batch = msgs.size() > 1;
  for (size_t i = 0; i < msgs.size(); ++i) call.items.push_back({msgs[i].msg, sigs[i]});
  core::TxExtra extra;
  extra.era = core::Era::immortal();
  extra.nonce = nonce.get<uint32_t>();
  Submission s;
  s.extrinsic =
      core::buildSignedExtrinsic(*key, core::encodeCall(call), extra, params, params.genesis_hash);
  s.response = *dn.rpc("author_submitExtrinsic", {toHex(s.extrinsic)});
  return s;
}

std::optional<core::AckRecord> readAck(DevnetProcess& dn, const H256& cluster, uint64_t sn) {
  auto r = dn.rpcResult("state_getStorage", {toHex(core::acksKey(cluster, sn))});
  if (!r.ok() || !r->is_string()) return std::nullopt;
  auto bytes = fromHex(r->get<std::string>());
  if (!bytes.ok()) return std::nullopt;
  auto ack = core::decodeAckRecord(*bytes);
  return ack.ok() ? std::optional<core::AckRecord>(*ack) : std::nullopt;
}

TEST(DevnetProcess, StartsAndEveryWorkerAnswers) {
  auto wallMs = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const int64_t beforeStart = wallMs();
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  EXPECT_EQ(*dn->rpcResult("system_chain"), "Phala Cluster Devnet");
  ASSERT_EQ(dn->clusters().size(), 1u);
  const auto& c = dn->clusters()[0];
  EXPECT_EQ(c.alias, "alpha");
  EXPECT_EQ(c.threshold, 3u);
  ASSERT_EQ(c.workers.size(), 4u);
  for (size_t w = 0; w < 4; ++w) {
    auto r = dn->workerCall(0, w, "GetClusterInfo", json::object());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->json["protocol"], "phala-cluster-mq");
    EXPECT_EQ(r->json["version"], "1.0.0");
    EXPECT_EQ(r->json["public_key"], toHex(c.public_keys[w]));
    EXPECT_EQ(r->json["clusters"], json::array({toHex(c.id)}));
  }
  // Genesis registers exactly these workers.
  auto info = dn->rpcResult("state_getStorage", {toHex(core::clustersKey(c.id))});
  ASSERT_TRUE(info.ok());
  auto decoded = core::decodeClusterInfo(*fromHex(info->get<std::string>()));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->workers, c.public_keys);
  EXPECT_EQ(decoded->threshold, 3u);
  // The key file is 0600 "0x<hex>\n" and its account is funded.
  auto key = dn->hunterKey();
  ASSERT_TRUE(key.ok());
  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  std::string account = toHex(crypto::accountId(key->publicKey()));
  EXPECT_NE((*st)["accounts"][account]["free"], "0");
  EXPECT_TRUE((*st)["stopped_workers"].empty());
  // When the producers started, on the wall clock (the bench's "due" time of each message).
  const int64_t started = (*st)["devnet"]["started_ms"].get<int64_t>();
  EXPECT_GE(started, beforeStart);
  EXPECT_LE(started, wallMs());
  // Its five servers share a pool of 8 threads, not cpprestsdk's 40 (plus its own few).
  size_t threads = 0;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(dn->pid()) + "/task")) {
    (void)e;
    ++threads;
  }
  EXPECT_GT(threads, 8u);
  EXPECT_LT(threads, 20u);
  // Unknown worker method and path.
  auto nf = dn->workerCall(0, 0, "Nope", json::object());
  ASSERT_TRUE(nf.ok());
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(nf->json["code"], "not_found");
}

TEST(DevnetProcess, MessagesAreProducedIdenticallyAndHashChained) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  auto msgs = waitMessages(*dn, 0, 10);
  ASSERT_GE(msgs.size(), 10u);
  EXPECT_TRUE(core::checkHashChain(msgs, H256{}).ok());
  for (const auto& m : msgs) EXPECT_EQ(core::messageHash(m.msg), m.hash);
  for (size_t w = 1; w < 4; ++w) {
    auto other = waitMessages(*dn, w, 10);
    ASSERT_GE(other.size(), 10u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(other[i].hash, msgs[i].hash);
  }
  // Production goes on.
  const auto& c = dn->clusters()[0];
  EXPECT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto st = dn->state();
        return st.ok() && (*st)["clusters"][toHex(c.id)]["produced"].get<uint64_t>() >= 20;
      },
      20s));
}

TEST(DevnetProcess, SignedExtrinsicIsAcceptedAndAcked) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  const auto& c = dn->clusters()[0];
  auto msgs = waitMessages(*dn, 0, 3);
  ASSERT_EQ(msgs.size(), 3u);
  auto sigs = collectSignatures(*dn, {0, 1, 2}, msgs);
  for (const auto& s : sigs) ASSERT_EQ(s.size(), 3u);
  Submission sub = submitBatch(*dn, msgs, sigs);
  ASSERT_TRUE(sub.response.contains("result")) << sub.response.dump();
  EXPECT_EQ(sub.response["result"], toHex(core::txHash(sub.extrinsic)));

  auto key = dn->hunterKey();
  crypto::AccountId32 hunter = crypto::accountId(key->publicKey());
  std::optional<core::AckRecord> ack;
  ASSERT_TRUE(
      DevnetProcess::waitUntil([&] { return (ack = readAck(*dn, c.id, 2)).has_value(); }, 20s));
  EXPECT_EQ(ack->hash, msgs[2].hash);
  EXPECT_EQ(ack->state_root, msgs[2].msg.state_root);
  EXPECT_EQ(ack->hunter, hunter);
  EXPECT_EQ(ack->reward, static_cast<u128>(1'000'000'000));
  ASSERT_TRUE(readAck(*dn, c.id, 0).has_value());

  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  const json& cs = (*st)["clusters"][toHex(c.id)];
  EXPECT_EQ(cs["next_sn"], 3);
  EXPECT_EQ(cs["accepted"], 3);
  EXPECT_GE(cs["produced"].get<uint64_t>(), 3u);
  const json& acc = (*st)["accounts"][toHex(hunter)];
  EXPECT_EQ(acc["rewards"], "3000000000");
  EXPECT_NE(acc["fees_paid"], "0");
  // Workers purged what the chain acknowledged.
  EXPECT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto r = dn->workerCall(0, 3, "GetClusterMessages", messagesReq(c, 0, 1));
        return r.ok() && r->status == 200 && !r->json["messages"].empty() &&
               r->json["messages"][0]["sn"] == 3;
      },
      10s));
  for (size_t w = 0; w < 4; ++w) {
    auto r = dn->workerCall(0, w, "GetClusterInfo", json::object());
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->json.contains("stopped"));
  }
}

TEST(DevnetProcess, BadSignaturesAreRejectedByTheChain) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  ASSERT_TRUE(
      dn->setFault({{"worker", {{"cluster", "alpha"}, {"index", 1}, {"bad_signatures", true}}}})
          .ok());
  auto msgs = waitMessages(*dn, 0, 1);
  auto sigs = collectSignatures(*dn, {0, 1, 2}, msgs);
  Submission sub = submitBatch(*dn, msgs, sigs);
  ASSERT_TRUE(sub.response.contains("error")) << sub.response.dump();
  EXPECT_EQ(sub.response["error"]["code"], 1010);
  EXPECT_EQ(sub.response["error"]["data"], "Custom error: 5");
  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["rejections"]["Custom error: 5"], 1) << (*st)["rejections"].dump();
}

TEST(DevnetProcess, DivergedWorkerRefusesThenStopsOnTheHonestAck) {
  DevnetOptions o;
  o.clusters[0].extra_toml = "[[clusters.faults]]\nindex = 3\ndiverge_from = 2\n";
  auto dn = startDevnet(o);
  ASSERT_TRUE(dn);
  const auto& c = dn->clusters()[0];
  auto msgs = waitMessages(*dn, 0, 4);
  auto own = waitMessages(*dn, 3, 4);
  ASSERT_EQ(own.size(), 4u);
  EXPECT_EQ(own[1].hash, msgs[1].hash);
  EXPECT_NE(own[2].hash, msgs[2].hash);
  EXPECT_TRUE(core::checkHashChain(own, H256{}).ok());

  auto r = dn->workerCall(0, 3, "SignClusterMessages", signReq(c, msgs));
  ASSERT_TRUE(r.ok() && r->status == 200);
  const json& res = r->json["results"];
  EXPECT_TRUE(res[1].contains("signature"));
  EXPECT_EQ(res[2]["code"], "diverged");
  EXPECT_EQ(res[2]["local_hash"], toHex(own[2].hash));

  std::vector<core::HashedMessage> first3(msgs.begin(), msgs.begin() + 3);
  Submission sub = submitBatch(*dn, first3, collectSignatures(*dn, {0, 1, 2}, first3));
  ASSERT_TRUE(sub.response.contains("result")) << sub.response.dump();

  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto m = dn->workerCall(0, 3, "GetClusterMessages", messagesReq(c, 0, 1));
        return m.ok() && m->status == 500 && m->json["code"] == "stopped";
      },
      20s))
      << dn->logTail();
  auto info = dn->workerCall(0, 3, "GetClusterInfo", json::object());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, 200);
  EXPECT_EQ(info->json["stopped"], true);
  auto sign = dn->workerCall(0, 3, "SignClusterMessages", signReq(c, {}));
  ASSERT_TRUE(sign.ok());
  EXPECT_EQ(sign->status, 500);
  EXPECT_EQ(sign->json["code"], "stopped");
  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  ASSERT_EQ((*st)["stopped_workers"].size(), 1u);
  EXPECT_EQ((*st)["stopped_workers"][0]["index"], 3);
  EXPECT_EQ((*st)["stopped_workers"][0]["alias"], "alpha");
  // The honest workers go on.
  auto honest = dn->workerCall(0, 0, "GetClusterMessages", messagesReq(c, 0, 1));
  ASSERT_TRUE(honest.ok());
  EXPECT_EQ(honest->status, 200);
}

TEST(DevnetProcess, WorkerFaultsSlowGarbageFlakyOffline) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  auto fault = [&](json f) {
    f["cluster"] = toHex(dn->clusters()[0].id);
    f["index"] = 2;
    auto r = dn->setFault({{"worker", f}});
    ASSERT_TRUE(r.ok()) << r.error().message;
  };

  fault({{"slow_ms", 400}});
  auto slow = dn->workerCall(0, 2, "GetClusterInfo");
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->status, 200);
  EXPECT_GE(slow->elapsed, 400ms);

  fault({{"clear", true}, {"garbage", true}});
  auto garbage = dn->workerCall(0, 2, "GetClusterInfo");
  ASSERT_TRUE(garbage.ok());
  EXPECT_EQ(garbage->status, 200);
  EXPECT_TRUE(garbage->json.is_null()) << garbage->body;

  fault({{"clear", true}, {"flaky_rate", 1.0}});
  auto flaky = dn->workerCall(0, 2, "GetClusterInfo");
  ASSERT_TRUE(flaky.ok());
  EXPECT_EQ(flaky->status, 500);
  EXPECT_EQ(flaky->json["code"], "internal");

  fault({{"clear", true}, {"offline", true}});
  auto offline = dn->workerCall(0, 2, "GetClusterInfo", json::object(), 2s);
  EXPECT_FALSE(offline.ok());
  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["clusters"][toHex(dn->clusters()[0].id)]["workers"][2]["faults"]["offline"],
            true);
  // Back on the same URL.
  fault({{"offline", false}});
  auto back = dn->workerCall(0, 2, "GetClusterInfo");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->status, 200);
  // Other workers were never affected.
  auto other = dn->workerCall(0, 1, "GetClusterInfo");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 200);

  // Bad fault requests are refused with the field named.
  auto bad = dn->setFault({{"worker", {{"cluster", "alpha"}, {"index", 9}}}});
  EXPECT_FALSE(bad.ok());
  auto typo = dn->setFault({{"worker", {{"cluster", "alpha"}, {"index", 0}, {"slowms", 5}}}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("slowms"), std::string::npos);
}

TEST(DevnetProcess, ChainUnavailableThenBackAndLatency) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  ASSERT_TRUE(dn->setFault({{"chain", {{"unavailable_ms", 800}}}}).ok());
  auto down = dn->rpc("system_chain");
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.error().message.find("503"), std::string::npos) << down.error().message;
  // Admin endpoints still answer during the outage.
  auto st = dn->state();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["devnet"]["chain_faults"]["unavailable"], true);
  EXPECT_TRUE(DevnetProcess::waitUntil([&] { return dn->rpc("system_chain").ok(); }, 10s));

  ASSERT_TRUE(dn->setFault({{"chain", {{"latency_ms", 300}}}}).ok());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(dn->rpc("system_chain").ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  ASSERT_TRUE(dn->setFault({{"chain", {{"clear", true}}}}).ok());
  st = dn->state();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["devnet"]["chain_faults"]["latency_ms"], 0);

  ASSERT_TRUE(dn->setFault({{"chain", {{"unavailable", true}}}}).ok());
  EXPECT_FALSE(dn->rpc("system_chain").ok());
  ASSERT_TRUE(dn->setFault({{"chain", {{"unavailable", false}}}}).ok());
  EXPECT_TRUE(dn->rpc("system_chain").ok());
}

TEST(DevnetProcess, SigtermExitsZeroQuickly) {
  auto dn = startDevnet();
  ASSERT_TRUE(dn);
  // Keep a slow request in flight: shutdown must not wait for it.
  ASSERT_TRUE(
      dn->setFault({{"worker", {{"cluster", "alpha"}, {"index", 0}, {"slow_ms", 60000}}}}).ok());
  std::thread slow([&] {
    adapters::HttpClient client;
    (void)client.post(
        {dn->clusters()[0].workers[0] + "/prpc/PhactoryAPI.GetClusterInfo?json", "{}", 20000ms});
  });
  std::string id = toHex(dn->clusters()[0].id);
  ASSERT_TRUE(DevnetProcess::waitUntil(
      [&] {
        auto st = dn->state();
        return st.ok() && (*st)["clusters"][id]["workers"][0]["inflight"].get<int>() >= 1;
      },
      10s));
  auto t0 = std::chrono::steady_clock::now();
  auto code = dn->terminate(10s);
  slow.join();
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 0) << dn->logTail();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(DevnetProcess, ConfigErrorsNameKeyAndLine) {
  DevnetOptions o;
  o.extra_toml = "bogus_key = 1\n";
  o.start_timeout = 10s;
  auto dn = DevnetProcess::start(o);
  ASSERT_FALSE(dn.ok());
  EXPECT_NE(dn.error().message.find("bogus_key"), std::string::npos) << dn.error().message;
  EXPECT_NE(dn.error().message.find("devnet.toml:7"), std::string::npos) << dn.error().message;
}

TEST(DevnetProcess, TwoClustersAndInitialBacklog) {
  DevnetOptions o;
  o.clusters[0].rate = 0;
  o.clusters[0].initial_backlog = 1000;
  DevnetClusterOptions beta;
  beta.alias = "beta";
  beta.workers = 2;
  beta.threshold = 2;
  o.clusters.push_back(beta);
  auto dn = startDevnet(o);
  ASSERT_TRUE(dn);
  ASSERT_EQ(dn->clusters().size(), 2u);
  EXPECT_NE(dn->clusters()[0].id, dn->clusters()[1].id);
  EXPECT_EQ(dn->clusters()[1].workers.size(), 2u);
  auto info = dn->workerCall(0, 0, "GetClusterInfo");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->json["pending_messages"], 1000);
  auto r = dn->workerCall(0, 1, "GetClusterMessages", messagesReq(dn->clusters()[0], 0, 4096));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->json["messages"].size(), 1000u);
  EXPECT_EQ(r->json["next_sn"], 1000);
  auto over = dn->workerCall(0, 1, "GetClusterMessages", messagesReq(dn->clusters()[0], 0, 4097));
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->status, 400);
  EXPECT_EQ(over->json["code"], "bad_request");
  auto wrong = dn->workerCall(1, 0, "GetClusterMessages", messagesReq(dn->clusters()[0], 0, 1));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 500);
  EXPECT_EQ(wrong->json["code"], "unknown_cluster");
}

// A measurement, not a check: run with --gtest_also_run_disabled_tests.
TEST(DevnetProcess, DISABLED_SignThroughput) {
  DevnetOptions o;
  o.clusters[0].rate = 0;
  o.clusters[0].initial_backlog = 4096;
  o.clusters[0].payload_size = 256;
  auto dn = startDevnet(o);
  ASSERT_TRUE(dn);
  const auto& c = dn->clusters()[0];
  std::vector<core::HashedMessage> all;
  for (uint64_t from = 0; from < 4096; from += 1024) {
    auto r = dn->workerCall(0, 0, "GetClusterMessages", messagesReq(c, from, 1024));
    ASSERT_TRUE(r.ok());
    auto part = parseMessages(r->json["messages"], c.id);
    all.insert(all.end(), part.begin(), part.end());
  }
  ASSERT_EQ(all.size(), 4096u);
  size_t items = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 5s) {
    size_t off = (items / 512 * 512) % 4096;
    std::vector<core::HashedMessage> batch(all.begin() + off, all.begin() + off + 512);
    auto r = dn->workerCall(0, 1, "SignClusterMessages", signReq(c, batch), 30s);
    ASSERT_TRUE(r.ok() && r->status == 200);
    items += 512;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("one worker: %zu sign items in %.2f s = %.0f items/s (batches of 512)\n", items, secs,
              static_cast<double>(items) / secs);
}

}  // namespace
}  // namespace hunter::testing
