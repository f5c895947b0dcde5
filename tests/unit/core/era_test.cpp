// Transaction era (CheckMortality), checked against sp_runtime::generic::Era's own tests and
// exhaustively over the two-byte mortal encoding.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "hunter/core/era.hpp"
#include "support/result_testing.hpp"

using namespace hunter;
using namespace hunter::core;

namespace {

using hunter::testing::codeOf;

Result<Era> decodeWhole(const Bytes& b) {
  codec::Decoder d(b);
  auto e = decodeEra(d);
  if (!e.ok()) return e.error();
  auto fin = d.finish();
  if (!fin.ok()) return fin.error();
  return e;
}

}  // namespace

TEST(Era, Immortal) {
  Era e = Era::immortal();
  EXPECT_TRUE(e.isImmortal());
  EXPECT_EQ(encode(e), Bytes{0x00});
  EXPECT_EQ(decodeWhole(Bytes{0x00}).value(), e);
  EXPECT_EQ(e.birth(12345), 0u);
  EXPECT_EQ(e.death(12345), UINT64_MAX);
  codec::Encoder enc;
  encode(enc, e);
  EXPECT_EQ(enc.data(), Bytes{0x00});
}

TEST(Era, MortalConstructionAsSubstrate) {
  // sp_runtime era_initialization_works / quantized_clamped_era_initialization_works.
  EXPECT_EQ(Era::mortal(64, 42), (Era{64, 42}));
  EXPECT_EQ(Era::mortal(32768, 20000), (Era{32768, 20000}));
  EXPECT_EQ(Era::mortal(200, 513), (Era{256, 1}));
  EXPECT_EQ(Era::mortal(2, 1), (Era{4, 1}));
  EXPECT_EQ(Era::mortal(4, 5), (Era{4, 1}));
  EXPECT_EQ(Era::mortal(1000000, 1000001), (Era{65536, 1000001 % 65536 / 4 * 4}));
  EXPECT_FALSE(Era::mortal(64, 0).isImmortal());
}

TEST(Era, PeriodIsRoundedUpToAPowerOfTwoInRange) {
  struct Case {
    uint64_t in, period;
  };
  for (auto c : {Case{0, 4}, Case{1, 4}, Case{3, 4}, Case{4, 4}, Case{5, 8}, Case{64, 64},
                 Case{65, 128}, Case{4096, 4096}, Case{4097, 8192}, Case{65535, 65536},
                 Case{65536, 65536}, Case{65537, 65536}, Case{UINT64_MAX, 65536}}) {
    EXPECT_EQ(Era::mortal(c.in, 0).period, c.period) << c.in;
  }
}

TEST(Era, KnownEncodings) {
  // sp_runtime mortal_codec_works / long_period_mortal_codec_works.
  EXPECT_EQ(encode(Era::mortal(64, 42)), (Bytes{5 + 42 % 16 * 16, 42 / 16}));
  EXPECT_EQ(encode(Era::mortal(32768, 20000)),
            (Bytes{static_cast<uint8_t>(14 + 2500 % 16 * 16), static_cast<uint8_t>(2500 / 16)}));
  EXPECT_EQ(encode(Era{4, 0}), (Bytes{0x01, 0x00}));
  EXPECT_EQ(encode(Era{65536, 65520}), (Bytes{0xff, 0xff}));  // 15 | 4095 << 4
}

TEST(Era, BirthAndDeathAsSubstrate) {
  // sp_runtime mortal_birth_death_works.
  Era e = Era::mortal(4, 6);
  for (uint64_t i = 6; i < 10; ++i) {
    EXPECT_EQ(e.birth(i), 6u) << i;
    EXPECT_EQ(e.death(i), 10u) << i;
  }
  EXPECT_NE(e.birth(10), 6u);
  EXPECT_NE(e.birth(5), 6u);
  // current_less_than_phase: no underflow.
  EXPECT_EQ(Era::mortal(4, 3).birth(1), 3u);
  EXPECT_EQ(Era::mortal(4, 3).death(1), 7u);
}

TEST(Era, QuantizedPhaseCanStartBeforeTheCurrentBlock) {
  // Period 65536 quantizes the phase to multiples of 16: born up to 15 blocks earlier.
  const uint64_t current = 1000015;
  Era e = Era::mortal(65536, current);
  EXPECT_EQ(e.phase % 16, 0u);
  EXPECT_EQ(e.birth(current), current - 15);
  EXPECT_EQ(e.death(current), current - 15 + 65536);
}

TEST(Era, RoundTripForEveryPeriodAndManyPhases) {
  for (uint64_t period = 4; period <= 65536; period *= 2) {
    const uint64_t quantize = std::max<uint64_t>(period >> 12, 1);
    for (uint64_t current : {uint64_t{0}, uint64_t{1}, period - 1, period, period + 1,
                             uint64_t{123456789}, uint64_t{4294967295}, UINT64_MAX}) {
      Era e = Era::mortal(period, current);
      ASSERT_EQ(e.period, period);
      ASSERT_LT(e.phase, period);
      ASSERT_EQ(e.phase % quantize, 0u);
      ASSERT_EQ(e.phase, current % period / quantize * quantize);
      Bytes b = encode(e);
      ASSERT_EQ(b.size(), 2u);
      auto back = decodeWhole(b);
      ASSERT_TRUE(back.ok()) << period << "@" << current << ": " << back.error().message;
      EXPECT_EQ(*back, e) << period << "@" << current;
    }
  }
}

TEST(Era, ExhaustiveTwoByteDecoding) {
  // Every two-byte input: decodes iff the period is at least 4 and the phase below it; what
  // decodes re-encodes to the same bytes (one encoding per era), and the rest is "bad_era".
  int accepted = 0;
  for (int first = 1; first < 256; ++first) {
    for (int second = 0; second < 256; ++second) {
      Bytes b{static_cast<uint8_t>(first), static_cast<uint8_t>(second)};
      auto r = decodeWhole(b);
      const uint64_t encoded = static_cast<uint64_t>(first) | static_cast<uint64_t>(second) << 8;
      const uint64_t period = uint64_t{2} << (encoded % 16);
      const uint64_t quantize = std::max<uint64_t>(period >> 12, 1);
      const uint64_t phase = (encoded >> 4) * quantize;
      const bool valid = period >= 4 && phase < period;
      ASSERT_EQ(r.ok(), valid) << toHex(b);
      if (r.ok()) {
        ++accepted;
        EXPECT_EQ(r->period, period);
        EXPECT_EQ(r->phase, phase);
        EXPECT_EQ(encode(*r), b) << toHex(b);
      } else {
        EXPECT_EQ(codeOf(r), "bad_era") << toHex(b);
      }
    }
  }
  // Sum over periods 2^k (k = 2..16) of the number of phases: 2^k / max(2^k >> 12, 1).
  int expected = 0;
  for (int k = 2; k <= 16; ++k) expected += (1 << k) / std::max(1 << k >> 12, 1);
  EXPECT_EQ(accepted, expected);
}

TEST(Era, InvalidMortalEncodings) {
  for (Bytes b : {Bytes{0x10, 0x00},     // low nibble 0: period 2
                  Bytes{0xf0, 0xff},     // period 2, phase 4095
                  Bytes{0x41, 0x00},     // period 4, phase 4
                  Bytes{0x81, 0x00},     // period 4, phase 8
                  Bytes{0x02, 0x01},     // period 8, phase 16
                  Bytes{0x0a, 0x80},     // period 2048, phase 2048
                  Bytes{0xfa, 0xff}}) {  // period 2048, phase 4095
    auto r = decodeWhole(b);
    ASSERT_FALSE(r.ok()) << toHex(b);
    EXPECT_EQ(codeOf(r), "bad_era") << toHex(b);
    EXPECT_NE(r.error().message.find("offset 0"), std::string::npos) << r.error().message;
  }
  // From period 4096 up every 12-bit phase field is in range once quantized.
  EXPECT_EQ(decodeWhole(Bytes{0xfb, 0xff}).value(), (Era{4096, 4095}));
  EXPECT_EQ(decodeWhole(Bytes{0xfe, 0xff}).value(), (Era{32768, 32760}));
}

TEST(Era, Truncated) {
  for (Bytes b : {Bytes{}, Bytes{0x01}, Bytes{0xff}}) {
    codec::Decoder d(b);
    auto r = decodeEra(d);
    ASSERT_FALSE(r.ok()) << toHex(b);
    EXPECT_EQ(codeOf(r), "truncated") << toHex(b);
  }
}

TEST(Era, ImmortalReadsOneByteOnly) {
  Bytes b{0x00, 0x77};
  codec::Decoder d(b);
  EXPECT_TRUE(decodeEra(d).value().isImmortal());
  EXPECT_EQ(d.remaining(), 1u);
}

RC_GTEST_PROP(EraProperty, RoundTripRandomPhase, ()) {
  const auto k = *rc::gen::inRange(2, 17);
  const uint64_t period = uint64_t{1} << k;
  const auto current = *rc::gen::arbitrary<uint64_t>();
  const Era e = Era::mortal(period, current);
  RC_ASSERT(e.period == period);
  RC_ASSERT(e.phase < period);
  auto back = decodeWhole(encode(e));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == e);
}

RC_GTEST_PROP(EraProperty, BirthAndDeathBracketTheCurrentBlock, ()) {
  const auto requested = *rc::gen::inRange<uint64_t>(0, 200000);
  const auto created = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 40);
  const Era e = Era::mortal(requested, created);
  const uint64_t quantize = std::max<uint64_t>(e.period >> 12, 1);
  // Seen from any block from its creation until just before its death.
  const auto later = *rc::gen::inRange<uint64_t>(0, e.period - (created % e.period % quantize));
  const uint64_t current = created + later;
  const uint64_t birth = e.birth(current);
  RC_ASSERT(birth <= created);
  RC_ASSERT(created - birth < quantize);  // quantization moves the birth back by < quantize
  RC_ASSERT(birth % e.period == e.phase);
  RC_ASSERT(birth <= current);
  RC_ASSERT(current < e.death(current));
  RC_ASSERT(e.death(current) - birth == e.period);
}
