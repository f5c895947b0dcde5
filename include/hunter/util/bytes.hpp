#pragma once
// Byte strings, fixed-size byte arrays, u128 and hex conversion.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hunter/util/result.hpp"

namespace hunter {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
template <size_t N>
using FixedBytes = std::array<uint8_t, N>;
using H256 = FixedBytes<32>;
using H128 = FixedBytes<16>;

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// Lower-case hex with 0x prefix.
std::string toHex(ByteSpan data);
// The same text, appended to `out` (for writers of large JSON texts).
void appendHex(std::string& out, ByteSpan data);
template <size_t N>
std::string toHex(const FixedBytes<N>& data) {
  return toHex(ByteSpan(data.data(), N));
}
// Accepts "0x"/"0X" prefix (optional) and upper or lower case; rejects odd length and non-hex
// characters. `what` names the input in the error message.
Result<Bytes> fromHex(std::string_view hex, std::string_view what = "hex");
// Decodes into `out`, which the hex must fill exactly: the errors of fromHex, then "bad_length"
// as fixedFromHex gives it. Hex of the right length is decoded in place, with no allocation.
Status fromHexInto(std::string_view hex, std::span<uint8_t> out, std::string_view what = "hex");
// Same as fromHex, and requires exactly N bytes.
template <size_t N>
Result<FixedBytes<N>> fixedFromHex(std::string_view hex, std::string_view what = "hex") {
  FixedBytes<N> out{};
  auto st = fromHexInto(hex, std::span<uint8_t>(out.data(), N), what);
  if (!st.ok()) return st.error();
  return out;
}
template <size_t N>
FixedBytes<N> toFixed(ByteSpan s) {  // caller guarantees s.size() >= N
  FixedBytes<N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = s[i];
  return out;
}

inline Bytes concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  size_t n = 0;
  for (auto p : parts) n += p.size();
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline ByteSpan span(const Bytes& b) { return ByteSpan(b.data(), b.size()); }
template <size_t N>
ByteSpan span(const FixedBytes<N>& b) {
  return ByteSpan(b.data(), N);
}
inline Bytes toBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Decimal conversion for u128 (balances are u128 and JSON carries them as decimal strings).
std::string u128ToString(u128 v);
Result<u128> u128FromString(std::string_view s, std::string_view what = "number");
Result<uint64_t> u64FromString(std::string_view s, std::string_view what = "number");
// Signed: an optional '-' and decimal digits, within i128.
std::string i128ToString(i128 v);
Result<i128> i128FromString(std::string_view s, std::string_view what = "number");

}  // namespace hunter
