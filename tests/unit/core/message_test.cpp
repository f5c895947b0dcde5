// Message model: SCALE layout, decoding of untrusted bytes, hash and worker signature, the chain's
// message rules and hash-chain checks.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "hunter/core/message.hpp"
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

ClusterMessage sample(uint64_t sn = 7) {
  ClusterMessage m;
  m.message.sender = MessageOrigin::cluster(filled(0xcc));
  m.message.destination = toBytes("phala/cluster/test");
  m.message.payload = Bytes{1, 2, 3};
  m.sn = sn;
  m.prev_hash = filled(0xaa);
  m.state_root = filled(0x55);
  return m;
}

// A run of n linked messages starting at `first`, linked to `prev`.
std::vector<HashedMessage> chain(uint64_t first, size_t n, const H256& prev) {
  std::vector<HashedMessage> run;
  H256 link = prev;
  for (size_t i = 0; i < n; ++i) {
    ClusterMessage m = sample(first + i);
    m.message.payload = Bytes{static_cast<uint8_t>(i)};
    m.prev_hash = link;
    H256 h = messageHash(m);
    run.push_back({m, h});
    link = h;
  }
  return run;
}

crypto::SecretKey testKey(uint8_t i) {
  FixedBytes<32> b;
  b.fill(0x42);
  b[31] = i;
  return crypto::SecretKey::fromBytes(b).value();
}

MessageOrigin genOrigin() {
  static const OriginKind kinds[] = {OriginKind::kPallet,        OriginKind::kContract,
                                     OriginKind::kWorker,        OriginKind::kAccountId,
                                     OriginKind::kMultiLocation, OriginKind::kGatekeeper,
                                     OriginKind::kCluster,       OriginKind::kReserved};
  MessageOrigin o;
  o.kind = kinds[*rc::gen::inRange(0, 8)];
  switch (o.kind) {
    case OriginKind::kPallet:
    case OriginKind::kMultiLocation:
      o.data = *rc::gen::arbitrary<std::vector<uint8_t>>();
      break;
    case OriginKind::kGatekeeper:
    case OriginKind::kReserved:
      break;
    default:
      o.data = *rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>());
  }
  return o;
}

H256 genH256() {
  return toFixed<32>(*rc::gen::container<std::vector<uint8_t>>(32, rc::gen::arbitrary<uint8_t>()));
}

ClusterMessage genMessage() {
  ClusterMessage m;
  m.message.sender = genOrigin();
  m.message.destination = *rc::gen::arbitrary<std::vector<uint8_t>>();
  m.message.payload = *rc::gen::arbitrary<std::vector<uint8_t>>();
  m.sn = *rc::gen::arbitrary<uint64_t>();
  m.prev_hash = genH256();
  m.state_root = genH256();
  return m;
}

bool isDecodeError(const Error& e) {
  return e.code == "truncated" || e.code == "bad_compact" || e.code == "bad_value" ||
         e.code == "trailing_bytes";
}

}  // namespace

// ---- SCALE layout -------------------------------------------------------------------------------

TEST(MessageCodec, PhalaMqLayout) {
  ClusterMessage m = sample(0x0102030405060708ull);
  Bytes b = encode(m);
  std::string want = "0x06" + std::string(64, 'c') +                  // Cluster(H256)
                     "48" + toHex(m.message.destination).substr(2) +  // Vec<u8>
                     "0c010203" +                                     // payload
                     "0807060504030201" +                             // sn u64 LE
                     std::string(64, 'a') + std::string(32, '5') + std::string(32, '5');
  EXPECT_EQ(toHex(b), want);
  codec::Encoder e;
  encode(e, m);
  EXPECT_EQ(e.data(), b);
}

TEST(MessageCodec, OriginLayouts) {
  auto enc = [](const MessageOrigin& o) {
    codec::Encoder e;
    encode(e, o);
    return toHex(e.data());
  };
  EXPECT_EQ(enc({OriginKind::kPallet, Bytes{0xab}}), "0x0004ab");
  EXPECT_EQ(enc({OriginKind::kMultiLocation, Bytes{}}), "0x0400");
  EXPECT_EQ(enc({OriginKind::kContract, Bytes(32, 1)}), "0x01" + toHex(Bytes(32, 1)).substr(2));
  EXPECT_EQ(enc({OriginKind::kWorker, Bytes(32, 2)}), "0x02" + toHex(Bytes(32, 2)).substr(2));
  EXPECT_EQ(enc({OriginKind::kAccountId, Bytes(32, 3)}), "0x03" + toHex(Bytes(32, 3)).substr(2));
  EXPECT_EQ(enc({OriginKind::kGatekeeper, {}}), "0x05");
  EXPECT_EQ(enc(MessageOrigin::cluster(filled(6))), "0x06" + toHex(filled(6)).substr(2));
  EXPECT_EQ(enc({OriginKind::kReserved, {}}), "0xff");
}

TEST(MessageCodec, DecodeRoundTripEveryOriginKind) {
  for (auto o : {MessageOrigin{OriginKind::kPallet, toBytes("pallet")},
                 MessageOrigin{OriginKind::kContract, Bytes(32, 1)},
                 MessageOrigin{OriginKind::kWorker, Bytes(32, 2)},
                 MessageOrigin{OriginKind::kAccountId, Bytes(32, 3)},
                 MessageOrigin{OriginKind::kMultiLocation, Bytes{}},
                 MessageOrigin{OriginKind::kGatekeeper, {}}, MessageOrigin::cluster(filled(9)),
                 MessageOrigin{OriginKind::kReserved, {}}}) {
    ClusterMessage m = sample();
    m.message.sender = o;
    auto back = decodeClusterMessage(encode(m));
    ASSERT_TRUE(back.ok()) << int(o.kind) << ": " << back.error().message;
    EXPECT_EQ(*back, m);
  }
}

TEST(MessageCodec, UnknownOriginVariantsAreRejected) {
  for (int tag = 7; tag < 255; ++tag) {
    Bytes b = encode(sample());
    b[0] = static_cast<uint8_t>(tag);
    auto r = decodeClusterMessage(b);
    ASSERT_FALSE(r.ok()) << tag;
    EXPECT_EQ(codeOf(r), "bad_value") << tag;
    EXPECT_NE(r.error().message.find("MessageOrigin"), std::string::npos);
  }
}

TEST(MessageCodec, EveryTruncationIsRejected) {
  Bytes b = encode(sample());
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = decodeClusterMessage(ByteSpan(b.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(codeOf(r), "truncated") << n;
  }
}

TEST(MessageCodec, TrailingBytesAreRejectedByTheWholeInputDecoder) {
  Bytes b = encode(sample());
  b.push_back(0);
  auto r = decodeClusterMessage(span(b));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "trailing_bytes");
  // The streaming decoder stops at the end of the value.
  codec::Decoder d(b);
  ASSERT_TRUE(decodeClusterMessage(d).ok());
  EXPECT_EQ(d.remaining(), 1u);
}

TEST(MessageCodec, FieldLengthBounds) {
  {
    ClusterMessage m = sample();
    m.message.destination = Bytes(kMaxDestination, 'a');
    EXPECT_TRUE(decodeClusterMessage(encode(m)).ok());
    m.message.destination.push_back('a');
    auto r = decodeClusterMessage(encode(m));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
  {
    ClusterMessage m = sample();
    m.message.sender = {OriginKind::kPallet, Bytes(kMaxOriginBytes, 1)};
    EXPECT_TRUE(decodeClusterMessage(encode(m)).ok());
    m.message.sender.data.push_back(1);
    auto r = decodeClusterMessage(encode(m));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
  {
    // Oversized payloads up to kMaxPayload + 1 MiB still decode (the rule reports them).
    ClusterMessage m = sample();
    m.message.payload = Bytes(kMaxPayload + (1u << 20), 7);
    auto ok = decodeClusterMessage(encode(m));
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(codeOf(validateMessageRules(*ok)), "bad_message");
    m.message.payload.push_back(7);
    auto r = decodeClusterMessage(encode(m));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "bad_value");
  }
}

TEST(MessageCodec, HostileLengthsFailWithoutAllocating) {
  // Cluster origin, then a destination claiming 2^30 - 1 bytes (within no bound) and the
  // payload claiming u64::MAX: both must be refused against the remaining input.
  Bytes b{0x06};
  b.insert(b.end(), 32, 0xcc);
  Bytes dest = b;
  codec::Encoder e;
  e.compact(4000);  // under kMaxDestination but far more than the input holds
  dest.insert(dest.end(), e.data().begin(), e.data().end());
  dest.push_back('a');
  auto r1 = decodeClusterMessage(dest);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(codeOf(r1), "truncated");

  Bytes pay = b;
  pay.push_back(0x04);  // destination "a"
  pay.push_back('a');
  codec::Encoder e2;
  e2.compact(kMaxPayload);
  pay.insert(pay.end(), e2.data().begin(), e2.data().end());
  auto r2 = decodeClusterMessage(pay);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(codeOf(r2), "truncated");
}

TEST(MessageCodec, ClusterId) {
  EXPECT_EQ(sample().clusterId(), filled(0xcc));
  ClusterMessage m = sample();
  m.message.sender = {OriginKind::kContract, Bytes(32, 0xcc)};
  EXPECT_FALSE(m.clusterId().has_value());
  m.message.sender = {OriginKind::kCluster, Bytes(31, 0xcc)};
  EXPECT_FALSE(m.clusterId().has_value());
}

// ---- hash and worker signatures -----------------------------------------------------------------

TEST(MessageHash, IsBlake2OfScale) {
  ClusterMessage m = sample();
  EXPECT_EQ(messageHash(m), crypto::blake2_256(encode(m)));
  ClusterMessage m2 = m;
  m2.sn += 1;
  EXPECT_NE(messageHash(m), messageHash(m2));
  m2 = m;
  m2.state_root[31] ^= 1;
  EXPECT_NE(messageHash(m), messageHash(m2));
}

TEST(MessageHash, SigningBytesAreDomainWrapped) {
  H256 h = filled(0x3c);
  Bytes sb = signingBytes(h);
  ASSERT_EQ(sb.size(), 34u);
  EXPECT_EQ(sb[0], 0xff);
  EXPECT_EQ(sb[1], 0x10);
  EXPECT_TRUE(std::equal(h.begin(), h.end(), sb.begin() + 2));
}

TEST(MessageHash, WorkerSignatureRoundTrip) {
  auto key = testKey(1);
  H256 h = messageHash(sample());
  auto sig = signMessageHash(key, h);
  EXPECT_EQ(sig, crypto::sign(key, signingBytes(h)));
  EXPECT_EQ(recoverMessageSigner(sig, h).value(), key.publicKey());
  EXPECT_TRUE(crypto::verify(sig, signingBytes(h), key.publicKey()));
  // A signature over the bare hash (no domain wrap) is not a worker signature.
  EXPECT_FALSE(crypto::verify(crypto::sign(key, span(h)), signingBytes(h), key.publicKey()));
  H256 other = h;
  other[0] ^= 0x80;
  auto r = recoverMessageSigner(sig, other);
  EXPECT_TRUE(!r.ok() || *r != key.publicKey());
}

// ---- message rules ------------------------------------------------------------------------------

TEST(MessageRules, ValidMessagePasses) { EXPECT_TRUE(validateMessageRules(sample()).ok()); }

TEST(MessageRules, SenderMustBeCluster) {
  for (auto o :
       {MessageOrigin{OriginKind::kPallet, toBytes("p")},
        MessageOrigin{OriginKind::kContract, Bytes(32, 1)},
        MessageOrigin{OriginKind::kWorker, Bytes(32, 2)},
        MessageOrigin{OriginKind::kAccountId, Bytes(32, 3)},
        MessageOrigin{OriginKind::kMultiLocation, Bytes{}},
        MessageOrigin{OriginKind::kGatekeeper, {}}, MessageOrigin{OriginKind::kReserved, {}},
        MessageOrigin{OriginKind::kCluster, Bytes(31, 0)}}) {
    ClusterMessage m = sample(11);
    m.message.sender = o;
    auto r = validateMessageRules(m);
    ASSERT_FALSE(r.ok()) << int(o.kind);
    EXPECT_EQ(codeOf(r), "bad_message");
    EXPECT_NE(r.error().message.find("sn 11"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("sender"), std::string::npos) << r.error().message;
  }
}

TEST(MessageRules, EmptyDestinationIsRejected) {
  ClusterMessage m = sample();
  m.message.destination.clear();
  auto r = validateMessageRules(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_message");
  EXPECT_NE(r.error().message.find("destination"), std::string::npos);
}

TEST(MessageRules, EachReservedFirstCharacterIsRejected) {
  const std::string reserved = "~!@#$%&*_+-=|<>?,./;:'";
  ASSERT_EQ(reserved.size(), 22u);
  for (char c : reserved) {
    ClusterMessage m = sample();
    m.message.destination = toBytes(std::string(1, c) + "topic");
    auto r = validateMessageRules(m);
    ASSERT_FALSE(r.ok()) << c;
    EXPECT_EQ(codeOf(r), "bad_message") << c;
    EXPECT_FALSE(isValidDestination(m.message.destination)) << c;
    // Alone, too.
    EXPECT_FALSE(isValidDestination(Bytes{static_cast<uint8_t>(c)})) << c;
    // Only the first byte matters.
    m.message.destination = toBytes(std::string("topic") + c);
    EXPECT_TRUE(validateMessageRules(m).ok()) << c;
  }
}

TEST(MessageRules, EveryOtherFirstByteIsAccepted) {
  const std::string reserved = "~!@#$%&*_+-=|<>?,./;:'";
  for (int b = 0; b < 256; ++b) {
    bool isReserved = reserved.find(static_cast<char>(b)) != std::string::npos;
    EXPECT_EQ(isValidDestination(Bytes{static_cast<uint8_t>(b), 'x'}), !isReserved) << b;
  }
  EXPECT_FALSE(isValidDestination(Bytes{}));
  // Characters next to the reserved set in ASCII and common topic starts.
  for (char c : {'a', 'Z', '0', '9', '^', '(', ')', '[', ']', '{', '}', '"', '\\', ' ', '`'}) {
    EXPECT_TRUE(isValidDestination(Bytes{static_cast<uint8_t>(c)})) << c;
  }
}

TEST(MessageRules, PayloadLimit) {
  ClusterMessage m = sample();
  m.message.payload = Bytes(65536, 0xee);
  EXPECT_TRUE(validateMessageRules(m).ok());
  m.message.payload.push_back(0xee);
  auto r = validateMessageRules(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_message");
  EXPECT_NE(r.error().message.find("65537"), std::string::npos) << r.error().message;
  m.message.payload.clear();
  EXPECT_TRUE(validateMessageRules(m).ok());
}

// ---- hash chain ---------------------------------------------------------------------------------

TEST(HashChain, ValidRunsPass) {
  H256 prev = filled(0x01);
  auto run = chain(10, 5, prev);
  EXPECT_TRUE(checkHashChain(run, prev).ok());
  EXPECT_TRUE(checkHashChain(run, std::nullopt).ok());
  EXPECT_TRUE(checkHashChain({}, prev).ok());
  EXPECT_TRUE(checkHashChain({}, std::nullopt).ok());
  EXPECT_TRUE(checkHashChain(chain(0, 3, H256{}), H256{}).ok());
  EXPECT_TRUE(checkHashChain({run[0]}, prev).ok());
}

TEST(HashChain, BadHashAnywhere) {
  H256 prev = filled(0x01);
  for (size_t i = 0; i < 4; ++i) {
    auto run = chain(20, 4, prev);
    run[i].hash[5] ^= 0x10;
    auto r = checkHashChain(run, prev);
    ASSERT_FALSE(r.ok()) << i;
    EXPECT_EQ(codeOf(r), "bad_hash") << i;
    EXPECT_NE(r.error().message.find("sn " + std::to_string(20 + i)), std::string::npos)
        << r.error().message;
  }
  // A changed field under the original claimed hash.
  auto run = chain(20, 3, prev);
  run[1].msg.message.payload.push_back(0);
  auto r = checkHashChain(run, prev);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_hash");
  EXPECT_NE(r.error().message.find("sn 21"), std::string::npos);
}

TEST(HashChain, GapDuplicateAndDescendingSns) {
  H256 prev = filled(0x01);
  auto rehash = [](std::vector<HashedMessage>& run, size_t from) {
    for (size_t i = from; i < run.size(); ++i) {
      if (i > 0) run[i].msg.prev_hash = run[i - 1].hash;
      run[i].hash = messageHash(run[i].msg);
    }
  };
  {
    auto run = chain(5, 4, prev);
    run[2].msg.sn = 8;  // 5, 6, 8: a gap
    rehash(run, 2);
    auto r = checkHashChain(run, prev);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(codeOf(r), "not_contiguous");
    EXPECT_NE(r.error().message.find("sn 8"), std::string::npos) << r.error().message;
  }
  {
    auto run = chain(5, 3, prev);
    run[1].msg.sn = 5;  // duplicate
    rehash(run, 1);
    EXPECT_EQ(codeOf(checkHashChain(run, prev)), "not_contiguous");
  }
  {
    auto run = chain(5, 3, prev);
    run[2].msg.sn = 4;  // going back
    rehash(run, 2);
    EXPECT_EQ(codeOf(checkHashChain(run, prev)), "not_contiguous");
  }
  {
    // u64::MAX has no successor: a wrap to 0 is not contiguous.
    auto run = chain(UINT64_MAX, 2, prev);
    ASSERT_EQ(run[1].msg.sn, 0u);
    EXPECT_EQ(codeOf(checkHashChain(run, prev)), "not_contiguous");
  }
}

TEST(HashChain, BadLinkInsideTheRun) {
  H256 prev = filled(0x01);
  auto run = chain(30, 4, prev);
  run[2].msg.prev_hash[0] ^= 1;
  run[2].hash = messageHash(run[2].msg);  // self-consistent, but does not link to sn 31
  run[3].msg.prev_hash = run[2].hash;
  run[3].hash = messageHash(run[3].msg);
  auto r = checkHashChain(run, prev);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_link");
  EXPECT_NE(r.error().message.find("sn 32"), std::string::npos) << r.error().message;
}

TEST(HashChain, WrongFirstLink) {
  H256 prev = filled(0x01);
  auto run = chain(40, 3, prev);
  auto r = checkHashChain(run, filled(0x02));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_link");
  EXPECT_NE(r.error().message.find("sn 40"), std::string::npos) << r.error().message;
  // Without a known predecessor the first link is not checked.
  EXPECT_TRUE(checkHashChain(run, std::nullopt).ok());
  // sn 0 links to 32 zero bytes.
  auto genesis = chain(0, 2, H256{});
  EXPECT_TRUE(checkHashChain(genesis, H256{}).ok());
  EXPECT_EQ(codeOf(checkHashChain(genesis, filled(0xff))), "bad_link");
}

TEST(HashChain, FirstFailureWins) {
  // A bad hash at sn 41 and a bad link at sn 42: the earlier message is reported.
  H256 prev = filled(0x01);
  auto run = chain(40, 3, prev);
  run[1].hash[0] ^= 1;
  auto r = checkHashChain(run, prev);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codeOf(r), "bad_hash");
  EXPECT_NE(r.error().message.find("sn 41"), std::string::npos);
}

// ---- properties ---------------------------------------------------------------------------------

RC_GTEST_PROP(MessageProperty, RoundTrip, ()) {
  const ClusterMessage m = genMessage();
  Bytes b = encode(m);
  auto back = decodeClusterMessage(span(b));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == m);
  RC_ASSERT(messageHash(*back) == crypto::blake2_256(b));
}

RC_GTEST_PROP(MessageProperty, StrictPrefixesAndTrailingBytesRejected, ()) {
  const ClusterMessage m = genMessage();
  Bytes b = encode(m);
  const auto n = *rc::gen::inRange<size_t>(0, b.size());
  auto r = decodeClusterMessage(ByteSpan(b.data(), n));
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == "truncated");
  b.push_back(*rc::gen::arbitrary<uint8_t>());
  auto t = decodeClusterMessage(span(b));
  RC_ASSERT(!t.ok());
  RC_ASSERT(t.error().code == "trailing_bytes");
}

RC_GTEST_PROP(MessageProperty, RandomBytesNeverCrash, (const std::vector<uint8_t>& in)) {
  auto r = decodeClusterMessage(span(in));
  if (r.ok()) {
    RC_ASSERT(encode(*r) == in);  // canonical: what decodes re-encodes to the same bytes
  } else {
    RC_ASSERT(isDecodeError(r.error()));
  }
}

RC_GTEST_PROP(MessageProperty, MutatedEncodingsNeverCrash, ()) {
  // Random bytes rarely get past the origin; mutating a valid encoding reaches every field.
  const ClusterMessage m = genMessage();
  Bytes b = encode(m);
  const auto flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    const auto pos = *rc::gen::inRange<size_t>(0, b.size());
    b[pos] = *rc::gen::arbitrary<uint8_t>();
  }
  auto r = decodeClusterMessage(span(b));
  if (r.ok()) {
    RC_ASSERT(encode(*r) == b);
  } else {
    RC_ASSERT(isDecodeError(r.error()));
  }
}

RC_GTEST_PROP(MessageProperty, HashChainDetectsAnySingleBitFlip, ()) {
  const auto n = *rc::gen::inRange<size_t>(1, 6);
  const auto first = *rc::gen::inRange<uint64_t>(0, 1000000);
  const H256 prev = genH256();
  auto run = chain(first, n, prev);
  RC_ASSERT(checkHashChain(run, prev).ok());
  // Flip one bit of one claimed hash, prev_hash or state_root.
  const auto i = *rc::gen::inRange<size_t>(0, n);
  const auto field = *rc::gen::inRange(0, 3);
  const auto bit = *rc::gen::inRange(0, 256);
  H256& target = field == 0   ? run[i].hash
                 : field == 1 ? run[i].msg.prev_hash
                              : run[i].msg.state_root;
  target[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  auto r = checkHashChain(run, prev);
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == "bad_hash");
}
