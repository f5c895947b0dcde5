#include "hunter/crypto/keys.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>
#include <sys/random.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "hunter/crypto/hash.hpp"

namespace hunter::crypto {
namespace {

void osRandom(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // No randomness means no safe key; there is nothing sensible to continue with.
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
}

struct ContextDeleter {
  void operator()(secp256k1_context* c) const { secp256k1_context_destroy(c); }
};

const secp256k1_context* ctx() {
  static const std::unique_ptr<secp256k1_context, ContextDeleter> context = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    osRandom(seed, sizeof seed);
    // Randomization protects signing against side channels; failure leaves it unblinded but
    // correct, so it is not fatal.
    if (!secp256k1_context_randomize(c, seed)) { /* unblinded but still correct */
    }
    sodium_memzero(seed, sizeof seed);
    return std::unique_ptr<secp256k1_context, ContextDeleter>(c);
  }();
  return context.get();
}

}  // namespace

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

SecretKey SecretKey::generate() {
  FixedBytes<32> b{};
  do {
    osRandom(b.data(), b.size());
  } while (!secp256k1_ec_seckey_verify(ctx(), b.data()));
  SecretKey k(b);
  sodium_memzero(b.data(), b.size());
  return k;
}

Result<SecretKey> SecretKey::fromBytes(ByteSpan bytes) {
  if (bytes.size() != 32) {
    return makeError("bad_key", "secret key must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  FixedBytes<32> b = toFixed<32>(bytes);
  if (!secp256k1_ec_seckey_verify(ctx(), b.data())) {
    return makeError("bad_key", "secret key is zero or not below the curve order");
  }
  return SecretKey(b);
}

Result<SecretKey> SecretKey::fromHex(std::string_view hex) {
  auto b = hunter::fromHex(hex, "secret key");
  if (!b.ok()) return makeError("bad_key", "secret key is not valid hex");  // no echo of input
  auto k = fromBytes(*b);
  sodium_memzero(b->data(), b->size());
  return k;
}

PublicKey SecretKey::publicKey() const {
  secp256k1_pubkey pk;
  // bytes_ was verified on construction, so this cannot fail.
  if (!secp256k1_ec_pubkey_create(ctx(), &pk, bytes_.data())) std::abort();
  PublicKey out{};
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  return out;
}

Signature signPrehashed(const SecretKey& key, const H256& digest) {
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_sign_recoverable(ctx(), &sig, digest.data(), key.secretBytes().data(),
                                        nullptr, nullptr)) {
    std::abort();  // only fails for an invalid key, which SecretKey rules out
  }
  Signature out{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), out.data(), &recid, &sig);
  out[64] = static_cast<uint8_t>(recid);
  return out;
}

Signature sign(const SecretKey& key, ByteSpan message) {
  return signPrehashed(key, blake2_256(message));
}

Result<PublicKey> recoverPrehashed(const Signature& sig, const H256& digest) {
  int recid = sig[64];
  if (recid > 1) {
    return makeError("bad_signature", "recovery id " + std::to_string(recid) + " is not 0 or 1");
  }
  secp256k1_ecdsa_signature plain;
  if (!secp256k1_ecdsa_signature_parse_compact(ctx(), &plain, sig.data())) {
    return makeError("bad_signature", "r or s is not below the curve order");
  }
  secp256k1_ecdsa_signature normalized;
  if (secp256k1_ecdsa_signature_normalize(ctx(), &normalized, &plain)) {
    return makeError("bad_signature", "signature has a high S value");
  }
  secp256k1_ecdsa_recoverable_signature rsig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rsig, sig.data(), recid)) {
    return makeError("bad_signature", "signature does not parse");
  }
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(ctx(), &pk, &rsig, digest.data())) {
    return makeError("bad_signature", "no public key recovers from this signature");
  }
  PublicKey out{};
  size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  return out;
}

Result<PublicKey> recover(const Signature& sig, ByteSpan message) {
  return recoverPrehashed(sig, blake2_256(message));
}

bool verify(const Signature& sig, ByteSpan message, const PublicKey& pk) {
  auto r = recover(sig, message);
  return r.ok() && *r == pk;
}

bool isValidPublicKey(const PublicKey& pk) {
  secp256k1_pubkey p;
  return pk[0] != 0x04 && secp256k1_ec_pubkey_parse(ctx(), &p, pk.data(), pk.size()) == 1;
}

AccountId32 accountId(const PublicKey& pk) { return blake2_256(ByteSpan(pk.data(), pk.size())); }

}  // namespace hunter::crypto
