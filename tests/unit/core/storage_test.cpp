// Storage keys and values: key layout, value round trips and strict whole-value decoding.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "hunter/core/storage.hpp"
#include "hunter/crypto/hash.hpp"
#include "support/result_testing.hpp"

using namespace hunter;
using namespace hunter::core;

namespace {

using hunter::testing::codeOf;

H256 filled(uint8_t v) {
  H256 h;
  h.fill(v);
  return h;
}

u128 big(uint64_t hi, uint64_t lo) { return (static_cast<u128>(hi) << 64) | lo; }

ClusterInfo sampleInfo(size_t workers) {
  ClusterInfo info;
  for (size_t i = 0; i < workers; ++i) {
    crypto::PublicKey pk;
    pk.fill(static_cast<uint8_t>(i));
    pk[0] = 0x02;
    info.workers.push_back(pk);
  }
  info.threshold = 3;
  info.reward_per_message = big(1, 2);
  return info;
}

// Every strict prefix and one trailing byte are refused.
template <class F>
void expectStrict(const Bytes& b, F decode) {
  ASSERT_TRUE(decode(span(b)).ok());
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = decode(ByteSpan(b.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(codeOf(r), "truncated") << n;
  }
  Bytes longer = b;
  longer.push_back(0);
  auto r = decode(span(longer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "trailing_bytes");
}

}  // namespace

TEST(StorageKeys, Layout) {
  EXPECT_EQ(toHex(storagePrefix("System", "Account")),
            "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9");
  const H256 cluster = filled(0xbb);
  auto blakeConcat = [](const H256& k) {
    auto h = crypto::blake2_128(span(k));
    return concat({span(h), span(k)});
  };
  auto expectKey = [&](const Bytes& key, std::string_view pallet, std::string_view item,
                       const Bytes& suffix) {
    EXPECT_EQ(key, concat({span(storagePrefix(pallet, item)), span(suffix)})) << item;
  };
  expectKey(clustersKey(cluster), "PhalaClusterMq", "Clusters", blakeConcat(cluster));
  expectKey(queuesKey(cluster), "PhalaClusterMq", "Queues", blakeConcat(cluster));
  expectKey(acksPrefix(cluster), "PhalaClusterMq", "Acks", blakeConcat(cluster));
  expectKey(hunterRewardsKey(cluster), "PhalaClusterMq", "HunterRewards", blakeConcat(cluster));
  expectKey(systemAccountKey(cluster), "System", "Account", blakeConcat(cluster));

  const uint64_t sn = 0x0102030405060708ull;
  Bytes snLe{8, 7, 6, 5, 4, 3, 2, 1};
  auto tw = crypto::twox_64(span(snLe));
  Bytes ack = acksKey(cluster, sn);
  EXPECT_EQ(ack, concat({span(acksPrefix(cluster)), span(tw), span(snLe)}));
  EXPECT_NE(acksKey(cluster, sn), acksKey(cluster, sn + 1));
  EXPECT_NE(clustersKey(cluster), queuesKey(cluster));
}

TEST(StorageValues, Layouts) {
  EXPECT_EQ(encodeU128(big(0x0102, 0x0304)), fromHex("0x04030000000000000201000000000000").value());
  QueueState q{0x10, filled(0xee)};
  EXPECT_EQ(toHex(encode(q)), "0x1000000000000000" + std::string(64, 'e'));
  ClusterInfo info = sampleInfo(2);
  Bytes ci = encode(info);
  ASSERT_EQ(ci.size(), 1u + 2 * 33 + 4 + 16);
  EXPECT_EQ(ci[0], 2 << 2);
  EXPECT_EQ(ci[67], 3);  // threshold, u32 LE
  AckRecord ack{filled(1), filled(2), filled(3), 77, 5};
  EXPECT_EQ(encode(ack).size(), 32u * 3 + 4 + 16);
  EXPECT_EQ(encode(AccountInfo{}).size(), 4u * 4 + 16 * 4);
}

TEST(StorageValues, RoundTripsAndStrictness) {
  ClusterInfo info = sampleInfo(4);
  EXPECT_EQ(decodeClusterInfo(encode(info)).value(), info);
  expectStrict(encode(info), [](ByteSpan b) { return decodeClusterInfo(b); });

  QueueState q{UINT64_MAX, filled(0x42)};
  EXPECT_EQ(decodeQueueState(encode(q)).value(), q);
  expectStrict(encode(q), [](ByteSpan b) { return decodeQueueState(b); });

  AckRecord ack{filled(1), filled(2), filled(3), UINT32_MAX, big(UINT64_MAX, UINT64_MAX)};
  EXPECT_EQ(decodeAckRecord(encode(ack)).value(), ack);
  expectStrict(encode(ack), [](ByteSpan b) { return decodeAckRecord(b); });

  AccountInfo acc{1, 2, 3, 4, {big(0, 5), big(6, 0), 7, big(1ull << 63, 0)}};
  EXPECT_EQ(decodeAccountInfo(encode(acc)).value(), acc);
  expectStrict(encode(acc), [](ByteSpan b) { return decodeAccountInfo(b); });

  EXPECT_TRUE(decodeU128(encodeU128(big(9, 9))).value() == big(9, 9));
  expectStrict(encodeU128(12345), [](ByteSpan b) { return decodeU128(b); });
}

TEST(StorageValues, ErrorsNameTheValue) {
  auto r = decodeAckRecord(Bytes(10, 0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("AckRecord: ", 0), 0u) << r.error().message;
  auto t = decodeQueueState(Bytes(41, 0));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message.rfind("QueueState: ", 0), 0u) << t.error().message;
}

TEST(StorageValues, WorkerCountBounds) {
  ClusterInfo info = sampleInfo(kMaxWorkers);
  EXPECT_EQ(decodeClusterInfo(encode(info)).value(), info);
  info.workers.push_back(info.workers[0]);
  auto r = decodeClusterInfo(encode(info));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_value");
  // A count far above what the input holds is refused before allocating.
  codec::Encoder e;
  e.compact(1000);
  e.raw(Bytes(33 * 10 + 20, 0));
  auto t = decodeClusterInfo(e.data());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(codeOf(t), "truncated");
}

RC_GTEST_PROP(StorageProperty, RandomBytesNeverCrash, (const std::vector<uint8_t>& in)) {
  const ByteSpan s = span(in);
  auto check = [&](const auto& r, size_t fixedSize) {
    if (fixedSize != 0) RC_ASSERT(r.ok() == (in.size() == fixedSize));
    if (!r.ok()) {
      RC_ASSERT(r.error().code == "truncated" || r.error().code == "trailing_bytes" ||
                r.error().code == "bad_value" || r.error().code == "bad_compact");
    }
  };
  check(decodeQueueState(s), 40);
  check(decodeAckRecord(s), 32 * 3 + 4 + 16);
  check(decodeAccountInfo(s), 16 + 64);
  check(decodeU128(s), 16);
  auto ci = decodeClusterInfo(s);
  check(ci, 0);
  if (ci.ok()) RC_ASSERT(encode(*ci) == in);
}
