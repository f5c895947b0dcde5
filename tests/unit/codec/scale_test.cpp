// SCALE Encoder/Decoder: exact encodings, and the Decoder's contract for untrusted input (bounds
// checks before allocation, non-canonical Compact, trailing bytes, errors instead of throws).
#include <gtest/gtest.h>

#include <string>

#include "hunter/codec/scale.hpp"
#include "support/result_testing.hpp"

using namespace hunter;
using hunter::codec::Decoder;
using hunter::codec::Encoder;

namespace {

using hunter::testing::codeOf;

constexpr u128 kU128Max = ~static_cast<u128>(0);
u128 pow2(int n) { return static_cast<u128>(1) << n; }

Bytes hex(std::string_view h) { return fromHex(h).value(); }

// Decodes a whole input as one Compact.
Result<u128> decodeCompactWhole(const Bytes& b) {
  Decoder d(b);
  auto v = d.compact();
  if (!v.ok()) return v.error();
  auto fin = d.finish();
  if (!fin.ok()) return fin.error();
  return v;
}

}  // namespace

// ---- fixed-width integers ---------------------------------------------------------------------

TEST(ScaleEncode, FixedWidthLittleEndian) {
  Encoder e;
  e.u8(0xab).u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d0eull);
  e.u128v((static_cast<u128>(0x1112131415161718ull) << 64) | 0x191a1b1c1d1e1f20ull);
  e.boolean(true).boolean(false);
  EXPECT_EQ(toHex(e.data()),
            "0xab"
            "0201"
            "06050403"
            "0e0d0c0b0a090807"
            "201f1e1d1c1b1a191817161514131211"
            "01"
            "00");
  EXPECT_EQ(e.size(), 1u + 2 + 4 + 8 + 16 + 2);

  Bytes b = e.take();
  Decoder d(b);
  EXPECT_EQ(d.u8().value(), 0xab);
  EXPECT_EQ(d.u16().value(), 0x0102);
  EXPECT_EQ(d.u32().value(), 0x03040506u);
  EXPECT_EQ(d.u64().value(), 0x0708090a0b0c0d0eull);
  EXPECT_TRUE(d.u128v().value() ==
              ((static_cast<u128>(0x1112131415161718ull) << 64) | 0x191a1b1c1d1e1f20ull));
  EXPECT_TRUE(d.boolean().value());
  EXPECT_FALSE(d.boolean().value());
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(d.finish().ok());
}

TEST(ScaleEncode, ExtremesOfFixedWidth) {
  Encoder e;
  e.u16(UINT16_MAX).u32(UINT32_MAX).u64(UINT64_MAX).u128v(kU128Max);
  Bytes b = e.take();
  EXPECT_EQ(b, Bytes(2 + 4 + 8 + 16, 0xff));
  Decoder d(b);
  EXPECT_EQ(d.u16().value(), UINT16_MAX);
  EXPECT_EQ(d.u32().value(), UINT32_MAX);
  EXPECT_EQ(d.u64().value(), UINT64_MAX);
  EXPECT_TRUE(d.u128v().value() == kU128Max);
}

TEST(ScaleEncode, RawFixedAndBytes) {
  Encoder e;
  FixedBytes<3> f{1, 2, 3};
  e.fixed(f).raw(Bytes{9}).bytes(Bytes{0xaa, 0xbb}).bytes(Bytes{});
  EXPECT_EQ(toHex(e.data()),
            "0x01020309"
            "08aabb"
            "00");

  Bytes big(64, 0x11);
  Encoder e2;
  e2.bytes(big);
  ASSERT_EQ(e2.size(), 66u);
  EXPECT_EQ(e2.data()[0], 0x01);  // Compact(64) = 0x0101
  EXPECT_EQ(e2.data()[1], 0x01);
}

// ---- Compact ----------------------------------------------------------------------------------

TEST(ScaleCompact, KnownEncodingsAtEveryModeBoundary) {
  struct Case {
    u128 value;
    const char* hex;
  };
  const Case cases[] = {
      {0, "0x00"},
      {1, "0x04"},
      {42, "0xa8"},
      {63, "0xfc"},
      {64, "0x0101"},
      {69, "0x1501"},
      {16383, "0xfdff"},
      {16384, "0x02000100"},
      {pow2(30) - 1, "0xfeffffff"},
      {pow2(30), "0x0300000040"},
      {pow2(32) - 1, "0x03ffffffff"},
      {pow2(32), "0x070000000001"},
      {pow2(40), "0x0b000000000001"},
      {static_cast<u128>(UINT64_MAX), "0x13ffffffffffffffff"},
      {pow2(64), "0x17000000000000000001"},
      {kU128Max, "0x33ffffffffffffffffffffffffffffffff"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(u128ToString(c.value));
    EXPECT_EQ(toHex(codec::encodeCompact(c.value)), c.hex);
    EXPECT_EQ(codec::compactSize(c.value), hex(c.hex).size());
    Encoder e;
    e.compact(c.value);
    EXPECT_EQ(toHex(e.data()), c.hex);
    auto back = decodeCompactWhole(hex(c.hex));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(*back == c.value);
  }
}

TEST(ScaleCompact, RejectsNonCanonicalEncodings) {
  for (const char* h : {
           "0x0100",                                // 0 in two-byte mode
           "0xfd00",                                // 63 in two-byte mode
           "0x02000000",                            // 0 in four-byte mode
           "0xfeff0000",                            // 16383 in four-byte mode
           "0x0300000000",                          // 0 in big-integer mode
           "0x03ffffff3f",                          // 2^30 - 1 in big-integer mode
           "0x070000004000",                        // 2^30 with a zero top byte
           "0x07ffffffff00",                        // 2^32 - 1 in five bytes
           "0x0f00000000000100",                    // 2^40 in seven bytes, zero top byte
           "0x33ffffffffffffffffffffffffffffff00",  // 16 bytes, zero top byte
           "0x17000000000000000000",                // zero in nine bytes
       }) {
    auto r = decodeCompactWhole(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(codeOf(r), "bad_compact") << h << ": " << r.error().message;
  }
}

TEST(ScaleCompact, RejectsMoreThanSixteenBytes) {
  // Prefix 0b110111: 13 + 4 = 17 bytes, beyond u128; up to 0xff: 67 bytes.
  for (uint8_t first : {0x37, 0x3b, 0x7f, 0xff}) {
    Bytes b(1 + 80, 0x01);
    b[0] = first;
    Decoder d(b);
    auto r = d.compact();
    ASSERT_FALSE(r.ok()) << int(first);
    EXPECT_EQ(codeOf(r), "bad_compact") << int(first);
  }
}

TEST(ScaleCompact, TruncatedInEveryMode) {
  for (const char* h : {"0x", "0x01", "0x02", "0x020001", "0x03", "0x03ffffff",
                        "0x33ffffffffffffffffffffffffffffff"}) {
    Bytes b = hex(h);
    Decoder d(b);
    auto r = d.compact();
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(codeOf(r), "truncated") << h;
  }
}

TEST(ScaleCompact, BoundedVariants) {
  {
    Bytes b = codec::encodeCompact(UINT64_MAX);
    Decoder d(b);
    EXPECT_EQ(d.compactU64().value(), UINT64_MAX);
  }
  {
    Bytes b = codec::encodeCompact(pow2(64));
    Decoder d(b);
    auto r = d.compactU64();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_compact");
  }
  {
    Bytes b = codec::encodeCompact(UINT32_MAX);
    Decoder d(b);
    EXPECT_EQ(d.compactU32().value(), UINT32_MAX);
  }
  {
    Bytes b = codec::encodeCompact(pow2(32));
    Decoder d(b);
    auto r = d.compactU32();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_compact");
  }
  {
    Bytes b = hex("0x0100");  // non-canonical stays an error through the bounded variants
    Decoder d1(b), d2(b);
    EXPECT_EQ(codeOf(d1.compactU32()), "bad_compact");
    EXPECT_EQ(codeOf(d2.compactU64()), "bad_compact");
  }
}

// ---- Decoder bounds ---------------------------------------------------------------------------

TEST(ScaleDecoder, EmptyInputIsTruncatedForEveryRead) {
  Decoder d(ByteSpan{});
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(codeOf(d.u8()), "truncated");
  EXPECT_EQ(codeOf(d.u16()), "truncated");
  EXPECT_EQ(codeOf(d.u32()), "truncated");
  EXPECT_EQ(codeOf(d.u64()), "truncated");
  EXPECT_EQ(codeOf(d.u128v()), "truncated");
  EXPECT_EQ(codeOf(d.boolean()), "truncated");
  EXPECT_EQ(codeOf(d.compact()), "truncated");
  EXPECT_EQ(codeOf(d.length(10)), "truncated");
  EXPECT_EQ(codeOf(d.bytes()), "truncated");
  EXPECT_EQ(codeOf(d.raw(1)), "truncated");
  EXPECT_EQ(codeOf(d.fixed<1>()), "truncated");
  EXPECT_TRUE(d.raw(0).ok());
  EXPECT_TRUE(d.finish().ok());
}

TEST(ScaleDecoder, FixedWidthReadsOneByteShortAreTruncated) {
  Bytes b(15, 0xee);
  for (size_t have : {0u, 1u, 3u, 7u, 15u}) {
    ByteSpan s(b.data(), have);
    if (have < 2) {
      EXPECT_EQ(codeOf(Decoder(s).u16()), "truncated") << have;
    }
    if (have < 4) {
      EXPECT_EQ(codeOf(Decoder(s).u32()), "truncated") << have;
    }
    if (have < 8) {
      EXPECT_EQ(codeOf(Decoder(s).u64()), "truncated") << have;
    }
    EXPECT_EQ(codeOf(Decoder(s).u128v()), "truncated") << have;
  }
}

TEST(ScaleDecoder, FailedReadDoesNotMoveAndErrorNamesOffset) {
  Bytes b{1, 2, 3};
  Decoder d(b);
  ASSERT_TRUE(d.u8().ok());
  auto r = d.u32();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "truncated");
  EXPECT_NE(r.error().message.find("offset 1"), std::string::npos) << r.error().message;
  EXPECT_EQ(d.position(), 1u);
  EXPECT_EQ(d.remaining(), 2u);
  EXPECT_EQ(d.u16().value(), 0x0302);
  EXPECT_TRUE(d.empty());
}

TEST(ScaleDecoder, RawAliasesInput) {
  Bytes b{1, 2, 3, 4};
  Decoder d(b);
  auto s = d.raw(3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->data(), b.data());
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(codeOf(d.raw(2)), "truncated");
  EXPECT_EQ(codeOf(d.raw(SIZE_MAX)), "truncated");
  EXPECT_EQ(d.fixed<1>().value(), (FixedBytes<1>{4}));
}

TEST(ScaleDecoder, BooleanRejectsOtherBytes) {
  for (int v = 2; v < 256; ++v) {
    Bytes b{static_cast<uint8_t>(v)};
    Decoder d(b);
    auto r = d.boolean();
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(codeOf(r), "bad_value") << v;
  }
}

TEST(ScaleDecoder, BytesChecksLengthAgainstRemainingInput) {
  // A hostile length prefix must fail before any allocation of that size.
  for (u128 claimed :
       {u128{1}, u128{5}, pow2(30), pow2(32), static_cast<u128>(UINT64_MAX), kU128Max}) {
    Encoder e;
    e.compact(claimed);
    Bytes b = e.take();
    if (claimed > 1) b.push_back(0x00);  // one byte of content, far fewer than claimed
    Decoder d(b);
    auto r = d.bytes();
    ASSERT_FALSE(r.ok()) << u128ToString(claimed);
    // Lengths that do not even fit size_t exceed the maximum; the rest are truncated.
    if (claimed > SIZE_MAX) {
      EXPECT_EQ(codeOf(r), "bad_value");
    } else {
      EXPECT_EQ(codeOf(r), "truncated") << u128ToString(claimed);
    }
  }
}

TEST(ScaleDecoder, BytesExactFitAndMaxLen) {
  Encoder e;
  e.bytes(Bytes{1, 2, 3});
  Bytes b = e.take();
  {
    Decoder d(b);
    EXPECT_EQ(d.bytes(3).value(), (Bytes{1, 2, 3}));
    EXPECT_TRUE(d.finish().ok());
  }
  {
    Decoder d(b);
    auto r = d.bytes(2);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
  {
    Decoder d(ByteSpan(b.data(), 3));  // one byte short
    EXPECT_EQ(codeOf(d.bytes()), "truncated");
  }
}

TEST(ScaleDecoder, LengthChecksItemsTimesMinimumSize) {
  Encoder e;
  e.compact(3);
  e.raw(Bytes(3 * 33, 0));
  Bytes exact = e.take();
  {
    Decoder d(exact);
    EXPECT_EQ(d.length(3, 33).value(), 3u);
    EXPECT_EQ(d.remaining(), 99u);
  }
  {
    Decoder d(ByteSpan(exact.data(), exact.size() - 1));
    auto r = d.length(3, 33);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "truncated");
  }
  {
    Decoder d(exact);
    auto r = d.length(2, 33);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
  {
    // min_item_size 0: zero-sized items need no input, only the maximum applies.
    Bytes b = codec::encodeCompact(1000);
    Decoder d(b);
    EXPECT_EQ(d.length(1000, 0).value(), 1000u);
    Decoder d2(b);
    EXPECT_EQ(codeOf(d2.length(999, 0)), "bad_value");
  }
  {
    // A huge count with a large item size must not overflow the check.
    Bytes b = codec::encodeCompact(static_cast<u128>(SIZE_MAX));
    b.push_back(0);
    Decoder d(b);
    EXPECT_EQ(codeOf(d.length(SIZE_MAX, SIZE_MAX)), "truncated");
  }
  {
    Bytes b = hex("0x0100");
    Decoder d(b);
    EXPECT_EQ(codeOf(d.length(100)), "bad_compact");
  }
}

TEST(ScaleDecoder, FinishRejectsTrailingBytes) {
  Bytes b{1, 2, 3};
  Decoder d(b);
  ASSERT_TRUE(d.u8().ok());
  auto f = d.finish();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(codeOf(f), "trailing_bytes");
  EXPECT_NE(f.error().message.find("2 unexpected"), std::string::npos) << f.error().message;
  ASSERT_TRUE(d.u16().ok());
  EXPECT_TRUE(d.finish().ok());
}

TEST(ScaleDecoder, WholeCompactWithTrailingByteIsRejected) {
  auto r = decodeCompactWhole(hex("0x0400"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "trailing_bytes");
}

TEST(ScaleDecoder, NeverThrowsOnAnyTwoBytePrefix) {
  // Every one- and two-byte input through every read: an error or a value, never a throw.
  for (int a = 0; a < 256; ++a) {
    for (int len = 1; len <= 2; ++len) {
      for (int b = 0; b < (len == 2 ? 256 : 1); ++b) {
        Bytes in{static_cast<uint8_t>(a)};
        if (len == 2) in.push_back(static_cast<uint8_t>(b));
        EXPECT_NO_THROW({
          Decoder d(in);
          (void)d.compact();
          Decoder d2(in);
          (void)d2.bytes();
          Decoder d3(in);
          (void)d3.length(SIZE_MAX, 1);
          Decoder d4(in);
          (void)d4.u16();
        });
      }
    }
  }
}
