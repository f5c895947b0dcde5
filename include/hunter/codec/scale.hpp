#pragma once
// Parity SCALE codec: the subset docs/protocol.md uses (fixed-width little-endian integers up to
// u128, Compact<u*> in all four modes, Vec<T> / Vec<u8>, Option<T>, enums, tuples, fixed arrays).
//
// The Decoder reads untrusted bytes. Every read checks the remaining input first, so it never
// reads out of bounds or allocates more than the input could hold; each failure is an Error with
// code "truncated", "bad_compact", "bad_value" or "trailing_bytes". It never throws.
// Like parity-scale-codec, it rejects non-canonical Compact encodings.
#include <cstdint>
#include <optional>
#include <string>

#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"

namespace hunter::codec {

class Encoder {
 public:
  Encoder() = default;
  explicit Encoder(size_t reserve) { out_.reserve(reserve); }

  Encoder& u8(uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  Encoder& u16(uint16_t v) { return le(v, 2); }
  Encoder& u32(uint32_t v) { return le(v, 4); }
  Encoder& u64(uint64_t v) { return le(v, 8); }
  Encoder& u128v(u128 v) { return le(v, 16); }
  Encoder& boolean(bool v) { return u8(v ? 1 : 0); }
  Encoder& compact(u128 v);
  // Raw bytes, no length prefix ([u8; N], or pre-encoded data).
  Encoder& raw(ByteSpan data) {
    out_.insert(out_.end(), data.begin(), data.end());
    return *this;
  }
  template <size_t N>
  Encoder& fixed(const FixedBytes<N>& data) {
    return raw(ByteSpan(data.data(), N));
  }
  // Vec<u8>: Compact(len) ++ bytes.
  Encoder& bytes(ByteSpan data) {
    compact(data.size());
    return raw(data);
  }

  const Bytes& data() const& { return out_; }
  Bytes take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  Encoder& le(u128 v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes out_;
};

// Encoded size of Compact(v).
size_t compactSize(u128 v);
Bytes encodeCompact(u128 v);

class Decoder {
 public:
  explicit Decoder(ByteSpan input) : in_(input) {}

  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  Result<uint8_t> u8();
  Result<uint16_t> u16();
  Result<uint32_t> u32();
  Result<uint64_t> u64();
  Result<u128> u128v();
  Result<bool> boolean();
  Result<u128> compact();
  // Compact that must fit in u64 / u32 (Substrate's Compact<u64>, Compact<u32>).
  Result<uint64_t> compactU64();
  Result<uint32_t> compactU32();
  // A length prefix: Compact that must be <= max_items and whose items (each at least
  // min_item_size bytes) fit in the remaining input.
  Result<size_t> length(size_t max_items, size_t min_item_size = 1);
  // n raw bytes; the span aliases the input.
  Result<ByteSpan> raw(size_t n);
  template <size_t N>
  Result<FixedBytes<N>> fixed() {
    auto s = raw(N);
    if (!s.ok()) return s.error();
    return toFixed<N>(*s);
  }
  // Vec<u8> with at most max_len bytes.
  Result<Bytes> bytes(size_t max_len = SIZE_MAX);
  // Error unless all input was consumed.
  Status finish() const;

 private:
  Error truncated(size_t need) const;
  ByteSpan in_;
  size_t pos_ = 0;
};

}  // namespace hunter::codec
