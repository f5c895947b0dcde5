#include "hunter/devnet/worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "hunter/crypto/hash.hpp"

namespace hunter::devnet {
namespace {

using nlohmann::json;

H256 clusterId(std::string_view name) { return crypto::blake2_256(name); }

StreamSpec spec(std::string seed = "alpha", size_t payload = 64) {
  StreamSpec s;
  s.cluster = clusterId(seed);
  s.seed = std::move(seed);
  s.payload_size = payload;
  return s;
}

json call(DevWorker& w, std::string_view method, const json& body, int want_status = 200) {
  WorkerReply r = w.handle(method, body.is_null() ? std::string() : body.dump());
  EXPECT_EQ(r.status, want_status) << method << " -> " << r.body;
  return json::parse(r.body);
}

json messagesReq(const H256& cluster, uint64_t from, std::optional<uint64_t> limit = {}) {
  json j = {{"cluster", toHex(cluster)}, {"from_sn", from}};
  if (limit) j["limit"] = *limit;
  return j;
}

json signReq(const H256& cluster, const std::vector<std::pair<uint64_t, H256>>& items) {
  json arr = json::array();
  for (auto& [sn, h] : items) arr.push_back({{"sn", sn}, {"hash", toHex(h)}});
  return {{"cluster", toHex(cluster)}, {"items", arr}};
}

std::vector<core::HashedMessage> toHashed(const json& messages, const H256& cluster) {
  std::vector<core::HashedMessage> out;
  for (const auto& m : messages) {
    core::HashedMessage h;
    h.msg.message.sender = core::MessageOrigin::cluster(cluster);
    h.msg.message.destination = *fromHex(m["destination"].get<std::string>());
    h.msg.message.payload = *fromHex(m["payload"].get<std::string>());
    h.msg.sn = m["sn"].get<uint64_t>();
    h.msg.prev_hash = *fixedFromHex<32>(m["prev_hash"].get<std::string>());
    h.msg.state_root = *fixedFromHex<32>(m["state_root"].get<std::string>());
    h.hash = *fixedFromHex<32>(m["hash"].get<std::string>());
    out.push_back(std::move(h));
  }
  return out;
}

core::AckRecord ackFor(const H256& hash) {
  core::AckRecord a;
  a.hash = hash;
  return a;
}

TEST(MessageStream, DeterministicAndHashChained) {
  MessageStream a(spec()), b(spec());
  a.produceUpTo(50);
  b.produceUpTo(20);
  b.produceUpTo(50);
  ASSERT_EQ(a.produced(), 50u);
  H256 prev{};
  for (uint64_t sn = 0; sn < 50; ++sn) {
    auto ea = a.get(sn), eb = b.get(sn);
    ASSERT_TRUE(ea && eb);
    EXPECT_EQ(ea->msg, eb->msg);
    EXPECT_EQ(ea->hash, core::messageHash(ea->msg));
    EXPECT_EQ(ea->msg.prev_hash, prev);
    EXPECT_EQ(ea->msg.sn, sn);
    EXPECT_EQ(ea->msg.message.payload.size(), 64u);
    EXPECT_TRUE(core::validateMessageRules(ea->msg).ok());
    EXPECT_EQ(ea->msg.clusterId(), clusterId("alpha"));
    prev = ea->hash;
  }
  // Another seed gives other messages.
  MessageStream c(spec("beta"));
  c.produceUpTo(1);
  EXPECT_NE(c.get(0)->hash, a.get(0)->hash);
}

TEST(MessageStream, PayloadSizesAndPurge) {
  for (size_t size : {0u, 1u, 31u, 32u, 33u, 1000u, 65536u, 70000u}) {
    MessageStream s(spec("alpha", size));
    s.produceUpTo(2);
    EXPECT_EQ(s.get(1)->msg.message.payload.size(), std::min<size_t>(size, core::kMaxPayload));
  }
  MessageStream s(spec());
  s.produceUpTo(10);
  H256 h4 = s.get(4)->hash;
  s.purgeThrough(4);
  EXPECT_EQ(s.oldest(), 5u);
  EXPECT_EQ(s.held(), 5u);
  EXPECT_EQ(s.get(4), nullptr);
  EXPECT_EQ(s.linkBefore(5).first, h4);
  EXPECT_EQ(s.range(0, 100).front()->msg.sn, 5u);
  s.purgeThrough(100);
  EXPECT_EQ(s.held(), 0u);
  EXPECT_EQ(s.oldest(), 10u);
  s.produceUpTo(11);
  EXPECT_EQ(s.get(10)->msg.sn, 10u);
}

TEST(MessageStream, MaxPendingBoundsMemory) {
  StreamSpec sp = spec();
  sp.max_pending = 8;
  MessageStream s(sp);
  EXPECT_EQ(s.produceUpTo(100), 8u);
  EXPECT_EQ(s.produced(), 8u);
  s.purgeThrough(2);
  EXPECT_EQ(s.produceUpTo(100), 3u);
  EXPECT_EQ(s.held(), 8u);
}

TEST(DevCluster, WorkerKeysAreDeterministicAndDistinct) {
  DevCluster a(spec(), 4), b(spec(), 4);
  EXPECT_EQ(a.workerKeys(), b.workerKeys());
  auto keys = a.workerKeys();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(std::unique(keys.begin(), keys.end()), keys.end());
  EXPECT_EQ(a.worker(2).publicKey(),
            DevCluster::workerKey("alpha", clusterId("alpha"), 2).publicKey());
  DevCluster c(spec("beta"), 4);
  EXPECT_NE(c.workerKeys()[0], a.workerKeys()[0]);
}

TEST(DevWorker, ClusterInfo) {
  DevCluster c(spec(), 3);
  c.produceUpTo(7);
  json info = call(c.worker(1), "GetClusterInfo", nullptr);
  EXPECT_EQ(info["protocol"], "phala-cluster-mq");
  EXPECT_EQ(info["version"], "1.0.0");
  EXPECT_EQ(info["public_key"], toHex(c.worker(1).publicKey()));
  EXPECT_EQ(info["clusters"], json::array({toHex(c.id())}));
  EXPECT_EQ(info["pending_messages"], 7);
  EXPECT_FALSE(info.contains("stopped"));
  // Unknown fields ignored; empty body and "{}" alike.
  call(c.worker(0), "GetClusterInfo", json{{"whatever", 1}});
  EXPECT_EQ(c.worker(0).handlePath("/prpc/PhactoryAPI.GetClusterInfo", "").status, 200);
  EXPECT_EQ(c.worker(0).handlePath("/other", "").status, 404);
  json nf = call(c.worker(0), "NoSuchMethod", json::object(), 404);
  EXPECT_EQ(nf["code"], "not_found");
}

TEST(DevWorker, MessagesIdenticalAcrossWorkersAndChained) {
  DevCluster c(spec(), 4);
  c.produceUpTo(300);
  json first = call(c.worker(0), "GetClusterMessages", messagesReq(c.id(), 0));
  EXPECT_EQ(first["messages"].size(), kDefaultLimit);  // default limit
  EXPECT_EQ(first["next_sn"], 300);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(call(c.worker(i), "GetClusterMessages", messagesReq(c.id(), 0)), first);
  }
  auto run = toHashed(first["messages"], c.id());
  EXPECT_TRUE(core::checkHashChain(run, H256{}).ok());
  json rest = call(c.worker(2), "GetClusterMessages", messagesReq(c.id(), 256, 4096));
  ASSERT_EQ(rest["messages"].size(), 44u);
  EXPECT_TRUE(core::checkHashChain(toHashed(rest["messages"], c.id()), run.back().hash).ok());
  json none = call(c.worker(2), "GetClusterMessages", messagesReq(c.id(), 1000));
  EXPECT_TRUE(none["messages"].empty());
  EXPECT_EQ(call(c.worker(2), "GetClusterMessages", messagesReq(c.id(), 3, 0))["messages"].size(),
            0u);
}

TEST(DevWorker, BadRequests) {
  DevCluster c(spec(), 1);
  DevWorker& w = c.worker(0);
  auto code = [&](std::string_view method, std::string body, int status) {
    WorkerReply r = w.handle(method, body);
    EXPECT_EQ(r.status, status) << body << " -> " << r.body;
    return json::parse(r.body)["code"].get<std::string>();
  };
  EXPECT_EQ(code("GetClusterMessages", "{not json", 400), "bad_request");
  EXPECT_EQ(code("GetClusterMessages", "[1]", 400), "bad_request");
  EXPECT_EQ(code("GetClusterMessages", "{}", 400), "bad_request");  // no cluster
  EXPECT_EQ(code("GetClusterMessages", messagesReq(c.id(), 0, 4097).dump(), 400), "bad_request");
  EXPECT_EQ(code("GetClusterMessages", R"({"cluster":"0x12","from_sn":0})", 400), "bad_request");
  json neg = messagesReq(c.id(), 0);
  neg["from_sn"] = -1;
  EXPECT_EQ(code("GetClusterMessages", neg.dump(), 400), "bad_request");
  neg["from_sn"] = "5";
  EXPECT_EQ(code("GetClusterMessages", neg.dump(), 400), "bad_request");
  EXPECT_EQ(code("GetClusterMessages", messagesReq(clusterId("other"), 0).dump(), 500),
            "unknown_cluster");
  // Upper-case hex with 0X prefix is accepted.
  std::string upper = toHex(c.id()).substr(2);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(ch));
  EXPECT_EQ(w.handle("GetClusterMessages", R"({"cluster":"0X)" + upper + R"("})").status, 200);

  EXPECT_EQ(code("SignClusterMessages", "{}", 400), "bad_request");
  json items = json::array();
  for (int i = 0; i < 4097; ++i) items.push_back({{"sn", i}, {"hash", toHex(H256{})}});
  EXPECT_EQ(
      code("SignClusterMessages", json{{"cluster", toHex(c.id())}, {"items", items}}.dump(), 400),
      "bad_request");
  EXPECT_EQ(code("SignClusterMessages",
                 json{{"cluster", toHex(c.id())}, {"items", {{{"sn", 1}}}}}.dump(), 400),
            "bad_request");
  EXPECT_EQ(
      code("SignClusterMessages",
           json{{"cluster", toHex(c.id())}, {"items", {{{"hash", toHex(H256{})}}}}}.dump(), 400),
      "bad_request");
  EXPECT_EQ(code("SignClusterMessages", signReq(clusterId("x"), {}).dump(), 500),
            "unknown_cluster");
  json ok = call(w, "SignClusterMessages", signReq(c.id(), {}));
  EXPECT_TRUE(ok["results"].empty());
}

TEST(DevWorker, SignsOnlyItsOwnHash) {
  DevCluster c(spec(), 4);
  c.produceUpTo(10);
  H256 h3 = *c.worker(0).hashAt(3);
  H256 wrong = crypto::blake2_256("wrong");
  json r = call(c.worker(1), "SignClusterMessages",
                signReq(c.id(), {{3, h3}, {4, wrong}, {10, wrong}, {99, h3}}));
  EXPECT_EQ(r["public_key"], toHex(c.worker(1).publicKey()));
  auto& res = r["results"];
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res[0]["sn"], 3);
  auto sig = fixedFromHex<65>(res[0]["signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  auto signer = core::recoverMessageSigner(*sig, h3);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer, c.worker(1).publicKey());
  EXPECT_EQ(res[1]["code"], "diverged");
  EXPECT_EQ(res[1]["error"], "local hash differs");
  EXPECT_EQ(res[1]["local_hash"], toHex(*c.worker(1).hashAt(4)));
  EXPECT_EQ(res[2]["code"], "unknown_sn");
  EXPECT_EQ(res[3]["code"], "unknown_sn");
}

TEST(DevWorker, OldFromSnStartsAtOldestHeldAndAckPurges) {
  DevCluster c(spec(), 4);
  c.produceUpTo(20);
  H256 h9 = *c.worker(0).hashAt(9);
  c.onAck(9, ackFor(h9));
  EXPECT_EQ(c.oldestHeld(), 10u);
  json m = call(c.worker(3), "GetClusterMessages", messagesReq(c.id(), 0, 5));
  ASSERT_EQ(m["messages"].size(), 5u);
  EXPECT_EQ(m["messages"][0]["sn"], 10);
  EXPECT_EQ(m["messages"][0]["prev_hash"], toHex(h9));
  EXPECT_EQ(call(c.worker(0), "GetClusterInfo", nullptr)["pending_messages"], 10);
  json s = call(c.worker(0), "SignClusterMessages", signReq(c.id(), {{9, h9}}));
  EXPECT_EQ(s["results"][0]["code"], "unknown_sn");
  for (size_t i = 0; i < 4; ++i) EXPECT_FALSE(c.worker(i).stopped());
}

TEST(DevWorker, DivergedWorkerRefusesThenStopsOnHonestAck) {
  DevCluster c(spec(), 4);
  WorkerFaults f;
  f.diverge_from = 5;
  c.worker(3).setFaults(f);
  c.produceUpTo(3);  // fork point not reached yet
  c.produceUpTo(10);
  for (uint64_t sn = 0; sn < 5; ++sn) EXPECT_EQ(c.worker(3).hashAt(sn), c.worker(0).hashAt(sn));
  for (uint64_t sn = 5; sn < 10; ++sn) EXPECT_NE(c.worker(3).hashAt(sn), c.worker(0).hashAt(sn));
  // Its own stream is still a valid hash chain.
  json own = call(c.worker(3), "GetClusterMessages", messagesReq(c.id(), 0));
  ASSERT_EQ(own["messages"].size(), 10u);
  EXPECT_TRUE(core::checkHashChain(toHashed(own["messages"], c.id()), H256{}).ok());
  EXPECT_NE(
      own["messages"][5]["payload"],
      call(c.worker(0), "GetClusterMessages", messagesReq(c.id(), 5, 1))["messages"][0]["payload"]);

  H256 honest5 = *c.worker(0).hashAt(5);
  json r = call(c.worker(3), "SignClusterMessages",
                signReq(c.id(), {{4, *c.worker(0).hashAt(4)}, {5, honest5}}));
  EXPECT_TRUE(r["results"][0].contains("signature"));
  EXPECT_EQ(r["results"][1]["code"], "diverged");
  EXPECT_EQ(r["results"][1]["local_hash"], toHex(*c.worker(3).hashAt(5)));

  c.onAck(4, ackFor(*c.worker(0).hashAt(4)));
  EXPECT_FALSE(c.worker(3).stopped());
  c.onAck(5, ackFor(honest5));
  EXPECT_TRUE(c.worker(3).stopped());
  for (size_t i = 0; i < 3; ++i) EXPECT_FALSE(c.worker(i).stopped());
  json m = call(c.worker(3), "GetClusterMessages", messagesReq(c.id(), 0), 500);
  EXPECT_EQ(m["code"], "stopped");
  json s = call(c.worker(3), "SignClusterMessages", signReq(c.id(), {}), 500);
  EXPECT_EQ(s["code"], "stopped");
  json info = call(c.worker(3), "GetClusterInfo", nullptr);
  EXPECT_EQ(info["stopped"], true);
  EXPECT_TRUE(c.stateJson()["workers"][3]["stopped"]);
}

TEST(DevWorker, HonestWorkersStopWhenTheDivergedHashIsAcked) {
  DevCluster c(spec(), 2);
  WorkerFaults f;
  f.diverge_from = 0;
  c.worker(1).setFaults(f);
  c.produceUpTo(2);
  c.onAck(0, ackFor(*c.worker(1).hashAt(0)));
  EXPECT_TRUE(c.worker(0).stopped());
  EXPECT_FALSE(c.worker(1).stopped());
}

TEST(DevWorker, DivergeSetWhileRunningForksFromOldestHeld) {
  DevCluster c(spec(), 2);
  c.produceUpTo(10);
  c.onAck(5, ackFor(*c.worker(0).hashAt(5)));
  WorkerFaults f;
  f.diverge_from = 2;  // already acknowledged: diverges from the oldest un-acked sn
  c.worker(1).setFaults(f);
  EXPECT_NE(c.worker(1).hashAt(6), c.worker(0).hashAt(6));
  json own = call(c.worker(1), "GetClusterMessages", messagesReq(c.id(), 0));
  EXPECT_EQ(
      own["messages"][0]["prev_hash"],
      call(c.worker(0), "GetClusterMessages", messagesReq(c.id(), 0))["messages"][0]["prev_hash"]);
  c.worker(1).setFaults(WorkerFaults{});
  EXPECT_EQ(c.worker(1).hashAt(6), c.worker(0).hashAt(6));
}

TEST(DevWorker, BadSignaturesRecoverToAnotherKey) {
  DevCluster c(spec(), 2);
  c.produceUpTo(3);
  WorkerFaults f;
  f.bad_signatures = true;
  c.worker(0).setFaults(f);
  H256 h = *c.worker(0).hashAt(1);
  json r = call(c.worker(0), "SignClusterMessages", signReq(c.id(), {{1, h}}));
  auto sig = fixedFromHex<65>(r["results"][0]["signature"].get<std::string>());
  ASSERT_TRUE(sig.ok());
  auto signer = core::recoverMessageSigner(*sig, h);
  ASSERT_TRUE(signer.ok());  // well-formed, but not a worker of the cluster
  EXPECT_NE(*signer, c.worker(0).publicKey());
  EXPECT_NE(*signer, c.worker(1).publicKey());
}

TEST(DevWorker, SlowGarbageFlakyOffline) {
  DevCluster c(spec(), 1);
  DevWorker& w = c.worker(0);
  WorkerFaults f;
  f.slow_ms = 250;
  w.setFaults(f);
  EXPECT_EQ(w.handle("GetClusterInfo", "").delay.count(), 250);
  EXPECT_EQ(w.handle("GetClusterInfo", "").status, 200);

  f = WorkerFaults{};
  f.garbage = true;
  w.setFaults(f);
  WorkerReply g = w.handle("GetClusterInfo", "");
  EXPECT_EQ(g.status, 200);
  EXPECT_TRUE(json::parse(g.body, nullptr, false).is_discarded());

  f = WorkerFaults{};
  f.flaky_rate = 0.3;
  w.setFaults(f);
  int errors = 0;
  for (int i = 0; i < 1000; ++i) {
    WorkerReply r = w.handle("GetClusterInfo", "");
    if (r.status == 500) {
      ++errors;
      EXPECT_EQ(json::parse(r.body)["code"], "internal");
    } else {
      EXPECT_EQ(r.status, 200);
    }
  }
  EXPECT_GT(errors, 220);
  EXPECT_LT(errors, 380);

  f = WorkerFaults{};
  f.flaky_rate = 1.0;
  w.setFaults(f);
  EXPECT_EQ(w.handle("GetClusterInfo", "").status, 500);

  f = WorkerFaults{};
  f.offline = true;
  w.setFaults(f);
  EXPECT_EQ(w.handle("GetClusterInfo", "").status, 503);
  EXPECT_EQ(w.faults(), f);
  EXPECT_EQ(c.stateJson()["workers"][0]["faults"]["offline"], true);
  w.setFaults(WorkerFaults{});
  EXPECT_EQ(w.handle("GetClusterInfo", "").status, 200);
}

TEST(DevWorker, ConcurrentProduceAckAndServe) {
  DevCluster c(spec(), 4);
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (uint64_t n = 1; n <= 2000; ++n) {
      c.produceUpTo(n);
      if (n % 10 == 0) c.onAck(n - 5, ackFor(c.honest(n - 5)->hash));
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (size_t i = 0; i < 4; ++i) {
    readers.emplace_back([&, i] {
      while (!done) {
        json m = json::parse(
            c.worker(i).handle("GetClusterMessages", messagesReq(c.id(), 0, 64).dump()).body);
        auto run = toHashed(m["messages"], c.id());
        EXPECT_TRUE(core::checkHashChain(run, std::nullopt).ok());
        if (!run.empty()) {
          c.worker(i).handle("SignClusterMessages",
                             signReq(c.id(), {{run[0].msg.sn, run[0].hash}}).dump());
        }
      }
    });
  }
  producer.join();
  for (auto& t : readers) t.join();
  for (size_t i = 0; i < 4; ++i) EXPECT_FALSE(c.worker(i).stopped());
  EXPECT_EQ(c.produced(), 2000u);
  EXPECT_EQ(c.oldestHeld(), 1996u);
}

}  // namespace
}  // namespace hunter::devnet
