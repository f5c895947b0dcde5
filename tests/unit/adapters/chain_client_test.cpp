// JsonRpcChainClient against fake JSON-RPC nodes served by adapters::HttpServer on 127.0.0.1,
// port 0.
#include "hunter/adapters/chain_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hunter/core/storage.hpp"
#include "support/fake_http_server.hpp"

namespace hunter::adapters {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// A fake node. `rpc` answers one JSON-RPC call with {"result": ...} or {"error": ...}; the node
// handles batches, ids and envelopes. `http` (when set) overrides the whole HTTP answer.
class FakeNode {
 public:
  using Rpc = std::function<json(const std::string& method, const json& params)>;
  using Http = std::function<std::optional<ServerResponse>(const ServerRequest&)>;

  explicit FakeNode(Rpc rpc)
      : rpc_(std::move(rpc)),
        server_([this](const ServerRequest& r, test::FakeHttpServer&) { return handle(r); }) {}

  void stop() { server_.stop(); }
  std::string url() const { return server_.url(); }
  int hits() const { return server_.hits(); }
  void setHttp(Http h) {
    std::lock_guard lock(mu_);
    http_ = std::move(h);
  }
  void setReverseBatches(bool v) { reverse_ = v; }
  std::vector<json> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  void waitReleased() { server_.waitReleased(); }
  void release() { server_.release(); }

 private:
  ServerResponse handle(const ServerRequest& r) {
    Http http;
    {
      std::lock_guard lock(mu_);
      http = http_;
    }
    if (http) {
      if (auto resp = http(r)) return *resp;
    }
    json req = json::parse(r.body);
    {
      std::lock_guard lock(mu_);
      bodies_.push_back(req);
    }
    ServerResponse resp;
    if (req.is_array()) {
      json out = json::array();
      for (const auto& one : req) out.push_back(answer(one));
      if (reverse_) std::reverse(out.begin(), out.end());
      resp.body = out.dump();
    } else {
      resp.body = answer(req).dump();
    }
    return resp;
  }

  json answer(const json& req) {
    json a = rpc_(req["method"].get<std::string>(), req.value("params", json::array()));
    a["jsonrpc"] = "2.0";
    a["id"] = req["id"];
    return a;
  }

  Rpc rpc_;
  std::mutex mu_;
  Http http_;
  std::atomic<bool> reverse_{false};
  std::vector<json> bodies_;
  test::FakeHttpServer server_;  // last: stopped before the members its handler reads
};

json result(json v) { return {{"result", std::move(v)}}; }

H256 filled(uint8_t b) {
  H256 h{};
  h.fill(b);
  return h;
}

// Storage as a map from hex key to hex value; everything else from `extra`.
struct Storage {
  std::mutex mu;
  std::map<std::string, std::string> kv;
  void put(const Bytes& key, const Bytes& value) {
    std::lock_guard lock(mu);
    kv[toHex(span(key))] = toHex(span(value));
  }
  json get(const json& params) {
    std::lock_guard lock(mu);
    auto it = kv.find(params.at(0).get<std::string>());
    return it == kv.end() ? json(nullptr) : json(it->second);
  }
};

ChainClientOptions fastOptions() {
  ChainClientOptions o;
  o.timeout = milliseconds(3000);
  return o;
}

ServerResponse status(int code, std::string body = "") {
  ServerResponse r;
  r.status = code;
  r.body = std::move(body);
  return r;
}

// ---- plain calls ---------------------------------------------------------------------------

TEST(ChainClientTest, ParamsAndBestBlock) {
  FakeNode node([](const std::string& m, const json& p) -> json {
    if (m == "chain_getBlockHash") {
      if (p.at(0) == 0) return result(toHex(filled(0x11)));
      if (p.at(0) == 26) return result(toHex(filled(0x26)));
      return result(nullptr);
    }
    if (m == "state_getRuntimeVersion") {
      return result({{"specName", "phala"}, {"specVersion", 1250}, {"transactionVersion", 7}});
    }
    if (m == "chain_getHeader") {
      return result({{"parentHash", toHex(filled(0x25))}, {"number", "0x1a"}, {"digest", {}}});
    }
    if (m == "system_properties") {
      return result({{"ss58Format", 30}, {"tokenDecimals", 12}, {"tokenSymbol", "PHA"}});
    }
    if (m == "deep") {
      json v = json::array();
      for (int i = 0; i < 10000; ++i) v = json::array({std::move(v)});
      return result(std::move(v));
    }
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  JsonRpcChainClient client({node.url()}, fastOptions());
  auto p = client.params();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->genesis_hash, filled(0x11));
  EXPECT_EQ(p->spec_version, 1250u);
  EXPECT_EQ(p->transaction_version, 7u);

  auto best = client.bestBlock();
  ASSERT_TRUE(best.ok()) << best.error().message;
  EXPECT_EQ(best->number, 26u);
  EXPECT_EQ(best->hash, filled(0x26));

  auto unknown = client.blockHash(1000);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "not_found");

  auto props = client.rawCall("system_properties");
  ASSERT_TRUE(props.ok()) << props.error().message;
  EXPECT_EQ(json::parse(*props)["ss58Format"], 30);
  EXPECT_EQ(client.rawCall("system_properties", "{oops").error().code, "bad_request");
  auto deep = client.rawCall("deep");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code, "bad_response");

  auto raw = client.rawCall("system_chain");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.error().code, "-32601");
  EXPECT_EQ(raw.error().message, "Method not found");

  // Ids increase, and every request is a JSON-RPC 2.0 envelope.
  auto bodies = node.bodies();
  ASSERT_GE(bodies.size(), 8u);
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(bodies[i]["jsonrpc"], "2.0");
    if (i > 0) {
      EXPECT_GT(bodies[i]["id"].get<uint64_t>(), bodies[i - 1]["id"].get<uint64_t>());
    }
  }
  EXPECT_EQ(bodies[0]["method"], "chain_getBlockHash");
  EXPECT_EQ(bodies[0]["params"], json::array({0}));
}

// The relay's per-round reads: the best block's hash (chain_getBlockHash, no number), then one
// batch at that block (header, runtime version, Queues at it, next sn); the same values as the
// single calls, and an item's error names its own method.
TEST(ChainClientTest, HeadIsTheBestHashThenOneBatchAtThatBlock) {
  Storage storage;
  const H256 cluster = filled(0xc1);
  const core::QueueState queued{41, filled(0x41)};
  storage.put(core::queuesKey(cluster), core::encode(queued));
  std::atomic<bool> brokenNextSn{false};
  std::atomic<uint8_t> best{0x26};
  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "chain_getBlockHash" && p.empty()) return result(toHex(filled(best)));
    if (m == "chain_getBlockHash" && p.at(0) == 26) return result(toHex(filled(0x26)));
    if (m == "chain_getHeader") {
      if (!p.empty() && p.at(0) != toHex(filled(best))) return result(nullptr);
      return result({{"number", "0x1a"}, {"digest", {}}});
    }
    if (m == "state_getRuntimeVersion") {
      return result({{"specVersion", 1250}, {"transactionVersion", 7}});
    }
    if (m == "state_getStorage") return result(storage.get(p));
    if (m == "pha_clusterMqNextSn") {
      if (brokenNextSn) return {{"error", {{"code", -32602}, {"message", "bad cluster"}}}};
      return result(44);
    }
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  node.setReverseBatches(true);  // matched by id, not position
  std::atomic<int64_t> now{1000};
  auto options = fastOptions();
  options.now_ms = [&] { return now.load(); };
  JsonRpcChainClient client({node.url()}, options);

  auto h = client.head(cluster);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(node.hits(), 2);  // the best hash, then the batch at it
  EXPECT_EQ(h->best.number, 26u);
  EXPECT_EQ(h->best.hash, filled(0x26));
  EXPECT_EQ(h->queue, queued);
  EXPECT_EQ(h->next_sn, 44u);
  EXPECT_EQ(h->spec_version, 1250u);
  EXPECT_EQ(h->transaction_version, 7u);
  auto batch = node.bodies().at(1);
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 4u);
  const json at = toHex(filled(0x26));
  EXPECT_EQ(batch[0]["method"], "chain_getHeader");
  EXPECT_EQ(batch[0]["params"], json::array({at}));
  EXPECT_EQ(batch[1]["method"], "state_getRuntimeVersion");
  EXPECT_EQ(batch[2]["method"], "state_getStorage");
  EXPECT_EQ(batch[2]["params"], json::array({toHex(span(core::queuesKey(cluster))), at}));
  EXPECT_EQ(batch[3]["method"], "pha_clusterMqNextSn");

  // The same values as the calls the default ChainClient::head makes one by one.
  auto bestBlock = client.bestBlock();
  auto q = client.queue(cluster);
  auto n = client.nextSn(cluster);
  ASSERT_TRUE(bestBlock.ok() && q.ok() && n.ok());
  EXPECT_EQ(bestBlock->number, h->best.number);
  EXPECT_EQ(bestBlock->hash, h->best.hash);
  EXPECT_EQ(*q, h->queue);
  EXPECT_EQ(*n, h->next_sn);

  // An unknown cluster's queue is empty, as queue() says.
  auto other = client.head(filled(0xc2));
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(other->queue, core::QueueState{});

  brokenNextSn = true;
  best = 0x27;  // a new block: read again
  now += 1000;
  auto failed = client.head(cluster);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "-32602");
  EXPECT_EQ(failed.error().message, "bad cluster");
  brokenNextSn = false;

  storage.put(core::queuesKey(cluster), Bytes{1, 2, 3});
  best = 0x28;
  now += 1000;
  auto garbled = client.head(cluster);
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().code, "bad_response");
  EXPECT_NE(garbled.error().message.find("state_getStorage: Queues"), std::string::npos)
      << garbled.error().message;
}

// Issue #18: the chain requests do not grow by one per cluster per poll. Fifty clusters polling
// four times within a block (one call after the other, as an idle service does) cost the best
// hash and one batch; a check on the same block is one request; a new block is two.
TEST(ChainClientTest, FiftyClustersPollingWithinABlockCostTwoRequests) {
  std::atomic<uint8_t> best{0x26};
  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "chain_getBlockHash" && p.empty()) return result(toHex(filled(best)));
    if (m == "chain_getHeader") return result({{"number", "0x1a"}, {"digest", {}}});
    if (m == "state_getRuntimeVersion") {
      return result({{"specVersion", 1}, {"transactionVersion", 1}});
    }
    if (m == "state_getStorage") return result(nullptr);
    if (m == "pha_clusterMqNextSn") return result(3);
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  std::atomic<int64_t> now{1000};
  auto options = fastOptions();
  options.now_ms = [&] { return now.load(); };
  JsonRpcChainClient client({node.url()}, options);
  std::vector<H256> clusters;
  for (uint8_t k = 1; k <= 50; ++k) clusters.push_back(filled(k));
  client.watch(clusters);
  for (int poll = 0; poll < 4; ++poll) {
    for (const auto& c : clusters) ASSERT_TRUE(client.head(c).ok());
  }
  EXPECT_EQ(node.hits(), 2) << "200 polls of 50 clusters";
  now += 100;
  for (const auto& c : clusters) ASSERT_TRUE(client.head(c).ok());
  EXPECT_EQ(node.hits(), 3) << "the same block: one check";
  best = 0x27;
  now += 100;
  for (const auto& c : clusters) ASSERT_TRUE(client.head(c).ok());
  EXPECT_EQ(node.hits(), 5) << "a new block: a check and one batch";
}

// chain.ack_confirmations: the head names the block ACKs are read at. "finalized" asks the
// finalized head with each new block, and its header only when it is a block not seen before;
// a number of blocks asks that block's hash. Neither is ever above the best block.
TEST(ChainClientTest, TheHeadNamesTheSettledBlockTheAcksAreReadAt) {
  std::atomic<uint8_t> best{0x26};
  std::atomic<uint8_t> finalized{0x23};
  std::mutex mu;
  std::vector<std::string> asked;
  FakeNode node([&](const std::string& m, const json& p) -> json {
    {
      std::lock_guard lock(mu);
      asked.push_back(m);
    }
    if (m == "chain_getBlockHash" && p.empty()) return result(toHex(filled(best)));
    if (m == "chain_getBlockHash") return result(toHex(filled(p.at(0).get<uint8_t>())));
    if (m == "chain_getFinalizedHead") return result(toHex(filled(finalized)));
    if (m == "chain_getHeader") {
      const uint8_t n = p.at(0) == toHex(filled(finalized)) ? finalized.load() : best.load();
      return result({{"number", toHex(Bytes{n})}, {"digest", {}}});
    }
    if (m == "state_getRuntimeVersion") {
      return result({{"specVersion", 1}, {"transactionVersion", 1}});
    }
    if (m == "state_getStorage") return result(nullptr);
    if (m == "pha_clusterMqNextSn") return result(3);
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  auto count = [&](const std::string& m) {
    std::lock_guard lock(mu);
    return std::count(asked.begin(), asked.end(), m);
  };
  std::atomic<int64_t> now{1000};
  auto options = fastOptions();
  options.now_ms = [&] { return now.load(); };
  options.ack_depth = core::AckDepth::kFinalized;
  JsonRpcChainClient client({node.url()}, options);
  auto h = client.head(filled(1));
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_TRUE(h->settled.has_value());
  EXPECT_EQ(h->settled->number, 0x23u);
  EXPECT_EQ(h->settled->hash, filled(0x23));
  EXPECT_EQ(h->best.number, 0x26u);
  best = 0x27;  // a new block, the same finalized head: no header asked for it again
  now += 100;
  const auto headers = count("chain_getHeader");
  h = client.head(filled(1));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->settled->number, 0x23u);
  EXPECT_EQ(count("chain_getHeader"), headers + 1) << "only the best block's, in the batch";
  EXPECT_EQ(count("chain_getFinalizedHead"), 2);

  options.ack_depth = core::AckDepth::kBlocks;
  options.ack_confirmations = 3;
  JsonRpcChainClient below({node.url()}, options);
  h = below.head(filled(1));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->settled->number, 0x24u);
  EXPECT_EQ(h->settled->hash, filled(0x24));

  options.ack_depth = core::AckDepth::kBest;
  JsonRpcChainClient atBest({node.url()}, options);
  h = atBest.head(filled(1));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->settled->hash, h->best.hash);
}

// Issue #18, item 3: ACK reads go in with the view too. At each new block the view reads, for
// every cluster whose queue moved since its previous block, the ACKs of the sns it passed, in one
// batch for all clusters; a relay's acks() at that block is then answered without a request.
// Fifty clusters whose queues each passed 3 sns: the check, the heads and one ACK batch, where
// each cluster read its own before (50 requests more).
TEST(ChainClientTest, TheAcksOfWhatEachQueuePassedComeWithTheView) {
  Storage storage;
  std::atomic<uint8_t> best{0x26};
  std::vector<H256> clusters;
  for (uint8_t k = 1; k <= 50; ++k) clusters.push_back(filled(k));
  auto queuesAt = [&](uint64_t next) {
    for (const auto& c : clusters)
      storage.put(core::queuesKey(c), core::encode(core::QueueState{next, filled(0x77)}));
  };
  auto ackOf = [](uint64_t sn) {
    core::AckRecord a;
    a.hash = filled(static_cast<uint8_t>(sn));
    a.hunter = filled(0xaa);
    a.block = 0x27;
    a.reward = 7;
    return a;
  };
  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "chain_getBlockHash" && p.empty()) return result(toHex(filled(best)));
    if (m == "chain_getHeader")
      return result({{"number", toHex(Bytes{best.load()})}, {"digest", {}}});
    if (m == "state_getRuntimeVersion") {
      return result({{"specVersion", 1}, {"transactionVersion", 1}});
    }
    if (m == "state_getStorage") return result(storage.get(p));
    if (m == "pha_clusterMqNextSn") return result(0);
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  std::atomic<int64_t> now{1000};
  auto options = fastOptions();
  options.now_ms = [&] { return now.load(); };
  JsonRpcChainClient client({node.url()}, options);
  client.watch(clusters);
  queuesAt(5);
  for (const auto& c : clusters) ASSERT_TRUE(client.head(c).ok());
  EXPECT_EQ(node.hits(), 2) << "the first block: nothing passed since a block read before";

  best = 0x27;
  queuesAt(8);
  for (const auto& c : clusters) {
    for (uint64_t sn = 5; sn < 8; ++sn) storage.put(core::acksKey(c, sn), core::encode(ackOf(sn)));
  }
  now += 100;
  std::vector<core::ChainHead> heads;
  for (const auto& c : clusters) {
    auto h = client.head(c);
    ASSERT_TRUE(h.ok()) << h.error().message;
    heads.push_back(*h);
  }
  EXPECT_EQ(node.hits(), 5) << "a check, the heads and one ACK batch (150 reads)";
  for (size_t k = 0; k < clusters.size(); ++k) {
    auto got = client.acks(clusters[k], {5, 6, 7}, heads[k].best.hash);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_EQ(got->size(), 3u);
    for (uint64_t sn = 5; sn < 8; ++sn) EXPECT_EQ((*got)[sn - 5], std::optional(ackOf(sn)));
  }
  EXPECT_EQ(node.hits(), 5) << "every cluster's ACKs handed over without a request";
  auto again = client.acks(clusters[0], {5, 6, 7}, heads[0].best.hash);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(node.hits(), 6) << "handed over once: asked again, they are read";
  EXPECT_EQ((*again)[1], std::optional(ackOf(6)));
}

TEST(ChainClientTest, AccountIndexFeeNextSnSubmit) {
  const crypto::AccountId32 who = filled(0xaa);
  const Bytes xt = {0x01, 0x02, 0xff};
  std::mutex mu;
  json fee = "123456789012345678901234";
  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "system_accountNextIndex" && p.at(0) == toHex(who)) return result(7);
    if (m == "pha_clusterMqNextSn" && p.at(0) == toHex(filled(0xc1))) return result(42);
    if (m == "payment_queryInfo" && p.at(0) == "0x0102ff") {
      std::lock_guard lock(mu);
      return result({{"weight", {{"refTime", 1}}}, {"class", "normal"}, {"partialFee", fee}});
    }
    if (m == "author_submitExtrinsic" && p.at(0) == "0x0102ff") {
      return result(toHex(filled(0x5e)));
    }
    return {{"error", {{"code", -32602}, {"message", "bad params"}}}};
  });
  JsonRpcChainClient client({node.url()}, fastOptions());
  auto idx = client.accountNextIndex(who);
  ASSERT_TRUE(idx.ok()) << idx.error().message;
  EXPECT_EQ(*idx, 7u);
  auto next = client.nextSn(filled(0xc1));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(*next, 42u);
  auto f = client.queryFee(xt);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(u128ToString(*f), "123456789012345678901234");
  {
    std::lock_guard lock(mu);
    fee = 1500;  // some nodes send a number
  }
  auto f2 = client.queryFee(xt);
  ASSERT_TRUE(f2.ok()) << f2.error().message;
  EXPECT_EQ(*f2, u128{1500});
  {
    std::lock_guard lock(mu);
    fee = "12a";
  }
  auto f3 = client.queryFee(xt);
  ASSERT_FALSE(f3.ok());
  EXPECT_EQ(f3.error().code, "bad_response");
  EXPECT_NE(f3.error().message.find("payment_queryInfo"), std::string::npos);
  EXPECT_NE(f3.error().message.find(node.url()), std::string::npos);

  auto tx = client.submit(xt);
  ASSERT_TRUE(tx.ok()) << tx.error().message;
  EXPECT_EQ(*tx, filled(0x5e));
}

TEST(ChainClientTest, JsonRpcErrorsAreAnswersNotFailover) {
  FakeNode first([](const std::string&, const json&) -> json {
    return {{"error",
             {{"code", 1010}, {"message", "Invalid Transaction"}, {"data", "Custom error: 6"}}}};
  });
  FakeNode second([](const std::string&, const json&) -> json { return result(toHex(filled(1))); });
  JsonRpcChainClient client({first.url(), second.url()}, fastOptions());
  auto r = client.submit(Bytes{1, 2, 3});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "1010");
  EXPECT_EQ(r.error().message, "Custom error: 6");
  EXPECT_EQ(second.hits(), 0);
  auto st = client.stats();
  EXPECT_EQ(st.current, 0u);
  EXPECT_EQ(st.endpoints[0].rpc_errors, 1u);
  EXPECT_EQ(st.endpoints[0].errors_by_method["author_submitExtrinsic"], 1u);
  EXPECT_FALSE(st.endpoints[0].backing_off);

  // Without data (or with non-string data) the message is the error's message.
  FakeNode plain([](const std::string&, const json&) -> json {
    return {{"error", {{"code", 1014}, {"message", "Priority is too low"}, {"data", {1, 2}}}}};
  });
  JsonRpcChainClient client2({plain.url()}, fastOptions());
  auto r2 = client2.submit(Bytes{1});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "1014");
  EXPECT_EQ(r2.error().message, "Priority is too low");

  // Neither data nor message (found by fuzz_chain_response): the message still says what came.
  FakeNode bare([](const std::string&, const json&) -> json {
    return {{"error", {{"code", 1010}, {"messege", "typo"}}}};
  });
  JsonRpcChainClient client3({bare.url()}, fastOptions());
  auto r3 = client3.submit(Bytes{1});
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, "1010");
  EXPECT_NE(r3.error().message.find("author_submitExtrinsic: JSON-RPC error without a message"),
            std::string::npos)
      << r3.error().message;
  EXPECT_NE(r3.error().message.find(bare.url()), std::string::npos) << r3.error().message;
}

// ---- storage -------------------------------------------------------------------------------

TEST(ChainClientTest, StorageDecodingWithRealKeys) {
  Storage storage;
  const H256 cluster = filled(0xc1);
  const crypto::AccountId32 hunter = filled(0xaa);
  core::ClusterInfo info;
  info.workers = {crypto::SecretKey::generate().publicKey(),
                  crypto::SecretKey::generate().publicKey()};
  info.threshold = 2;
  info.reward_per_message = 1000000000000;
  core::QueueState q{17, filled(0x17)};
  core::AccountInfo acct;
  acct.nonce = 5;
  acct.providers = 1;
  acct.data.free = static_cast<u128>(1) << 80;
  storage.put(core::clustersKey(cluster), core::encode(info));
  storage.put(core::queuesKey(cluster), core::encode(q));
  storage.put(core::systemAccountKey(hunter), core::encode(acct));
  storage.put(core::hunterRewardsKey(hunter), core::encodeU128(123456789));

  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "state_getStorage") return result(storage.get(p));
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  JsonRpcChainClient client({node.url()}, fastOptions());

  auto ci = client.clusterInfo(cluster);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  ASSERT_TRUE(ci->has_value());
  EXPECT_EQ(**ci, info);
  auto none = client.clusterInfo(filled(0xc2));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  auto queue = client.queue(cluster);
  ASSERT_TRUE(queue.ok()) << queue.error().message;
  EXPECT_EQ(*queue, q);
  auto empty_queue = client.queue(filled(0xc2));
  ASSERT_TRUE(empty_queue.ok());
  EXPECT_EQ(*empty_queue, core::QueueState{});

  auto a = client.account(hunter);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ(**a, acct);
  auto no_account = client.account(filled(0xab));
  ASSERT_TRUE(no_account.ok());
  EXPECT_FALSE(no_account->has_value());

  auto rewards = client.hunterRewards(hunter);
  ASSERT_TRUE(rewards.ok()) << rewards.error().message;
  EXPECT_EQ(*rewards, u128{123456789});
  auto no_rewards = client.hunterRewards(filled(0xab));
  ASSERT_TRUE(no_rewards.ok());
  EXPECT_EQ(*no_rewards, u128{0});

  // A value that does not decode, or is not hex, is a bad response naming the item.
  storage.put(core::queuesKey(filled(0xc3)), Bytes{1, 2, 3});
  auto broken = client.queue(filled(0xc3));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "bad_response");
  EXPECT_NE(broken.error().message.find("state_getStorage"), std::string::npos);
  EXPECT_NE(broken.error().message.find("Queues"), std::string::npos);
  {
    std::lock_guard lock(storage.mu);
    storage.kv[toHex(span(core::queuesKey(filled(0xc3))))] = "0xzz";
  }
  EXPECT_EQ(client.queue(filled(0xc3)).error().code, "bad_response");
  EXPECT_EQ(client.stats().endpoints[0].bad_responses, 2u);
}

TEST(ChainClientTest, AcksIsOneBatchRequestPerChunk) {
  Storage storage;
  const H256 cluster = filled(0xc1);
  std::map<uint64_t, core::AckRecord> acks;
  for (uint64_t sn = 0; sn < 1000; sn += 3) {
    core::AckRecord a;
    a.hash = filled(static_cast<uint8_t>(sn));
    a.state_root = filled(0x55);
    a.hunter = filled(0xaa);
    a.block = static_cast<uint32_t>(100 + sn);
    a.reward = 7;
    acks[sn] = a;
    storage.put(core::acksKey(cluster, sn), core::encode(a));
  }
  FakeNode node([&](const std::string& m, const json& p) -> json {
    if (m == "state_getStorage") return result(storage.get(p));
    return {{"error", {{"code", -32601}, {"message", "Method not found"}}}};
  });
  node.setReverseBatches(true);  // answers may come in any order: matched by id
  JsonRpcChainClient client({node.url()}, fastOptions());

  std::vector<uint64_t> sns = {9, 10, 11, 12, 3};
  auto few = client.acks(cluster, sns);
  ASSERT_TRUE(few.ok()) << few.error().message;
  EXPECT_EQ(node.hits(), 1);
  ASSERT_EQ(few->size(), sns.size());
  for (size_t i = 0; i < sns.size(); ++i) {
    if (acks.count(sns[i])) {
      ASSERT_TRUE((*few)[i].has_value()) << sns[i];
      EXPECT_EQ(*(*few)[i], acks[sns[i]]);
    } else {
      EXPECT_FALSE((*few)[i].has_value()) << sns[i];
    }
  }
  auto body = node.bodies().at(0);
  ASSERT_TRUE(body.is_array());
  EXPECT_EQ(body.size(), sns.size());
  EXPECT_EQ(body[4]["method"], "state_getStorage");
  EXPECT_EQ(body[4]["params"][0], toHex(span(core::acksKey(cluster, 3))));

  std::vector<uint64_t> many(1000);
  for (uint64_t i = 0; i < many.size(); ++i) many[i] = i;
  auto all = client.acks(cluster, many);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(node.hits(), 3);  // 512 + 488
  ASSERT_EQ(all->size(), 1000u);
  for (uint64_t sn = 0; sn < 1000; ++sn) {
    EXPECT_EQ((*all)[sn].has_value(), sn % 3 == 0) << sn;
    if (sn % 3 == 0) {
      EXPECT_EQ((*all)[sn]->block, 100 + sn);
    }
  }

  auto nothing = client.acks(cluster, {});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
  EXPECT_EQ(node.hits(), 3);
}

TEST(ChainClientTest, AcksBatchErrors) {
  const H256 cluster = filled(0xc1);
  std::mutex mu;
  std::function<std::optional<ServerResponse>(const json&)> mangle;
  FakeNode node([](const std::string&, const json&) -> json { return result(nullptr); });
  node.setHttp([&](const ServerRequest& r) -> std::optional<ServerResponse> {
    std::lock_guard lock(mu);
    return mangle ? mangle(json::parse(r.body)) : std::nullopt;
  });
  JsonRpcChainClient client({node.url()}, fastOptions());
  auto set = [&](std::function<std::optional<ServerResponse>(const json&)> f) {
    std::lock_guard lock(mu);
    mangle = std::move(f);
  };
  auto answers = [](const json& req, const std::function<void(json&, size_t)>& edit) {
    json out = json::array();
    for (size_t i = 0; i < req.size(); ++i) {
      json a = {{"jsonrpc", "2.0"}, {"id", req[i]["id"]}, {"result", nullptr}};
      edit(a, i);
      out.push_back(a);
    }
    ServerResponse resp;
    resp.body = out.dump();
    return std::optional<ServerResponse>(resp);
  };

  // One item's error is the answer.
  set([&](const json& req) {
    return answers(req, [](json& a, size_t i) {
      if (i == 1) {
        a.erase("result");
        a["error"] = {{"code", -32000}, {"message", "state pruned"}};
      }
    });
  });
  auto e = client.acks(cluster, {1, 2, 3});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "-32000");
  EXPECT_EQ(e.error().message, "state pruned");

  // A whole-batch error object.
  set([](const json&) {
    ServerResponse resp;
    resp.body =
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}})";
    return std::optional<ServerResponse>(resp);
  });
  auto whole = client.acks(cluster, {1, 2, 3});
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().code, "-32600");

  struct Case {
    std::function<void(json&, size_t)> edit;
    std::string expect;
  };
  std::vector<Case> cases = {
      {[](json& a, size_t i) {
         if (i == 2) a["id"] = 999999;
       },
       "unexpected id"},
      {[](json& a, size_t i) {
         if (i == 2) a["id"] = a["id"].get<uint64_t>() - 1;
       },
       "answered twice"},
      {[](json& a, size_t i) {
         if (i == 0) a["result"] = 5;
       },
       "expected hex or null"},
      {[](json& a, size_t i) {
         if (i == 0) a["result"] = "0x0102";
       },
       "Acks sn 1"},
  };
  for (const auto& c : cases) {
    set([&](const json& req) { return answers(req, c.edit); });
    auto r = client.acks(cluster, {1, 2, 3});
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_EQ(r.error().code, "bad_response") << r.error().message;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("chain " + node.url() + ": state_getStorage"),
              std::string::npos)
        << r.error().message;
  }
  set([](const json& req) {
    ServerResponse resp;
    json out = json::array();
    out.push_back({{"jsonrpc", "2.0"}, {"id", req[0]["id"]}, {"result", nullptr}});
    resp.body = out.dump();
    return std::optional<ServerResponse>(resp);
  });
  auto short_batch = client.acks(cluster, {1, 2, 3});
  ASSERT_FALSE(short_batch.ok());
  EXPECT_NE(short_batch.error().message.find("batch of 3 answered with 1"), std::string::npos);
}

// The batch scanner (ChainClientOptions::fast_parse) against the general parser: the same ACKs
// or the same error for usual and unusual batch answers alike.
TEST(ChainClientTest, AcksBatchScannerAnswersAsTheGeneralParser) {
  const H256 cluster = filled(0xc1);
  core::AckRecord ack;
  ack.hash = filled(0x01);
  ack.hunter = filled(0x02);
  ack.block = 9;
  ack.reward = 77;
  const std::string hex = toHex(span(core::encode(ack)));
  // Ids 1, 2 and 3: each client's first request.
  auto item = [&](int id, const std::string& result) {
    return "{\"id\":" + std::to_string(id) + ",\"jsonrpc\":\"2.0\",\"result\":" + result + "}";
  };
  const std::string q = "\"" + hex + "\"";
  const std::vector<std::string> bodies = {
      "[" + item(1, q) + "," + item(2, "null") + "," + item(3, q) + "]",
      " [ " + item(3, q) + " ,\n" + item(1, "null") + "," + item(2, q) + " ] ",   // any order
      "[" + item(1, q) + "," + item(2, "null") + "," + item(2, q) + "]",          // id twice
      "[" + item(1, q) + "," + item(2, "null") + "]",                             // too few
      "[" + item(1, q) + "," + item(2, "5") + "," + item(3, q) + "]",             // a number
      "[" + item(1, q) + "," + item(2, "\"0x01\"") + "," + item(3, q) + "]",      // not an ACK
      "[" + item(1, q) + "," + item(2, "\"\\u0030x\"") + "," + item(3, q) + "]",  // escape
      "[" + item(1, q) + ",{\"id\":2,\"error\":{\"code\":-32000,\"message\":\"pruned\"}}," +
          item(3, q) + "]",
      "[" + item(1, q) + ",{\"id\":2,\"result\":null,\"result\":" + q + "}," + item(3, q) + "]",
      "[" + item(1, q) + "," + item(2, "null") + "," + item(3, q) + "] x",
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"too large\"}}",
  };
  for (const auto& body : bodies) {
    ChainClientOptions o = fastOptions();
    o.transport = [&](const HttpCall&) -> Result<HttpReply> {
      return HttpReply{200, body, std::chrono::microseconds(1)};
    };
    JsonRpcChainClient fast({"http://chain.test"}, o);
    o.fast_parse = false;
    JsonRpcChainClient general({"http://chain.test"}, o);
    auto a = fast.acks(cluster, {1, 2, 3});
    auto b = general.acks(cluster, {1, 2, 3});
    ASSERT_EQ(a.ok(), b.ok()) << body;
    if (!a.ok()) {
      EXPECT_EQ(a.error().code, b.error().code) << body;
      EXPECT_EQ(a.error().message, b.error().message) << body;
      continue;
    }
    ASSERT_EQ(a->size(), 3u);
    EXPECT_EQ(*a, *b) << body;
  }
}

// ---- hostile and broken nodes ----------------------------------------------------------------

TEST(ChainClientTest, BadResponsesNameEndpointAndMethod) {
  std::mutex mu;
  std::string body;
  FakeNode node([](const std::string&, const json&) -> json { return result(nullptr); });
  node.setHttp([&](const ServerRequest&) -> std::optional<ServerResponse> {
    std::lock_guard lock(mu);
    ServerResponse r;
    r.body = body;
    return r;
  });
  FakeNode backup([](const std::string&, const json&) -> json { return result(42); });
  JsonRpcChainClient client({node.url(), backup.url()}, fastOptions());
  std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"jsonrpc":"2.0","id":1,"result":4)", "invalid JSON"},
      {R"([1,2,3])", "response is not an object"},
      {R"({"jsonrpc":"2.0","id":123456,"result":4})", "response id 123456"},
      {R"({"jsonrpc":"2.0","result":4})", "response id missing"},
      {R"({"jsonrpc":"2.0","id":ID})", "neither result nor error"},
      {R"({"jsonrpc":"2.0","id":ID,"result":"7"})", ""},  // decimal string: accepted
      {R"({"jsonrpc":"2.0","id":ID,"result":-1})", "expected an integer"},
      {R"({"jsonrpc":"2.0","id":ID,"result":1.5})", "expected an integer"},
      {R"({"jsonrpc":"2.0","id":ID,"result":"0x1ffffffffffffffff"})", "expected an integer"},
      {R"({"jsonrpc":"2.0","id":ID,"error":"nope"})", "error is not an object"},
  };
  uint64_t id = 1;
  for (const auto& [text, expect] : cases) {
    {
      std::lock_guard lock(mu);
      body = text;
      auto pos = body.find("ID");
      if (pos != std::string::npos) body.replace(pos, 2, std::to_string(id));
    }
    ++id;
    auto r = client.nextSn(filled(1));
    if (expect.empty()) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(*r, 7u);
      continue;
    }
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, "bad_response") << r.error().message;
    EXPECT_NE(r.error().message.find("chain " + node.url() + ": pha_clusterMqNextSn: "),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(backup.hits(), 0);  // garbage is not a failover reason
  EXPECT_EQ(client.stats().endpoints[0].errors_by_method["pha_clusterMqNextSn"], cases.size() - 1);

  // Hashes of the wrong length.
  {
    std::lock_guard lock(mu);
    body = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":"0x)" +
           std::string(62, 'a') + R"("})";
  }
  auto h = client.submit(Bytes{1});
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, "bad_response");
  EXPECT_NE(h.error().message.find("author_submitExtrinsic: hash: expected 32 bytes, got 31"),
            std::string::npos)
      << h.error().message;
}

TEST(ChainClientTest, TimeoutAndResponseTooLarge) {
  FakeNode slow([](const std::string&, const json&) -> json { return result(1); });
  slow.setHttp([&](const ServerRequest&) -> std::optional<ServerResponse> {
    slow.waitReleased();
    return std::nullopt;
  });
  ChainClientOptions o;
  o.timeout = milliseconds(200);
  JsonRpcChainClient client({slow.url()}, o);
  auto r = client.nextSn(filled(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "timeout");
  slow.stop();

  const std::string huge(50u << 20, ' ');
  FakeNode big([](const std::string&, const json&) -> json { return result(1); });
  big.setHttp([&](const ServerRequest&) -> std::optional<ServerResponse> {
    ServerResponse resp;
    resp.body = huge;
    return resp;
  });
  ChainClientOptions o2 = fastOptions();
  o2.max_response = 1u << 20;
  JsonRpcChainClient client2({big.url()}, o2);
  auto r2 = client2.nextSn(filled(1));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "response_too_large");
  EXPECT_FALSE(client2.stats().endpoints[0].backing_off);
}

// ---- failover ----------------------------------------------------------------------------------

TEST(ChainClientTest, FailoverSkipsFailingEndpointDuringBackoff) {
  std::atomic<int64_t> now{1000000};
  std::atomic<bool> first_down{true};
  FakeNode first([](const std::string&, const json&) -> json { return result(1); });
  first.setHttp([&](const ServerRequest&) -> std::optional<ServerResponse> {
    if (first_down) return status(503, "overloaded");
    return std::nullopt;
  });
  FakeNode second([](const std::string&, const json&) -> json { return result(2); });
  ChainClientOptions o = fastOptions();
  o.now_ms = [&] { return now.load(); };
  JsonRpcChainClient client({first.url(), second.url()}, o);

  auto a = client.nextSn(filled(1));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(*a, 2u);
  EXPECT_EQ(first.hits(), 1);
  EXPECT_EQ(second.hits(), 1);
  EXPECT_EQ(client.currentEndpoint(), 1u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.nextSn(filled(1)).ok());
  EXPECT_EQ(first.hits(), 1);  // backing off: not retried in a loop
  EXPECT_EQ(second.hits(), 6);
  auto st = client.stats();
  EXPECT_EQ(st.current, 1u);
  EXPECT_TRUE(st.endpoints[0].backing_off);
  EXPECT_EQ(st.endpoints[0].failures, 1u);
  EXPECT_EQ(st.endpoints[0].consecutive_failures, 1u);
  EXPECT_EQ(st.endpoints[0].errors_by_method["pha_clusterMqNextSn"], 1u);
  EXPECT_EQ(st.endpoints[1].requests, 6u);

  // After the backoff (1 s) the first endpoint is tried again: it fails, backoff doubles.
  now += 1000;
  ASSERT_TRUE(client.nextSn(filled(1)).ok());
  EXPECT_EQ(first.hits(), 2);
  now += 1999;
  ASSERT_TRUE(client.nextSn(filled(1)).ok());
  EXPECT_EQ(first.hits(), 2);
  now += 1;
  first_down = false;  // it recovers: preferred again
  auto back = client.nextSn(filled(1));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 1u);
  EXPECT_EQ(first.hits(), 3);
  EXPECT_EQ(client.currentEndpoint(), 0u);
  EXPECT_FALSE(client.stats().endpoints[0].backing_off);
  EXPECT_EQ(client.stats().endpoints[0].consecutive_failures, 0u);
}

TEST(ChainClientTest, BackoffIsExponentialAndCapped) {
  std::atomic<int64_t> now{0};
  FakeNode down([](const std::string&, const json&) -> json { return result(1); });
  down.setHttp([](const ServerRequest&) -> std::optional<ServerResponse> {
    return status(500, "internal");
  });
  FakeNode up([](const std::string&, const json&) -> json { return result(2); });
  ChainClientOptions o = fastOptions();
  o.now_ms = [&] { return now.load(); };
  JsonRpcChainClient client({down.url(), up.url()}, o);
  // Delays 1, 2, 4, 8, 16, 30, 30 s: the failing endpoint is tried exactly at each expiry.
  const int64_t expected[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
  int hits = 0;
  for (int64_t delay : expected) {
    ASSERT_TRUE(client.nextSn(filled(1)).ok());
    EXPECT_EQ(down.hits(), ++hits);
    now += delay - 1;
    ASSERT_TRUE(client.nextSn(filled(1)).ok());
    EXPECT_EQ(down.hits(), hits) << "retried before " << delay << " ms";
    now += 1;
  }
}

TEST(ChainClientTest, FailoverOnRefusedConnectionAndAllDown) {
  std::string gone_url;
  {
    FakeNode gone([](const std::string&, const json&) -> json { return result(0); });
    gone_url = gone.url();
  }
  FakeNode up([](const std::string&, const json&) -> json { return result(9); });
  JsonRpcChainClient client({gone_url, up.url()}, fastOptions());
  auto r = client.accountNextIndex(filled(2));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 9u);
  EXPECT_EQ(client.currentEndpoint(), 1u);
  EXPECT_EQ(client.stats().endpoints[0].failures, 1u);

  // Every endpoint failing: the error names each one.
  FakeNode sick([](const std::string&, const json&) -> json { return result(0); });
  sick.setHttp([](const ServerRequest&) -> std::optional<ServerResponse> {
    return status(503, "down for maintenance");
  });
  JsonRpcChainClient doomed({gone_url, sick.url()}, fastOptions());
  auto d = doomed.nextSn(filled(1));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "http_503");
  EXPECT_NE(d.error().message.find(gone_url), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find(sick.url()), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("down for maintenance"), std::string::npos);

  // Both backing off now: the one whose backoff ends first is still tried (one request).
  const int before = sick.hits();
  auto again = doomed.nextSn(filled(1));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "unreachable") << again.error().message;
  EXPECT_EQ(sick.hits(), before);
}

TEST(ChainClientTest, SingleEndpointIsAlwaysTried) {
  std::atomic<bool> down{true};
  FakeNode node([](const std::string&, const json&) -> json { return result(5); });
  node.setHttp([&](const ServerRequest&) -> std::optional<ServerResponse> {
    if (down) return status(502, "bad gateway");
    return std::nullopt;
  });
  JsonRpcChainClient client({node.url()}, fastOptions());
  EXPECT_EQ(client.nextSn(filled(1)).error().code, "http_502");
  EXPECT_EQ(client.nextSn(filled(1)).error().code, "http_502");
  EXPECT_EQ(node.hits(), 2);
  down = false;
  auto r = client.nextSn(filled(1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 5u);
}

// With the genesis pinned, an endpoint of another chain is checked once, never used, and named;
// when no endpoint is left the error says why.
TEST(ChainClientTest, AnEndpointOfAnotherChainIsNeverUsedOncePinned) {
  const std::string ours = "0x" + std::string(64, 'a'), theirs = "0x" + std::string(64, 'b');
  std::map<std::string, std::vector<std::string>> seen;  // url -> methods asked
  ChainClientOptions o = fastOptions();
  o.transport = [&](const HttpCall& c) -> Result<HttpReply> {
    json req = json::parse(c.body);
    seen[c.url].push_back(req["method"]);
    json res = c.url == "http://other.test" ? json(theirs) : json(ours);
    if (req["method"] == "system_chain") res = "chain at " + c.url;
    json body = {{"jsonrpc", "2.0"}, {"id", req["id"]}, {"result", res}};
    return HttpReply{200, body.dump(), std::chrono::microseconds(1)};
  };
  JsonRpcChainClient client({"http://other.test", "http://ours.test"}, o);
  auto g = fixedFromHex<32>(ours);
  ASSERT_TRUE(g.ok());
  client.pinGenesis(*g);
  for (int i = 0; i < 3; ++i) {
    auto r = client.rawCall("system_chain");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "\"chain at http://ours.test\"");
  }
  EXPECT_EQ(seen["http://other.test"], std::vector<std::string>{"chain_getBlockHash"});
  auto stats = client.stats();
  EXPECT_TRUE(stats.endpoints[0].wrong_chain);
  EXPECT_NE(stats.endpoints[0].wrong_chain_detail.find("genesis " + theirs), std::string::npos);
  EXPECT_FALSE(stats.endpoints[1].wrong_chain);

  JsonRpcChainClient alone({"http://other.test"}, o);
  alone.pinGenesis(*g);
  auto r = alone.rawCall("system_chain");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "wrong_chain");
  EXPECT_NE(r.error().message.find("expected " + ours), std::string::npos) << r.error().message;
  r = alone.rawCall("system_chain");  // and again, not "no endpoint configured"
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "wrong_chain") << r.error().message;
}

}  // namespace
}  // namespace hunter::adapters
