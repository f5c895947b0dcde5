// util: hex, u128/u64 decimal conversion, byte helpers and Result<T>.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"
#include "support/result_testing.hpp"

using namespace hunter;

namespace {

using hunter::testing::codeOf;

constexpr u128 kU128Max = ~static_cast<u128>(0);

u128 makeU128(uint64_t hi, uint64_t lo) { return (static_cast<u128>(hi) << 64) | lo; }

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

}  // namespace

// ---- hex --------------------------------------------------------------------------------------

TEST(Hex, ToHexIsLowerCaseWithPrefix) {
  EXPECT_EQ(toHex(Bytes{}), "0x");
  EXPECT_EQ(toHex(Bytes{0x00, 0x01, 0xab, 0xff, 0x7f}), "0x0001abff7f");
  FixedBytes<3> f{0xde, 0xad, 0x0b};
  EXPECT_EQ(toHex(f), "0xdead0b");
}

TEST(Hex, FromHexAcceptsPrefixesAndCase) {
  const Bytes want{0x0a, 0xbc, 0xde, 0xf0};
  for (std::string_view in :
       {"0x0abcdef0", "0X0abcdef0", "0x0ABCDEF0", "0X0AbCdEf0", "0abcdef0", "0ABCDEF0"}) {
    auto r = fromHex(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error().message;
    EXPECT_EQ(*r, want) << in;
  }
}

TEST(Hex, FromHexEmpty) {
  for (std::string_view in : {"", "0x", "0X"}) {
    auto r = fromHex(in);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_TRUE(r->empty()) << in;
  }
}

TEST(Hex, FromHexRejectsOddLengthNamingTheInput) {
  for (std::string_view in : {"0x1", "0xabc", "abc", "0X12345", "1"}) {
    auto r = fromHex(in, "state_root");
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_hex") << in;
    EXPECT_NE(r.error().message.find("state_root"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("odd"), std::string::npos) << r.error().message;
  }
}

TEST(Hex, FromHexRejectsBadCharactersNamingTheInputAndPosition) {
  struct Case {
    std::string_view in;
    size_t pos;  // position after the prefix
  };
  for (auto c : {Case{"0xg0", 0}, Case{"0x0g", 1}, Case{"0x00zz", 2}, Case{"0x 1", 0},
                 Case{"0x1 ", 1}, Case{"0x-1", 0}, Case{"0x0x12", 1}, Case{"xx12", 0},
                 Case{"0x12\xff\xff", 2}, Case{"0x12:0", 2}}) {
    auto r = fromHex(c.in, "payload");
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(codeOf(r), "bad_hex") << c.in;
    EXPECT_NE(r.error().message.find("payload"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("position " + std::to_string(c.pos)), std::string::npos)
        << c.in << ": " << r.error().message;
  }
}

TEST(Hex, FromHexDefaultNameIsHex) {
  auto r = fromHex("0xq1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("hex", 0), 0u) << r.error().message;
}

TEST(Hex, FromHexAllByteValues) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  std::string h = toHex(all);
  EXPECT_EQ(h.size(), 2u + 512u);
  EXPECT_EQ(fromHex(h).value(), all);
  EXPECT_EQ(fromHex(upper(h)).value(), all);  // "0X..." and upper-case digits
}

TEST(Hex, FixedFromHex) {
  auto ok = fixedFromHex<4>("0xDEADBEEF", "id");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (FixedBytes<4>{0xde, 0xad, 0xbe, 0xef}));

  for (std::string_view in : {"0x", "0xdeadbe", "0xdeadbeef00"}) {
    auto r = fixedFromHex<4>(in, "cluster id");
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_length") << in;
    EXPECT_NE(r.error().message.find("cluster id"), std::string::npos);
    EXPECT_NE(r.error().message.find("expected 4 bytes"), std::string::npos);
  }
  auto bad = fixedFromHex<4>("0xdeadbeeg", "cluster id");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(codeOf(bad), "bad_hex");
  EXPECT_NE(bad.error().message.find("cluster id"), std::string::npos);
}

// fixedFromHex decodes in place when the length is right; it must answer exactly as fromHex plus a
// length check does, for any string (right length or not, hex or not).
RC_GTEST_PROP(HexProperty, FixedFromHexAnswersAsFromHexThenALengthCheck, ()) {
  const auto data = *rc::gen::container<std::vector<uint8_t>>(4, rc::gen::arbitrary<uint8_t>());
  std::string s =
      *rc::gen::oneOf(rc::gen::just(toHex(data)), rc::gen::just(toHex(data).substr(2)),
                      rc::gen::just(upper(toHex(data))), rc::gen::arbitrary<std::string>());
  if (*rc::gen::arbitrary<bool>() && !s.empty()) {  // one character changed
    s[*rc::gen::inRange<size_t>(0, s.size())] = *rc::gen::arbitrary<char>();
  }
  auto fixed = fixedFromHex<4>(s, "field");
  auto general = fromHex(s, "field");
  if (!general.ok()) {
    RC_ASSERT(!fixed.ok());
    RC_ASSERT(fixed.error().code == general.error().code);
    RC_ASSERT(fixed.error().message == general.error().message);
  } else if (general->size() != 4) {
    RC_ASSERT(!fixed.ok());
    RC_ASSERT(fixed.error().code == std::string("bad_length"));
    RC_ASSERT(fixed.error().message ==
              "field: expected 4 bytes, got " + std::to_string(general->size()));
  } else {
    RC_ASSERT(fixed.ok());
    RC_ASSERT(Bytes(fixed->begin(), fixed->end()) == *general);
  }
}

TEST(Hex, AppendHexAppends) {
  std::string out = "[";
  appendHex(out, Bytes{0x00, 0xab});
  appendHex(out, Bytes{});
  EXPECT_EQ(out, "[0x00ab0x");
}

RC_GTEST_PROP(HexProperty, RoundTripInBothCases, (const std::vector<uint8_t>& data)) {
  std::string h = toHex(data);
  RC_ASSERT(h.size() == 2 + 2 * data.size());
  RC_ASSERT(h.substr(0, 2) == "0x");
  RC_ASSERT(std::none_of(h.begin() + 2, h.end(),
                         [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }));
  RC_ASSERT(fromHex(h).value() == data);
  RC_ASSERT(fromHex(upper(h)).value() == data);
  RC_ASSERT(fromHex(h.substr(2)).value() == data);
}

RC_GTEST_PROP(HexProperty, ArbitraryStringsNeverCrash, (const std::string& s)) {
  auto r = fromHex(s, "input");
  std::string body = s;
  if (body.size() >= 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) body.erase(0, 2);
  bool valid = body.size() % 2 == 0 && std::all_of(body.begin(), body.end(), [](char c) {
                 return std::isxdigit(static_cast<unsigned char>(c)) != 0;
               });
  RC_ASSERT(r.ok() == valid);
  if (r.ok()) {
    RC_ASSERT(r->size() == body.size() / 2);
  } else {
    RC_ASSERT(r.error().code == "bad_hex");
    RC_ASSERT(r.error().message.find("input") != std::string::npos);
  }
}

// ---- decimal numbers --------------------------------------------------------------------------

TEST(Decimal, U128ToString) {
  EXPECT_EQ(u128ToString(0), "0");
  EXPECT_EQ(u128ToString(7), "7");
  EXPECT_EQ(u128ToString(1000000000000ull), "1000000000000");
  EXPECT_EQ(u128ToString(UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(u128ToString(static_cast<u128>(UINT64_MAX) + 1), "18446744073709551616");
  EXPECT_EQ(u128ToString(kU128Max), "340282366920938463463374607431768211455");
}

TEST(Decimal, U128FromStringAcceptsFullRange) {
  EXPECT_TRUE(u128FromString("0").value() == 0);
  EXPECT_TRUE(u128FromString("000042").value() == 42);
  EXPECT_TRUE(u128FromString("18446744073709551616").value() == static_cast<u128>(UINT64_MAX) + 1);
  EXPECT_TRUE(u128FromString("340282366920938463463374607431768211455").value() == kU128Max);
  EXPECT_TRUE(u128FromString("340282366920938463463374607431768211450").value() == kU128Max - 5);
}

TEST(Decimal, U128FromStringRejectsOverflow) {
  for (std::string_view in :
       {"340282366920938463463374607431768211456",  // max + 1
        "340282366920938463463374607431768211460",  // last digit overflows
        "340282366920938463463374607431768211500", "999999999999999999999999999999999999999",
        "3402823669209384634633746074317682114550",  // max * 10
        "100000000000000000000000000000000000000000000000000"}) {
    auto r = u128FromString(in, "reward");
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_number") << in;
    EXPECT_NE(r.error().message.find("reward"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("too large"), std::string::npos) << r.error().message;
  }
}

TEST(Decimal, U128FromStringRejectsNonDecimal) {
  for (std::string_view in : {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.0", "1e3", "١"}) {
    auto r = u128FromString(in, "fee");
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_number") << in;
    EXPECT_NE(r.error().message.find("fee"), std::string::npos) << r.error().message;
  }
}

TEST(Decimal, U64FromString) {
  EXPECT_EQ(u64FromString("0").value(), 0u);
  EXPECT_EQ(u64FromString("18446744073709551615").value(), UINT64_MAX);
  auto over = u64FromString("18446744073709551616", "sn");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(codeOf(over), "bad_number");
  EXPECT_NE(over.error().message.find("sn"), std::string::npos);
  EXPECT_NE(over.error().message.find("u64"), std::string::npos);
  auto huge = u64FromString("340282366920938463463374607431768211456", "sn");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(codeOf(huge), "bad_number");
  auto bad = u64FromString("12x", "sn");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(codeOf(bad), "bad_number");
}

RC_GTEST_PROP(DecimalProperty, U128RoundTrip, (uint64_t hi, uint64_t lo, uint8_t shift)) {
  u128 v = makeU128(hi, lo) >> (shift % 128);
  std::string s = u128ToString(v);
  RC_ASSERT(!s.empty());
  RC_ASSERT(s.size() == 1 || s[0] != '0');
  auto back = u128FromString(s);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == v);
}

RC_GTEST_PROP(DecimalProperty, U64MatchesStdToString, (uint64_t v)) {
  RC_ASSERT(u128ToString(v) == std::to_string(v));
  RC_ASSERT(u64FromString(std::to_string(v)).value() == v);
}

// ---- byte helpers -----------------------------------------------------------------------------

TEST(ByteHelpers, ConcatSpanToFixedToBytes) {
  Bytes a{1, 2}, b{}, c{3};
  FixedBytes<2> d{4, 5};
  EXPECT_EQ(concat({span(a), span(b), span(c), span(d)}), (Bytes{1, 2, 3, 4, 5}));
  EXPECT_TRUE(concat({}).empty());
  Bytes src{9, 8, 7, 6};
  EXPECT_EQ(toFixed<3>(src), (FixedBytes<3>{9, 8, 7}));
  EXPECT_EQ(toBytes("ab"), (Bytes{'a', 'b'}));
  EXPECT_EQ(span(d).size(), 2u);
}

// ---- Result -----------------------------------------------------------------------------------

namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return makeError("not_positive", "value " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  HUNTER_TRY(int x, parsePositive(v));
  return 2 * x;
}

Status checked(int v) {
  HUNTER_CHECK(parsePositive(v));
  return okStatus();
}

}  // namespace

TEST(ResultType, ValueAndError) {
  Result<int> ok = 5;
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 5);
  Result<int> err = makeError("code", "msg");
  EXPECT_FALSE(err.ok());
  EXPECT_FALSE(static_cast<bool>(err));
  EXPECT_EQ(codeOf(err), "code");
  EXPECT_EQ(err.error().message, "msg");
}

TEST(ResultType, ContextPrefixesMessageAndKeepsCode) {
  Error e = makeError("truncated", "input ends early").context("field sn");
  EXPECT_EQ(e.code, "truncated");
  EXPECT_EQ(e.message, "field sn: input ends early");
  EXPECT_EQ(e.context("outer").message, "outer: field sn: input ends early");
}

TEST(ResultType, TryAndCheckPropagate) {
  EXPECT_EQ(doubled(4).value(), 8);
  auto e = doubled(-3);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(codeOf(e), "not_positive");
  EXPECT_EQ(e.error().message, "value -3");
  EXPECT_TRUE(checked(1).ok());
  auto s = checked(0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(codeOf(s), "not_positive");
}

TEST(ResultTypeDeathTest, ValueOfErrorAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> err = makeError("code", "msg");
  EXPECT_DEATH((void)err.value(), "");
  Result<int> ok = 1;
  EXPECT_DEATH((void)ok.error(), "");
}
