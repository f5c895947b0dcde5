#include "hunter/codec/scale.hpp"

namespace hunter::codec {

size_t compactSize(u128 v) {
  if (v < (1u << 6)) return 1;
  if (v < (1u << 14)) return 2;
  if (v < (1u << 30)) return 4;
  size_t n = 0;
  while (v > 0) {
    ++n;
    v >>= 8;
  }
  return 1 + n;
}

Encoder& Encoder::compact(u128 v) {
  if (v < (1u << 6)) return u8(static_cast<uint8_t>(v << 2));
  if (v < (1u << 14)) return u16(static_cast<uint16_t>((v << 2) | 0b01));
  if (v < (1u << 30)) return u32(static_cast<uint32_t>((v << 2) | 0b10));
  size_t n = compactSize(v) - 1;  // 4..16 bytes
  u8(static_cast<uint8_t>(((n - 4) << 2) | 0b11));
  return le(v, static_cast<int>(n));
}

Bytes encodeCompact(u128 v) {
  Encoder e;
  e.compact(v);
  return e.take();
}

Error Decoder::truncated(size_t need) const {
  return makeError("truncated", "input ends early: need " + std::to_string(need) +
                                    " more byte(s) at offset " + std::to_string(pos_) + ", have " +
                                    std::to_string(remaining()));
}

Result<ByteSpan> Decoder::raw(size_t n) {
  if (n > remaining()) return truncated(n);
  ByteSpan s = in_.subspan(pos_, n);
  pos_ += n;
  return s;
}

template <class T>
static Result<T> readLe(Decoder& d, size_t n) {
  auto s = d.raw(n);
  if (!s.ok()) return s.error();
  T v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<T>((*s)[i]) << (8 * i);
  return v;
}

Result<uint8_t> Decoder::u8() { return readLe<uint8_t>(*this, 1); }
Result<uint16_t> Decoder::u16() { return readLe<uint16_t>(*this, 2); }
Result<uint32_t> Decoder::u32() { return readLe<uint32_t>(*this, 4); }
Result<uint64_t> Decoder::u64() { return readLe<uint64_t>(*this, 8); }
Result<u128> Decoder::u128v() { return readLe<u128>(*this, 16); }

Result<bool> Decoder::boolean() {
  size_t at = pos_;
  auto b = u8();
  if (!b.ok()) return b.error();
  if (*b > 1) {
    return makeError("bad_value", "invalid bool byte " + std::to_string(*b) + " at offset " +
                                      std::to_string(at));
  }
  return *b == 1;
}

Result<u128> Decoder::compact() {
  size_t at = pos_;
  auto first = u8();
  if (!first.ok()) return first.error();
  auto nonCanonical = [&] {
    return makeError("bad_compact",
                     "non-canonical Compact encoding at offset " + std::to_string(at));
  };
  switch (*first & 0b11) {
    case 0b00:
      return static_cast<u128>(*first >> 2);
    case 0b01: {
      auto rest = u8();
      if (!rest.ok()) return rest.error();
      u128 v = ((static_cast<u128>(*rest) << 8) | *first) >> 2;
      if (v < (1u << 6)) return nonCanonical();
      return v;
    }
    case 0b10: {
      auto rest = raw(3);
      if (!rest.ok()) return rest.error();
      uint32_t raw32 = *first | (uint32_t((*rest)[0]) << 8) | (uint32_t((*rest)[1]) << 16) |
                       (uint32_t((*rest)[2]) << 24);
      u128 v = raw32 >> 2;
      if (v < (1u << 14)) return nonCanonical();
      return v;
    }
    default: {
      size_t n = static_cast<size_t>(*first >> 2) + 4;
      if (n > 16) {
        return makeError("bad_compact", "Compact of " + std::to_string(n) +
                                            " bytes exceeds u128 at offset " + std::to_string(at));
      }
      auto body = raw(n);
      if (!body.ok()) return body.error();
      u128 v = 0;
      for (size_t i = 0; i < n; ++i) v |= static_cast<u128>((*body)[i]) << (8 * i);
      // Canonical: the top byte is non-zero and the value needs the big-integer mode.
      if ((*body)[n - 1] == 0 || v < (static_cast<u128>(1) << 30)) return nonCanonical();
      return v;
    }
  }
}

Result<uint64_t> Decoder::compactU64() {
  size_t at = pos_;
  auto v = compact();
  if (!v.ok()) return v.error();
  if (*v > UINT64_MAX) {
    return makeError("bad_compact", "Compact at offset " + std::to_string(at) + " exceeds u64");
  }
  return static_cast<uint64_t>(*v);
}

Result<uint32_t> Decoder::compactU32() {
  size_t at = pos_;
  auto v = compact();
  if (!v.ok()) return v.error();
  if (*v > UINT32_MAX) {
    return makeError("bad_compact", "Compact at offset " + std::to_string(at) + " exceeds u32");
  }
  return static_cast<uint32_t>(*v);
}

Result<size_t> Decoder::length(size_t max_items, size_t min_item_size) {
  size_t at = pos_;
  auto v = compact();
  if (!v.ok()) return v.error();
  if (*v > max_items) {
    return makeError("bad_value", "length " + u128ToString(*v) + " at offset " +
                                      std::to_string(at) + " exceeds the maximum " +
                                      std::to_string(max_items));
  }
  size_t n = static_cast<size_t>(*v);
  if (min_item_size > 0 && n > remaining() / min_item_size) {
    return makeError("truncated", "length " + std::to_string(n) + " at offset " +
                                      std::to_string(at) + " needs more bytes than the " +
                                      std::to_string(remaining()) + " left");
  }
  return n;
}

Result<Bytes> Decoder::bytes(size_t max_len) {
  auto n = length(max_len, 1);
  if (!n.ok()) return n.error();
  auto s = raw(*n);
  if (!s.ok()) return s.error();
  return Bytes(s->begin(), s->end());
}

Status Decoder::finish() const {
  if (remaining() != 0) {
    return makeError("trailing_bytes", std::to_string(remaining()) +
                                           " unexpected trailing byte(s) at offset " +
                                           std::to_string(pos_));
  }
  return okStatus();
}

}  // namespace hunter::codec
