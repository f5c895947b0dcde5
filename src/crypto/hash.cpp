#include "hunter/crypto/hash.hpp"

#include <sodium.h>
#include <xxhash.h>

namespace hunter::crypto {

template <size_t N>
static FixedBytes<N> blake2(ByteSpan data) {
  FixedBytes<N> out{};
  crypto_generichash(out.data(), N, data.data(), data.size(), nullptr, 0);
  return out;
}

H256 blake2_256(ByteSpan data) { return blake2<32>(data); }
H128 blake2_128(ByteSpan data) { return blake2<16>(data); }
FixedBytes<64> blake2_512(ByteSpan data) { return blake2<64>(data); }

uint64_t xxh64(ByteSpan data, uint64_t seed) { return XXH64(data.data(), data.size(), seed); }

static void putLe64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

H128 twox_128(ByteSpan data) {
  H128 out{};
  putLe64(out.data(), xxh64(data, 0));
  putLe64(out.data() + 8, xxh64(data, 1));
  return out;
}

FixedBytes<8> twox_64(ByteSpan data) {
  FixedBytes<8> out{};
  putLe64(out.data(), xxh64(data, 0));
  return out;
}

}  // namespace hunter::crypto
