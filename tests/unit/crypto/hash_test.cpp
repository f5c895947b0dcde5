// Substrate hashers against well-known values (RFC 7693 / Substrate storage prefixes).
#include <gtest/gtest.h>

#include "hunter/crypto/hash.hpp"

using namespace hunter;
using namespace hunter::crypto;

TEST(Hash, Blake2OfEmptyInput) {
  EXPECT_EQ(toHex(blake2_256(ByteSpan{})),
            "0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(toHex(blake2_128(ByteSpan{})), "0xcae66941d9efbd404e4d88758ea67670");
  EXPECT_EQ(toHex(blake2_512(ByteSpan{})),
            "0x786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee5853"
            "13896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

TEST(Hash, Blake2b512OfAbc) {
  // RFC 7693 appendix A.
  EXPECT_EQ(toHex(blake2_512(span(toBytes("abc")))),
            "0xba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792d"
            "c252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

TEST(Hash, StringOverloadMatchesBytes) {
  EXPECT_EQ(blake2_256("hunter"), blake2_256(span(toBytes("hunter"))));
  EXPECT_EQ(twox_128("hunter"), twox_128(span(toBytes("hunter"))));
  EXPECT_NE(blake2_256("hunter"), blake2_256("hunteR"));
}

TEST(Hash, TwoxMatchesSubstrateStoragePrefixes) {
  EXPECT_EQ(toHex(twox_128("System")), "0x26aa394eea5630e07c48ae0c9558cef7");
  EXPECT_EQ(toHex(twox_128("Account")), "0xb99d880ec681799c0cf30e8886371da9");
  EXPECT_EQ(toHex(twox_128("Balances")), "0xc2261276cc9d1f8598ea4b6a74b15c2f");
  EXPECT_EQ(toHex(twox_128("TotalIssuance")), "0x57c875e4cff74148e4628f264b974c80");
}

TEST(Hash, TwoxIsXxh64LittleEndian) {
  EXPECT_EQ(xxh64(ByteSpan{}, 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(toHex(twox_64(ByteSpan{})), "0x99e9d85137db46ef");
  Bytes in = toBytes("PhalaClusterMq");
  H128 t = twox_128(span(in));
  uint64_t lo = 0, hi = 0;
  for (int i = 7; i >= 0; --i) {
    lo = lo << 8 | t[i];
    hi = hi << 8 | t[8 + i];
  }
  EXPECT_EQ(lo, xxh64(span(in), 0));
  EXPECT_EQ(hi, xxh64(span(in), 1));
  auto t64 = twox_64(span(in));
  EXPECT_TRUE(std::equal(t64.begin(), t64.end(), t.begin()));
}

TEST(Hash, DistinctOutputLengthsAreNotPrefixes) {
  // blake2b's output length is a parameter of the hash, so the 128-bit hash is not a prefix of
  // the 256-bit one (a common mistake when truncating).
  auto h256 = blake2_256("x");
  auto h128 = blake2_128(span(toBytes("x")));
  EXPECT_FALSE(std::equal(h128.begin(), h128.end(), h256.begin()));
}
