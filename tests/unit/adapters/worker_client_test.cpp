// HttpWorkerClient against fake workers served by adapters::HttpServer on 127.0.0.1, port 0.
#include "hunter/adapters/worker_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "hunter/core/message.hpp"
#include "support/fake_http_server.hpp"

namespace hunter::adapters {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// One fake worker: a handler, the requests it saw, and a gate slow handlers wait on.
using FakeWorker = test::FakeHttpServer;

ServerResponse reply(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}
ServerResponse ok(const json& j) { return reply(200, j.dump()); }

H256 clusterId() {
  H256 c{};
  c.fill(0xc1);
  return c;
}

crypto::SecretKey key(uint8_t seed) {
  FixedBytes<32> b{};
  b.fill(seed);
  return crypto::SecretKey::fromBytes(span(b)).value();
}

// A real hash chain of n messages from sn `from`.
std::vector<core::HashedMessage> makeRun(uint64_t from, size_t n) {
  std::vector<core::HashedMessage> out;
  H256 prev{};
  prev.fill(0x77);
  for (size_t i = 0; i < n; ++i) {
    core::HashedMessage hm;
    hm.msg.message.sender = core::MessageOrigin::cluster(clusterId());
    hm.msg.message.destination = toBytes("phala/topic");
    hm.msg.message.payload = Bytes{1, 2, 3, static_cast<uint8_t>(i)};
    hm.msg.sn = from + i;
    hm.msg.prev_hash = prev;
    hm.msg.state_root.fill(static_cast<uint8_t>(i));
    hm.hash = core::messageHash(hm.msg);
    prev = hm.hash;
    out.push_back(hm);
  }
  return out;
}

json messageJson(const core::HashedMessage& m) {
  return {{"sn", m.msg.sn},
          {"destination", toHex(span(m.msg.message.destination))},
          {"payload", toHex(span(m.msg.message.payload))},
          {"prev_hash", toHex(m.msg.prev_hash)},
          {"state_root", toHex(m.msg.state_root)},
          {"hash", toHex(m.hash)},
          {"sender_hint", "ignored"}};
}

json messagesJson(const std::vector<core::HashedMessage>& run, uint64_t next_sn) {
  json arr = json::array();
  for (const auto& m : run) arr.push_back(messageJson(m));
  return {{"messages", arr}, {"next_sn", next_sn}, {"extra", {{"a", 1}}}};
}

json infoJson(const crypto::PublicKey& pk) {
  return {{"protocol", "phala-cluster-mq"}, {"version", "1.0.0"},
          {"public_key", toHex(pk)},        {"clusters", {toHex(clusterId())}},
          {"pending_messages", 12},         {"future_field", {1, 2, 3}}};
}

WorkerClientOptions fastOptions() {
  WorkerClientOptions o;
  o.timeout = milliseconds(3000);
  return o;
}

// A worker that signs honestly with `k` every item whose hash matches `run`.
ServerResponse honestSign(const ServerRequest& r, const crypto::SecretKey& k,
                          const std::vector<core::HashedMessage>& run) {
  auto req = json::parse(r.body);
  json results = json::array();
  for (const auto& item : req["items"]) {
    uint64_t sn = item["sn"].get<uint64_t>();
    H256 hash = fixedFromHex<32>(item["hash"].get<std::string>()).value();
    const core::HashedMessage* mine = nullptr;
    for (const auto& m : run) {
      if (m.msg.sn == sn) mine = &m;
    }
    if (!mine) {
      results.push_back({{"sn", sn}, {"error", "no such sn"}, {"code", "unknown_sn"}});
    } else if (mine->hash != hash) {
      results.push_back({{"sn", sn},
                         {"error", "local hash differs"},
                         {"code", "diverged"},
                         {"local_hash", toHex(mine->hash)}});
    } else {
      results.push_back({{"sn", sn}, {"signature", toHex(core::signMessageHash(k, hash))}});
    }
  }
  return ok({{"public_key", toHex(k.publicKey())}, {"results", results}});
}

std::vector<core::SignItem> itemsOf(const std::vector<core::HashedMessage>& run) {
  std::vector<core::SignItem> items;
  for (const auto& m : run) items.push_back({m.msg.sn, m.hash});
  return items;
}

// ---- info --------------------------------------------------------------------------------

TEST(WorkerClientTest, InfoParsesAndIgnoresUnknownFields) {
  auto k = key(1);
  FakeWorker w([&](const ServerRequest&, FakeWorker&) { return ok(infoJson(k.publicKey())); });
  HttpWorkerClient client({w.url() + "/"}, fastOptions());
  EXPECT_EQ(client.endpoints()[0], w.url());  // trailing slash dropped
  auto info = client.info(0);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->protocol, "phala-cluster-mq");
  EXPECT_EQ(info->version, "1.0.0");
  EXPECT_EQ(info->public_key, k.publicKey());
  ASSERT_EQ(info->clusters.size(), 1u);
  EXPECT_EQ(info->clusters[0], clusterId());
  EXPECT_EQ(info->pending_messages, 12u);
  EXPECT_FALSE(info->stopped);
  auto reqs = w.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/prpc/PhactoryAPI.GetClusterInfo");
  EXPECT_EQ(reqs[0].query, "json");
  EXPECT_GT(client.lastLatency(0).count(), 0);
  EXPECT_EQ(client.lastLatency(7).count(), 0);
}

// Several workers behind one host:port, each under its own path (hunter-devnet's
// workers_on_one_port): the method goes after the endpoint's path, a trailing slash dropped.
TEST(WorkerClientTest, AnEndpointWithAPathKeepsItBeforeTheMethod) {
  auto k = key(1);
  auto run = makeRun(0, 3);
  FakeWorker w([&](const ServerRequest& r, FakeWorker&) {
    if (r.path.find("GetClusterInfo") != std::string::npos) return ok(infoJson(k.publicKey()));
    return ok(messagesJson(run, 3));
  });
  HttpWorkerClient client({w.url() + "/c12/w3/", w.url() + "/c0/w1"}, fastOptions());
  EXPECT_EQ(client.endpoints()[0], w.url() + "/c12/w3");
  EXPECT_EQ(client.endpoints()[1], w.url() + "/c0/w1");
  ASSERT_TRUE(client.info(0).ok());
  auto got = client.fetch(1, clusterId(), 0, 16);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->messages.size(), 3u);
  auto reqs = w.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/c12/w3/prpc/PhactoryAPI.GetClusterInfo");
  EXPECT_EQ(reqs[0].query, "json");
  EXPECT_EQ(reqs[1].path, "/c0/w1/prpc/PhactoryAPI.GetClusterMessages");
  EXPECT_EQ(reqs[1].query, "json");
}

TEST(WorkerClientTest, InfoVersionAndProtocolChecks) {
  auto k = key(2);
  std::mutex mu;
  json body;
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    std::lock_guard lock(mu);
    return ok(body);
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  auto with = [&](const std::function<void(json&)>& edit) {
    std::lock_guard lock(mu);
    body = infoJson(k.publicKey());
    edit(body);
  };

  with([](json& j) {
    j["version"] = "1.7.2";
    j["stopped"] = true;
  });
  auto higher_minor = client.info(0);
  ASSERT_TRUE(higher_minor.ok()) << higher_minor.error().message;
  EXPECT_TRUE(higher_minor->stopped);

  with([](json& j) { j["version"] = "2.0.0"; });
  auto major2 = client.info(0);
  ASSERT_FALSE(major2.ok());
  EXPECT_EQ(major2.error().code, "incompatible");
  EXPECT_NE(major2.error().message.find(w.url()), std::string::npos);
  EXPECT_NE(major2.error().message.find("2.0.0"), std::string::npos);

  with([](json& j) { j["protocol"] = "phala-mq-legacy"; });
  auto other = client.info(0);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "incompatible");
  EXPECT_NE(other.error().message.find("phala-mq-legacy"), std::string::npos);

  with([](json& j) { j["version"] = "one"; });
  EXPECT_EQ(client.info(0).error().code, "incompatible");

  with([](json& j) { j["version"] = 1; });
  EXPECT_EQ(client.info(0).error().code, "bad_response");

  with([](json& j) { j.erase("protocol"); });
  EXPECT_EQ(client.info(0).error().code, "bad_response");
}

TEST(WorkerClientTest, InfoRejectsBadFields) {
  auto k = key(3);
  std::mutex mu;
  json body;
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    std::lock_guard lock(mu);
    return ok(body);
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  std::string pk_short = toHex(k.publicKey()).substr(0, 66);
  std::vector<Case> cases = {
      {[&](json& j) { j["public_key"] = pk_short; }, "public_key: expected 33 bytes, got 32"},
      {[](json& j) { j["public_key"] = "0x05" + std::string(64, '1'); }, "public_key: not a valid"},
      {[](json& j) { j["public_key"] = 5; }, "public_key: expected a string, got a number"},
      {[](json& j) { j.erase("public_key"); }, "public_key: missing"},
      {[](json& j) { j["clusters"] = "0x00"; }, "clusters: expected an array"},
      {[](json& j) { j["clusters"] = {"0x1234"}; }, "clusters[0]: expected 32 bytes, got 2"},
      {[](json& j) { j["pending_messages"] = -1; }, "pending_messages: expected a non-negative"},
      {[](json& j) { j["pending_messages"] = 1.5; }, "pending_messages: expected a non-negative"},
      {[](json& j) { j["stopped"] = "yes"; }, "stopped: expected a boolean"},
  };
  for (const auto& c : cases) {
    {
      std::lock_guard lock(mu);
      body = infoJson(k.publicKey());
      c.edit(body);
    }
    auto r = client.info(0);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.error().code, "bad_response") << r.error().message;
    EXPECT_NE(r.error().message.find("worker " + w.url() + ": " + c.expect), std::string::npos)
        << r.error().message;
  }
}

TEST(WorkerClientTest, WorkerIndexOutOfRange) {
  HttpWorkerClient client({"http://127.0.0.1:1"}, fastOptions());
  EXPECT_EQ(client.info(1).error().code, "bad_worker");
  EXPECT_EQ(client.fetch(5, clusterId(), 0, 10).error().code, "bad_worker");
}

TEST(WorkerClientTest, ATransportErrorNamesTheWorkerAndTheMethodOnceWithoutCredentials) {
  // Port 1 on loopback: nothing listens there.
  HttpWorkerClient client({"http://op:s3cret@127.0.0.1:1/"}, fastOptions());
  EXPECT_EQ(client.endpoints()[0], "http://***@127.0.0.1:1");
  auto check = [](const Error& e, const std::string& method) {
    const std::string head = "worker http://***@127.0.0.1:1: " + method + ": ";
    EXPECT_EQ(e.message.rfind(head, 0), 0u) << e.message;
    EXPECT_EQ(e.message.find("127.0.0.1:1", head.size()), std::string::npos)
        << "the URL once: " << e.message;
    EXPECT_EQ(e.message.find("s3cret"), std::string::npos) << e.message;
  };
  check(client.info(0).error(), "GetClusterInfo");
  check(client.fetch(0, clusterId(), 0, 10).error(), "GetClusterMessages");
  auto signed_ = client.signAll({0}, clusterId(), {core::SignItem{0, H256{}}});
  ASSERT_EQ(signed_.size(), 1u);
  ASSERT_FALSE(signed_[0].ok());
  check(signed_[0].error(), "SignClusterMessages");
}

// ---- fetch -------------------------------------------------------------------------------

TEST(WorkerClientTest, FetchParsesMessages) {
  auto run = makeRun(12, 5);
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    json j = messagesJson(run, 20);
    j["messages"][1]["sn"] = "13";  // decimal strings are accepted too
    return ok(j);
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  auto got = client.fetch(0, clusterId(), 10, 64);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->next_sn, 20u);
  ASSERT_EQ(got->messages.size(), 5u);
  for (size_t i = 0; i < run.size(); ++i) {
    EXPECT_EQ(got->messages[i].msg, run[i].msg) << i;
    EXPECT_EQ(got->messages[i].hash, run[i].hash) << i;
    EXPECT_EQ(got->messages[i].msg.clusterId(), clusterId());
  }
  EXPECT_TRUE(core::checkHashChain(got->messages, std::nullopt).ok());

  auto reqs = w.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/prpc/PhactoryAPI.GetClusterMessages");
  auto body = json::parse(reqs[0].body);
  EXPECT_EQ(body["cluster"], toHex(clusterId()));
  EXPECT_EQ(body["from_sn"], 10);
  EXPECT_EQ(body["limit"], 64);
}

TEST(WorkerClientTest, FetchKeepsClaimedHashEvenIfWrong) {
  auto run = makeRun(0, 3);
  H256 lie{};
  lie.fill(0xee);
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    json j = messagesJson(run, 3);
    j["messages"][2]["hash"] = toHex(lie);
    return ok(j);
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  auto got = client.fetch(0, clusterId(), 0, 10);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->messages[2].hash, lie);
  EXPECT_EQ(core::checkHashChain(got->messages, std::nullopt).error().code, "bad_hash");
}

TEST(WorkerClientTest, FetchEmptyAndLimitClamp) {
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    return ok({{"messages", json::array()}, {"next_sn", 0}});
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  auto got = client.fetch(0, clusterId(), 0, 100000);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(got->messages.empty());
  ASSERT_TRUE(client.fetch(0, clusterId(), 0, 0).ok());
  auto reqs = w.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(json::parse(reqs[0].body)["limit"], 4096);
  EXPECT_EQ(json::parse(reqs[1].body)["limit"], 256);
}

TEST(WorkerClientTest, FetchRejectsStructuralProblems) {
  auto run = makeRun(5, 6);
  std::mutex mu;
  std::string body;
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    std::lock_guard lock(mu);
    return reply(200, body);
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  const std::string h31 = "0x" + std::string(62, 'a');
  std::vector<Case> cases = {
      {[&](json& j) { j["messages"][3]["prev_hash"] = h31; },
       "messages[3].prev_hash: expected 32 bytes, got 31"},
      {[&](json& j) { j["messages"][0]["state_root"] = "0x" + std::string(66, 'b'); },
       "messages[0].state_root: expected 32 bytes, got 33"},
      {[&](json& j) { j["messages"][1]["hash"] = "0x" + std::string(63, 'c'); },
       "messages[1].hash: odd number of hex digits"},
      {[](json& j) { j["messages"][2]["payload"] = "0x12zz"; },
       "messages[2].payload: invalid hex character"},
      {[](json& j) { j["messages"][2]["destination"] = 42; },
       "messages[2].destination: expected a string, got a number"},
      {[](json& j) { j["messages"][4].erase("payload"); }, "messages[4].payload: missing"},
      {[](json& j) { j["messages"][2]["sn"] = 8; }, "messages[2].sn: 8 does not follow 6"},
      {[](json& j) { std::swap(j["messages"][1], j["messages"][2]); },
       "messages[1].sn: 7 does not follow 5"},
      {[](json& j) { j["messages"][0]["sn"] = -5; }, "messages[0].sn: expected a non-negative"},
      {[](json& j) { j["messages"][0]["sn"] = 5.5; }, "messages[0].sn: expected a non-negative"},
      {[](json& j) { j["messages"][0]["sn"] = "5x"; }, "messages[0].sn: expected a non-negative"},
      {[](json& j) { j["messages"][0]["sn"] = 2; }, "messages[0].sn: 2 is below from_sn 4"},
      {[](json& j) { j["messages"][0] = "not an object"; }, "messages[0]: expected an object"},
      {[](json& j) {
         j["messages"] = {{"sn", 1}};
       },
       "messages: expected an array"},
      {[](json& j) { j.erase("next_sn"); }, "next_sn: missing"},
      {[](json& j) { j["next_sn"] = 10; }, "next_sn: 10 but the messages reach sn 10"},
      {[](json& j) { j["next_sn"] = true; }, "next_sn: expected a non-negative integer"},
  };
  for (const auto& c : cases) {
    {
      std::lock_guard lock(mu);
      json j = messagesJson(run, 11);
      c.edit(j);
      body = j.dump();
    }
    auto r = client.fetch(0, clusterId(), 4, 100);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.error().code, "bad_response") << r.error().message;
    EXPECT_NE(r.error().message.find("worker " + w.url() + ": " + c.expect), std::string::npos)
        << r.error().message;
  }

  // Not JSON, or not an object.
  for (std::string garbage : {messagesJson(run, 11).dump().substr(0, 100), std::string("[1,2]"),
                              std::string(""), std::string("<html>oops</html>")}) {
    {
      std::lock_guard lock(mu);
      body = garbage;
    }
    auto r = client.fetch(0, clusterId(), 4, 100);
    ASSERT_FALSE(r.ok()) << garbage;
    EXPECT_EQ(r.error().code, "bad_response");
    EXPECT_NE(r.error().message.find(w.url()), std::string::npos);
  }
}

TEST(WorkerClientTest, FetchRejectsMoreMessagesThanLimit) {
  // 10,000 well-formed messages (hashes are not checked here, so one template will do).
  json one = messageJson(makeRun(0, 1)[0]);
  json arr = json::array();
  for (uint64_t sn = 0; sn < 10000; ++sn) {
    one["sn"] = sn;
    arr.push_back(one);
  }
  const std::string body = json{{"messages", arr}, {"next_sn", 10000}}.dump();
  FakeWorker w([&](const ServerRequest&, FakeWorker&) { return reply(200, body); });
  HttpWorkerClient client({w.url()}, fastOptions());
  auto r = client.fetch(0, clusterId(), 0, 256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_response");
  EXPECT_NE(r.error().message.find("10000 messages, more than the limit 256"), std::string::npos)
      << r.error().message;
}

// ---- errors ------------------------------------------------------------------------------

TEST(WorkerClientTest, MapsErrorBodies) {
  std::mutex mu;
  ServerResponse next;
  FakeWorker w([&](const ServerRequest&, FakeWorker&) {
    std::lock_guard lock(mu);
    return next;
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  struct Case {
    int status;
    std::string body;
    std::string code;
  };
  std::vector<Case> cases = {
      {500, R"({"error":"worker halted after ACK","code":"stopped"})", "stopped"},
      {500, R"({"error":"no such cluster","code":"unknown_cluster"})", "unknown_cluster"},
      {400, R"({"error":"limit over 4096","code":"bad_request"})", "bad_request"},
      {400, "plain text", "bad_request"},
      {404, R"({"error":"no method","code":"not_found"})", "http_404"},
      {500, R"({"error":"boom","code":"internal"})", "http_500"},
      {503, "<html>down</html>", "http_503"},
  };
  for (const auto& c : cases) {
    {
      std::lock_guard lock(mu);
      next = reply(c.status, c.body);
    }
    auto r = client.fetch(0, clusterId(), 0, 10);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, c.code) << c.body;
    EXPECT_NE(r.error().message.find(w.url()), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(std::to_string(c.status)), std::string::npos);
  }
  {
    std::lock_guard lock(mu);
    next = reply(500, R"({"error":"worker halted after ACK","code":"stopped"})");
  }
  auto r = client.fetch(0, clusterId(), 0, 10);
  EXPECT_NE(r.error().message.find("worker halted after ACK"), std::string::npos);
}

TEST(WorkerClientTest, TimeoutOnSlowWorker) {
  FakeWorker w([](const ServerRequest&, FakeWorker& self) {
    self.waitReleased();
    return ok({{"messages", json::array()}, {"next_sn", 0}});
  });
  WorkerClientOptions o;
  o.timeout = milliseconds(200);
  HttpWorkerClient client({w.url()}, o);
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.fetch(0, clusterId(), 0, 10);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  EXPECT_LT(took, std::chrono::seconds(5));
  w.stop();
}

TEST(WorkerClientTest, ResponseTooLarge) {
  const std::string huge(50u << 20, ' ');
  FakeWorker w([&](const ServerRequest&, FakeWorker&) { return reply(200, huge); });
  WorkerClientOptions o = fastOptions();
  o.max_response = 1u << 20;
  HttpWorkerClient client({w.url()}, o);
  auto r = client.info(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "response_too_large");
}

TEST(WorkerClientTest, UnreachableWorker) {
  std::string url;
  {
    FakeWorker gone([](const ServerRequest&, FakeWorker&) { return reply(200, "{}"); });
    url = gone.url();
  }
  HttpWorkerClient client({url}, fastOptions());
  auto r = client.info(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unreachable") << r.error().message;
  auto s = client.signAll({0}, clusterId(), itemsOf(makeRun(0, 1)));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].error().code, "unreachable");
}

// ---- signAll -----------------------------------------------------------------------------

TEST(WorkerClientTest, SignAllInParallelResultsInOrder) {
  auto run = makeRun(40, 4);
  auto forked = run;
  forked[2].hash.fill(0xdd);  // worker C has another message at sn 42
  auto ka = key(10), kb = key(11), kc = key(12);
  // Every worker waits until all three requests have arrived: only a parallel signAll passes.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  int arrived = 0;
  auto barrier = [&] {
    std::unique_lock lock(gate_mu);
    ++arrived;
    gate_cv.notify_all();
    return gate_cv.wait_for(lock, std::chrono::seconds(5), [&] { return arrived >= 3; });
  };
  FakeWorker a([&](const ServerRequest& r, FakeWorker&) {
    if (!barrier()) return reply(500, "not parallel");
    return honestSign(r, ka, run);
  });
  FakeWorker b([&](const ServerRequest& r, FakeWorker&) {
    if (!barrier()) return reply(500, "not parallel");
    return honestSign(r, kb, run);
  });
  FakeWorker c([&](const ServerRequest& r, FakeWorker&) {
    if (!barrier()) return reply(500, "not parallel");
    return honestSign(r, kc, forked);
  });
  HttpWorkerClient client({a.url(), b.url(), c.url()}, fastOptions());
  auto items = itemsOf(run);
  auto res = client.signAll({2, 0, 9, 1}, clusterId(), items);
  ASSERT_EQ(res.size(), 4u);
  ASSERT_TRUE(res[0].ok()) << res[0].error().message;
  ASSERT_TRUE(res[1].ok()) << res[1].error().message;
  EXPECT_EQ(res[2].error().code, "bad_worker");
  ASSERT_TRUE(res[3].ok()) << res[3].error().message;

  EXPECT_EQ(res[0]->public_key, kc.publicKey());
  EXPECT_EQ(res[1]->public_key, ka.publicKey());
  EXPECT_EQ(res[3]->public_key, kb.publicKey());
  for (size_t p : {1u, 3u}) {
    ASSERT_EQ(res[p]->results.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      const auto& it = res[p]->results[i];
      EXPECT_EQ(it.sn, run[i].msg.sn);
      ASSERT_TRUE(it.signature.has_value());
      auto signer = core::recoverMessageSigner(*it.signature, run[i].hash);
      ASSERT_TRUE(signer.ok());
      EXPECT_EQ(*signer, *res[p]->public_key);
    }
  }
  const auto& diverged = res[0]->results[2];
  EXPECT_FALSE(diverged.signature.has_value());
  EXPECT_EQ(diverged.code, "diverged");
  EXPECT_EQ(diverged.error, "local hash differs");
  ASSERT_TRUE(diverged.local_hash.has_value());
  EXPECT_EQ(*diverged.local_hash, forked[2].hash);

  auto body = json::parse(a.requests().at(0).body);
  EXPECT_EQ(a.requests().at(0).path, "/prpc/PhactoryAPI.SignClusterMessages");
  EXPECT_EQ(body["cluster"], toHex(clusterId()));
  ASSERT_EQ(body["items"].size(), 4u);
  EXPECT_EQ(body["items"][1]["sn"], 41);
  EXPECT_EQ(body["items"][1]["hash"], toHex(run[1].hash));
  EXPECT_GT(client.lastLatency(0).count(), 0);
  EXPECT_GT(client.lastLatency(2).count(), 0);
}

TEST(WorkerClientTest, FetchAnswersWhileASignAllIsInFlight) {
  // The relay fetches the next messages while the workers sign: the two must not wait for
  // each other. SignClusterMessages is held until the fetch has come back.
  auto run = makeRun(0, 3);
  auto k = key(13);
  FakeWorker w([&](const ServerRequest& r, FakeWorker& self) {
    if (r.path.find("SignClusterMessages") != std::string::npos) {
      self.waitReleased();
      return honestSign(r, k, run);
    }
    return ok(messagesJson(run, 3));
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  std::atomic<bool> signDone{false};
  std::vector<Result<core::SignResponse>> signed_;
  std::thread signer([&] {
    signed_ = client.signAll({0}, clusterId(), itemsOf(run));
    signDone = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (w.hits() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(w.hits(), 1);  // the sign request is being held
  auto fetched = client.fetch(0, clusterId(), 0, 10);
  EXPECT_FALSE(signDone.load()) << "the fetch waited for the signAll";
  w.release();
  signer.join();
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->messages.size(), 3u);
  ASSERT_EQ(signed_.size(), 1u);
  ASSERT_TRUE(signed_[0].ok()) << signed_[0].error().message;
  EXPECT_EQ(signed_[0]->results.size(), 3u);
}

TEST(WorkerClientTest, SignAllWithNoWorkersOrNoItems) {
  auto k = key(23);
  FakeWorker w([&](const ServerRequest& r, FakeWorker&) { return honestSign(r, k, {}); });
  HttpWorkerClient client({w.url()}, fastOptions());
  EXPECT_TRUE(client.signAll({}, clusterId(), itemsOf(makeRun(0, 2))).empty());
  EXPECT_EQ(w.hits(), 0);
  auto res = client.signAll({0}, clusterId(), {});
  ASSERT_EQ(res.size(), 1u);
  ASSERT_TRUE(res[0].ok()) << res[0].error().message;
  EXPECT_EQ(res[0]->public_key, k.publicKey());
  EXPECT_TRUE(res[0]->results.empty());
}

TEST(WorkerClientTest, SignAllSplitsIntoBatches) {
  auto run = makeRun(0, 7);
  auto ka = key(20), kb = key(21);
  FakeWorker a([&](const ServerRequest& r, FakeWorker&) { return honestSign(r, ka, run); });
  FakeWorker b([&](const ServerRequest& r, FakeWorker&) { return honestSign(r, kb, run); });
  WorkerClientOptions o = fastOptions();
  o.sign_batch = 3;
  HttpWorkerClient client({a.url(), b.url()}, o);
  auto res = client.signAll({0, 1}, clusterId(), itemsOf(run));
  ASSERT_EQ(res.size(), 2u);
  for (const auto& r : res) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->results.size(), 7u);
    for (size_t i = 0; i < 7; ++i) {
      EXPECT_EQ(r->results[i].sn, i);
      EXPECT_TRUE(r->results[i].signature.has_value());
    }
  }
  EXPECT_EQ(a.hits(), 3);
  EXPECT_EQ(b.hits(), 3);
  std::vector<size_t> sizes;
  for (const auto& q : a.requests()) sizes.push_back(json::parse(q.body)["items"].size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 3, 3}));
}

TEST(WorkerClientTest, SignAllDefaultBatchIs4096) {
  // Fake signatures: the client does not verify them, the relay does.
  const std::string fake_sig = "0x" + std::string(130, '1');
  auto k = key(22);
  FakeWorker w([&](const ServerRequest& r, FakeWorker&) {
    auto req = json::parse(r.body);
    json results = json::array();
    for (const auto& item : req["items"]) {
      results.push_back({{"sn", item["sn"]}, {"signature", fake_sig}});
    }
    return ok({{"public_key", toHex(k.publicKey())}, {"results", results}});
  });
  HttpWorkerClient client({w.url()}, fastOptions());
  std::vector<core::SignItem> items(4097);
  for (size_t i = 0; i < items.size(); ++i) items[i].sn = i;
  auto res = client.signAll({0}, clusterId(), items);
  ASSERT_TRUE(res.at(0).ok()) << res[0].error().message;
  EXPECT_EQ(res[0]->results.size(), 4097u);
  EXPECT_EQ(w.hits(), 2);
}

TEST(WorkerClientTest, SignAllRejectsBadResults) {
  auto run = makeRun(0, 3);
  auto k = key(30);
  std::mutex mu;
  std::function<void(json&)> edit;
  FakeWorker w([&](const ServerRequest& r, FakeWorker&) {
    auto resp = honestSign(r, k, run);
    json j = json::parse(resp.body);
    std::lock_guard lock(mu);
    edit(j);
    return ok(j);
  });
  auto good_key = key(31);
  FakeWorker good(
      [&](const ServerRequest& r, FakeWorker&) { return honestSign(r, good_key, run); });
  HttpWorkerClient client({w.url(), good.url()}, fastOptions());
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  std::vector<Case> cases = {
      {[](json& j) { j["results"][1]["sn"] = 99; }, "results[1].sn: 99 was not asked for"},
      {[](json& j) { j["results"][1]["sn"] = 0; }, "results[1].sn: 0 answered twice"},
      {[](json& j) { j.erase("public_key"); }, "public_key: missing"},
      {[](json& j) { j["public_key"] = "0x02"; }, "public_key: expected 33 bytes, got 1"},
      {[](json& j) { j["results"][0]["signature"] = "0x" + std::string(128, 'a'); },
       "results[0].signature: expected 65 bytes, got 64"},
      {[](json& j) {
         j["results"][2] = {{"sn", 2}};
       },
       "results[2].code: missing"},
      {[](json& j) {
         j["results"][2] = {{"sn", 2}, {"code", "diverged"}, {"local_hash", "0x01"}};
       },
       "results[2].local_hash: expected 32 bytes, got 1"},
      {[](json& j) {
         j["results"].push_back({{"sn", 7}, {"code", "unknown_sn"}});
       },
       "results: 4 results for 3 items"},
      {[](json& j) { j["results"] = "none"; }, "results: expected an array"},
  };
  for (const auto& c : cases) {
    {
      std::lock_guard lock(mu);
      edit = c.edit;
    }
    auto res = client.signAll({0, 1}, clusterId(), itemsOf(run));
    ASSERT_EQ(res.size(), 2u);
    ASSERT_FALSE(res[0].ok()) << c.expect;
    EXPECT_EQ(res[0].error().code, "bad_response");
    EXPECT_NE(res[0].error().message.find("worker " + w.url() + ": " + c.expect), std::string::npos)
        << res[0].error().message;
    EXPECT_TRUE(res[1].ok());  // one bad worker does not spoil the others
  }

  // Fewer results than items is an answer: the worker just did not sign the rest.
  {
    std::lock_guard lock(mu);
    edit = [](json& j) { j["results"].erase(1); };
  }
  auto partial = client.signAll({0}, clusterId(), itemsOf(run));
  ASSERT_TRUE(partial.at(0).ok()) << partial[0].error().message;
  EXPECT_EQ(partial[0]->results.size(), 2u);
}

TEST(WorkerClientTest, SignAllMapsWorkerErrors) {
  auto run = makeRun(0, 2);
  FakeWorker stopped([](const ServerRequest&, FakeWorker&) {
    return reply(500, R"({"error":"halted","code":"stopped"})");
  });
  FakeWorker missing([](const ServerRequest&, FakeWorker&) {
    return reply(404, R"({"error":"no such method","code":"not_found"})");
  });
  FakeWorker slow([](const ServerRequest&, FakeWorker& self) {
    self.waitReleased();
    return reply(200, "{}");
  });
  WorkerClientOptions o;
  o.timeout = milliseconds(300);
  HttpWorkerClient client({stopped.url(), missing.url(), slow.url()}, o);
  auto res = client.signAll({0, 1, 2}, clusterId(), itemsOf(run));
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].error().code, "stopped");
  EXPECT_EQ(res[1].error().code, "http_404");
  EXPECT_EQ(res[2].error().code, "timeout");
  slow.stop();
}

// ---- the fast scanner against the general parser (WorkerClientOptions::fast_parse) ----------

// Two clients of one worker that answers every request with `body` (which must outlive them):
// with the scanner, and with the general parser only.
struct BothParsers {
  explicit BothParsers(const std::string& body)
      : fast({"http://w.test"}, options(body, true)),
        general({"http://w.test"}, options(body, false)) {}
  static WorkerClientOptions options(const std::string& body, bool fast_parse) {
    WorkerClientOptions o;
    o.fast_parse = fast_parse;
    o.transport = [&body](const HttpCall&) -> Result<HttpReply> {
      return HttpReply{200, body, std::chrono::microseconds(1)};
    };
    return o;
  }
  HttpWorkerClient fast;
  HttpWorkerClient general;
};

// fetch(from 5, limit 16) from each.
std::pair<Result<core::WorkerMessages>, Result<core::WorkerMessages>> fetchBoth(
    const std::string& body) {
  BothParsers c(body);
  return {c.fast.fetch(0, clusterId(), 5, 16), c.general.fetch(0, clusterId(), 5, 16)};
}

// True when either failed (then both must have, with the same error); false when both succeeded.
template <class T>
bool expectSameFailure(const Result<T>& a, const Result<T>& b, const std::string& body) {
  EXPECT_EQ(a.ok(), b.ok()) << body;
  if (a.ok() && b.ok()) return false;
  if (!a.ok() && !b.ok()) {
    EXPECT_EQ(a.error().code, b.error().code) << body;
    EXPECT_EQ(a.error().message, b.error().message) << body;
  }
  return true;
}

void expectSameMessages(const Result<core::WorkerMessages>& a,
                        const Result<core::WorkerMessages>& b, const std::string& body) {
  if (expectSameFailure(a, b, body)) return;
  EXPECT_EQ(a->next_sn, b->next_sn) << body;
  ASSERT_EQ(a->messages.size(), b->messages.size()) << body;
  for (size_t i = 0; i < a->messages.size(); ++i) {
    EXPECT_EQ(a->messages[i].msg, b->messages[i].msg) << body;
    EXPECT_EQ(a->messages[i].hash, b->messages[i].hash) << body;
  }
}

TEST(WorkerClientFastParse, MessagesReadAsTheGeneralParserReadsThem) {
  auto run = makeRun(5, 16);
  const json doc = messagesJson(run, 21);
  for (const std::string& body : {doc.dump(), doc.dump(2), "\n " + doc.dump(1, '\t') + " \r\n"}) {
    auto [fast, general] = fetchBoth(body);
    ASSERT_TRUE(fast.ok()) << fast.error().message;
    expectSameMessages(fast, general, body);
    ASSERT_EQ(fast->messages.size(), 16u);
    EXPECT_EQ(fast->messages[3].msg, run[3].msg);
    EXPECT_EQ(fast->messages[3].hash, run[3].hash);
    EXPECT_EQ(fast->next_sn, 21u);
  }
}

// Shapes the scanner leaves to the general parser: the outcome (messages or the error) must be
// exactly the general parser's.
TEST(WorkerClientFastParse, UnusualMessagesRepliesGetTheGeneralParsersAnswer) {
  auto run = makeRun(5, 2);
  const std::string good = messagesJson(run, 7).dump();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string b = good;
    auto at = b.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) b.replace(at, from.size(), to);
    return b;
  };
  const std::string dest = toHex(span(run[0].msg.message.destination));
  const std::vector<std::string> bodies = {
      with("\"sn\":5", "\"sn\":\"5\""),                 // decimal string: accepted
      with("\"sn\":5", "\"sn\":5,\"sn\":6"),            // duplicate member: the last wins
      with("\"sn\":5", "\"sn\":5.0"),                   // a float
      with("\"sn\":5", "\"sn\":-5"),                    // negative
      with("\"sn\":5", "\"sn\":05"),                    // not JSON
      with("\"sn\":5", "\"sn\":null"),                  // null is missing
      with("\"sn\":5", "\"sn\":18446744073709551616"),  // past u64
      with("\"sn\":5", "\"sn\":4"),                     // below from_sn
      with("\"sn\":6", "\"sn\":7"),                     // a gap
      with("\"" + dest + "\"", "\"\\u0030x" + dest.substr(2) + "\""),  // escape: accepted
      with("\"" + dest + "\"", "\"" + dest + "0\""),                   // odd hex
      with("\"" + dest + "\"", "\"" + dest.substr(0, 4) + "zz\""),     // bad hex
      with("\"next_sn\":7", "\"next_sn\":6"),                          // not past the messages
      with("\"next_sn\":7", "\"next_sn\":7,\"x\":1e400"),              // overflows a double
      with("\"next_sn\":7", "\"next_sn\":7,\"x\":[1,{\"y\":[true,false,null,-0,\"z\"]}]"),
      with("\"next_sn\":7", "\"next_sn\":7,\"x\":\"\xc3\xa9\""),  // UTF-8 in an unknown member
      with("\"next_sn\":7", "\"next_sn\":7,\"x\":\"\xff\""),      // not UTF-8
      with("\"sender_hint\":\"ignored\"", "\"sender_hint\":1e2"),
      good + "x",                       // trailing garbage
      good.substr(0, good.size() - 1),  // truncated
      "{\"messages\":[],\"next_sn\":5}",
      "{\"next_sn\":5}",
      "[]",
      "",
  };
  for (const auto& body : bodies) {
    auto [fast, general] = fetchBoth(body);
    expectSameMessages(fast, general, body);
  }
}

// Both ask sns 5..12 (one request) and get `body`.
std::pair<Result<core::SignResponse>, Result<core::SignResponse>> signBoth(
    const std::string& body) {
  BothParsers c(body);
  std::vector<core::SignItem> items;
  for (uint64_t sn = 5; sn < 13; ++sn) items.push_back({sn, H256{}});
  auto a = c.fast.signAll({0}, clusterId(), items);
  auto b = c.general.signAll({0}, clusterId(), items);
  return {a.at(0), b.at(0)};
}

void expectSameSign(const Result<core::SignResponse>& a, const Result<core::SignResponse>& b,
                    const std::string& body) {
  if (expectSameFailure(a, b, body)) return;
  EXPECT_EQ(a->public_key, b->public_key) << body;
  ASSERT_EQ(a->results.size(), b->results.size()) << body;
  for (size_t i = 0; i < a->results.size(); ++i) {
    EXPECT_EQ(a->results[i].sn, b->results[i].sn) << body;
    EXPECT_EQ(a->results[i].signature, b->results[i].signature) << body;
    EXPECT_EQ(a->results[i].code, b->results[i].code) << body;
    EXPECT_EQ(a->results[i].error, b->results[i].error) << body;
    EXPECT_EQ(a->results[i].local_hash, b->results[i].local_hash) << body;
  }
}

TEST(WorkerClientFastParse, SignRepliesReadAsTheGeneralParserReadsThem) {
  const auto k = key(7);
  json results = json::array();
  for (uint64_t sn = 5; sn < 13; ++sn) {
    H256 h{};
    h[0] = static_cast<uint8_t>(sn);
    results.push_back({{"sn", sn}, {"signature", toHex(core::signMessageHash(k, h))}});
  }
  const json doc = {{"public_key", toHex(k.publicKey())}, {"results", results}};
  const std::string good = doc.dump();
  auto [fast, general] = signBoth(good);
  ASSERT_TRUE(fast.ok()) << fast.error().message;
  expectSameSign(fast, general, good);
  ASSERT_EQ(fast->results.size(), 8u);
  EXPECT_EQ(*fast->public_key, k.publicKey());

  auto with = [&](const std::string& from, const std::string& to) {
    std::string b = good;
    auto at = b.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) b.replace(at, from.size(), to);
    return b;
  };
  const std::string sig0 = results[0]["signature"].get<std::string>();
  const std::vector<std::string> bodies = {
      doc.dump(3),
      with("\"sn\":5", "\"sn\":\"5\""),
      with("\"sn\":5", "\"sn\":4"),  // not asked
      with("\"sn\":6", "\"sn\":5"),  // answered twice
      with("{\"signature\":\"" + sig0 + "\",\"sn\":5}",
           "{\"code\":\"diverged\",\"error\":\"e\",\"local_hash\":\"" + toHex(H256{}) +
               "\",\"sn\":5}"),  // a refusal
      with("{\"signature\":\"" + sig0 + "\",\"sn\":5}",
           "{\"signature\":null,\"code\":\"unknown_sn\",\"sn\":5}"),
      with("{\"signature\":\"" + sig0 + "\",\"sn\":5}",
           "{\"signature\":\"" + sig0 + "\",\"sn\":5,\"code\":\"x\",\"note\":[1,2]}"),
      with("\"" + sig0 + "\"", "\"" + sig0.substr(0, sig0.size() - 2) + "\""),  // 64 bytes
      with("\"public_key\":\"0x0", "\"public_key\":\"0x1"),                     // not a key
      with("\"public_key\":", "\"public_key\":1,\"public_key\":"),
      "{\"public_key\":\"" + toHex(k.publicKey()) + "\",\"results\":[]}",
      "{\"results\":[]}",
      good + " ,",
  };
  for (const auto& body : bodies) {
    auto [f, g] = signBoth(body);
    expectSameSign(f, g, body);
  }
}

}  // namespace
}  // namespace hunter::adapters
