#include "hunter/core/era.hpp"

#include <algorithm>
#include <bit>

namespace hunter::core {

Era Era::mortal(uint64_t period, uint64_t current) {
  uint64_t p = period <= 4 ? 4 : std::bit_ceil(std::min<uint64_t>(period, 1u << 16));
  p = std::min<uint64_t>(p, 1u << 16);
  uint64_t phase = current % p;
  uint64_t quantize = std::max<uint64_t>(p >> 12, 1);
  return Era{p, phase / quantize * quantize};
}

uint64_t Era::birth(uint64_t current) const {
  if (isImmortal()) return 0;
  return (std::max(current, phase) - phase) / period * period + phase;
}

uint64_t Era::death(uint64_t current) const {
  if (isImmortal()) return UINT64_MAX;
  return birth(current) + period;
}

void encode(codec::Encoder& e, const Era& era) {
  if (era.isImmortal()) {
    e.u8(0);
    return;
  }
  uint64_t quantize = std::max<uint64_t>(era.period >> 12, 1);
  uint64_t tz = static_cast<uint64_t>(std::countr_zero(era.period));
  uint64_t low = std::clamp<uint64_t>(tz - 1, 1, 15);
  e.u16(static_cast<uint16_t>(low | ((era.phase / quantize) << 4)));
}

Bytes encode(const Era& era) {
  codec::Encoder e;
  encode(e, era);
  return e.take();
}

Result<Era> decodeEra(codec::Decoder& d) {
  size_t at = d.position();
  HUNTER_TRY(uint8_t first, d.u8());
  if (first == 0) return Era::immortal();
  HUNTER_TRY(uint8_t second, d.u8());
  uint64_t encoded = first | (static_cast<uint64_t>(second) << 8);
  uint64_t period = uint64_t{2} << (encoded % 16);
  uint64_t quantize = std::max<uint64_t>(period >> 12, 1);
  uint64_t phase = (encoded >> 4) * quantize;
  if (period >= 4 && phase < period) return Era{period, phase};
  return makeError("bad_era", "invalid mortal era period/phase at offset " + std::to_string(at));
}

}  // namespace hunter::core
