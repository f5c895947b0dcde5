#include "hunter/util/bytes.hpp"

#include <array>

namespace hunter {

void appendHex(std::string& out, ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 2 + data.size() * 2);
  char* p = out.data() + at;
  p[0] = '0';
  p[1] = 'x';
  for (size_t i = 0; i < data.size(); ++i) {
    p[2 + 2 * i] = kDigits[data[i] >> 4];
    p[3 + 2 * i] = kDigits[data[i] & 0xf];
  }
}

std::string toHex(ByteSpan data) {
  std::string out;
  appendHex(out, data);
  return out;
}

namespace {

// Digit values by character, 0xff for a non-digit: one load per character instead of three
// range tests (hex decoding of worker answers is a few percent of the hunter's CPU).
constexpr std::array<uint8_t, 256> makeHexTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xff;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<size_t>(c)] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}
constexpr std::array<uint8_t, 256> kHexValue = makeHexTable();

}  // namespace

namespace {

// Decodes 2 * out.size() hex digits (no prefix) into `out`; the error names `what` and the
// position of the first bad digit.
Status decodeDigits(std::string_view digits, std::span<uint8_t> out, std::string_view what) {
  const auto* in = reinterpret_cast<const unsigned char*>(digits.data());
  for (size_t i = 0; i < out.size(); ++i) {
    uint8_t hi = kHexValue[in[2 * i]];
    uint8_t lo = kHexValue[in[2 * i + 1]];
    if ((hi | lo) > 0xf) {
      size_t pos = hi > 0xf ? 2 * i : 2 * i + 1;
      return makeError("bad_hex", std::string(what) + ": invalid hex character at position " +
                                      std::to_string(pos));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return okStatus();
}

std::string_view withoutPrefix(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  return hex;
}

}  // namespace

Result<Bytes> fromHex(std::string_view hex, std::string_view what) {
  hex = withoutPrefix(hex);
  if (hex.size() % 2 != 0) {
    return makeError("bad_hex", std::string(what) + ": odd number of hex digits (" +
                                    std::to_string(hex.size()) + ")");
  }
  Bytes out(hex.size() / 2);
  HUNTER_CHECK(decodeDigits(hex, out, what));
  return out;
}

Status fromHexInto(std::string_view hex, std::span<uint8_t> out, std::string_view what) {
  std::string_view digits = withoutPrefix(hex);
  if (digits.size() != 2 * out.size()) {
    // The general path names the first problem exactly as fixedFromHex always has.
    auto bytes = fromHex(hex, what);
    if (!bytes.ok()) return bytes.error();
    return makeError("bad_length", std::string(what) + ": expected " + std::to_string(out.size()) +
                                       " bytes, got " + std::to_string(bytes->size()));
  }
  return decodeDigits(digits, out, what);
}

std::string u128ToString(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return std::string(s.rbegin(), s.rend());
}

Result<u128> u128FromString(std::string_view s, std::string_view what) {
  if (s.empty()) return makeError("bad_number", std::string(what) + ": empty number");
  u128 v = 0;
  const u128 max = ~static_cast<u128>(0);
  for (char c : s) {
    if (c < '0' || c > '9') {
      return makeError("bad_number", std::string(what) + ": not a decimal number");
    }
    unsigned d = static_cast<unsigned>(c - '0');
    if (v > (max - d) / 10) return makeError("bad_number", std::string(what) + ": too large");
    v = v * 10 + d;
  }
  return v;
}

std::string i128ToString(i128 v) {
  if (v >= 0) return u128ToString(static_cast<u128>(v));
  return "-" + u128ToString(static_cast<u128>(-(v + 1)) + 1);
}

Result<i128> i128FromString(std::string_view s, std::string_view what) {
  const bool negative = !s.empty() && s.front() == '-';
  auto magnitude = u128FromString(negative ? s.substr(1) : s, what);
  if (!magnitude.ok()) return magnitude.error();
  const u128 limit = (~static_cast<u128>(0)) >> 1;  // i128 max
  if (*magnitude > limit + (negative ? 1 : 0)) {
    return makeError("bad_number", std::string(what) + ": out of range");
  }
  if (!negative) return static_cast<i128>(*magnitude);
  return -static_cast<i128>(*magnitude - 1) - 1;
}

Result<uint64_t> u64FromString(std::string_view s, std::string_view what) {
  auto v = u128FromString(s, what);
  if (!v.ok()) return v.error();
  if (*v > UINT64_MAX) return makeError("bad_number", std::string(what) + ": exceeds u64");
  return static_cast<uint64_t>(*v);
}

}  // namespace hunter
