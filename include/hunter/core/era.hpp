#pragma once
// Substrate's transaction era (CheckMortality): immortal, or mortal with a power-of-two period
// in 4..65536 and a phase; for periods above 4096 the phase is quantized.
#include "hunter/codec/scale.hpp"

namespace hunter::core {

struct Era {
  uint64_t period = 0;  // 0 = immortal
  uint64_t phase = 0;

  static Era immortal() { return Era{}; }
  // Substrate's Era::mortal(period, current): rounds period up to a power of two within
  // [4, 65536] and quantizes the phase.
  static Era mortal(uint64_t period, uint64_t current);

  bool isImmortal() const { return period == 0; }
  // The block the era starts at, as seen from `current` (Substrate's Era::birth).
  uint64_t birth(uint64_t current) const;
  // The first block at which the transaction is no longer valid.
  uint64_t death(uint64_t current) const;

  bool operator==(const Era&) const = default;
};

void encode(codec::Encoder& e, const Era& era);
Bytes encode(const Era& era);
// Error "bad_era" for a mortal encoding whose period or phase is invalid.
Result<Era> decodeEra(codec::Decoder& d);

}  // namespace hunter::core
