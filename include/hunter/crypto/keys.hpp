#pragma once
// secp256k1 keys and signatures exactly as Substrate's sp_core::ecdsa:
//   sign(m)   = secp256k1_ecdsa_sign_recoverable(blake2_256(m)) with the RFC 6979 nonce,
//               serialized r(32) ++ s(32) ++ recid(1); always low-S, recid in {0, 1}.
//   recover   = the compressed public key a signature over blake2_256(m) recovers to; refuses
//               recid not in {0, 1} and high-S signatures (docs/protocol.md §4.2, custom error 2).
// All functions share one randomized libsecp256k1 context created on first use; they are
// thread-safe. SecretKey wipes its bytes on destruction and is never printed.
#include <string>

#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"

namespace hunter::crypto {

using PublicKey = FixedBytes<33>;  // compressed SEC1
using Signature = FixedBytes<65>;  // r ++ s ++ recid
using AccountId32 = H256;

class SecretKey {
 public:
  // A fresh key from the OS random number generator.
  static SecretKey generate();
  // Refuses the zero key and values >= the curve order.
  static Result<SecretKey> fromBytes(ByteSpan bytes);
  static Result<SecretKey> fromHex(std::string_view hex);

  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  PublicKey publicKey() const;
  // The secret bytes, for writing a key file only.
  const FixedBytes<32>& secretBytes() const { return bytes_; }

 private:
  explicit SecretKey(const FixedBytes<32>& b) : bytes_(b) {}
  FixedBytes<32> bytes_;
};

// sp_core::ecdsa::Pair::sign(message).
Signature sign(const SecretKey& key, ByteSpan message);
// Signs a 32-byte digest directly (no further hashing).
Signature signPrehashed(const SecretKey& key, const H256& digest);

// Public key recovered from a signature over blake2_256(message). Errors: "bad_signature"
// (recid not in {0,1}, high-S, r or s out of range, or no key recovers).
Result<PublicKey> recover(const Signature& sig, ByteSpan message);
Result<PublicKey> recoverPrehashed(const Signature& sig, const H256& digest);
// recover(sig, message) == pk.
bool verify(const Signature& sig, ByteSpan message, const PublicKey& pk);

// Whether the bytes are a valid compressed point on the curve.
bool isValidPublicKey(const PublicKey& pk);

// Substrate MultiSigner::Ecdsa -> AccountId32: blake2_256(compressed public key).
AccountId32 accountId(const PublicKey& pk);

}  // namespace hunter::crypto
