// base58, SS58 (one- and two-byte prefixes, checksum, length) and parseAccount.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/ss58.hpp"
#include "support/result_testing.hpp"

using namespace hunter;
using namespace hunter::crypto;

namespace {

using hunter::testing::codeOf;

// Alice's sr25519 public key; its SS58 forms are published in every Substrate guide.
const AccountId32 kAlice =
    fixedFromHex<32>("0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d").value();

AccountId32 account(uint8_t seed) { return blake2_256(span(Bytes{seed})); }

// prefix-bytes ++ body ++ checksum(prefix-bytes ++ body), base58; lets a test build addresses
// with any body length or a corrupted checksum.
std::string rawSs58(const Bytes& prefixBytes, const Bytes& body, int checksumXor = 0) {
  Bytes pre = toBytes("SS58PRE");
  pre.insert(pre.end(), prefixBytes.begin(), prefixBytes.end());
  pre.insert(pre.end(), body.begin(), body.end());
  auto sum = blake2_512(pre);
  Bytes all = prefixBytes;
  all.insert(all.end(), body.begin(), body.end());
  all.push_back(static_cast<uint8_t>(sum[0] ^ checksumXor));
  all.push_back(sum[1]);
  return base58Encode(all);
}

}  // namespace

// ---- base58 ---------------------------------------------------------------------------------

TEST(Base58, KnownValues) {
  EXPECT_EQ(base58Encode(span(toBytes("Hello World!"))), "2NEpo7TZRRrLZSi2U");
  EXPECT_EQ(base58Encode(Bytes{}), "");
  EXPECT_EQ(base58Encode(Bytes{0}), "1");
  EXPECT_EQ(base58Encode(Bytes{0, 0, 1}), "112");
  EXPECT_EQ(base58Encode(Bytes{57}), "z");
  EXPECT_EQ(base58Encode(Bytes{58}), "21");
  EXPECT_EQ(base58Decode("2NEpo7TZRRrLZSi2U").value(), toBytes("Hello World!"));
  EXPECT_EQ(base58Decode("112").value(), (Bytes{0, 0, 1}));
  EXPECT_TRUE(base58Decode("").value().empty());
}

TEST(Base58, RejectsCharactersOutsideTheAlphabet) {
  for (std::string_view in : std::initializer_list<std::string_view>{
           "0", "O", "I", "l", "+", "/", " ", "abc0", "2NEpo7TZRRrLZSi2U ", "2NEpo7TZ\xffRRrLZSi2U",
           std::string_view("2N\0E", 4)}) {
    auto r = base58Decode(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_address");
  }
}

TEST(Base58, RejectsOverlongText) {
  EXPECT_TRUE(base58Decode(std::string(128, '2')).ok());
  auto r = base58Decode(std::string(129, '2'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_address");
}

RC_GTEST_PROP(Base58Property, RoundTripWithLeadingZeros, (const std::vector<uint8_t>& data)) {
  const auto zeros = *rc::gen::inRange<size_t>(0, 4);
  Bytes in(zeros, 0);
  in.insert(in.end(), data.begin(), data.end());
  RC_PRE(in.size() <= 90);  // base58 text of at most ~123 characters
  std::string text = base58Encode(in);
  RC_ASSERT(base58Decode(text).value() == in);
}

RC_GTEST_PROP(Base58Property, ArbitraryTextNeverCrashes, (const std::string& text)) {
  auto r = base58Decode(text);
  if (r.ok()) {
    RC_ASSERT(base58Encode(*r) == text);
  } else {
    RC_ASSERT(r.error().code == "bad_address");
  }
}

// ---- SS58 -----------------------------------------------------------------------------------

TEST(Ss58, KnownAddresses) {
  EXPECT_EQ(ss58Encode(kAlice, 42), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  EXPECT_EQ(ss58Encode(kAlice, 0), "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5");
  auto d = ss58Decode("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->account, kAlice);
  EXPECT_EQ(d->prefix, 42);
}

TEST(Ss58, DefaultPrefixIsPhala) {
  EXPECT_EQ(kPhalaSs58Prefix, 30);
  std::string a = ss58Encode(kAlice);
  EXPECT_EQ(a, ss58Encode(kAlice, 30));
  auto d = ss58Decode(a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->prefix, 30);
  EXPECT_EQ(d->account, kAlice);
}

TEST(Ss58, TwoBytePrefixRoundTrip) {
  for (uint16_t prefix : {64, 65, 255, 256, 1000, 2000, 4095, 8191, 16383}) {
    AccountId32 acc = account(static_cast<uint8_t>(prefix));
    std::string a = ss58Encode(acc, prefix);
    auto d = ss58Decode(a);
    ASSERT_TRUE(d.ok()) << prefix << ": " << d.error().message;
    EXPECT_EQ(d->prefix, prefix);
    EXPECT_EQ(d->account, acc);
    // The two-byte form: 2 + 32 + 2 bytes.
    EXPECT_EQ(base58Decode(a).value().size(), 36u) << prefix;
  }
}

TEST(Ss58, Prefix2000MatchesSubstrateBytes) {
  // Substrate's two-byte layout for 2000 (0b00_0111_1101_0000):
  //   first  = 0b0100_0000 | (2000 & 0b1111_1100) >> 2 = 0x74
  //   second = (2000 >> 8) | (2000 & 0b11) << 6 = 0x07
  Bytes raw = base58Decode(ss58Encode(kAlice, 2000)).value();
  ASSERT_EQ(raw.size(), 36u);
  EXPECT_EQ(raw[0], 0x74);
  EXPECT_EQ(raw[1], 0x07);
  EXPECT_TRUE(std::equal(kAlice.begin(), kAlice.end(), raw.begin() + 2));
}

TEST(Ss58, RejectsBadChecksum) {
  const Bytes body(kAlice.begin(), kAlice.end());
  ASSERT_TRUE(ss58Decode(rawSs58({30}, body)).ok());
  for (int x : {1, 0x80, 0xff}) {
    auto r = ss58Decode(rawSs58({30}, body, x));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_address");
    EXPECT_NE(r.error().message.find("checksum"), std::string::npos) << r.error().message;
  }
  // Changing the account or the prefix under an unchanged checksum.
  Bytes raw = base58Decode(ss58Encode(kAlice, 30)).value();
  for (size_t i = 0; i < raw.size(); ++i) {
    Bytes bad = raw;
    bad[i] ^= 0x01;
    auto r = ss58Decode(base58Encode(bad));
    EXPECT_FALSE(r.ok()) << "byte " << i;
  }
}

TEST(Ss58, RejectsBadCharacters) {
  std::string good = ss58Encode(kAlice, 30);
  for (char c : {'0', 'O', 'I', 'l', '-', '_', ' '}) {
    std::string bad = good;
    bad[10] = c;
    auto r = ss58Decode(bad);
    ASSERT_FALSE(r.ok()) << c;
    EXPECT_EQ(codeOf(r), "bad_address");
  }
}

TEST(Ss58, RejectsWrongLength) {
  const Bytes body(kAlice.begin(), kAlice.end());
  for (size_t n : {0u, 1u, 20u, 31u, 33u, 34u, 64u}) {
    Bytes b(n, 0x42);
    auto r = ss58Decode(rawSs58({30}, b));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(codeOf(r), "bad_address") << n;
    auto r2 = ss58Decode(rawSs58({0x74, 0x07}, b));
    ASSERT_FALSE(r2.ok()) << n;
    EXPECT_EQ(codeOf(r2), "bad_address") << n;
  }
  // A one-byte prefix in front of a two-byte-prefix-sized body is a wrong length too.
  Bytes longer = body;
  longer.push_back(0);
  EXPECT_FALSE(ss58Decode(rawSs58({30}, longer)).ok());
  for (std::string_view in : {"", "1", "2", "5Grwva"}) {
    auto r = ss58Decode(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(codeOf(r), "bad_address");
  }
}

TEST(Ss58, RejectsReservedPrefixBytes) {
  const Bytes body(kAlice.begin(), kAlice.end());
  for (uint8_t first : {0x80, 0xc0, 0xff}) {
    auto r = ss58Decode(rawSs58({first}, body));
    ASSERT_FALSE(r.ok()) << int(first);
    EXPECT_EQ(codeOf(r), "bad_address");
  }
}

RC_GTEST_PROP(Ss58Property, RoundTripAnyPrefix, ()) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>());
  const AccountId32 acc = toFixed<32>(bytes);
  const auto prefix = *rc::gen::inRange<uint16_t>(0, 16384);
  const std::string a = ss58Encode(acc, prefix);
  auto d = ss58Decode(a);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->account == acc);
  RC_ASSERT(d->prefix == prefix);
  RC_ASSERT(parseAccount(a).value() == acc);
}

RC_GTEST_PROP(Ss58Property, ArbitraryTextNeverCrashes, (const std::string& text)) {
  auto r = ss58Decode(text);
  if (!r.ok()) RC_ASSERT(r.error().code == "bad_address");
}

// ---- parseAccount ---------------------------------------------------------------------------

TEST(ParseAccount, AcceptsHexInAnyCase) {
  const std::string lower = toHex(kAlice);
  std::string upperDigits = lower;
  for (size_t i = 2; i < upperDigits.size(); ++i) {
    upperDigits[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upperDigits[i])));
  }
  std::string upperPrefix = upperDigits;
  upperPrefix[1] = 'X';
  for (const auto& in : {lower, upperDigits, upperPrefix}) {
    auto r = parseAccount(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error().message;
    EXPECT_EQ(*r, kAlice);
  }
}

TEST(ParseAccount, AcceptsSs58OfAnyPrefix) {
  for (uint16_t prefix : {0, 2, 30, 42, 2000}) {
    auto r = parseAccount(ss58Encode(kAlice, prefix));
    ASSERT_TRUE(r.ok()) << prefix;
    EXPECT_EQ(*r, kAlice);
  }
  EXPECT_EQ(parseAccount("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").value(), kAlice);
}

TEST(ParseAccount, RejectsBadHex) {
  auto shortHex = parseAccount("0x1234");
  ASSERT_FALSE(shortHex.ok());
  EXPECT_EQ(codeOf(shortHex), "bad_length");
  EXPECT_NE(shortHex.error().message.find("account"), std::string::npos);

  auto badChar = parseAccount("0x" + std::string(63, '0') + "g");
  ASSERT_FALSE(badChar.ok());
  EXPECT_EQ(codeOf(badChar), "bad_hex");

  auto odd = parseAccount("0x" + std::string(63, '0'));
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(codeOf(odd), "bad_hex");
}

TEST(ParseAccount, RejectsBadSs58NamingTheInput) {
  std::string bad = ss58Encode(kAlice, 30);
  bad.back() = bad.back() == '2' ? '3' : '2';
  auto r = parseAccount(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_address");
  EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;

  auto garbage = parseAccount("not an account");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(codeOf(garbage), "bad_address");
  EXPECT_NE(garbage.error().message.find("not an account"), std::string::npos);
}
