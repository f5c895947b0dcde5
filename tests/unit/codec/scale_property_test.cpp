// SCALE property tests: round trips, strict prefixes always fail, random bytes never crash and
// whatever random bytes decode to re-encodes to exactly the bytes consumed (canonical decoding).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

#include "hunter/codec/scale.hpp"

using namespace hunter;
using hunter::codec::Decoder;
using hunter::codec::Encoder;

namespace {

// A u128 of a random bit width, so that every Compact mode is exercised evenly.
u128 genU128() {
  const auto hi = *rc::gen::arbitrary<uint64_t>();
  const auto lo = *rc::gen::arbitrary<uint64_t>();
  const auto bits = *rc::gen::inRange(0, 129);
  u128 v = (static_cast<u128>(hi) << 64) | lo;
  if (bits == 0) return 0;
  return bits >= 128 ? v : v & ((static_cast<u128>(1) << bits) - 1);
}

enum Kind : int { kU8, kU16, kU32, kU64, kU128, kBool, kCompact, kBytes, kFixed4, kKinds };

struct Value {
  int kind = kU8;
  u128 number = 0;
  Bytes bytes;
  bool operator==(const Value&) const = default;
};

Value genValue() {
  Value v;
  v.kind = *rc::gen::inRange(0, static_cast<int>(kKinds));
  switch (v.kind) {
    case kBytes:
      v.bytes = *rc::gen::arbitrary<std::vector<uint8_t>>();
      break;
    case kFixed4:
      v.bytes = *rc::gen::container<std::vector<uint8_t>>(4, rc::gen::arbitrary<uint8_t>());
      break;
    case kBool:
      v.number = *rc::gen::inRange(0, 2);
      break;
    default: {
      u128 n = genU128();
      const int widths[] = {8, 16, 32, 64, 128};
      if (v.kind <= kU128 && widths[v.kind] < 128)
        n &= (static_cast<u128>(1) << widths[v.kind]) - 1;
      v.number = n;
    }
  }
  return v;
}

std::vector<Value> genValues() {
  const auto n = *rc::gen::inRange(0, 12);
  std::vector<Value> out;
  for (int i = 0; i < n; ++i) out.push_back(genValue());
  return out;
}

void encodeValue(Encoder& e, const Value& v) {
  switch (v.kind) {
    case kU8:
      e.u8(static_cast<uint8_t>(v.number));
      break;
    case kU16:
      e.u16(static_cast<uint16_t>(v.number));
      break;
    case kU32:
      e.u32(static_cast<uint32_t>(v.number));
      break;
    case kU64:
      e.u64(static_cast<uint64_t>(v.number));
      break;
    case kU128:
      e.u128v(v.number);
      break;
    case kBool:
      e.boolean(v.number != 0);
      break;
    case kCompact:
      e.compact(v.number);
      break;
    case kBytes:
      e.bytes(v.bytes);
      break;
    case kFixed4:
      e.raw(v.bytes);
      break;
  }
}

Bytes encodeValues(const std::vector<Value>& values) {
  Encoder e;
  for (const auto& v : values) encodeValue(e, v);
  return e.take();
}

// Decodes one value of `kind`; the error code otherwise.
Result<Value> decodeValue(Decoder& d, int kind) {
  Value v;
  v.kind = kind;
  auto num = [&](auto r) -> Result<Value> {
    if (!r.ok()) return r.error();
    v.number = static_cast<u128>(*r);
    return v;
  };
  switch (kind) {
    case kU8:
      return num(d.u8());
    case kU16:
      return num(d.u16());
    case kU32:
      return num(d.u32());
    case kU64:
      return num(d.u64());
    case kU128:
      return num(d.u128v());
    case kBool:
      return num(d.boolean());
    case kCompact:
      return num(d.compact());
    case kBytes: {
      auto b = d.bytes();
      if (!b.ok()) return b.error();
      v.bytes = *b;
      return v;
    }
    default: {
      auto f = d.fixed<4>();
      if (!f.ok()) return f.error();
      v.bytes.assign(f->begin(), f->end());
      return v;
    }
  }
}

// Decodes a whole schema; the first error otherwise.
Result<std::vector<Value>> decodeSchema(ByteSpan in, const std::vector<int>& kinds) {
  Decoder d(in);
  std::vector<Value> out;
  for (int k : kinds) {
    size_t before = d.position();
    auto v = decodeValue(d, k);
    if (!v.ok()) return v.error();
    RC_ASSERT(d.position() > before);  // every value takes at least one byte
    out.push_back(*v);
  }
  auto fin = d.finish();
  if (!fin.ok()) return fin.error();
  return out;
}

std::vector<int> kindsOf(const std::vector<Value>& values) {
  std::vector<int> k;
  for (const auto& v : values) k.push_back(v.kind);
  return k;
}

bool isDecodeErrorCode(const std::string& c) {
  return c == "truncated" || c == "bad_compact" || c == "bad_value" || c == "trailing_bytes";
}

}  // namespace

RC_GTEST_PROP(ScaleProperty, CompactRoundTrip, ()) {
  const u128 v = genU128();
  Bytes b = codec::encodeCompact(v);
  RC_ASSERT(b.size() == codec::compactSize(v));
  Decoder d(b);
  auto back = d.compact();
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == v);
  RC_ASSERT(d.empty());
}

RC_GTEST_PROP(ScaleProperty, CompactEveryStrictPrefixIsTruncated, ()) {
  const u128 v = genU128();
  Bytes b = codec::encodeCompact(v);
  for (size_t n = 0; n < b.size(); ++n) {
    Decoder d(ByteSpan(b.data(), n));
    auto r = d.compact();
    RC_ASSERT(!r.ok());
    RC_ASSERT(r.error().code == "truncated");
  }
}

RC_GTEST_PROP(ScaleProperty, CompactOfRandomBytesIsCanonical, (const std::vector<uint8_t>& in)) {
  // Whatever decodes re-encodes to exactly the bytes it was read from: no two encodings of one
  // value are accepted.
  Decoder d(in);
  auto r = d.compact();
  if (r.ok()) {
    Bytes consumed(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(d.position()));
    RC_ASSERT(codec::encodeCompact(*r) == consumed);
  } else {
    RC_ASSERT(r.error().code == "truncated" || r.error().code == "bad_compact");
  }
}

RC_GTEST_PROP(ScaleProperty, CompactFirstByteSweep, (const std::vector<uint8_t>& tail)) {
  // The same with every first byte, so that every mode and size is reached.
  const auto first = *rc::gen::arbitrary<uint8_t>();
  Bytes in{first};
  in.insert(in.end(), tail.begin(), tail.end());
  Decoder d(in);
  auto r = d.compact();
  RC_ASSERT(d.position() <= in.size());
  if (r.ok()) {
    RC_ASSERT(codec::encodeCompact(*r) == Bytes(in.begin(), in.begin() + d.position()));
  } else {
    RC_ASSERT(r.error().code == "truncated" || r.error().code == "bad_compact");
  }
}

RC_GTEST_PROP(ScaleProperty, SequenceRoundTrip, ()) {
  const auto values = genValues();
  const auto kinds = kindsOf(values);
  Bytes b = encodeValues(values);
  auto back = decodeSchema(b, kinds);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == values);
}

RC_GTEST_PROP(ScaleProperty, SequenceStrictPrefixesAreRejected, ()) {
  const auto values = genValues();
  const auto kinds = kindsOf(values);
  Bytes b = encodeValues(values);
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = decodeSchema(ByteSpan(b.data(), n), kinds);
    RC_ASSERT(!r.ok());
    RC_ASSERT(r.error().code == "truncated");
  }
}

RC_GTEST_PROP(ScaleProperty, SequenceTrailingBytesAreRejected, (uint8_t extra)) {
  const auto values = genValues();
  const auto kinds = kindsOf(values);
  Bytes b = encodeValues(values);
  b.push_back(extra);
  auto r = decodeSchema(b, kinds);
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == "trailing_bytes");
}

RC_GTEST_PROP(ScaleProperty, RandomBytesThroughRandomSchema, (const std::vector<uint8_t>& in)) {
  // Never crashes; on success, decoding is faithful: re-encoding gives back the input.
  const auto schema =
      *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, static_cast<int>(kKinds)));
  auto r = decodeSchema(in, schema);
  if (r.ok()) {
    RC_ASSERT(encodeValues(*r) == Bytes(in.begin(), in.end()));
  } else {
    RC_ASSERT(isDecodeErrorCode(r.error().code));
  }
}

RC_GTEST_PROP(ScaleProperty, HostileLengthPrefixNeverAllocates,
              (const std::vector<uint8_t>& body)) {
  // Any claimed length above what follows is refused; one that fits returns exactly that many.
  const u128 claimed = genU128();
  Encoder e;
  e.compact(claimed);
  e.raw(body);
  Bytes in = e.take();
  Decoder d(in);
  auto r = d.bytes();
  if (claimed <= body.size()) {
    RC_ASSERT(r.ok());
    RC_ASSERT(r->size() == static_cast<size_t>(claimed));
    RC_ASSERT(std::equal(r->begin(), r->end(), body.begin()));
  } else {
    RC_ASSERT(!r.ok());
    RC_ASSERT(r.error().code == "truncated" || r.error().code == "bad_value");
  }
}

RC_GTEST_PROP(ScaleProperty, LengthNeverPromisesMoreThanInput, (const std::vector<uint8_t>& in)) {
  const auto min_item = *rc::gen::inRange<size_t>(1, 200);
  Decoder d(in);
  auto n = d.length(SIZE_MAX, min_item);
  if (n.ok()) RC_ASSERT(*n * min_item <= d.remaining());
}
