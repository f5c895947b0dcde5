#pragma once
// Substrate SS58 addresses: base58(prefix ++ account ++ blake2_512("SS58PRE" ++ prefix ++
// account)[0..2]). Phala's network prefix is 30. Decoding accepts any simple (0..63) or full
// (64..16383) prefix and checks the checksum.
#include <string>

#include "hunter/crypto/keys.hpp"

namespace hunter::crypto {

inline constexpr uint16_t kPhalaSs58Prefix = 30;

std::string ss58Encode(const AccountId32& account, uint16_t prefix = kPhalaSs58Prefix);

struct Ss58Address {
  AccountId32 account;
  uint16_t prefix;
};
Result<Ss58Address> ss58Decode(std::string_view address);

// An account given by a person: 0x-hex AccountId32 or an SS58 address of any prefix.
Result<AccountId32> parseAccount(std::string_view text);

std::string base58Encode(ByteSpan data);
Result<Bytes> base58Decode(std::string_view text);

}  // namespace hunter::crypto
