// secp256k1 keys, sign, recover and verify as sp_core::ecdsa; malformed signatures are refused.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "hunter/codec/scale.hpp"
#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/keys.hpp"
#include "support/result_testing.hpp"

using namespace hunter;
using namespace hunter::crypto;

namespace {

using hunter::testing::codeOf;

// The order n of the secp256k1 group, big-endian.
const FixedBytes<32> kOrder =
    fixedFromHex<32>("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").value();
// n / 2: a signature is low-S iff s <= n / 2.
const FixedBytes<32> kHalfOrder =
    fixedFromHex<32>("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").value();

// a - b for big-endian 256-bit numbers, a >= b.
FixedBytes<32> sub256(const FixedBytes<32>& a, const FixedBytes<32>& b) {
  FixedBytes<32> out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = int(a[i]) - int(b[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

FixedBytes<32> sOf(const Signature& sig) {
  FixedBytes<32> s{};
  std::copy(sig.begin() + 32, sig.begin() + 64, s.begin());
  return s;
}

// The other valid ECDSA signature of the same (r, s): s' = n - s, recovery id flipped. It is
// mathematically valid; only the low-S rule refuses it.
Signature highSTwin(const Signature& sig) {
  Signature out = sig;
  auto s2 = sub256(kOrder, sOf(sig));
  std::copy(s2.begin(), s2.end(), out.begin() + 32);
  out[64] = sig[64] ^ 1;
  return out;
}

SecretKey keyFromHex(std::string_view h) { return SecretKey::fromHex(h).value(); }

SecretKey testKey(uint8_t i) {
  FixedBytes<32> b{};
  b.fill(0x11);
  b[31] = i;
  b[0] = static_cast<uint8_t>(0x20 + i);
  return SecretKey::fromBytes(b).value();
}

Bytes msg(std::string_view s) { return toBytes(s); }

// A uniformly random secret key drawn by rapidcheck (reproducible from the seed, unlike
// SecretKey::generate()). Small generated seeds still give full-size keys.
SecretKey genKey() {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  codec::Encoder e;
  e.u64(seed);
  // All but a 2^-128 fraction of 32-byte strings are valid keys.
  return SecretKey::fromBytes(span(blake2_256(e.data()))).value();
}

}  // namespace

// ---- SecretKey
// -----------------------------------------------------------------------------------

TEST(SecretKey, KnownPublicKeys) {
  // 1·G and 2·G.
  EXPECT_EQ(toHex(keyFromHex("0x0000000000000000000000000000000000000000000000000000000000000001")
                      .publicKey()),
            "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(toHex(keyFromHex("0x0000000000000000000000000000000000000000000000000000000000000002")
                      .publicKey()),
            "0x02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");
  // (n - 1)·G = -G: same x, odd y.
  EXPECT_EQ(toHex(SecretKey::fromBytes(
                      sub256(kOrder, fixedFromHex<32>("0x" + std::string(62, '0') + "01").value()))
                      .value()
                      .publicKey()),
            "0x0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(SecretKey, RejectsZeroOrderAndAbove) {
  FixedBytes<32> zero{};
  auto z = SecretKey::fromBytes(zero);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(codeOf(z), "bad_key");

  auto n = SecretKey::fromBytes(kOrder);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(codeOf(n), "bad_key");

  FixedBytes<32> ff;
  ff.fill(0xff);
  EXPECT_EQ(codeOf(SecretKey::fromBytes(ff)), "bad_key");

  FixedBytes<32> one{};
  one[31] = 1;
  EXPECT_TRUE(SecretKey::fromBytes(sub256(kOrder, one)).ok());  // n - 1 is the largest key
}

TEST(SecretKey, RejectsWrongLength) {
  for (size_t n : {0u, 31u, 33u, 64u}) {
    Bytes b(n, 0x01);
    auto k = SecretKey::fromBytes(b);
    ASSERT_FALSE(k.ok()) << n;
    EXPECT_EQ(codeOf(k), "bad_key");
    EXPECT_NE(k.error().message.find(std::to_string(n)), std::string::npos);
  }
}

TEST(SecretKey, FromHexDoesNotEchoTheInput) {
  const std::string bad = "0x1111111111111111111111111111111111111111111111111111111111111zzz";
  auto k = SecretKey::fromHex(bad);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(codeOf(k), "bad_key");
  EXPECT_EQ(k.error().message.find("1111111111"), std::string::npos) << k.error().message;

  auto shortKey = SecretKey::fromHex("0x0102");
  ASSERT_FALSE(shortKey.ok());
  EXPECT_EQ(codeOf(shortKey), "bad_key");

  auto upper = SecretKey::fromHex("0X" + std::string(63, '0') + "A");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->secretBytes()[31], 0x0a);
}

TEST(SecretKey, GenerateGivesDistinctValidKeys) {
  auto a = SecretKey::generate();
  auto b = SecretKey::generate();
  EXPECT_NE(a.secretBytes(), b.secretBytes());
  EXPECT_TRUE(isValidPublicKey(a.publicKey()));
  EXPECT_NE(a.publicKey(), b.publicKey());
  EXPECT_TRUE(SecretKey::fromBytes(a.secretBytes()).ok());
}

// ---- sign / recover / verify -------------------------------------------------------------------

TEST(Signing, DeterministicLowSAndRecidZeroOrOne) {
  auto key = testKey(1);
  for (int i = 0; i < 64; ++i) {
    Bytes m = msg("message " + std::to_string(i));
    Signature s1 = sign(key, m);
    EXPECT_EQ(s1, sign(key, m)) << "RFC 6979 nonces are deterministic";
    EXPECT_LE(s1[64], 1);
    EXPECT_LE(sOf(s1), kHalfOrder) << "low-S";
  }
}

TEST(Signing, SignIsSignPrehashedOfBlake2) {
  auto key = testKey(2);
  Bytes m = msg("payload");
  EXPECT_EQ(sign(key, m), signPrehashed(key, blake2_256(m)));
  EXPECT_EQ(recover(sign(key, m), m).value(), key.publicKey());
  EXPECT_EQ(recoverPrehashed(sign(key, m), blake2_256(m)).value(), key.publicKey());
}

TEST(Signing, RecoversSignerAndVerifies) {
  auto key = testKey(3);
  auto other = testKey(4);
  Bytes m = msg("hello");
  Signature sig = sign(key, m);
  EXPECT_EQ(recover(sig, m).value(), key.publicKey());
  EXPECT_TRUE(verify(sig, m, key.publicKey()));
  EXPECT_FALSE(verify(sig, m, other.publicKey()));
  EXPECT_FALSE(verify(sig, msg("hellp"), key.publicKey()));
  EXPECT_FALSE(verify(sig, Bytes{}, key.publicKey()));
}

TEST(Signing, HighSTwinIsRefusedWithBadSignature) {
  auto key = testKey(5);
  for (int i = 0; i < 16; ++i) {
    Bytes m = msg("twin " + std::to_string(i));
    Signature sig = sign(key, m);
    Signature twin = highSTwin(sig);
    ASSERT_GT(sOf(twin), kHalfOrder);
    auto r = recover(twin, m);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(codeOf(r), "bad_signature");
    EXPECT_NE(r.error().message.find("high S"), std::string::npos) << r.error().message;
    EXPECT_FALSE(verify(twin, m, key.publicKey()));
    EXPECT_EQ(codeOf(recoverPrehashed(twin, blake2_256(m))), "bad_signature");
    // Recid 2/3 on top of high-S: still refused.
    twin[64] += 2;
    EXPECT_EQ(codeOf(recover(twin, m)), "bad_signature");
  }
}

TEST(Signing, RecoveryIdOtherThanZeroOrOneIsRefused) {
  auto key = testKey(6);
  Bytes m = msg("recid");
  Signature sig = sign(key, m);
  for (int recid : {2, 3, 4, 27, 28, 255}) {
    Signature bad = sig;
    bad[64] = static_cast<uint8_t>(recid);
    auto r = recover(bad, m);
    ASSERT_FALSE(r.ok()) << recid;
    EXPECT_EQ(codeOf(r), "bad_signature") << recid;
    EXPECT_NE(r.error().message.find(std::to_string(recid)), std::string::npos);
    EXPECT_FALSE(verify(bad, m, key.publicKey()));
  }
  // The other valid recovery id recovers some other key, never the signer.
  Signature flipped = sig;
  flipped[64] ^= 1;
  auto r = recover(flipped, m);
  if (r.ok()) {
    EXPECT_NE(*r, key.publicKey());
  }
  EXPECT_FALSE(verify(flipped, m, key.publicKey()));
}

TEST(Signing, OutOfRangeRAndSAreRefused) {
  auto key = testKey(7);
  Bytes m = msg("range");
  Signature sig = sign(key, m);

  Signature zeroR = sig;
  std::fill(zeroR.begin(), zeroR.begin() + 32, 0);
  EXPECT_EQ(codeOf(recover(zeroR, m)), "bad_signature");

  Signature zeroS = sig;
  std::fill(zeroS.begin() + 32, zeroS.begin() + 64, 0);
  EXPECT_EQ(codeOf(recover(zeroS, m)), "bad_signature");

  Signature rIsN = sig;
  std::copy(kOrder.begin(), kOrder.end(), rIsN.begin());
  EXPECT_EQ(codeOf(recover(rIsN, m)), "bad_signature");

  Signature sIsN = sig;
  std::copy(kOrder.begin(), kOrder.end(), sIsN.begin() + 32);
  EXPECT_EQ(codeOf(recover(sIsN, m)), "bad_signature");

  Signature allFf;
  allFf.fill(0xff);
  allFf[64] = 0;
  EXPECT_EQ(codeOf(recover(allFf, m)), "bad_signature");

  Signature zero{};
  EXPECT_EQ(codeOf(recover(zero, m)), "bad_signature");
}

TEST(Signing, EveryFlippedBitOfTheSignatureFailsVerification) {
  auto key = testKey(8);
  Bytes m = msg("flip me");
  Signature sig = sign(key, m);
  for (size_t bit = 0; bit < sig.size() * 8; ++bit) {
    Signature bad = sig;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(bad, m, key.publicKey())) << "bit " << bit;
    auto r = recover(bad, m);
    if (!r.ok()) {
      EXPECT_EQ(codeOf(r), "bad_signature");
    }
  }
}

TEST(Signing, EveryFlippedBitOfTheMessageAndHashFailsVerification) {
  auto key = testKey(9);
  Bytes m = msg("0123456789abcdef0123456789abcdef");
  Signature sig = sign(key, m);
  H256 digest = blake2_256(m);
  for (size_t bit = 0; bit < m.size() * 8; ++bit) {
    Bytes bad = m;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(verify(sig, bad, key.publicKey())) << "bit " << bit;
  }
  for (size_t bit = 0; bit < 256; ++bit) {
    H256 bad = digest;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    auto r = recoverPrehashed(sig, bad);
    EXPECT_TRUE(!r.ok() || *r != key.publicKey()) << "bit " << bit;
  }
}

// ---- public keys and accounts ------------------------------------------------------------------

TEST(PublicKeys, Validity) {
  EXPECT_TRUE(isValidPublicKey(testKey(1).publicKey()));
  PublicKey pk = testKey(1).publicKey();
  EXPECT_TRUE(pk[0] == 0x02 || pk[0] == 0x03);

  PublicKey zero{};
  EXPECT_FALSE(isValidPublicKey(zero));

  for (uint8_t prefix : {0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff}) {
    PublicKey bad = pk;
    bad[0] = prefix;
    EXPECT_FALSE(isValidPublicKey(bad)) << int(prefix);
  }
  PublicKey xTooLarge;
  xTooLarge.fill(0xff);  // x >= p
  xTooLarge[0] = 0x02;
  EXPECT_FALSE(isValidPublicKey(xTooLarge));
  // x = 5: x^3 + 7 = 132 is not a square mod p, so there is no point with that x.
  PublicKey notOnCurve{};
  notOnCurve[0] = 0x02;
  notOnCurve[32] = 5;
  EXPECT_FALSE(isValidPublicKey(notOnCurve));
  // x = 1: 8 is a square mod p, so both 0x02 and 0x03 with x = 1 are points.
  PublicKey xOne{};
  xOne[0] = 0x02;
  xOne[32] = 1;
  EXPECT_TRUE(isValidPublicKey(xOne));
  xOne[0] = 0x03;
  EXPECT_TRUE(isValidPublicKey(xOne));
}

TEST(PublicKeys, AccountIdIsBlake2OfCompressedKey) {
  PublicKey pk = testKey(1).publicKey();
  EXPECT_EQ(accountId(pk), blake2_256(span(pk)));
  EXPECT_NE(accountId(pk), accountId(testKey(2).publicKey()));
}

// ---- properties --------------------------------------------------------------------------------

RC_GTEST_PROP(SigningProperty, SignRecoverRoundTrip, (const std::vector<uint8_t>& m)) {
  const auto key = genKey();
  const Signature sig = sign(key, m);
  RC_ASSERT(sig[64] <= 1);
  RC_ASSERT(sOf(sig) <= kHalfOrder);
  auto pk = recover(sig, m);
  RC_ASSERT(pk.ok());
  RC_ASSERT(*pk == key.publicKey());
  RC_ASSERT(verify(sig, m, key.publicKey()));
  RC_ASSERT(isValidPublicKey(*pk));
}

RC_GTEST_PROP(SigningProperty, FlippedBitInMessageFails, (const std::vector<uint8_t>& m0)) {
  RC_PRE(!m0.empty());
  const auto key = genKey();
  const Signature sig = sign(key, m0);
  const auto bit = *rc::gen::inRange<size_t>(0, m0.size() * 8);
  Bytes m = m0;
  m[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  RC_ASSERT(!verify(sig, m, key.publicKey()));
}

RC_GTEST_PROP(SigningProperty, FlippedBitInHashFails, ()) {
  const auto key = genKey();
  const auto digestBytes =
      *rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>());
  const H256 digest = toFixed<32>(digestBytes);
  const Signature sig = signPrehashed(key, digest);
  RC_ASSERT(recoverPrehashed(sig, digest).value() == key.publicKey());
  const auto bit = *rc::gen::inRange<size_t>(0, 256);
  H256 bad = digest;
  bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  auto r = recoverPrehashed(sig, bad);
  RC_ASSERT(!r.ok() || *r != key.publicKey());
}

RC_GTEST_PROP(SigningProperty, FlippedBitInSignatureFails, (const std::vector<uint8_t>& m)) {
  const auto key = genKey();
  Signature sig = sign(key, m);
  const auto bit = *rc::gen::inRange<size_t>(0, 65 * 8);
  sig[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  RC_ASSERT(!verify(sig, m, key.publicKey()));
}

RC_GTEST_PROP(SigningProperty, HighSTwinAlwaysRefused, (const std::vector<uint8_t>& m)) {
  const auto key = genKey();
  const Signature twin = highSTwin(sign(key, m));
  auto r = recover(twin, m);
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == "bad_signature");
}

RC_GTEST_PROP(SigningProperty, RandomSignaturesNeverCrash, ()) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(65, rc::gen::arbitrary<uint8_t>());
  const Signature sig = toFixed<65>(bytes);
  auto r = recover(sig, Bytes{1, 2, 3});
  if (r.ok()) {
    RC_ASSERT(isValidPublicKey(*r));
    RC_ASSERT(sig[64] <= 1);
  } else {
    RC_ASSERT(r.error().code == "bad_signature");
  }
}
