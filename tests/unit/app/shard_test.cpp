// The shard rule: twox_64(cluster id) as a little-endian u64, mod N.
#include <gtest/gtest.h>

#include <random>

#include "hunter/app/shard.hpp"
#include "hunter/crypto/hash.hpp"

using namespace hunter;
using namespace hunter::app;

TEST(Shard, ParsesIOfN) {
  auto s = parseShard("2/8");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 8u);
  EXPECT_EQ(toString(*s), "2/8");
  EXPECT_TRUE(parseShard("0/1").ok());
  for (const char* bad : {"", "3/2", "2/2", "0/0", "1", "x/2", "1/x", " 1/2", "1/2 ", "+1/2"}) {
    EXPECT_FALSE(parseShard(bad).ok()) << bad;
  }
}

TEST(Shard, KeyIsTwox64LittleEndianAndStable) {
  H256 id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(i);
  auto h = crypto::twox_64(ByteSpan(id.data(), id.size()));
  uint64_t le = 0;
  for (int i = 7; i >= 0; --i) le = (le << 8) | h[static_cast<size_t>(i)];
  EXPECT_EQ(shardKey(id), le);
  // twox_64 is xxh64 with seed 0: the key must never change between releases.
  EXPECT_EQ(shardKey(id), crypto::xxh64(ByteSpan(id.data(), id.size()), 0));
  EXPECT_EQ(shardKey(id), shardKey(id));
  // Exactly one shard of every N holds a cluster.
  for (uint32_t n : {1u, 2u, 3u, 7u}) {
    int holders = 0;
    for (uint32_t i = 0; i < n; ++i) holders += inShard(id, Shard{i, n}) ? 1 : 0;
    EXPECT_EQ(holders, 1) << n;
  }
}

TEST(Shard, BalancedOverRandomClusterIds) {
  std::mt19937_64 rng(20261122);
  std::vector<H256> ids(10'000);
  for (auto& id : ids) {
    for (auto& b : id) b = static_cast<uint8_t>(rng());
  }
  for (uint32_t n : {2u, 3u, 4u, 8u}) {
    std::vector<size_t> counts(n, 0);
    for (auto& id : ids) {
      uint32_t holder = n;
      for (uint32_t i = 0; i < n; ++i) {
        if (inShard(id, Shard{i, n})) holder = i;
      }
      ASSERT_LT(holder, n);
      counts[holder]++;
    }
    double mean = static_cast<double>(ids.size()) / n;
    for (uint32_t i = 0; i < n; ++i) {
      EXPECT_GE(counts[i], 0.9 * mean) << "shard " << i << "/" << n;
      EXPECT_LE(counts[i], 1.1 * mean) << "shard " << i << "/" << n;
    }
  }
}
