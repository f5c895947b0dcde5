#include "hunter/crypto/ss58.hpp"

#include "hunter/crypto/hash.hpp"

namespace hunter::crypto {
namespace {
constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

FixedBytes<64> checksum(ByteSpan body) {
  Bytes pre = toBytes("SS58PRE");
  pre.insert(pre.end(), body.begin(), body.end());
  return blake2_512(pre);
}
}  // namespace

std::string base58Encode(ByteSpan data) {
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits;  // base58 little-endian
  for (size_t i = zeros; i < data.size(); ++i) {
    int carry = data[i];
    for (auto& d : digits) {
      carry += d * 256;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

Result<Bytes> base58Decode(std::string_view text) {
  if (text.size() > 128) return makeError("bad_address", "address is too long");
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::vector<uint8_t> bytes;  // little-endian
  for (size_t i = zeros; i < text.size(); ++i) {
    const char* p = std::char_traits<char>::find(kAlphabet, 58, text[i]);
    if (p == nullptr) {
      return makeError("bad_address", "invalid base58 character at position " + std::to_string(i));
    }
    int carry = static_cast<int>(p - kAlphabet);
    for (auto& b : bytes) {
      carry += b * 58;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

std::string ss58Encode(const AccountId32& account, uint16_t prefix) {
  // SS58 prefixes end at 16383; callers pass constants, so clamp rather than fail.
  if (prefix > 16383) prefix = kPhalaSs58Prefix;
  Bytes body;
  if (prefix < 64) {
    body.push_back(static_cast<uint8_t>(prefix));
  } else {
    // Substrate's two-byte form for 64..16383.
    body.push_back(static_cast<uint8_t>(((prefix & 0xfc) >> 2) | 0x40));
    body.push_back(static_cast<uint8_t>((prefix >> 8) | ((prefix & 0x03) << 6)));
  }
  body.insert(body.end(), account.begin(), account.end());
  auto sum = checksum(body);
  body.push_back(sum[0]);
  body.push_back(sum[1]);
  return base58Encode(body);
}

Result<Ss58Address> ss58Decode(std::string_view address) {
  auto raw = base58Decode(address);
  if (!raw.ok()) return raw.error();
  const Bytes& b = *raw;
  if (b.empty()) return makeError("bad_address", "empty SS58 address");
  size_t prefixLen = 0;
  uint16_t prefix = 0;
  if (b[0] < 64) {
    prefixLen = 1;
    prefix = b[0];
  } else if (b[0] < 128) {
    if (b.size() < 2) return makeError("bad_address", "SS58 address is too short");
    prefixLen = 2;
    uint8_t lower = static_cast<uint8_t>((b[0] << 2) | (b[1] >> 6));
    uint8_t upper = b[1] & 0x3f;
    prefix = static_cast<uint16_t>(lower | (upper << 8));
  } else {
    return makeError("bad_address", "SS58 address has a reserved prefix byte");
  }
  if (b.size() != prefixLen + 32 + 2) {
    return makeError("bad_address", "SS58 address does not hold a 32-byte account (decoded " +
                                        std::to_string(b.size()) + " bytes)");
  }
  auto sum = checksum(ByteSpan(b.data(), prefixLen + 32));
  if (sum[0] != b[prefixLen + 32] || sum[1] != b[prefixLen + 33]) {
    return makeError("bad_address", "SS58 checksum does not match");
  }
  return Ss58Address{toFixed<32>(ByteSpan(b.data() + prefixLen, 32)), prefix};
}

Result<AccountId32> parseAccount(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    return fixedFromHex<32>(text, "account");
  }
  auto a = ss58Decode(text);
  if (!a.ok()) return a.error().context("account '" + std::string(text) + "'");
  return a->account;
}

}  // namespace hunter::crypto
