#include "hunter/core/extrinsic.hpp"

#include "hunter/crypto/hash.hpp"

namespace hunter::core {
namespace {

void encodeItem(codec::Encoder& e, const SignedClusterMessage& item) {
  encode(e, item.message);
  e.compact(item.signatures.size());
  for (const auto& s : item.signatures) e.fixed(s);
}

Result<SignedClusterMessage> decodeItem(codec::Decoder& d) {
  SignedClusterMessage item;
  HUNTER_TRY(item.message, decodeClusterMessage(d));
  HUNTER_TRY(size_t n, d.length(kMaxSignaturesPerMessage, 65));
  item.signatures.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    HUNTER_TRY(auto sig, d.fixed<65>());
    item.signatures.push_back(sig);
  }
  return item;
}

Bytes payloadToSign(ByteSpan payload) {
  if (payload.size() > 256) {
    auto h = crypto::blake2_256(payload);
    return Bytes(h.begin(), h.end());
  }
  return Bytes(payload.begin(), payload.end());
}

}  // namespace

Bytes encodeCall(const ClusterCall& call) {
  codec::Encoder e;
  e.u8(kPalletIndex);
  if (!call.batch) {
    e.u8(kCallSyncOne);
    // Call 0 carries exactly one item; the builder never makes another shape.
    encodeItem(e, call.items.at(0));
  } else {
    e.u8(kCallSyncBatch);
    e.compact(call.items.size());
    for (const auto& item : call.items) encodeItem(e, item);
  }
  return e.take();
}

Result<ClusterCall> decodeCall(codec::Decoder& d) {
  HUNTER_TRY(uint8_t pallet, d.u8());
  if (pallet != kPalletIndex) {
    return makeError("unknown_call", "unknown pallet index " + std::to_string(pallet));
  }
  HUNTER_TRY(uint8_t index, d.u8());
  ClusterCall call;
  if (index == kCallSyncOne) {
    HUNTER_TRY(auto item, decodeItem(d));
    call.items.push_back(std::move(item));
  } else if (index == kCallSyncBatch) {
    call.batch = true;
    // Each item is at least 1 (origin without data) + 1 + 1 + 8 + 32 + 32 + 1 bytes.
    HUNTER_TRY(size_t n, d.length(kMaxBatch, 76));
    call.items.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto item = decodeItem(d);
      if (!item.ok()) return item.error().context("batch item " + std::to_string(i));
      call.items.push_back(std::move(item).value());
    }
  } else {
    return makeError("unknown_call",
                     "unknown call index " + std::to_string(index) + " of PhalaClusterMq");
  }
  return call;
}

Bytes encodeExtra(const TxExtra& extra) {
  codec::Encoder e;
  encode(e, extra.era);
  e.compact(extra.nonce);
  e.compact(extra.tip);
  return e.take();
}

Bytes signingPayload(ByteSpan call, const TxExtra& extra, const ChainParams& params,
                     const H256& era_block_hash) {
  codec::Encoder e(call.size() + 128);
  e.raw(call);
  e.raw(encodeExtra(extra));
  e.u32(params.spec_version).u32(params.transaction_version);
  e.fixed(params.genesis_hash).fixed(era_block_hash);
  return e.take();
}

Bytes buildSignedExtrinsic(const crypto::SecretKey& key, ByteSpan call, const TxExtra& extra,
                           const ChainParams& params, const H256& era_block_hash) {
  Bytes payload = signingPayload(call, extra, params, era_block_hash);
  crypto::Signature sig = crypto::sign(key, payloadToSign(payload));
  codec::Encoder body(call.size() + 128);
  body.u8(0x84).u8(0x00).fixed(crypto::accountId(key.publicKey()));
  body.u8(0x02).fixed(sig);
  body.raw(encodeExtra(extra));
  body.raw(call);
  codec::Encoder out(body.size() + 5);
  out.bytes(body.data());
  return out.take();
}

Result<DecodedExtrinsic> decodeExtrinsic(ByteSpan bytes) {
  codec::Decoder d(bytes);
  auto len = d.compact();
  if (!len.ok()) return len.error().context("extrinsic length");
  if (*len != d.remaining()) {
    return makeError("bad_format", "extrinsic length prefix says " + u128ToString(*len) +
                                       " bytes but " + std::to_string(d.remaining()) + " follow");
  }
  DecodedExtrinsic x;
  HUNTER_TRY(uint8_t version, d.u8());
  if (version != 0x84) {
    return makeError("bad_format", "extrinsic version byte is " + toHex(ByteSpan(&version, 1)) +
                                       ", expected 0x84 (signed v4)");
  }
  HUNTER_TRY(uint8_t addrType, d.u8());
  if (addrType != 0x00) {
    return makeError("bad_format", "signer address type " + std::to_string(addrType) +
                                       " is not MultiAddress::Id (0)");
  }
  HUNTER_TRY(x.signer, d.fixed<32>());
  HUNTER_TRY(uint8_t sigType, d.u8());
  if (sigType != 0x02) {
    return makeError("bad_format", "signature type " + std::to_string(sigType) +
                                       " is not MultiSignature::Ecdsa (2)");
  }
  HUNTER_TRY(x.signature, d.fixed<65>());
  auto era = decodeEra(d);
  if (!era.ok()) return era.error().context("era");
  x.extra.era = *era;
  auto nonce = d.compactU32();
  if (!nonce.ok()) return nonce.error().context("nonce");
  x.extra.nonce = *nonce;
  auto tip = d.compact();
  if (!tip.ok()) return tip.error().context("tip");
  x.extra.tip = *tip;
  size_t callStart = d.position();
  auto call = decodeCall(d);
  if (!call.ok()) return call.error().context("call");
  x.call = std::move(call).value();
  HUNTER_CHECK(d.finish());
  x.call_bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(callStart), bytes.end());
  return x;
}

Status verifyExtrinsicSignature(const DecodedExtrinsic& x, const ChainParams& params,
                                const H256& era_block_hash) {
  Bytes payload = signingPayload(x.call_bytes, x.extra, params, era_block_hash);
  auto pk = crypto::recover(x.signature, payloadToSign(payload));
  if (!pk.ok()) return pk.error();
  if (crypto::accountId(*pk) != x.signer) {
    return makeError("bad_signature", "extrinsic signature does not match the signer account");
  }
  return okStatus();
}

H256 txHash(ByteSpan extrinsic) { return crypto::blake2_256(extrinsic); }

}  // namespace hunter::core
