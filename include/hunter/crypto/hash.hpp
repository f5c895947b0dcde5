#pragma once
// Substrate's hashers. blake2b via libsodium, xxh64 via libxxhash. Pure functions, thread-safe.
#include "hunter/util/bytes.hpp"

namespace hunter::crypto {

H256 blake2_256(ByteSpan data);
H128 blake2_128(ByteSpan data);
FixedBytes<64> blake2_512(ByteSpan data);
// xxh64(data, seed 0) LE ++ xxh64(data, seed 1) LE
H128 twox_128(ByteSpan data);
FixedBytes<8> twox_64(ByteSpan data);
uint64_t xxh64(ByteSpan data, uint64_t seed);

inline H256 blake2_256(std::string_view s) {
  return blake2_256(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
inline H128 twox_128(std::string_view s) {
  return twox_128(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

}  // namespace hunter::crypto
