// Every entry of protocol-v1.json (computed by polkadot.js + noble) reproduced byte for byte.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "hunter/codec/scale.hpp"
#include "hunter/core/extrinsic.hpp"
#include "hunter/core/storage.hpp"
#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/ss58.hpp"

using namespace hunter;
using nlohmann::json;

namespace {

const json& vectors() {
  static const json j = [] {
    std::ifstream f(HUNTER_VECTORS_FILE);
    return json::parse(f);
  }();
  return j;
}

Bytes hex(const json& v) { return fromHex(v.get<std::string>()).value(); }
template <size_t N>
FixedBytes<N> fixedHex(const json& v) {
  return fixedFromHex<N>(v.get<std::string>()).value();
}
u128 dec(const json& v) {
  return v.is_string() ? u128FromString(v.get<std::string>()).value() : v.get<uint64_t>();
}
crypto::SecretKey secret(const json& v) {
  return crypto::SecretKey::fromHex(v.get<std::string>()).value();
}

core::ClusterMessage clusterMessage(const json& m) {
  core::ClusterMessage cm;
  cm.message.sender = core::MessageOrigin::cluster(fixedHex<32>(m["cluster"]));
  cm.message.destination = hex(m["destination"]);
  cm.message.payload = hex(m["payload"]);
  cm.sn = static_cast<uint64_t>(dec(m["sn"]));
  cm.prev_hash = fixedHex<32>(m["prev_hash"]);
  cm.state_root = fixedHex<32>(m["state_root"]);
  return cm;
}

}  // namespace

TEST(Vectors, FileHasEverySection) {
  for (auto s : {"compact", "u64", "u128", "bytes_vec", "hashes", "keys", "signatures",
                 "cluster_messages", "storage_keys", "storage_values", "eras", "extrinsics"}) {
    EXPECT_TRUE(vectors().contains(s)) << s;
  }
}

TEST(Vectors, Compact) {
  ASSERT_GE(vectors()["compact"].size(), 10u);
  for (const auto& v : vectors()["compact"]) {
    u128 value = dec(v["value"]);
    Bytes encoded = hex(v["encoded"]);
    EXPECT_EQ(toHex(codec::encodeCompact(value)), toHex(encoded)) << v["value"];
    codec::Decoder d(encoded);
    auto back = d.compact();
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(*back == value) << v["value"];
    EXPECT_TRUE(d.finish().ok());
  }
}

TEST(Vectors, FixedWidthIntegers) {
  for (const auto& v : vectors()["u64"]) {
    codec::Encoder e;
    e.u64(static_cast<uint64_t>(dec(v["value"])));
    EXPECT_EQ(toHex(e.data()), v["encoded"].get<std::string>());
    Bytes b = hex(v["encoded"]);
    codec::Decoder d(b);
    EXPECT_EQ(d.u64().value(), static_cast<uint64_t>(dec(v["value"])));
  }
  for (const auto& v : vectors()["u128"]) {
    EXPECT_EQ(toHex(core::encodeU128(dec(v["value"]))), v["encoded"].get<std::string>());
    EXPECT_TRUE(core::decodeU128(hex(v["encoded"])).value() == dec(v["value"]));
  }
}

TEST(Vectors, BytesVec) {
  for (const auto& v : vectors()["bytes_vec"]) {
    Bytes raw = hex(v["bytes"]);
    codec::Encoder e;
    e.bytes(raw);
    EXPECT_EQ(toHex(e.data()), v["encoded"].get<std::string>());
    Bytes enc = hex(v["encoded"]);
    codec::Decoder d(enc);
    EXPECT_EQ(d.bytes().value(), raw);
    EXPECT_TRUE(d.finish().ok());
  }
}

TEST(Vectors, Hashes) {
  for (const auto& v : vectors()["hashes"]) {
    Bytes in = hex(v["input"]);
    EXPECT_EQ(toHex(crypto::blake2_256(in)), v["blake2_256"].get<std::string>());
    EXPECT_EQ(toHex(crypto::blake2_128(in)), v["blake2_128"].get<std::string>());
    EXPECT_EQ(toHex(crypto::twox_128(in)), v["twox_128"].get<std::string>());
    EXPECT_EQ(toHex(crypto::twox_64(in)), v["twox_64"].get<std::string>());
  }
}

TEST(Vectors, KeysAccountsAndSs58) {
  auto check = [](const json& v) {
    auto key = secret(v["secret"]);
    auto pk = key.publicKey();
    EXPECT_EQ(toHex(pk), v["public_key"].get<std::string>());
    auto account = crypto::accountId(pk);
    EXPECT_EQ(toHex(account), v["account_id"].get<std::string>());
    EXPECT_EQ(crypto::ss58Encode(account), v["ss58"].get<std::string>());
    auto decoded = crypto::ss58Decode(v["ss58"].get<std::string>());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->account, account);
    EXPECT_EQ(decoded->prefix, 30);
  };
  for (const auto& v : vectors()["keys"]) check(v);
  check(vectors()["hunter"]);
}

TEST(Vectors, Signatures) {
  for (const auto& v : vectors()["signatures"]) {
    auto key = secret(v["secret"]);
    Bytes msg = hex(v["message"]);
    auto sig = crypto::sign(key, msg);
    EXPECT_EQ(toHex(sig), v["signature"].get<std::string>());
    auto pk = crypto::recover(sig, msg);
    ASSERT_TRUE(pk.ok());
    EXPECT_EQ(*pk, key.publicKey());
  }
}

TEST(Vectors, ClusterMessages) {
  std::vector<crypto::SecretKey> keys;
  for (const auto& k : vectors()["keys"]) keys.push_back(secret(k["secret"]));
  for (const auto& v : vectors()["cluster_messages"]) {
    auto cm = clusterMessage(v);
    EXPECT_EQ(toHex(core::encode(cm)), v["encoded"].get<std::string>());
    EXPECT_EQ(toHex(core::messageHash(cm)), v["hash"].get<std::string>());
    auto back = core::decodeClusterMessage(hex(v["encoded"]));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, cm);
    H256 h = core::messageHash(cm);
    const auto& sigs = v["signatures"];
    ASSERT_EQ(sigs.size(), keys.size());
    for (size_t i = 0; i < sigs.size(); ++i) {
      EXPECT_EQ(toHex(keys[i].publicKey()), sigs[i]["public_key"].get<std::string>());
      EXPECT_EQ(toHex(core::signMessageHash(keys[i], h)), sigs[i]["signature"].get<std::string>());
      auto signer = core::recoverMessageSigner(fixedHex<65>(sigs[i]["signature"]), h);
      ASSERT_TRUE(signer.ok());
      EXPECT_EQ(toHex(*signer), sigs[i]["public_key"].get<std::string>());
    }
  }
}

TEST(Vectors, StorageKeys) {
  for (const auto& v : vectors()["storage_keys"]) {
    std::string item = v["item"];
    Bytes key;
    if (item == "PhalaClusterMq.Clusters") {
      key = core::clustersKey(fixedHex<32>(v["cluster"]));
    } else if (item == "PhalaClusterMq.Queues") {
      key = core::queuesKey(fixedHex<32>(v["cluster"]));
    } else if (item == "PhalaClusterMq.Acks") {
      key = core::acksKey(fixedHex<32>(v["cluster"]), static_cast<uint64_t>(dec(v["sn"])));
    } else if (item == "PhalaClusterMq.HunterRewards") {
      key = core::hunterRewardsKey(fixedHex<32>(v["account_id"]));
    } else if (item == "System.Account") {
      key = core::systemAccountKey(fixedHex<32>(v["account_id"]));
    } else {
      FAIL() << "unknown storage item in vectors: " << item;
    }
    EXPECT_EQ(toHex(key), v["key"].get<std::string>()) << item;
  }
}

TEST(Vectors, StorageValues) {
  const auto& sv = vectors()["storage_values"];
  {
    const auto& v = sv["cluster_info"];
    core::ClusterInfo ci;
    for (const auto& w : v["workers"]) ci.workers.push_back(fixedHex<33>(w));
    ci.threshold = v["threshold"].get<uint32_t>();
    ci.reward_per_message = dec(v["reward_per_message"]);
    EXPECT_EQ(toHex(core::encode(ci)), v["encoded"].get<std::string>());
    EXPECT_EQ(core::decodeClusterInfo(hex(v["encoded"])).value(), ci);
  }
  {
    const auto& v = sv["queue_state"];
    core::QueueState q{static_cast<uint64_t>(dec(v["next_sn"])), fixedHex<32>(v["last_hash"])};
    EXPECT_EQ(toHex(core::encode(q)), v["encoded"].get<std::string>());
    EXPECT_EQ(core::decodeQueueState(hex(v["encoded"])).value(), q);
  }
  {
    const auto& v = sv["ack_record"];
    core::AckRecord a{fixedHex<32>(v["hash"]), fixedHex<32>(v["state_root"]),
                      fixedHex<32>(v["hunter"]), v["block"].get<uint32_t>(), dec(v["reward"])};
    EXPECT_EQ(toHex(core::encode(a)), v["encoded"].get<std::string>());
    EXPECT_EQ(core::decodeAckRecord(hex(v["encoded"])).value(), a);
  }
  {
    const auto& v = sv["account_info"];
    auto decoded = core::decodeAccountInfo(hex(v["encoded"]));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->nonce, v["nonce"].get<uint32_t>());
    EXPECT_TRUE(decoded->data.free == dec(v["free"]));
    EXPECT_EQ(toHex(core::encode(*decoded)), v["encoded"].get<std::string>());
  }
}

TEST(Vectors, Eras) {
  for (const auto& v : vectors()["eras"]) {
    uint64_t period = v["period"].get<uint64_t>();
    uint64_t current = v["current"].get<uint64_t>();
    auto era = core::Era::mortal(period, current);
    EXPECT_EQ(toHex(core::encode(era)), v["encoded"].get<std::string>())
        << period << "@" << current;
    EXPECT_EQ(era.birth(current), static_cast<uint64_t>(dec(v["start"])));
    Bytes enc = hex(v["encoded"]);
    codec::Decoder d(enc);
    EXPECT_EQ(core::decodeEra(d).value(), era);
  }
}

TEST(Vectors, Extrinsics) {
  const auto& msgs = vectors()["cluster_messages"];
  for (const auto& v : vectors()["extrinsics"]) {
    core::ClusterCall call;
    call.batch = v["call_name"].get<std::string>() == "sync_cluster_messages";
    const auto& used = v["signatures_used"];
    for (size_t i = 0; i < v["messages"].size(); ++i) {
      const auto& m = msgs.at(v["messages"][i].get<size_t>());
      core::SignedClusterMessage item{clusterMessage(m), {}};
      for (size_t s = 0; s < used[i].get<size_t>(); ++s) {
        item.signatures.push_back(fixedHex<65>(m["signatures"][s]["signature"]));
      }
      call.items.push_back(item);
    }
    Bytes callBytes = core::encodeCall(call);
    EXPECT_EQ(toHex(callBytes), v["call"].get<std::string>());

    core::ChainParams params{v["spec_version"].get<uint32_t>(),
                             v["transaction_version"].get<uint32_t>(),
                             fixedHex<32>(v["genesis_hash"])};
    core::TxExtra extra;
    uint64_t period = v["era_period"].get<uint64_t>();
    extra.era = period == 0 ? core::Era::immortal()
                            : core::Era::mortal(period, v["era_current"].get<uint64_t>());
    EXPECT_EQ(toHex(core::encode(extra.era)), v["era"].get<std::string>());
    extra.nonce = static_cast<uint32_t>(dec(v["nonce"]));
    extra.tip = dec(v["tip"]);
    H256 eraHash = fixedHex<32>(v["era_block_hash"]);
    EXPECT_EQ(toHex(core::signingPayload(callBytes, extra, params, eraHash)),
              v["signing_payload"].get<std::string>());
    auto key = secret(v["signer_secret"]);
    EXPECT_EQ(toHex(crypto::accountId(key.publicKey())), v["signer_account"].get<std::string>());
    Bytes xt = core::buildSignedExtrinsic(key, callBytes, extra, params, eraHash);
    EXPECT_EQ(toHex(xt), v["extrinsic"].get<std::string>());
    EXPECT_EQ(toHex(core::txHash(xt)), v["tx_hash"].get<std::string>());

    auto decoded = core::decodeExtrinsic(hex(v["extrinsic"]));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->call, call);
    EXPECT_EQ(decoded->extra, extra);
    EXPECT_EQ(toHex(decoded->signer), v["signer_account"].get<std::string>());
    EXPECT_TRUE(core::verifyExtrinsicSignature(*decoded, params, eraHash).ok());
    core::ChainParams wrong = params;
    wrong.spec_version += 1;
    EXPECT_FALSE(core::verifyExtrinsicSignature(*decoded, wrong, eraHash).ok());
  }
}
