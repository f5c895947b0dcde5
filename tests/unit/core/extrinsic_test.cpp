// PhalaClusterMq calls and the signed v4 ECDSA extrinsic: layout, decoding of untrusted bytes,
// signing regimes, and that no single flipped bit survives decoding plus signature verification.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

#include "hunter/core/extrinsic.hpp"
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

crypto::SecretKey keyOf(uint8_t i) {
  FixedBytes<32> b;
  b.fill(0x5a);
  b[31] = i;
  return crypto::SecretKey::fromBytes(b).value();
}

const crypto::SecretKey& hunterKey() {
  static const crypto::SecretKey k = keyOf(1);
  return k;
}

const ChainParams kParams{9140, 24, filled(0x99)};
const H256 kEraHash = filled(0x77);

ClusterMessage message(uint64_t sn, size_t payloadLen = 3, const H256& prev = H256{}) {
  ClusterMessage m;
  m.message.sender = MessageOrigin::cluster(filled(0xcc));
  m.message.destination = toBytes("topic");
  m.message.payload = Bytes(payloadLen, static_cast<uint8_t>(sn));
  m.sn = sn;
  m.prev_hash = prev;
  m.state_root = filled(static_cast<uint8_t>(sn + 1));
  return m;
}

SignedClusterMessage signedItem(uint64_t sn, size_t payloadLen = 3, size_t nsigs = 2) {
  SignedClusterMessage item;
  item.message = message(sn, payloadLen);
  H256 h = messageHash(item.message);
  for (size_t i = 0; i < nsigs; ++i) {
    item.signatures.push_back(signMessageHash(keyOf(static_cast<uint8_t>(10 + i)), h));
  }
  return item;
}

ClusterCall single(size_t payloadLen = 3, size_t nsigs = 2) {
  return ClusterCall{false, {signedItem(5, payloadLen, nsigs)}};
}

ClusterCall batch(size_t n) {
  ClusterCall c{true, {}};
  for (size_t i = 0; i < n; ++i) c.items.push_back(signedItem(5 + i));
  return c;
}

TxExtra extra(uint32_t nonce = 3, u128 tip = 0) {
  return TxExtra{Era::mortal(64, 1000), nonce, tip};
}

Bytes build(const ClusterCall& call, const TxExtra& x = extra()) {
  return buildSignedExtrinsic(hunterKey(), encodeCall(call), x, kParams, kEraHash);
}

// Replaces the length prefix of an extrinsic so that it matches the body.
Bytes reprefix(ByteSpan body) {
  codec::Encoder e;
  e.bytes(body);
  return e.take();
}

// The body of an extrinsic (without its length prefix).
Bytes bodyOf(const Bytes& xt) {
  codec::Decoder d(xt);
  size_t n = static_cast<size_t>(d.compact().value());
  return Bytes(xt.end() - static_cast<std::ptrdiff_t>(n), xt.end());
}

// Offsets inside the body.
constexpr size_t kVersionAt = 0, kAddrTypeAt = 1, kSignerAt = 2, kSigTypeAt = 34, kSigAt = 35,
                 kExtraAt = 100;

const std::set<std::string> kDecodeErrors = {"bad_format", "unknown_call", "truncated",
                                             "bad_value",  "bad_era",      "trailing_bytes",
                                             "bad_compact"};

// Decodes and verifies; true when the extrinsic is accepted as signed by the hunter.
bool accepted(ByteSpan xt) {
  auto d = decodeExtrinsic(xt);
  if (!d.ok()) return false;
  return verifyExtrinsicSignature(*d, kParams, kEraHash).ok();
}

void flipBit(Bytes& b, size_t bit) { b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8)); }

// ---- generators ---------------------------------------------------------------------------------

H256 genH256() {
  return toFixed<32>(*rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>()));
}

SignedClusterMessage genItem() {
  SignedClusterMessage item;
  item.message.message.sender = MessageOrigin::cluster(genH256());
  item.message.message.destination =
      *rc::gen::resize(20, rc::gen::arbitrary<std::vector<uint8_t>>());
  item.message.message.payload = *rc::gen::arbitrary<std::vector<uint8_t>>();
  item.message.sn = *rc::gen::arbitrary<uint64_t>();
  item.message.prev_hash = genH256();
  item.message.state_root = genH256();
  const auto nsigs = *rc::gen::inRange(0, 4);
  for (int i = 0; i < nsigs; ++i) {
    item.signatures.push_back(
        toFixed<65>(*rc::gen::container<std::vector<uint8_t>>(65, rc::gen::arbitrary<uint8_t>())));
  }
  return item;
}

ClusterCall genCall() {
  ClusterCall c;
  c.batch = *rc::gen::arbitrary<bool>();
  const int n = c.batch ? *rc::gen::inRange(1, 6) : 1;
  for (int i = 0; i < n; ++i) c.items.push_back(genItem());
  return c;
}

TxExtra genExtra() {
  TxExtra x;
  if (*rc::gen::arbitrary<bool>()) {
    x.era = Era::mortal(*rc::gen::inRange<uint64_t>(0, 70000), *rc::gen::arbitrary<uint64_t>());
  }
  x.nonce = *rc::gen::arbitrary<uint32_t>();
  x.tip = (static_cast<u128>(*rc::gen::arbitrary<uint64_t>()) << *rc::gen::inRange(0, 65)) |
          *rc::gen::arbitrary<uint64_t>();
  return x;
}

ChainParams genParams() {
  return ChainParams{*rc::gen::arbitrary<uint32_t>(), *rc::gen::arbitrary<uint32_t>(), genH256()};
}

}  // namespace

// ---- calls --------------------------------------------------------------------------------------

TEST(ClusterCallCodec, SingleLayout) {
  ClusterCall c = single();
  Bytes b = encodeCall(c);
  codec::Encoder want;
  want.u8(85).u8(0);
  encode(want, c.items[0].message);
  want.compact(2).fixed(c.items[0].signatures[0]).fixed(c.items[0].signatures[1]);
  EXPECT_EQ(toHex(b), toHex(want.data()));
  EXPECT_EQ(b[0], 0x55);
}

TEST(ClusterCallCodec, BatchLayout) {
  ClusterCall c = batch(3);
  Bytes b = encodeCall(c);
  codec::Encoder want;
  want.u8(85).u8(1).compact(3);
  for (const auto& it : c.items) {
    encode(want, it.message);
    want.compact(it.signatures.size());
    for (const auto& s : it.signatures) want.fixed(s);
  }
  EXPECT_EQ(toHex(b), toHex(want.data()));
}

TEST(ClusterCallCodec, RoundTrip) {
  for (const ClusterCall& c : {single(), single(0, 0), batch(1), batch(4)}) {
    Bytes b = encodeCall(c);
    codec::Decoder d(b);
    auto back = decodeCall(d);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, c);
    EXPECT_TRUE(d.empty());
  }
}

TEST(ClusterCallCodec, EmptyBatchDecodes) {
  // An empty batch is well-formed SCALE; the chain rejects it as a call rule (custom error 7).
  Bytes b{0x55, 0x01, 0x00};
  codec::Decoder d(b);
  auto c = decodeCall(d);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->batch);
  EXPECT_TRUE(c->items.empty());
}

TEST(ClusterCallCodec, SingleCallDecodesAnyOrigin) {
  // A sender other than Cluster(id) is a message rule (custom error 8), not a format error.
  for (auto o :
       {MessageOrigin{OriginKind::kGatekeeper, {}}, MessageOrigin{OriginKind::kReserved, {}},
        MessageOrigin{OriginKind::kPallet, Bytes{}},
        MessageOrigin{OriginKind::kWorker, Bytes(32, 1)}}) {
    ClusterCall c = single(0, 0);
    c.items[0].message.message.sender = o;
    Bytes b = encodeCall(c);
    codec::Decoder d(b);
    auto r = decodeCall(d);
    ASSERT_TRUE(r.ok()) << int(o.kind) << ": " << r.error().message;
    EXPECT_EQ(*r, c);
    EXPECT_TRUE(d.empty());
  }
}

TEST(ClusterCallCodec, UnknownPalletOrCall) {
  Bytes good = encodeCall(single());
  for (int pallet : {0, 84, 86, 255}) {
    Bytes b = good;
    b[0] = static_cast<uint8_t>(pallet);
    codec::Decoder d(b);
    auto r = decodeCall(d);
    ASSERT_FALSE(r.ok()) << pallet;
    EXPECT_EQ(codeOf(r), "unknown_call");
    EXPECT_NE(r.error().message.find(std::to_string(pallet)), std::string::npos);
  }
  for (int call : {2, 3, 128, 255}) {
    Bytes b = good;
    b[1] = static_cast<uint8_t>(call);
    codec::Decoder d(b);
    auto r = decodeCall(d);
    ASSERT_FALSE(r.ok()) << call;
    EXPECT_EQ(codeOf(r), "unknown_call");
    EXPECT_NE(r.error().message.find(std::to_string(call)), std::string::npos);
  }
}

TEST(ClusterCallCodec, BatchBounds) {
  {
    codec::Encoder e;
    e.u8(85).u8(1).compact(kMaxBatch + 1);
    e.raw(Bytes(200, 0));
    codec::Decoder d(e.data());
    auto r = decodeCall(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
  {
    // The maximum count with one item's worth of bytes: refused before allocating 4096 items.
    Bytes item = encodeCall(single());
    codec::Encoder e;
    e.u8(85).u8(1).compact(kMaxBatch);
    e.raw(ByteSpan(item.data() + 2, item.size() - 2));
    codec::Decoder d(e.data());
    auto r = decodeCall(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "truncated");
  }
  {
    // A batch claiming one more item than it holds.
    ClusterCall c = batch(2);
    Bytes b = encodeCall(c);
    b[2] = 3 << 2;
    codec::Decoder d(b);
    auto r = decodeCall(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "truncated");
  }
}

TEST(ClusterCallCodec, SignatureCountBounds) {
  ClusterCall c = single(3, 0);
  Bytes b = encodeCall(c);
  ASSERT_EQ(b.back(), 0x00);  // Compact(0) signatures
  b.pop_back();
  Bytes over = b;
  codec::Encoder e;
  e.compact(kMaxSignaturesPerMessage + 1);
  over.insert(over.end(), e.data().begin(), e.data().end());
  over.resize(over.size() + 65 * (kMaxSignaturesPerMessage + 1), 0);
  codec::Decoder d(over);
  auto r = decodeCall(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_value");

  Bytes few = b;
  codec::Encoder e2;
  e2.compact(kMaxSignaturesPerMessage);
  few.insert(few.end(), e2.data().begin(), e2.data().end());
  few.resize(few.size() + 65 * 3, 0);
  codec::Decoder d2(few);
  auto r2 = decodeCall(d2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(codeOf(r2), "truncated");
}

TEST(ClusterCallCodec, ErrorsNameTheBatchItem) {
  ClusterCall c = batch(3);
  Bytes b = encodeCall(c);
  // Corrupt the origin tag of item 1.
  size_t item0 = encode(c.items[0].message).size() + 1 + 65 * c.items[0].signatures.size();
  size_t at = 3 + item0;
  ASSERT_EQ(b[at], 0x06);
  b[at] = 0x07;
  codec::Decoder d(b);
  auto r = decodeCall(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_value");
  EXPECT_NE(r.error().message.find("batch item 1"), std::string::npos) << r.error().message;
}

// ---- extrinsic layout and signature -------------------------------------------------------------

TEST(Extrinsic, Layout) {
  ClusterCall c = single();
  Bytes call = encodeCall(c);
  TxExtra x = extra(7, 1000);
  Bytes xt = build(c, x);
  Bytes body = bodyOf(xt);
  EXPECT_EQ(reprefix(body), xt) << "length prefix is Compact(len(body))";
  EXPECT_EQ(body[kVersionAt], 0x84);
  EXPECT_EQ(body[kAddrTypeAt], 0x00);
  auto account = crypto::accountId(hunterKey().publicKey());
  EXPECT_TRUE(std::equal(account.begin(), account.end(), body.begin() + kSignerAt));
  EXPECT_EQ(body[kSigTypeAt], 0x02);
  Bytes ex = encodeExtra(x);
  EXPECT_TRUE(std::equal(ex.begin(), ex.end(), body.begin() + kExtraAt));
  EXPECT_EQ(body.size(), kExtraAt + ex.size() + call.size());
  EXPECT_TRUE(std::equal(call.begin(), call.end(), body.end() - call.size()));
  EXPECT_EQ(txHash(xt), crypto::blake2_256(xt));
}

TEST(Extrinsic, ExtraAndPayloadLayout) {
  TxExtra x{Era::mortal(64, 42), 70, 5};
  EXPECT_EQ(toHex(encodeExtra(x)),
            "0xa502"
            "1901"
            "14");
  TxExtra imm{Era::immortal(), 0, 0};
  EXPECT_EQ(toHex(encodeExtra(imm)), "0x000000");
  Bytes call{0x55, 0x01, 0x00};
  Bytes p = signingPayload(call, x, kParams, kEraHash);
  codec::Encoder want;
  want.raw(call).raw(encodeExtra(x)).u32(kParams.spec_version).u32(kParams.transaction_version);
  want.fixed(kParams.genesis_hash).fixed(kEraHash);
  EXPECT_EQ(p, want.data());
}

TEST(Extrinsic, DecodeBuildVerify) {
  for (const ClusterCall& c : {single(), batch(3)}) {
    TxExtra x = extra(42, static_cast<u128>(1) << 100);
    Bytes xt = build(c, x);
    auto d = decodeExtrinsic(xt);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->signer, crypto::accountId(hunterKey().publicKey()));
    EXPECT_EQ(d->extra, x);
    EXPECT_EQ(d->call, c);
    EXPECT_EQ(d->call_bytes, encodeCall(c));
    EXPECT_TRUE(verifyExtrinsicSignature(*d, kParams, kEraHash).ok());
  }
}

TEST(Extrinsic, SignatureCoversChainParamsAndEraBlock) {
  Bytes xt = build(single());
  auto d = decodeExtrinsic(xt).value();
  ASSERT_TRUE(verifyExtrinsicSignature(d, kParams, kEraHash).ok());
  auto expectBad = [&](const ChainParams& p, const H256& eraHash, const char* what) {
    auto r = verifyExtrinsicSignature(d, p, eraHash);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(codeOf(r), "bad_signature") << what;
  };
  ChainParams p = kParams;
  p.spec_version += 1;
  expectBad(p, kEraHash, "spec_version");
  p = kParams;
  p.transaction_version += 1;
  expectBad(p, kEraHash, "transaction_version");
  p = kParams;
  p.genesis_hash[31] ^= 1;
  expectBad(p, kEraHash, "genesis");
  H256 otherEra = kEraHash;
  otherEra[0] ^= 0x80;
  expectBad(kParams, otherEra, "era block hash");

  // Another signer account under the same signature.
  auto wrongSigner = d;
  wrongSigner.signer = crypto::accountId(keyOf(2).publicKey());
  auto r = verifyExtrinsicSignature(wrongSigner, kParams, kEraHash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_signature");

  // Each field of the extra is signed.
  for (int field = 0; field < 3; ++field) {
    auto t = d;
    if (field == 0) t.extra.era = Era::mortal(128, 1000);
    if (field == 1) t.extra.nonce += 1;
    if (field == 2) t.extra.tip += 1;
    EXPECT_EQ(codeOf(verifyExtrinsicSignature(t, kParams, kEraHash)), "bad_signature") << field;
  }
}

TEST(Extrinsic, HighSSignatureIsRefused) {
  // The malleated twin (n - s, recid ^ 1) of the hunter's own signature recovers the same key
  // mathematically; it must still be refused.
  const FixedBytes<32> order =
      fixedFromHex<32>("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
          .value();
  Bytes xt = build(single());
  auto d = decodeExtrinsic(xt).value();
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = int(order[i]) - int(d.signature[32 + i]) - borrow;
    borrow = v < 0;
    d.signature[32 + i] = static_cast<uint8_t>(v + (borrow ? 256 : 0));
  }
  d.signature[64] ^= 1;
  auto r = verifyExtrinsicSignature(d, kParams, kEraHash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_signature");
}

TEST(Extrinsic, PayloadsOver256BytesAreSignedHashed) {
  // Find calls whose signing payload is exactly 256 and 257 bytes.
  const TxExtra x = extra();
  bool saw256 = false, saw257 = false;
  for (size_t len = 0; len < 200 && !(saw256 && saw257); ++len) {
    Bytes call = encodeCall(single(len, 0));
    Bytes payload = signingPayload(call, x, kParams, kEraHash);
    if (payload.size() != 256 && payload.size() != 257) continue;
    Bytes xt = buildSignedExtrinsic(hunterKey(), call, x, kParams, kEraHash);
    auto d = decodeExtrinsic(xt).value();
    const auto pk = hunterKey().publicKey();
    if (payload.size() == 256) {
      saw256 = true;
      EXPECT_TRUE(crypto::verify(d.signature, payload, pk));
      EXPECT_EQ(d.signature, crypto::sign(hunterKey(), payload));
    } else {
      saw257 = true;
      H256 h = crypto::blake2_256(payload);
      EXPECT_TRUE(crypto::verify(d.signature, span(h), pk));
      EXPECT_FALSE(crypto::verify(d.signature, payload, pk));
    }
    EXPECT_TRUE(verifyExtrinsicSignature(d, kParams, kEraHash).ok());
  }
  EXPECT_TRUE(saw256);
  EXPECT_TRUE(saw257);
}

// ---- extrinsic decoding of untrusted bytes ------------------------------------------------------

TEST(ExtrinsicDecode, WrongVersionByte) {
  Bytes body = bodyOf(build(single()));
  for (int v = 0; v < 256; ++v) {
    if (v == 0x84) continue;
    Bytes b = body;
    b[kVersionAt] = static_cast<uint8_t>(v);
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(codeOf(r), "bad_format") << v;
  }
}

TEST(ExtrinsicDecode, WrongAddressType) {
  Bytes body = bodyOf(build(single()));
  for (int v = 1; v < 256; ++v) {
    Bytes b = body;
    b[kAddrTypeAt] = static_cast<uint8_t>(v);
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(codeOf(r), "bad_format") << v;
  }
}

TEST(ExtrinsicDecode, WrongSignatureType) {
  Bytes body = bodyOf(build(single()));
  for (int v = 0; v < 256; ++v) {
    if (v == 0x02) continue;
    Bytes b = body;
    b[kSigTypeAt] = static_cast<uint8_t>(v);
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(codeOf(r), "bad_format") << v;
  }
}

TEST(ExtrinsicDecode, WrongLengthPrefix) {
  Bytes xt = build(single());
  Bytes body = bodyOf(xt);
  ASSERT_TRUE(decodeExtrinsic(xt).ok());
  for (long delta : {-100L, -1L, 1L, 2L, 1000L}) {
    codec::Encoder e;
    e.compact(static_cast<u128>(static_cast<long>(body.size()) + delta));
    e.raw(body);
    auto r = decodeExtrinsic(e.data());
    ASSERT_FALSE(r.ok()) << delta;
    EXPECT_EQ(codeOf(r), "bad_format") << delta;
  }
  // A non-canonical prefix of the right value.
  ASSERT_LT(body.size(), 1u << 14);
  Bytes nonCanonical{static_cast<uint8_t>((body.size() << 2) | 0b10),
                     static_cast<uint8_t>(body.size() >> 6), 0, 0};
  nonCanonical.insert(nonCanonical.end(), body.begin(), body.end());
  auto r = decodeExtrinsic(nonCanonical);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_compact");
  // No prefix at all.
  EXPECT_FALSE(decodeExtrinsic(body).ok());
  EXPECT_EQ(codeOf(decodeExtrinsic(ByteSpan{})), "truncated");
}

TEST(ExtrinsicDecode, UnknownPalletOrCallIndex) {
  Bytes body = bodyOf(build(single()));
  const size_t callAt = kExtraAt + encodeExtra(extra()).size();
  ASSERT_EQ(body[callAt], 0x55);
  for (int pallet : {0x00, 0x54, 0x56}) {
    Bytes b = body;
    b[callAt] = static_cast<uint8_t>(pallet);
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "unknown_call");
  }
  for (int call : {2, 0xff}) {
    Bytes b = body;
    b[callAt + 1] = static_cast<uint8_t>(call);
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "unknown_call");
  }
}

TEST(ExtrinsicDecode, BadEraNonceAndTip) {
  Bytes body = bodyOf(build(single(), TxExtra{Era::mortal(64, 1000), 0, 0}));
  {
    Bytes b = body;
    b[kExtraAt] = 0x10;  // period 2
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_era");
    EXPECT_NE(r.error().message.find("era"), std::string::npos);
  }
  const size_t nonceAt = kExtraAt + 2;
  {
    // Nonce Compact(2^32) does not fit u32.
    Bytes b(body.begin(), body.begin() + nonceAt);
    Bytes big = codec::encodeCompact(static_cast<u128>(1) << 32);
    b.insert(b.end(), big.begin(), big.end());
    b.insert(b.end(), body.begin() + nonceAt + 1, body.end());
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_compact");
    EXPECT_NE(r.error().message.find("nonce"), std::string::npos) << r.error().message;
  }
  {
    // Tip 0 as a non-canonical two-byte Compact.
    Bytes b(body.begin(), body.begin() + nonceAt + 1);
    b.push_back(0x01);
    b.push_back(0x00);
    b.insert(b.end(), body.begin() + nonceAt + 2, body.end());
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_compact");
    EXPECT_NE(r.error().message.find("tip"), std::string::npos) << r.error().message;
  }
}

TEST(ExtrinsicDecode, EveryTruncationIsRejected) {
  for (const Bytes& xt : {build(single()), build(batch(2))}) {
    Bytes body = bodyOf(xt);
    for (size_t n = 0; n < xt.size(); ++n) {
      // As cut off on the wire: the length prefix no longer matches.
      auto r = decodeExtrinsic(ByteSpan(xt.data(), n));
      ASSERT_FALSE(r.ok()) << n;
      EXPECT_TRUE(r.error().code == "bad_format" || r.error().code == "truncated") << n;
    }
    for (size_t n = 0; n < body.size(); ++n) {
      // With a prefix that matches the shortened body: the body itself is short.
      auto r = decodeExtrinsic(reprefix(ByteSpan(body.data(), n)));
      ASSERT_FALSE(r.ok()) << n;
      EXPECT_EQ(codeOf(r), "truncated") << n << ": " << r.error().message;
    }
  }
}

TEST(ExtrinsicDecode, TrailingBytesAreRejected) {
  Bytes xt = build(single());
  Bytes body = bodyOf(xt);
  for (Bytes tail : {Bytes{0}, Bytes{0x55}, Bytes(65, 0xab)}) {
    Bytes b = body;
    b.insert(b.end(), tail.begin(), tail.end());
    auto r = decodeExtrinsic(reprefix(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "trailing_bytes");
    // Appended without fixing the prefix: the prefix no longer matches.
    Bytes raw = xt;
    raw.insert(raw.end(), tail.begin(), tail.end());
    auto r2 = decodeExtrinsic(raw);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(codeOf(r2), "bad_format");
  }
}

TEST(ExtrinsicDecode, EveryFlippedBitIsCaught) {
  // A short call (payload signed directly) and a batch (payload signed hashed).
  for (const Bytes& xt : {build(single(0, 0)), build(batch(2))}) {
    ASSERT_TRUE(accepted(xt));
    for (size_t bit = 0; bit < xt.size() * 8; ++bit) {
      Bytes b = xt;
      flipBit(b, bit);
      auto d = decodeExtrinsic(b);
      if (!d.ok()) {
        EXPECT_TRUE(kDecodeErrors.count(d.error().code)) << d.error().code;
        continue;
      }
      auto v = verifyExtrinsicSignature(*d, kParams, kEraHash);
      ASSERT_FALSE(v.ok()) << "bit " << bit << " (byte " << bit / 8 << ") went unnoticed";
      EXPECT_EQ(codeOf(v), "bad_signature");
    }
  }
}

// ---- properties ---------------------------------------------------------------------------------

RC_GTEST_PROP(ExtrinsicProperty, CallRoundTrip, ()) {
  const ClusterCall c = genCall();
  Bytes b = encodeCall(c);
  codec::Decoder d(b);
  auto back = decodeCall(d);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == c);
  RC_ASSERT(d.empty());
}

RC_GTEST_PROP(ExtrinsicProperty, BuildDecodeVerify, ()) {
  const ClusterCall c = genCall();
  const TxExtra x = genExtra();
  const ChainParams p = genParams();
  const H256 eraHash = genH256();
  const Bytes call = encodeCall(c);
  const Bytes xt = buildSignedExtrinsic(hunterKey(), call, x, p, eraHash);
  auto d = decodeExtrinsic(xt);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->call == c);
  RC_ASSERT(d->call_bytes == call);
  RC_ASSERT(d->extra == x);
  RC_ASSERT(d->signer == crypto::accountId(hunterKey().publicKey()));
  RC_ASSERT(verifyExtrinsicSignature(*d, p, eraHash).ok());
  ChainParams other = p;
  other.spec_version ^= 1;
  RC_ASSERT(!verifyExtrinsicSignature(*d, other, eraHash).ok());
}

RC_GTEST_PROP(ExtrinsicProperty, FlippedBitFailsDecodingOrVerification, ()) {
  const ClusterCall c = genCall();
  const TxExtra x = genExtra();
  const Bytes xt = buildSignedExtrinsic(hunterKey(), encodeCall(c), x, kParams, kEraHash);
  RC_ASSERT(accepted(xt));
  for (int i = 0; i < 8; ++i) {
    Bytes b = xt;
    flipBit(b, *rc::gen::inRange<size_t>(0, xt.size() * 8));
    auto d = decodeExtrinsic(b);
    if (!d.ok()) {
      RC_ASSERT(kDecodeErrors.count(d.error().code) == 1);
      continue;
    }
    RC_ASSERT(!verifyExtrinsicSignature(*d, kParams, kEraHash).ok());
  }
}

RC_GTEST_PROP(ExtrinsicProperty, TruncationsAndTrailingBytesRejected, ()) {
  const ClusterCall c = genCall();
  const Bytes xt = buildSignedExtrinsic(hunterKey(), encodeCall(c), genExtra(), kParams, kEraHash);
  const Bytes body = bodyOf(xt);
  const auto n = *rc::gen::inRange<size_t>(0, body.size());
  auto r = decodeExtrinsic(reprefix(ByteSpan(body.data(), n)));
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == "truncated");
  RC_ASSERT(!decodeExtrinsic(ByteSpan(xt.data(), *rc::gen::inRange<size_t>(0, xt.size()))).ok());
  Bytes longer = body;
  longer.push_back(*rc::gen::arbitrary<uint8_t>());
  auto t = decodeExtrinsic(reprefix(longer));
  RC_ASSERT(!t.ok());
  RC_ASSERT(t.error().code == "trailing_bytes");
}

RC_GTEST_PROP(ExtrinsicProperty, RandomBytesNeverCrash, (const std::vector<uint8_t>& in)) {
  auto r = decodeExtrinsic(in);
  RC_ASSERT(!r.ok());  // random bytes are not a signed extrinsic of this pallet
  RC_ASSERT(kDecodeErrors.count(r.error().code) == 1);
  // With a matching length prefix, the body is parsed further.
  auto r2 = decodeExtrinsic(reprefix(in));
  if (!r2.ok()) RC_ASSERT(kDecodeErrors.count(r2.error().code) == 1);
}

RC_GTEST_PROP(ExtrinsicProperty, MutatedExtrinsicsNeverCrash, ()) {
  // Random bytes stop at the version byte; overwriting bytes of a valid body reaches every field.
  const Bytes xt =
      buildSignedExtrinsic(hunterKey(), encodeCall(genCall()), genExtra(), kParams, kEraHash);
  Bytes body = bodyOf(xt);
  const auto writes = *rc::gen::inRange(1, 5);
  for (int i = 0; i < writes; ++i) {
    body[*rc::gen::inRange<size_t>(kExtraAt, body.size())] = *rc::gen::arbitrary<uint8_t>();
  }
  auto d = decodeExtrinsic(reprefix(body));
  if (d.ok()) {
    // Whatever decodes re-encodes to the same call bytes.
    RC_ASSERT(encodeCall(d->call) == d->call_bytes);
    RC_ASSERT(encodeExtra(d->extra) ==
              Bytes(body.begin() + kExtraAt,
                    body.end() - static_cast<std::ptrdiff_t>(d->call_bytes.size())));
  } else {
    RC_ASSERT(kDecodeErrors.count(d.error().code) == 1);
  }
}
