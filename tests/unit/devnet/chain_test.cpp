// The devnet chain through its JSON-RPC surface: the pool's validation (every error of
// docs/protocol.md §4), readiness of waiting transactions, blocks, fees, rewards and storage.
#include "hunter/devnet/chain.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::devnet {
namespace {

using core::ClusterMessage;
using core::SignedClusterMessage;
using nlohmann::json;

const json& vectors() {
  static const json j = [] {
    std::ifstream f(HUNTER_VECTORS_FILE);
    return json::parse(f);
  }();
  return j;
}

Bytes hex(const json& v) { return fromHex(v.get<std::string>()).value(); }
H256 h256(const json& v) { return fixedFromHex<32>(v.get<std::string>()).value(); }
crypto::SecretKey secret(std::string_view h) { return crypto::SecretKey::fromHex(h).value(); }

const crypto::SecretKey& worker(size_t i) {
  static const std::vector<crypto::SecretKey> keys = [] {
    std::vector<crypto::SecretKey> k;
    for (const auto& v : vectors()["keys"]) k.push_back(secret(v["secret"].get<std::string>()));
    return k;
  }();
  return keys.at(i);
}
const crypto::SecretKey& hunterKey() {
  static const auto k = secret(vectors()["hunter"]["secret"].get<std::string>());
  return k;
}
const crypto::SecretKey& hunter2Key() {
  static const auto k =
      secret("0x1111111111111111111111111111111111111111111111111111111111111111");
  return k;
}
const crypto::SecretKey& poorKey() {
  static const auto k =
      secret("0x2222222222222222222222222222222222222222222222222222222222222222");
  return k;
}
const crypto::SecretKey& outsiderKey() {
  static const auto k =
      secret("0x3333333333333333333333333333333333333333333333333333333333333333");
  return k;
}
crypto::AccountId32 account(const crypto::SecretKey& k) { return crypto::accountId(k.publicKey()); }

const H256 kCluster = h256(vectors()["cluster_messages"][0]["cluster"]);
const H256 kCluster2 = crypto::blake2_256(std::string_view("second cluster"));
constexpr u128 kReward = 1'000'000'000;
constexpr u128 kReward2 = 7;
constexpr u128 kBalance = 1'000'000'000'000'000'000ull;

ChainConfig makeConfig() {
  ChainConfig c;
  GenesisCluster a;
  a.id = kCluster;
  for (size_t i = 0; i < 4; ++i) a.workers.push_back(worker(i).publicKey());
  a.threshold = 3;
  a.reward_per_message = kReward;
  GenesisCluster b = a;
  b.id = kCluster2;
  b.threshold = 2;
  b.reward_per_message = kReward2;
  c.clusters = {a, b};
  c.accounts = {{account(hunterKey()), kBalance},
                {account(hunter2Key()), kBalance},
                {account(poorKey()), 1'000'000}};
  return c;
}

ClusterMessage vectorMessage(size_t i) {
  const auto& m = vectors()["cluster_messages"][i];
  ClusterMessage cm;
  cm.message.sender = core::MessageOrigin::cluster(h256(m["cluster"]));
  cm.message.destination = hex(m["destination"]);
  cm.message.payload = hex(m["payload"]);
  cm.sn = std::stoull(m["sn"].get<std::string>());
  cm.prev_hash = h256(m["prev_hash"]);
  cm.state_root = h256(m["state_root"]);
  return cm;
}

ClusterMessage message(uint64_t sn, const H256& prev, const H256& cluster = kCluster,
                       std::string_view tag = "a") {
  ClusterMessage m;
  m.message.sender = core::MessageOrigin::cluster(cluster);
  m.message.destination = toBytes("phala/cluster/event");
  m.message.payload = toBytes(std::string(tag) + ":" + std::to_string(sn));
  m.sn = sn;
  m.prev_hash = prev;
  m.state_root = crypto::blake2_256(std::string_view(std::string(tag) + std::to_string(sn)));
  return m;
}

// sn from..from+n-1 linked to `prev`.
std::vector<ClusterMessage> stream(uint64_t from, size_t n, H256 prev,
                                   const H256& cluster = kCluster, std::string_view tag = "a") {
  std::vector<ClusterMessage> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(message(from + i, prev, cluster, tag));
    prev = core::messageHash(out.back());
  }
  return out;
}

SignedClusterMessage signWith(const ClusterMessage& m, std::vector<size_t> workers = {0, 1, 2}) {
  SignedClusterMessage s{m, {}};
  H256 h = core::messageHash(m);
  for (size_t w : workers) s.signatures.push_back(core::signMessageHash(worker(w), h));
  return s;
}

Bytes call1(const SignedClusterMessage& item) { return core::encodeCall({false, {item}}); }
Bytes callN(const std::vector<SignedClusterMessage>& items) {
  return core::encodeCall({true, items});
}
Bytes callOf(const std::vector<ClusterMessage>& msgs) {
  std::vector<SignedClusterMessage> items;
  for (const auto& m : msgs) items.push_back(signWith(m));
  return msgs.size() == 1 ? call1(items[0]) : callN(items);
}

class ChainTest : public ::testing::Test {
 protected:
  explicit ChainTest(ChainConfig c = makeConfig())
      : config_(c), chain_(std::make_unique<DevChain>(std::move(c))) {}

  DevChain& chain() { return *chain_; }

  // Signed as a hunter does: mortal eras start at the best block it sees.
  Bytes ext(const crypto::SecretKey& k, const Bytes& call, uint32_t nonce, u128 tip = 0,
            core::Era era = core::Era::immortal(),
            std::optional<core::ChainParams> params = std::nullopt) {
    core::ChainParams p = params.value_or(chain().params());
    H256 era_hash = p.genesis_hash;
    if (!era.isImmortal()) {
      era_hash = chain().blockHash(era.birth(chain().bestNumber())).value_or(H256{});
    }
    return core::buildSignedExtrinsic(k, call, core::TxExtra{era, nonce, tip}, p, era_hash);
  }

  json rpc(const std::string& method, json params = json::array()) {
    return chain().handleRpc(
        {{"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", std::move(params)}});
  }
  json submit(const Bytes& x) { return rpc("author_submitExtrinsic", {toHex(x)}); }

  void expectAccepted(const json& r, const Bytes& x) {
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"], toHex(core::txHash(x)));
    EXPECT_EQ(r["id"], 7);
  }
  void expectInvalid(const json& r, const std::string& data) {
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], 1010) << r.dump();
    EXPECT_EQ(r["error"]["message"], "Invalid Transaction");
    EXPECT_EQ(r["error"]["data"], data);
  }
  void expectCustom(const json& r, int n) {
    expectInvalid(r, "Custom error: " + std::to_string(n));
  }
  void expectError(const json& r, int code, const std::string& message) {
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], code) << r.dump();
    EXPECT_EQ(r["error"]["message"], message) << r.dump();
  }

  uint64_t nextSnRpc(const H256& cluster) {
    return rpc("pha_clusterMqNextSn", {toHex(cluster)})["result"].get<uint64_t>();
  }
  uint32_t nextIndexRpc(const crypto::SecretKey& k) {
    return rpc("system_accountNextIndex", {crypto::ss58Encode(account(k))})["result"]
        .get<uint32_t>();
  }
  std::optional<Bytes> storageRpc(const Bytes& key) {
    json r = rpc("state_getStorage", {toHex(key)});
    EXPECT_TRUE(r.contains("result")) << r.dump();
    if (r["result"].is_null()) return std::nullopt;
    return hex(r["result"]);
  }
  core::AccountInfo accountInfo(const crypto::SecretKey& k) {
    auto v = storageRpc(core::systemAccountKey(account(k)));
    EXPECT_TRUE(v.has_value());
    return core::decodeAccountInfo(v.value_or(Bytes{})).value();
  }
  uint64_t statCount(const char* section, const std::string& key) {
    json s = chain().stateJson();
    return s[section].contains(key) ? s[section][key].get<uint64_t>() : 0;
  }

  ChainConfig config_;
  std::unique_ptr<DevChain> chain_;
};

// ---- conformance with the reference vectors ----

TEST_F(ChainTest, VectorExtrinsicsFailOnAnotherGenesis) {
  const auto& xs = vectors()["extrinsics"];
  ASSERT_EQ(xs.size(), 3u);
  EXPECT_NE(toHex(chain().genesisHash()), xs[0]["genesis_hash"].get<std::string>());
  // Immortal: signed over the vectors' genesis hash.
  expectInvalid(submit(hex(xs[0]["extrinsic"])), "Transaction has a bad signature");
  // Mortal (64, 123456): phase 0, so its birth as seen from block 1 is block 0 (our genesis),
  // whose hash is not the one it was signed with.
  expectInvalid(submit(hex(xs[1]["extrinsic"])), "Transaction has a bad signature");
  // Mortal (64, 99): birth block 35 does not exist yet.
  expectInvalid(submit(hex(xs[2]["extrinsic"])), "Transaction has an ancient birth block");
  EXPECT_EQ(chain().poolSize(), 0u);
  EXPECT_EQ(chain().freeBalance(account(hunterKey())), kBalance);
}

TEST_F(ChainTest, VectorCallsSignedForThisChainAreIncluded) {
  const auto& xs = vectors()["extrinsics"];
  // The vectors' calls (messages sn 0, then 1 and 2 with the workers' real signatures),
  // re-signed by the vector hunter for this chain's genesis.
  Bytes x0 = ext(hunterKey(), hex(xs[0]["call"]), 0);
  Bytes x1 = ext(hunterKey(), hex(xs[2]["call"]), 1);
  expectAccepted(submit(x0), x0);
  expectAccepted(submit(x1), x1);
  EXPECT_EQ(nextSnRpc(kCluster), 3u);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 2u);
  auto wallMs = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  EXPECT_EQ(chain().stateJson()["clusters"][toHex(kCluster)]["advanced_ms"], 0);
  const int64_t before = wallMs();
  EXPECT_EQ(chain().produceBlock(), 1u);
  const int64_t after = wallMs();
  EXPECT_EQ(chain().poolSize(), 0u);
  // The block that moved the queue is stamped with the wall clock (the bench's end of a backlog).
  const int64_t advanced =
      chain().stateJson()["clusters"][toHex(kCluster)]["advanced_ms"].get<int64_t>();
  EXPECT_GE(advanced, before);
  EXPECT_LE(advanced, after);
  chain().produceBlock();  // an empty block does not move it
  EXPECT_EQ(chain().stateJson()["clusters"][toHex(kCluster)]["advanced_ms"], advanced);

  const auto& sv = vectors()["storage_values"];
  EXPECT_EQ(toHex(storageRpc(core::queuesKey(kCluster)).value()),
            sv["queue_state"]["encoded"].get<std::string>());
  EXPECT_EQ(toHex(storageRpc(core::clustersKey(kCluster)).value()),
            sv["cluster_info"]["encoded"].get<std::string>());
  for (size_t i = 0; i < 3; ++i) {
    const auto& m = vectors()["cluster_messages"][i];
    auto rec = core::decodeAckRecord(storageRpc(core::acksKey(kCluster, i)).value()).value();
    EXPECT_EQ(rec.hash, h256(m["hash"]));
    EXPECT_EQ(rec.hash, core::messageHash(vectorMessage(i)));
    EXPECT_EQ(rec.state_root, h256(m["state_root"]));
    EXPECT_EQ(rec.hunter, account(hunterKey()));
    EXPECT_EQ(rec.block, 1u);
    EXPECT_TRUE(rec.reward == kReward);
  }
  // The storage keys are the vectors' keys.
  for (const auto& k : vectors()["storage_keys"]) {
    if (k["item"] == "PhalaClusterMq.Clusters") {
      EXPECT_TRUE(chain().storage(hex(k["key"])).has_value());
    }
  }
}

// ---- 1001, 1013, 1014 ----

TEST_F(ChainTest, Error1001InvalidFormat) {
  json r = submit(Bytes{0x12, 0x34});
  expectError(r, 1001, "Extrinsic has invalid format");
  EXPECT_TRUE(r["error"]["data"].is_string());
  EXPECT_FALSE(r["error"]["data"].get<std::string>().empty());
  // Unknown call index of the pallet.
  Bytes badCall = call1(signWith(message(0, {})));
  badCall[1] = 7;
  expectError(submit(ext(hunterKey(), badCall, 0)), 1001, "Extrinsic has invalid format");
  // Unknown pallet.
  badCall[0] = 4;
  badCall[1] = 0;
  expectError(submit(ext(hunterKey(), badCall, 0)), 1001, "Extrinsic has invalid format");
  // Unknown MessageOrigin variant (call = 0x55 0x00 ++ origin tag ++ ...).
  Bytes badOrigin = call1(signWith(message(0, {})));
  badOrigin[2] = 7;
  expectError(submit(ext(hunterKey(), badOrigin, 0)), 1001, "Extrinsic has invalid format");
  // Trailing bytes after the call.
  Bytes x = ext(hunterKey(), call1(signWith(message(0, {}))), 0);
  x.push_back(0);
  expectError(submit(x), 1001, "Extrinsic has invalid format");
  EXPECT_EQ(statCount("rejections", "Extrinsic has invalid format"), 5u);
  EXPECT_EQ(chain().poolSize(), 0u);
}

TEST_F(ChainTest, Error1013AlreadyImported) {
  Bytes x = ext(hunterKey(), callOf(stream(0, 1, {})), 0);
  expectAccepted(submit(x), x);
  expectError(submit(x), 1013, "Transaction Already Imported");
  // A waiting transaction too.
  Bytes y = ext(hunterKey(), callOf(stream(5, 1, H256{1})), 3);
  expectAccepted(submit(y), y);
  expectError(submit(y), 1013, "Transaction Already Imported");
  EXPECT_EQ(chain().poolSize(), 2u);
}

TEST_F(ChainTest, Error1014SameNonce) {
  auto s = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf({s[0]}), 0);
  Bytes b = ext(hunterKey(), callOf({s[1]}), 0);  // other sn, same nonce
  expectAccepted(submit(a), a);
  expectError(submit(b), 1014, "Priority is too low");
  // Also with a higher tip: no replacement.
  expectError(submit(ext(hunterKey(), callOf({s[1]}), 0, 1000)), 1014, "Priority is too low");
  EXPECT_EQ(chain().poolSize(), 1u);
}

TEST_F(ChainTest, Error1014SameSn) {
  auto s = stream(0, 3, {});
  Bytes a = ext(hunterKey(), callOf({s[0], s[1]}), 0);
  expectAccepted(submit(a), a);
  // Another hunter carrying sn 0 (the same message), or a batch overlapping at sn 1.
  expectError(submit(ext(hunter2Key(), callOf({s[0]}), 0)), 1014, "Priority is too low");
  expectError(submit(ext(hunter2Key(), callOf({s[1], s[2]}), 0)), 1014, "Priority is too low");
  // A different message at sn 0 fails 6? No: sn 0 links to the chain, so it is the sn clash.
  auto other = stream(0, 1, {}, kCluster, "other");
  expectError(submit(ext(hunter2Key(), callOf(other), 0, 5000)), 1014, "Priority is too low");
  // The next sn is fine.
  Bytes c = ext(hunter2Key(), callOf({s[2]}), 0);
  expectAccepted(submit(c), c);
  EXPECT_EQ(statCount("rejections", "Priority is too low"), 3u);
}

// ---- 1010 with the standard data strings ----

TEST_F(ChainTest, OutdatedNonce) {
  auto s = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf({s[0]}), 0);
  expectAccepted(submit(a), a);
  chain().produceBlock();
  expectInvalid(submit(ext(hunterKey(), callOf({s[1]}), 0)), "Transaction is outdated");
  EXPECT_EQ(statCount("rejections", "Transaction is outdated"), 1u);
}

TEST_F(ChainTest, OutdatedSn) {
  auto s = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf(s), 0);
  expectAccepted(submit(a), a);
  chain().produceBlock();
  expectInvalid(submit(ext(hunter2Key(), callOf({s[1]}), 0)), "Transaction is outdated");
  // A batch whose first sn is stale, even though it reaches past the queue.
  auto more = stream(1, 2, core::messageHash(s[0]));
  expectInvalid(submit(ext(hunter2Key(), callOf(more), 0)), "Transaction is outdated");
}

TEST_F(ChainTest, FarFutureSn) {
  expectInvalid(submit(ext(hunterKey(), callOf(stream(1025, 1, H256{9})), 0)),
                "Transaction will be valid in the future");
  Bytes ok = ext(hunterKey(), callOf(stream(1024, 1, H256{9})), 0);
  expectAccepted(submit(ok), ok);
  EXPECT_EQ(chain().readyCount(), 0u);
  EXPECT_EQ(nextSnRpc(kCluster), 0u);
}

TEST_F(ChainTest, BadSignatureForEveryPayloadField) {
  Bytes call = callOf(stream(0, 1, {}));
  core::ChainParams p = chain().params();
  core::ChainParams wrongGenesis = p;
  wrongGenesis.genesis_hash[0] ^= 1;
  core::ChainParams wrongSpec = p;
  wrongSpec.spec_version += 1;
  core::ChainParams wrongTx = p;
  wrongTx.transaction_version += 1;
  const std::string bad = "Transaction has a bad signature";
  expectInvalid(submit(ext(hunterKey(), call, 0, 0, core::Era::immortal(), wrongGenesis)), bad);
  expectInvalid(submit(ext(hunterKey(), call, 0, 0, core::Era::immortal(), wrongSpec)), bad);
  expectInvalid(submit(ext(hunterKey(), call, 0, 0, core::Era::immortal(), wrongTx)), bad);
  // Mortal era signed with a wrong block hash.
  for (int i = 0; i < 3; ++i) chain().produceBlock();
  core::Era era = core::Era::mortal(64, chain().bestNumber());
  Bytes wrongEraHash = core::buildSignedExtrinsic(hunterKey(), call, core::TxExtra{era, 0, 0}, p,
                                                  *chain().blockHash(1));
  expectInvalid(submit(wrongEraHash), bad);
  // The signature is another key's: the account does not match.
  Bytes x = ext(hunterKey(), call, 0);
  Bytes y = ext(hunter2Key(), call, 0);
  // The signature follows a 2-byte length prefix, 0x84, 0x00, the account and 0x02.
  ASSERT_GE(x.size(), 64u);
  ASSERT_LT(x.size(), 16384u);
  std::copy(y.begin() + 37, y.begin() + 37 + 65, x.begin() + 37);
  expectInvalid(submit(x), bad);
  // recid out of range / high-S.
  Bytes z = ext(hunterKey(), call, 0);
  z[37 + 64] = 4;
  expectInvalid(submit(z), bad);
  EXPECT_EQ(statCount("rejections", bad), 6u);
  // The right one passes.
  Bytes good = ext(hunterKey(), call, 0, 0, era);
  expectAccepted(submit(good), good);
}

TEST_F(ChainTest, AncientBirthBlock) {
  Bytes call = callOf(stream(0, 1, {}));
  // The era starts at block 100, which does not exist yet.
  core::Era future = core::Era::mortal(64, 100);
  Bytes x = core::buildSignedExtrinsic(hunterKey(), call, core::TxExtra{future, 0, 0},
                                       chain().params(), H256{});
  expectInvalid(submit(x), "Transaction has an ancient birth block");
  // A mortal era whose period ended shows as a bad signature: its birth as seen now is another
  // block (Substrate's behaviour).
  core::Era era = core::Era::mortal(4, 0);
  Bytes y = ext(hunterKey(), call, 0, 0, era);
  for (int i = 0; i < 4; ++i) chain().produceBlock();
  expectInvalid(submit(y), "Transaction has a bad signature");
}

TEST_F(ChainTest, InabilityToPayFees) {
  Bytes x = ext(poorKey(), callOf(stream(0, 1, {})), 0);
  expectInvalid(submit(x), "Inability to pay some fees (e.g. account balance too low)");
  // An account that does not exist at all.
  expectInvalid(submit(ext(outsiderKey(), callOf(stream(0, 1, {})), 0)),
                "Inability to pay some fees (e.g. account balance too low)");
  // The tip counts.
  // (A tip near kBalance has the same Compact size as kBalance itself.)
  u128 fee = chain().feeFor(ext(hunterKey(), callOf(stream(0, 1, {})), 0, kBalance).size());
  Bytes rich = ext(hunterKey(), callOf(stream(0, 1, {})), 0, kBalance - fee + 1);
  expectInvalid(submit(rich), "Inability to pay some fees (e.g. account balance too low)");
  Bytes exact = ext(hunterKey(), callOf(stream(0, 1, {})), 0, kBalance - fee);
  ASSERT_EQ(chain().feeFor(exact.size()), fee);
  expectAccepted(submit(exact), exact);
  chain().produceBlock();
  EXPECT_TRUE(chain().freeBalance(account(hunterKey())) == kReward);
}

// ---- custom errors ----

TEST_F(ChainTest, Custom1UnknownCluster) {
  H256 unknown = crypto::blake2_256(std::string_view("nobody"));
  expectCustom(submit(ext(hunterKey(), callOf(stream(0, 1, {}, unknown)), 0)), 1);
}

TEST_F(ChainTest, Custom2MalformedWorkerSignature) {
  auto item = signWith(message(0, {}));
  item.signatures[1][64] = 2;  // recid not in {0, 1}
  expectCustom(submit(ext(hunterKey(), call1(item), 0)), 2);
  auto zero = signWith(message(0, {}));
  zero.signatures[0] = crypto::Signature{};  // r = s = 0
  expectCustom(submit(ext(hunterKey(), call1(zero), 0)), 2);
  // High-S: s' = n - s with the recid flipped recovers the same key, but is refused.
  auto high = signWith(message(0, {}));
  static const FixedBytes<32> n =
      fixedFromHex<32>("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
          .value();
  auto& sig = high.signatures[2];
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig[32 + i] - borrow;
    borrow = d < 0;
    sig[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  sig[64] ^= 1;
  expectCustom(submit(ext(hunterKey(), call1(high), 0)), 2);
}

TEST_F(ChainTest, Custom3BelowThreshold) {
  expectCustom(submit(ext(hunterKey(), call1(signWith(message(0, {}), {0, 1})), 0)), 3);
  expectCustom(submit(ext(hunterKey(), call1(signWith(message(0, {}), {})), 0)), 3);
  // Cluster 2 has threshold 2.
  Bytes ok = ext(hunterKey(), call1(signWith(message(0, {}, kCluster2), {3, 1})), 0);
  expectAccepted(submit(ok), ok);
}

TEST_F(ChainTest, Custom4DuplicateSigner) {
  auto item = signWith(message(0, {}), {0, 1, 0});
  expectCustom(submit(ext(hunterKey(), call1(item), 0)), 4);
  // Four signatures, three distinct: still 4 (every signature must be from a distinct worker).
  expectCustom(submit(ext(hunterKey(), call1(signWith(message(0, {}), {0, 1, 2, 2})), 0)), 4);
}

TEST_F(ChainTest, Custom5NotAWorker) {
  auto item = signWith(message(0, {}));
  item.signatures.push_back(core::signMessageHash(outsiderKey(), core::messageHash(item.message)));
  expectCustom(submit(ext(hunterKey(), call1(item), 0)), 5);
  // A worker's signature over another hash recovers to some other key.
  auto other = signWith(message(0, {}));
  other.signatures[0] = core::signMessageHash(worker(0), H256{42});
  expectCustom(submit(ext(hunterKey(), call1(other), 0)), 5);
}

TEST_F(ChainTest, Custom6PrevHash) {
  // sn 0 must link to zero.
  expectCustom(submit(ext(hunterKey(), callOf({message(0, H256{1})}), 0)), 6);
  // A broken link inside a batch.
  auto s = stream(0, 3, {});
  s[2].prev_hash = H256{3};
  expectCustom(submit(ext(hunterKey(), callOf(s), 0)), 6);
  // Against the chain's last accepted hash.
  auto good = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf({good[0]}), 0);
  expectAccepted(submit(a), a);
  chain().produceBlock();
  expectCustom(submit(ext(hunterKey(), callOf({message(1, H256{5})}), 1)), 6);
  // Against the message waiting before it in the pool.
  Bytes b = ext(hunterKey(), callOf({good[1]}), 1);
  expectAccepted(submit(b), b);
  expectCustom(submit(ext(hunter2Key(), callOf({message(2, H256{6})}), 0)), 6);
  // With a waiting (not ready) predecessor too: sn 5 waits, sn 6 must link to it.
  auto far = stream(5, 2, H256{8});
  Bytes c = ext(hunter2Key(), callOf({far[0]}), 0);
  expectAccepted(submit(c), c);
  expectCustom(submit(ext(hunter2Key(), callOf({message(6, H256{7})}), 1)), 6);
  Bytes d = ext(hunter2Key(), callOf({far[1]}), 1);
  expectAccepted(submit(d), d);
}

TEST_F(ChainTest, Custom7BatchShape) {
  expectCustom(submit(ext(hunterKey(), callN({}), 0)), 7);
  // Not contiguous.
  auto s = stream(0, 3, {});
  expectCustom(submit(ext(hunterKey(), callN({signWith(s[0]), signWith(s[2])}), 0)), 7);
  // Descending.
  expectCustom(submit(ext(hunterKey(), callN({signWith(s[1]), signWith(s[0])}), 0)), 7);
  // Mixing clusters.
  auto other = message(1, core::messageHash(s[0]), kCluster2);
  expectCustom(submit(ext(hunterKey(), callN({signWith(s[0]), signWith(other)}), 0)), 7);
  // A batch of one is fine.
  Bytes ok = ext(hunterKey(), callN({signWith(s[0])}), 0);
  expectAccepted(submit(ok), ok);
}

TEST_F(ChainTest, Custom8MessageRules) {
  auto emptyDest = message(0, {});
  emptyDest.message.destination.clear();
  expectCustom(submit(ext(hunterKey(), callOf({emptyDest}), 0)), 8);
  auto reserved = message(0, {});
  reserved.message.destination = toBytes("/phala");
  expectCustom(submit(ext(hunterKey(), callOf({reserved}), 0)), 8);
  auto big = message(0, {});
  big.message.payload.assign(core::kMaxPayload + 1, 0xab);
  expectCustom(submit(ext(hunterKey(), callOf({big}), 0)), 8);
  auto contract = message(0, {});
  contract.message.sender.kind = core::OriginKind::kContract;
  expectCustom(submit(ext(hunterKey(), callOf({contract}), 0)), 8);
  auto maxPayload = message(0, {});
  maxPayload.message.payload.assign(core::kMaxPayload, 0xab);
  Bytes ok = ext(hunterKey(), callOf({maxPayload}), 0);
  expectAccepted(submit(ok), ok);
}

TEST_F(ChainTest, CheckOrder) {
  // Bad message rules beat a bad batch shape, an unknown cluster and bad signatures.
  auto bad = message(0, {});
  bad.message.destination.clear();
  auto item = signWith(bad, {0});
  auto s = stream(0, 3, {});
  expectCustom(submit(ext(hunterKey(), callN({item, signWith(s[2])}), 0)), 8);
  // 7 before 1.
  H256 unknown = crypto::blake2_256(std::string_view("nobody"));
  auto u = stream(0, 3, {}, unknown);
  expectCustom(submit(ext(hunterKey(), callN({signWith(u[0]), signWith(u[2])}), 0)), 7);
  // 1 before the sn checks.
  expectCustom(submit(ext(hunterKey(), callOf(stream(5000, 1, {}, unknown)), 0)), 1);
  // Far-future sn before 6 and signatures.
  expectInvalid(submit(ext(hunterKey(), call1(signWith(message(2000, {}), {0})), 0)),
                "Transaction will be valid in the future");
  // 6 before the signatures.
  expectCustom(submit(ext(hunterKey(), call1(signWith(message(0, H256{1}), {0})), 0)), 6);
  // 2 before 5 and 4 in signature order; 5 before 4 when it comes first.
  auto m = message(0, {});
  auto sigs = signWith(m, {0, 0});
  sigs.signatures.push_back(core::signMessageHash(outsiderKey(), core::messageHash(m)));
  expectCustom(submit(ext(hunterKey(), call1(sigs), 0)), 4);
  auto sigs5 = signWith(m, {0});
  sigs5.signatures.push_back(core::signMessageHash(outsiderKey(), core::messageHash(m)));
  sigs5.signatures.push_back(sigs5.signatures[0]);
  expectCustom(submit(ext(hunterKey(), call1(sigs5), 0)), 5);
  auto sigs2 = signWith(m, {0, 0});
  sigs2.signatures.insert(sigs2.signatures.begin(), crypto::Signature{});
  expectCustom(submit(ext(hunterKey(), call1(sigs2), 0)), 2);
  // Per item: the first item's threshold before the second item's signatures.
  auto two = stream(0, 2, {});
  auto second = signWith(two[1]);
  second.signatures[0] = crypto::Signature{};
  expectCustom(submit(ext(hunterKey(), callN({signWith(two[0], {0}), second}), 0)), 3);
  // The transaction checks come before the call.
  expectInvalid(submit(ext(poorKey(), callN({}), 0)),
                "Inability to pay some fees (e.g. account balance too low)");
  Bytes a = ext(hunterKey(), callOf({two[0]}), 0);
  expectAccepted(submit(a), a);
  chain().produceBlock();
  expectInvalid(submit(ext(hunterKey(), callN({}), 0)), "Transaction is outdated");
  core::ChainParams wrong = chain().params();
  wrong.spec_version = 1;
  expectInvalid(submit(ext(hunterKey(), callN({}), 0, 0, core::Era::immortal(), wrong)),
                "Transaction has a bad signature");
}

TEST_F(ChainTest, RejectedCostsNothing) {
  expectCustom(submit(ext(hunterKey(), call1(signWith(message(0, {}), {0})), 0)), 3);
  chain().produceBlock();
  EXPECT_EQ(chain().freeBalance(account(hunterKey())), kBalance);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 0u);
  EXPECT_EQ(nextSnRpc(kCluster), 0u);
  EXPECT_EQ(accountInfo(hunterKey()).nonce, 0u);
  EXPECT_EQ(chain().queue(kCluster), core::QueueState{});
  EXPECT_FALSE(storageRpc(core::queuesKey(kCluster)).has_value());
}

// ---- pool readiness ----

TEST_F(ChainTest, FutureSnWaitsThenBecomesReady) {
  auto s = stream(0, 3, {});
  Bytes later = ext(hunter2Key(), callOf({s[1], s[2]}), 0);
  expectAccepted(submit(later), later);
  EXPECT_EQ(chain().readyCount(), 0u);
  EXPECT_EQ(nextSnRpc(kCluster), 0u);
  EXPECT_EQ(nextIndexRpc(hunter2Key()), 0u);  // waiting txs do not count
  EXPECT_EQ(rpc("author_pendingExtrinsics")["result"].size(), 0u);
  chain().produceBlock();  // nothing ready: still waiting
  EXPECT_EQ(chain().poolSize(), 1u);
  EXPECT_EQ(chain().queue(kCluster).next_sn, 0u);

  Bytes first = ext(hunterKey(), callOf({s[0]}), 0);
  expectAccepted(submit(first), first);
  EXPECT_EQ(chain().readyCount(), 2u);
  EXPECT_EQ(nextSnRpc(kCluster), 3u);
  EXPECT_EQ(nextIndexRpc(hunter2Key()), 1u);
  json pending = rpc("author_pendingExtrinsics")["result"];
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0], toHex(first));  // in inclusion order
  EXPECT_EQ(pending[1], toHex(later));

  chain().produceBlock();
  EXPECT_EQ(chain().poolSize(), 0u);
  EXPECT_EQ(chain().queue(kCluster).next_sn, 3u);
  EXPECT_EQ(chain().ack(kCluster, 0)->hunter, account(hunterKey()));
  EXPECT_EQ(chain().ack(kCluster, 1)->hunter, account(hunter2Key()));
  EXPECT_EQ(chain().ack(kCluster, 2)->hash, core::messageHash(s[2]));
}

TEST_F(ChainTest, FutureNonceWaits) {
  auto s = stream(0, 3, {});
  Bytes n1 = ext(hunterKey(), callOf({s[1]}), 1);
  Bytes n2 = ext(hunterKey(), callOf({s[2]}), 2);
  expectAccepted(submit(n2), n2);
  expectAccepted(submit(n1), n1);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 0u);
  EXPECT_EQ(chain().readyCount(), 0u);
  chain().produceBlock();
  EXPECT_EQ(chain().poolSize(), 2u);
  Bytes n0 = ext(hunterKey(), callOf({s[0]}), 0);
  expectAccepted(submit(n0), n0);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 3u);
  EXPECT_EQ(rpc("system_accountNextIndex", {toHex(account(hunterKey()))})["result"], 3);
  chain().produceBlock();
  EXPECT_EQ(accountInfo(hunterKey()).nonce, 3u);
  EXPECT_EQ(chain().queue(kCluster).next_sn, 3u);
}

TEST_F(ChainTest, NonceAndSnBothRequired) {
  // nonce ready but sn ahead; then the sn fills and it becomes ready.
  auto s = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf({s[1]}), 0);
  expectAccepted(submit(a), a);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 0u);
  Bytes b = ext(hunter2Key(), callOf({s[0]}), 0);
  expectAccepted(submit(b), b);
  EXPECT_EQ(nextIndexRpc(hunterKey()), 1u);
  EXPECT_EQ(nextSnRpc(kCluster), 2u);
}

TEST_F(ChainTest, WaitingTxDroppedWhenItsLinkFailsOnBecomingReady) {
  // Hunter 2's sn 1 links to a message at sn 0 that never reaches the chain.
  auto theirs = stream(0, 2, {}, kCluster, "diverged");
  Bytes waiting = ext(hunter2Key(), callOf({theirs[1]}), 0);
  expectAccepted(submit(waiting), waiting);
  auto ours = stream(0, 1, {});
  Bytes first = ext(hunterKey(), callOf(ours), 0);
  expectAccepted(submit(first), first);
  EXPECT_EQ(chain().poolSize(), 1u);
  EXPECT_EQ(statCount("dropped", "Custom error: 6"), 1u);
  EXPECT_EQ(nextSnRpc(kCluster), 1u);
  chain().produceBlock();
  EXPECT_FALSE(chain().ack(kCluster, 1).has_value());
  EXPECT_EQ(chain().freeBalance(account(hunter2Key())), kBalance);  // no fee
  EXPECT_EQ(nextIndexRpc(hunter2Key()), 0u);
}

TEST_F(ChainTest, WaitingTxDroppedAfterACompetingTxIsIncluded) {
  auto theirs = stream(0, 2, {}, kCluster, "diverged");
  // Waits for hunter 2's nonce 0, not for an sn.
  Bytes waiting = ext(hunter2Key(), callOf({theirs[1]}), 1);
  expectAccepted(submit(waiting), waiting);
  Bytes competing = ext(hunterKey(), callOf(stream(0, 1, {})), 0);
  expectAccepted(submit(competing), competing);
  chain().produceBlock();
  EXPECT_EQ(chain().poolSize(), 1u);
  // Hunter 2's nonce 0 (on another cluster) makes the waiting one ready: its prev_hash no
  // longer matches the chain, so it is dropped without a fee.
  Bytes n0 = ext(hunter2Key(), callOf(stream(0, 1, {}, kCluster2)), 0);
  expectAccepted(submit(n0), n0);
  EXPECT_EQ(chain().poolSize(), 1u);
  EXPECT_EQ(statCount("dropped", "Custom error: 6"), 1u);
  EXPECT_EQ(nextIndexRpc(hunter2Key()), 1u);
  u128 before = chain().freeBalance(account(hunter2Key()));
  chain().produceBlock();
  EXPECT_TRUE(chain().freeBalance(account(hunter2Key())) ==
              before - chain().feeFor(n0.size()) + kReward2);
  EXPECT_EQ(chain().queue(kCluster).next_sn, 1u);
}

TEST_F(ChainTest, FeeRecheckedAtInclusion) {
  // Enough for one transaction: both pass validation, the second cannot pay when included.
  ChainConfig c = makeConfig();
  auto s = stream(0, 2, {}, kCluster2);
  Bytes probe = ext(hunterKey(), callOf({s[0]}), 0);
  u128 fee = chain().feeFor(probe.size());
  c.accounts[2].free = fee + fee / 2;
  chain_ = std::make_unique<DevChain>(c);
  // Cluster 2 rewards 7 per message: not enough to pay the second fee.
  Bytes a = ext(poorKey(), callOf({s[0]}), 0);
  Bytes b = ext(poorKey(), callOf({s[1]}), 1);
  expectAccepted(submit(a), a);
  expectAccepted(submit(b), b);
  EXPECT_EQ(nextIndexRpc(poorKey()), 2u);
  chain().produceBlock();
  EXPECT_EQ(chain().poolSize(), 0u);
  EXPECT_EQ(statCount("dropped", "Inability to pay some fees (e.g. account balance too low)"), 1u);
  EXPECT_EQ(accountInfo(poorKey()).nonce, 1u);
  EXPECT_TRUE(chain().freeBalance(account(poorKey())) ==
              fee + fee / 2 - chain().feeFor(a.size()) + kReward2);
  EXPECT_EQ(chain().queue(kCluster2).next_sn, 1u);
  EXPECT_EQ(nextSnRpc(kCluster2), 1u);
}

TEST_F(ChainTest, ExpiredMortalTxIsDropped) {
  core::Era era = core::Era::mortal(4, 0);
  Bytes waiting = ext(hunterKey(), callOf(stream(0, 1, {})), 1, 0, era);  // nonce gap
  expectAccepted(submit(waiting), waiting);
  for (int i = 0; i < 2; ++i) chain().produceBlock();
  EXPECT_EQ(chain().poolSize(), 1u);
  chain().produceBlock();  // block 4 would be the first outside the era [0, 4)
  EXPECT_EQ(chain().poolSize(), 0u);
  EXPECT_EQ(statCount("dropped", "Transaction has an ancient birth block"), 1u);
}

// Issue #19: a runtime upgrade, as Substrate enacts one. The block that enacts it still runs the
// old runtime (a transaction signed for it is included); from that block on the RPC answers the
// new versions, a payload signed for the old ones is "bad signature", and what still waits in
// the pool signed for them is dropped. The genesis hash stays.
TEST_F(ChainTest, ARuntimeUpgradeTakesEffectFromTheBlockThatEnactsIt) {
  const H256 genesis = chain().genesisHash();
  const core::ChainParams before = chain().params();
  auto msgs = stream(0, 3, {});
  Bytes first = ext(hunterKey(), callOf({msgs[0]}), 0);
  Bytes waiting = ext(hunterKey(), callOf({msgs[2]}), 2);  // waits for nonce 1 and sn 1
  expectAccepted(submit(first), first);
  expectAccepted(submit(waiting), waiting);
  chain().scheduleUpgrade(before.spec_version + 1, before.transaction_version + 1);
  EXPECT_EQ(rpc("state_getRuntimeVersion")["result"]["specVersion"], before.spec_version)
      << "not before its block";
  const uint32_t enacted = chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, 1u) << "the enacting block runs the old runtime";
  EXPECT_EQ(chain().genesisHash(), genesis);
  json v = rpc("state_getRuntimeVersion")["result"];
  EXPECT_EQ(v["specVersion"], before.spec_version + 1);
  EXPECT_EQ(v["transactionVersion"], before.transaction_version + 1);
  json old = rpc("state_getRuntimeVersion", {toHex(*chain().blockHash(enacted - 1))})["result"];
  EXPECT_EQ(old["specVersion"], before.spec_version) << "a block before keeps its runtime";
  EXPECT_EQ(chain().poolSize(), 0u) << "signed for the old runtime: dropped";
  EXPECT_EQ(statCount("dropped", "Transaction has a bad signature"), 1u);

  Bytes stale = ext(hunterKey(), callOf({msgs[1]}), 1, 0, core::Era::immortal(), before);
  expectInvalid(submit(stale), "Transaction has a bad signature");
  Bytes fresh = ext(hunterKey(), callOf({msgs[1]}), 1);
  expectAccepted(submit(fresh), fresh);
  chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, 2u);
}

// The same upgrade from the configuration, at a chosen block.
TEST(ChainUpgradeTest, AConfiguredUpgradeIsEnactedAtItsBlock) {
  ChainConfig c = makeConfig();
  c.upgrade_at_block = 3;
  c.upgrade_spec_version = 2000;
  c.upgrade_transaction_version = 5;
  DevChain chain(c);
  chain.produceBlock();
  chain.produceBlock();
  EXPECT_EQ(chain.params().spec_version, c.spec_version);
  chain.produceBlock();
  EXPECT_EQ(chain.params().spec_version, 2000u);
  EXPECT_EQ(chain.params().transaction_version, 5u);
  EXPECT_EQ(chain.runtimeAt(2).first, c.spec_version);
  EXPECT_EQ(chain.runtimeAt(3).first, 2000u);
}

TEST_F(ChainTest, MortalTxIncluded) {
  for (int i = 0; i < 70; ++i) chain().produceBlock();
  core::Era era = core::Era::mortal(64, chain().bestNumber());
  Bytes x = ext(hunterKey(), callOf(stream(0, 1, {})), 0, 0, era);
  expectAccepted(submit(x), x);
  chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, 1u);
}

TEST_F(ChainTest, BlockLimitKeepsOrder) {
  ChainConfig c = makeConfig();
  c.max_block_extrinsics = 2;
  chain_ = std::make_unique<DevChain>(c);
  auto s = stream(0, 5, {});
  for (uint32_t i = 0; i < 5; ++i) {
    Bytes x = ext(hunterKey(), callOf({s[i]}), i);
    expectAccepted(submit(x), x);
  }
  chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, 2u);
  EXPECT_EQ(nextSnRpc(kCluster), 5u);
  chain().produceBlock();
  chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, 5u);
  EXPECT_EQ(chain().ack(kCluster, 4)->block, 3u);
}

TEST_F(ChainTest, PoolFullAndDropFault) {
  ChainConfig c = makeConfig();
  c.max_pool_transactions = 1;
  chain_ = std::make_unique<DevChain>(c);
  auto s = stream(0, 2, {});
  Bytes a = ext(hunterKey(), callOf({s[0]}), 0);
  expectAccepted(submit(a), a);
  expectError(submit(ext(hunterKey(), callOf({s[1]}), 1)), 1016, "Immediately Dropped");
  chain().produceBlock();
  chain().setFaults(ChainFaults{false, 0, 1.0});
  Bytes b = ext(hunterKey(), callOf({s[1]}), 1);
  expectAccepted(submit(b), b);  // answered as accepted, silently lost
  EXPECT_EQ(chain().poolSize(), 0u);
  EXPECT_EQ(statCount("dropped", "fault: drop_rate"), 1u);
  EXPECT_DOUBLE_EQ(chain().faults().drop_rate, 1.0);
}

// ---- blocks, fees, rewards, storage ----

TEST_F(ChainTest, RewardsAndFeesAddUp) {
  auto s = stream(0, 7, {});
  std::vector<Bytes> xs = {
      ext(hunterKey(), callOf({s[0], s[1], s[2]}), 0, 11),
      ext(hunterKey(), callOf({s[3]}), 1, 0),
      ext(hunter2Key(), callOf({s[4], s[5]}), 0, 5),
      ext(hunterKey(), callOf({s[6]}), 2, 1'000'000),
  };
  for (const auto& x : xs) expectAccepted(submit(x), x);
  // payment_queryInfo gives the fee without the tip.
  for (const auto& x : xs) {
    json r = rpc("payment_queryInfo", {toHex(x)});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_EQ(r["result"]["partialFee"],
              u128ToString(config_.base_fee + config_.byte_fee * x.size()));
    EXPECT_EQ(r["result"]["class"], "normal");
  }
  chain().produceBlock();
  auto fee = [&](size_t i) { return chain().feeFor(xs[i].size()); };
  u128 h1Fees = fee(0) + fee(1) + fee(3);
  u128 h1Tips = 11 + 1'000'000;
  u128 h1Rewards = 5 * kReward;
  EXPECT_TRUE(chain().freeBalance(account(hunterKey())) == kBalance + h1Rewards - h1Fees - h1Tips);
  EXPECT_TRUE(chain().freeBalance(account(hunter2Key())) == kBalance + 2 * kReward - fee(2) - 5);
  auto rewards = storageRpc(core::hunterRewardsKey(account(hunterKey())));
  ASSERT_TRUE(rewards.has_value());
  EXPECT_TRUE(core::decodeU128(*rewards).value() == h1Rewards);
  u128 ackSum = 0;
  for (uint64_t sn = 0; sn < 7; ++sn) {
    auto a = chain().ack(kCluster, sn);
    ASSERT_TRUE(a.has_value());
    if (a->hunter == account(hunterKey())) ackSum += a->reward;
  }
  EXPECT_TRUE(ackSum == h1Rewards);
  core::AccountInfo info = accountInfo(hunterKey());
  EXPECT_EQ(info.nonce, 3u);
  EXPECT_EQ(info.providers, 1u);
  EXPECT_TRUE(info.data.free == chain().freeBalance(account(hunterKey())));
  json st = chain().stateJson();
  json h1 = st["accounts"][toHex(account(hunterKey()))];
  EXPECT_EQ(h1["fees_paid"], u128ToString(h1Fees));
  EXPECT_EQ(h1["tips_paid"], u128ToString(h1Tips));
  EXPECT_EQ(h1["rewards"], u128ToString(h1Rewards));
  EXPECT_EQ(h1["nonce"], 3);
  EXPECT_EQ(st["clusters"][toHex(kCluster)]["next_sn"], 7);
  EXPECT_EQ(st["clusters"][toHex(kCluster)]["accepted"], 7);
  EXPECT_EQ(st["best"], 1);
  EXPECT_EQ(st["pool"], 0);
}

TEST_F(ChainTest, AckListenersSeeTheRecords) {
  std::vector<std::tuple<H256, uint64_t, core::AckRecord>> seen;
  chain().addAckListener([&](const H256& c, uint64_t sn, const core::AckRecord& r) {
    // Listeners may read the chain: the block is already written.
    EXPECT_EQ(chain().ack(c, sn), r);
    seen.emplace_back(c, sn, r);
  });
  auto s = stream(0, 3, {});
  Bytes a = ext(hunterKey(), callOf(s), 0);
  Bytes b = ext(hunter2Key(), callOf(stream(0, 1, {}, kCluster2)), 0);
  expectAccepted(submit(a), a);
  expectAccepted(submit(b), b);
  EXPECT_EQ(chain().produceBlock(), 1u);
  ASSERT_EQ(seen.size(), 4u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(std::get<0>(seen[i]), kCluster);
    EXPECT_EQ(std::get<1>(seen[i]), i);
    const auto& r = std::get<2>(seen[i]);
    EXPECT_EQ(r.hash, core::messageHash(s[i]));
    EXPECT_EQ(r.state_root, s[i].state_root);
    EXPECT_EQ(r.hunter, account(hunterKey()));
    EXPECT_EQ(r.block, 1u);
    EXPECT_TRUE(r.reward == kReward);
  }
  EXPECT_EQ(std::get<0>(seen[3]), kCluster2);
  EXPECT_TRUE(std::get<2>(seen[3]).reward == kReward2);
  chain().produceBlock();
  EXPECT_EQ(seen.size(), 4u);
}

TEST_F(ChainTest, StorageReadsWithRealKeys) {
  EXPECT_FALSE(storageRpc(core::queuesKey(kCluster)).has_value());
  EXPECT_FALSE(storageRpc(core::acksKey(kCluster, 0)).has_value());
  EXPECT_FALSE(storageRpc(core::hunterRewardsKey(account(hunterKey()))).has_value());
  EXPECT_FALSE(storageRpc(core::systemAccountKey(account(outsiderKey()))).has_value());
  auto info = core::decodeClusterInfo(storageRpc(core::clustersKey(kCluster2)).value()).value();
  EXPECT_EQ(info.threshold, 2u);
  EXPECT_EQ(info.workers.size(), 4u);
  EXPECT_TRUE(info.reward_per_message == kReward2);
  core::AccountInfo acc = accountInfo(hunterKey());
  EXPECT_EQ(acc.nonce, 0u);
  EXPECT_TRUE(acc.data.free == kBalance);

  auto s = stream(0, 2, {});
  Bytes x = ext(hunterKey(), callOf(s), 0);
  expectAccepted(submit(x), x);
  chain().produceBlock();
  auto q = core::decodeQueueState(storageRpc(core::queuesKey(kCluster)).value()).value();
  EXPECT_EQ(q.next_sn, 2u);
  EXPECT_EQ(q.last_hash, core::messageHash(s[1]));
  auto ack = core::decodeAckRecord(storageRpc(core::acksKey(kCluster, 1)).value()).value();
  EXPECT_EQ(ack.hash, core::messageHash(s[1]));
  EXPECT_EQ(ack.block, 1u);
  // With `at` (the latest state is answered) and upper-case hex input.
  std::string key = toHex(core::acksKey(kCluster, 1));
  std::string upper = "0X" + key.substr(2);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  upper[1] = 'X';
  json r = rpc("state_getStorage", {upper, toHex(*chain().blockHash(1))});
  EXPECT_EQ(r["result"], toHex(core::encode(ack)));
  // Batched reads.
  json many = rpc("state_queryStorageAt",
                  json::array({json::array({key, toHex(core::acksKey(kCluster, 9))})}));
  ASSERT_TRUE(many.contains("result")) << many.dump();
  EXPECT_EQ(many["result"][0]["changes"][0][1], toHex(core::encode(ack)));
  EXPECT_TRUE(many["result"][0]["changes"][1][1].is_null());
}

TEST_F(ChainTest, AcksArePrunedAfterRetention) {
  ChainConfig c = makeConfig();
  c.ack_retention_blocks = 3;
  chain_ = std::make_unique<DevChain>(c);
  Bytes x = ext(hunterKey(), callOf(stream(0, 1, {})), 0);
  expectAccepted(submit(x), x);
  chain().produceBlock();  // block 1
  for (int i = 0; i < 3; ++i) chain().produceBlock();
  EXPECT_TRUE(chain().ack(kCluster, 0).has_value());  // kept through block 1 + 3
  chain().produceBlock();
  EXPECT_FALSE(chain().ack(kCluster, 0).has_value());
  EXPECT_EQ(chain().queue(kCluster).next_sn, 1u);
}

// ---- JSON-RPC surface ----

TEST_F(ChainTest, StandardMethods) {
  EXPECT_EQ(rpc("system_chain")["result"], "Phala Cluster Devnet");
  EXPECT_EQ(rpc("system_health")["result"],
            json({{"peers", 0}, {"isSyncing", false}, {"shouldHavePeers", false}}));
  EXPECT_EQ(rpc("system_properties")["result"],
            json({{"ss58Format", 30}, {"tokenDecimals", 12}, {"tokenSymbol", "PHA"}}));
  json rv = rpc("state_getRuntimeVersion")["result"];
  EXPECT_EQ(rv["specName"], "phala-devnet");
  EXPECT_EQ(rv["specVersion"], 1000);
  EXPECT_EQ(rv["transactionVersion"], 1);

  std::string genesis = toHex(chain().genesisHash());
  EXPECT_EQ(rpc("chain_getBlockHash", {0})["result"], genesis);
  EXPECT_EQ(rpc("chain_getBlockHash", {"0x0"})["result"], genesis);
  EXPECT_EQ(rpc("chain_getBlockHash")["result"], genesis);
  EXPECT_TRUE(rpc("chain_getBlockHash", {5})["result"].is_null());
  chain().produceBlock();
  chain().produceBlock();
  std::string h2 = toHex(*chain().blockHash(2));
  EXPECT_EQ(rpc("chain_getBlockHash")["result"], h2);
  EXPECT_EQ(rpc("chain_getBlockHash", {json(nullptr)})["result"], h2);
  EXPECT_EQ(rpc("chain_getBlockHash", {json::array({0, 2, 3})})["result"],
            json::array({genesis, h2, nullptr}));
  EXPECT_EQ(rpc("chain_getFinalizedHead")["result"], h2);
  json head = rpc("chain_getHeader")["result"];
  EXPECT_EQ(head["number"], "0x2");
  EXPECT_EQ(head["parentHash"], toHex(*chain().blockHash(1)));
  EXPECT_EQ(head["digest"], json({{"logs", json::array()}}));
  EXPECT_EQ(rpc("chain_getHeader", {genesis})["result"]["number"], "0x0");
  EXPECT_EQ(rpc("chain_getHeader", {genesis})["result"]["parentHash"], toHex(H256{}));
  EXPECT_TRUE(rpc("chain_getHeader", {toHex(H256{1})})["result"].is_null());
  // Distinct block hashes, a deterministic genesis.
  EXPECT_NE(*chain().blockHash(1), *chain().blockHash(2));
  EXPECT_EQ(DevChain(makeConfig()).genesisHash(), chain().genesisHash());
  ChainConfig other = makeConfig();
  other.chain_name = "other";
  EXPECT_NE(DevChain(other).genesisHash(), chain().genesisHash());
  EXPECT_EQ(rpc("pha_clusterMqNextSn", {toHex(H256{1})})["result"], 0);
  EXPECT_EQ(rpc("system_accountNextIndex", {toHex(account(outsiderKey()))})["result"], 0);
}

TEST_F(ChainTest, MalformedRequests) {
  auto body = [&](const std::string& b) { return json::parse(chain().handleRpcBody(b)); };
  EXPECT_EQ(body("{not json")["error"]["code"], -32700);
  EXPECT_EQ(body("")["error"]["code"], -32700);
  EXPECT_EQ(body("5")["error"]["code"], -32600);
  EXPECT_EQ(body("[]")["error"]["code"], -32600);
  EXPECT_EQ(body(R"({"id":1,"method":"system_chain"})")["error"]["code"], -32600);
  EXPECT_EQ(body(R"({"jsonrpc":"1.0","id":1,"method":"system_chain"})")["error"]["code"], -32600);
  EXPECT_EQ(body(R"({"jsonrpc":"2.0","id":1,"method":5})")["error"]["code"], -32600);
  EXPECT_EQ(body(R"({"jsonrpc":"2.0","id":{},"method":"system_chain"})")["error"]["code"], -32600);
  json unknown = body(R"({"jsonrpc":"2.0","id":"x","method":"nope"})");
  EXPECT_EQ(unknown["error"]["code"], -32601);
  EXPECT_EQ(unknown["id"], "x");
  EXPECT_EQ(
      body(R"({"jsonrpc":"2.0","id":1,"method":"system_chain","params":{}})")["error"]["code"],
      -32602);
  EXPECT_EQ(
      body(R"({"jsonrpc":"2.0","id":1,"method":"system_chain","params":[1]})")["error"]["code"],
      -32602);

  auto invalid = [&](const std::string& method, json params) {
    json r = rpc(method, std::move(params));
    EXPECT_EQ(r["error"]["code"], -32602) << method << " " << r.dump();
    EXPECT_FALSE(r["error"]["message"].get<std::string>().empty());
  };
  invalid("author_submitExtrinsic", json::array());
  invalid("author_submitExtrinsic", {5});
  invalid("author_submitExtrinsic", {"0x123"});
  invalid("author_submitExtrinsic", {"0xzz"});
  invalid("author_submitExtrinsic", {std::string(2 * kMaxExtrinsicBytes + 4, 'a')});
  invalid("state_getStorage", json::array());
  invalid("state_getStorage", {"0x00", "0x1234"});
  invalid("state_getStorage", {"0x00", toHex(H256{7})});  // unknown block
  invalid("system_accountNextIndex", {"not an address"});
  invalid("system_accountNextIndex", {"0x1234"});
  invalid("pha_clusterMqNextSn", {"0x1234"});
  invalid("pha_clusterMqNextSn", json::array());
  invalid("chain_getBlockHash", {-1});
  invalid("chain_getBlockHash", {1.5});
  invalid("chain_getBlockHash", {"12"});
  invalid("chain_getHeader", {"0x12"});
  invalid("payment_queryInfo", {"0xgg"});
  EXPECT_EQ(rpc("payment_queryInfo", {"0x00"})["error"]["code"], 1001);
  // An empty extrinsic and random bytes never crash.
  EXPECT_EQ(rpc("author_submitExtrinsic", {"0x"})["error"]["code"], 1001);
  Bytes junk(100000);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 131 + 7);
  EXPECT_EQ(submit(junk)["error"]["code"], 1001);
  Bytes tooBig(kMaxExtrinsicBytes + 1, 0);
  EXPECT_EQ(chain().submit(tooBig).error["code"], 1001);

  // Batches: one answer per request, in order, errors included.
  json batch = body(R"([{"jsonrpc":"2.0","id":1,"method":"system_chain"},)"
                    R"({"jsonrpc":"2.0","id":2,"method":"nope"}, 17,)"
                    R"({"jsonrpc":"2.0","id":3,"method":"pha_clusterMqNextSn","params":[")" +
                    toHex(kCluster) + R"("]}])");
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0]["result"], "Phala Cluster Devnet");
  EXPECT_EQ(batch[1]["error"]["code"], -32601);
  EXPECT_EQ(batch[2]["error"]["code"], -32600);
  EXPECT_EQ(batch[3]["result"], 0);
  EXPECT_EQ(batch[3]["id"], 3);
}

// author_submitExtrinsic in the hunter's shape is read without the general JSON parser; every
// body, in that shape or near it, gets the answer json::parse would have given.
TEST_F(ChainTest, SubmitBodiesAnswerAsTheGeneralParserWould) {
  auto viaParse = [&](const std::string& b) {
    return chain().handleRpc(json::parse(b));  // what handleRpcBody did before the fast path
  };
  // Refused extrinsics leave the chain as it was, so each body can be answered both ways.
  const std::string junk = "0x00";
  const std::vector<std::string> bodies = {
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":[")" + junk + R"("]})",
      R"( { "params" : [ ")" + junk +
          R"(" ] , "method" : "author_submitExtrinsic" , "id" : 18446744073709551615 ,)"
          R"( "jsonrpc" : "2.0" } )",
      R"({"jsonrpc":"2.0","id":"s","method":"author_submitExtrinsic","params":[")" + junk +
          R"("]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":[")" + junk +
          R"(",1]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":["0x00"]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":["0x00"],)"
      R"("params":[]})",
      R"({"jsonrpc":"2.0","id":9,"id":10,"method":"author_submitExtrinsic","params":["0x00"]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":["0x00"],"x":1})",
      R"({"jsonrpc":"1.0","id":9,"method":"author_submitExtrinsic","params":["0x00"]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":[]})",
      R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic"})",
      R"({"jsonrpc":"2.0","id":9,"method":"payment_queryInfo","params":["0x00"]})",
  };
  for (const auto& b : bodies) {
    json answer = json::parse(chain().handleRpcBody(b));
    EXPECT_EQ(answer, viaParse(b)) << b;
    EXPECT_TRUE(answer.contains("error")) << b;
  }
  // A good extrinsic in that shape is taken, and its id echoed.
  Bytes x = ext(hunterKey(), callOf(stream(0, 2, H256{})), 0);
  json ok = json::parse(chain().handleRpcBody(
      R"({"jsonrpc":"2.0","id":7,"method":"author_submitExtrinsic","params":[")" + toHex(x) +
      R"("]})"));
  expectAccepted(ok, x);
  EXPECT_EQ(chain().poolSize(), 1u);
  // Truncated: a parse error, as before.
  EXPECT_EQ(json::parse(chain().handleRpcBody(
                R"({"jsonrpc":"2.0","id":9,"method":"author_submitExtrinsic","params":["0x00"])"))
                ["error"]["code"],
            -32700);
}

// Random submissions by three hunters over an honest and a diverging stream, with blocks in
// between: the chain stays a hash chain, balances add up, and after each block nothing that
// could be included is left ready.
TEST_F(ChainTest, RandomizedPoolInvariants) {
  constexpr uint64_t kLen = 150;
  auto honest = stream(0, kLen, {}, kCluster2, "h");
  auto diverged = stream(12, kLen - 12, core::messageHash(honest[11]), kCluster2, "d");
  std::map<H256, ClusterMessage> byHash;
  std::vector<SignedClusterMessage> honestSigned, divergedSigned;
  for (const auto& m : honest) {
    byHash[core::messageHash(m)] = m;
    honestSigned.push_back(signWith(m, {0, 1}));
  }
  for (const auto& m : diverged) {
    byHash[core::messageHash(m)] = m;
    divergedSigned.push_back(signWith(m, {2, 3}));
  }
  const std::vector<const crypto::SecretKey*> hunters = {&hunterKey(), &hunter2Key()};
  std::mt19937_64 rng(12345);
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  size_t accepted = 0;
  for (int step = 0; step < 400; ++step) {
    if (pick(0, 5) == 0) {
      chain().produceBlock();
      EXPECT_EQ(chain().readyCount(), 0u);
      EXPECT_EQ(nextSnRpc(kCluster2), chain().queue(kCluster2).next_sn);
      for (auto* k : hunters) EXPECT_EQ(nextIndexRpc(*k), accountInfo(*k).nonce);
      continue;
    }
    const auto& k = *hunters[pick(0, hunters.size() - 1)];
    // Mostly what a hunter does (the pool's next sn with its next index), sometimes ahead,
    // behind or with a gap; short mortal eras let stuck transactions expire.
    bool sensible = pick(0, 9) < 7;
    uint64_t next = sensible ? nextSnRpc(kCluster2) : chain().queue(kCluster2).next_sn;
    if (next >= kLen) break;
    uint64_t first = sensible ? next
                              : std::min<uint64_t>(next + pick(0, 4), kLen - 1) -
                                    std::min<uint64_t>(next, pick(0, 1));
    uint64_t n = std::min<uint64_t>(pick(1, 3), kLen - first);
    bool useDiverged = first >= 12 && pick(0, 3) == 0;
    std::vector<SignedClusterMessage> items;
    for (uint64_t sn = first; sn < first + n; ++sn) {
      items.push_back(useDiverged ? divergedSigned[sn - 12] : honestSigned[sn]);
    }
    uint32_t nonce = nextIndexRpc(k);
    if (!sensible) nonce = static_cast<uint32_t>(nonce + pick(0, 2)) - (pick(0, 7) == 0);
    core::Era era = core::Era::mortal(8, chain().bestNumber());
    json r = submit(
        ext(k, items.size() == 1 ? call1(items[0]) : callN(items), nonce, pick(0, 100), era));
    accepted += r.contains("result");
  }
  chain().produceBlock();
  EXPECT_GT(accepted, 20u) << chain().stateJson().dump(1);
  const auto q = chain().queue(kCluster2);
  EXPECT_GT(q.next_sn, 5u);
  H256 prev{};
  for (uint64_t sn = 0; sn < q.next_sn; ++sn) {
    auto a = chain().ack(kCluster2, sn);
    ASSERT_TRUE(a.has_value()) << sn;
    ASSERT_TRUE(byHash.count(a->hash)) << sn;
    EXPECT_EQ(byHash[a->hash].sn, sn);
    EXPECT_EQ(byHash[a->hash].prev_hash, prev) << sn;
    prev = a->hash;
  }
  EXPECT_EQ(q.last_hash, prev);
  json st = chain().stateJson();
  for (auto* k : hunters) {
    json a = st["accounts"][toHex(account(*k))];
    u128 genesis = kBalance;
    u128 free = u128FromString(a["free"].get<std::string>()).value();
    u128 rewards = u128FromString(a["rewards"].get<std::string>()).value();
    u128 fees = u128FromString(a["fees_paid"].get<std::string>()).value();
    u128 tips = u128FromString(a["tips_paid"].get<std::string>()).value();
    EXPECT_TRUE(free + fees + tips == genesis + rewards);
  }
}

// Submissions from two threads while a third produces blocks and a listener reads back.
TEST_F(ChainTest, ConcurrentSubmitAndProduce) {
  constexpr size_t kPerHunter = 30;
  auto a = stream(0, kPerHunter, {}, kCluster);
  auto b = stream(0, kPerHunter, {}, kCluster2);
  std::vector<Bytes> xa, xb;
  for (uint32_t i = 0; i < kPerHunter; ++i) {
    xa.push_back(ext(hunterKey(), callOf({a[i]}), i));
    xb.push_back(ext(hunter2Key(), call1(signWith(b[i], {0, 1})), i));
  }
  std::atomic<size_t> acks{0};
  chain().addAckListener([&](const H256& c, uint64_t sn, const core::AckRecord& r) {
    EXPECT_EQ(chain().ack(c, sn), r);
    ++acks;
  });
  std::atomic<bool> done{false};
  std::thread producer([&] {
    while (!done) chain().produceBlock();
  });
  auto feed = [&](const std::vector<Bytes>& xs) {
    for (const auto& x : xs) EXPECT_TRUE(chain().submit(x).tx_hash.has_value());
  };
  std::thread ta(feed, std::cref(xa));
  std::thread tb(feed, std::cref(xb));
  ta.join();
  tb.join();
  done = true;
  producer.join();
  chain().produceBlock();
  EXPECT_EQ(chain().queue(kCluster).next_sn, kPerHunter);
  EXPECT_EQ(chain().queue(kCluster2).next_sn, kPerHunter);
  EXPECT_EQ(acks.load(), 2 * kPerHunter);
  EXPECT_EQ(chain().poolSize(), 0u);
}

TEST(ChainConfigTest, RefusesBadGenesis) {
  ChainConfig c = makeConfig();
  EXPECT_TRUE(DevChain::validateConfig(c).ok());
  ChainConfig dup = c;
  dup.clusters[1].id = dup.clusters[0].id;
  EXPECT_FALSE(DevChain::validateConfig(dup).ok());
  ChainConfig thr = c;
  thr.clusters[0].threshold = 5;
  EXPECT_FALSE(DevChain::validateConfig(thr).ok());
  thr.clusters[0].threshold = 0;
  EXPECT_FALSE(DevChain::validateConfig(thr).ok());
  ChainConfig badKey = c;
  badKey.clusters[0].workers[0][0] = 0x05;
  EXPECT_FALSE(DevChain::validateConfig(badKey).ok());
  ChainConfig dupAcc = c;
  dupAcc.accounts.push_back(dupAcc.accounts[0]);
  EXPECT_FALSE(DevChain::validateConfig(dupAcc).ok());
  EXPECT_THROW(DevChain{dupAcc}, std::invalid_argument);
}

// Validation and inclusion throughput: 1024 messages in batches of 64, 3 signatures each.
TEST(ChainThroughput, ValidateAndInclude) {
  DevChain chain(makeConfig());
  constexpr size_t kMessages = 1024;
  constexpr size_t kBatch = 64;
  auto msgs = stream(0, kMessages, {});
  std::vector<Bytes> xs;
  for (size_t i = 0; i < kMessages; i += kBatch) {
    std::vector<ClusterMessage> part(msgs.begin() + static_cast<std::ptrdiff_t>(i),
                                     msgs.begin() + static_cast<std::ptrdiff_t>(i + kBatch));
    xs.push_back(core::buildSignedExtrinsic(
        hunterKey(), callOf(part),
        core::TxExtra{core::Era::immortal(), static_cast<uint32_t>(i / kBatch), 0}, chain.params(),
        chain.genesisHash()));
  }
  auto start = std::chrono::steady_clock::now();
  for (const auto& x : xs) ASSERT_TRUE(chain.submit(x).tx_hash.has_value());
  chain.produceBlock();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(chain.queue(kCluster).next_sn, kMessages);
  double rate = static_cast<double>(kMessages) / secs;
  std::cout << "[ChainThroughput] " << kMessages << " messages (batches of " << kBatch
            << ", 3 signatures each) validated and included in " << secs * 1000
            << " ms: " << static_cast<uint64_t>(rate) << " messages/s" << std::endl;
  EXPECT_GT(rate, 50.0);
}

}  // namespace
}  // namespace hunter::devnet
