#pragma once
// The PhalaClusterMq calls and the signed Substrate v4 ECDSA extrinsic of docs/protocol.md §4.3 and
// §4.5:
//   extrinsic = Compact(len(body)) ++ body
//   body      = 0x84 ++ 0x00 ++ AccountId32 ++ 0x02 ++ Signature ++ extra ++ call
//   extra     = era ++ Compact(nonce) ++ Compact(tip)
//   payload   = call ++ extra ++ u32 spec ++ u32 tx_version ++ genesis ++ era_block_hash
//   signature = sign(len(payload) > 256 ? blake2_256(payload) : payload)
#include <vector>

#include "hunter/core/era.hpp"
#include "hunter/core/message.hpp"

namespace hunter::core {

inline constexpr uint8_t kPalletIndex = 85;
inline constexpr uint8_t kCallSyncOne = 0;
inline constexpr uint8_t kCallSyncBatch = 1;
// Decoding bounds for untrusted input.
inline constexpr size_t kMaxBatch = 4096;
inline constexpr size_t kMaxSignaturesPerMessage = 1024;

struct SignedClusterMessage {
  ClusterMessage message;
  std::vector<crypto::Signature> signatures;
  bool operator==(const SignedClusterMessage&) const = default;
};

// sync_cluster_message (one item, call 0) or sync_cluster_messages (call 1).
struct ClusterCall {
  bool batch = false;
  std::vector<SignedClusterMessage> items;
  bool operator==(const ClusterCall&) const = default;
};

Bytes encodeCall(const ClusterCall& call);
// Errors: "unknown_call" (pallet or call index), "truncated", "bad_value", "trailing_bytes".
Result<ClusterCall> decodeCall(codec::Decoder& d);

struct ChainParams {
  uint32_t spec_version = 0;
  uint32_t transaction_version = 0;
  H256 genesis_hash{};
};

struct TxExtra {
  Era era;
  uint32_t nonce = 0;
  u128 tip = 0;
  bool operator==(const TxExtra&) const = default;
};

Bytes encodeExtra(const TxExtra& extra);
Bytes signingPayload(ByteSpan call, const TxExtra& extra, const ChainParams& params,
                     const H256& era_block_hash);
// The complete encoded extrinsic (with its length prefix).
Bytes buildSignedExtrinsic(const crypto::SecretKey& key, ByteSpan call, const TxExtra& extra,
                           const ChainParams& params, const H256& era_block_hash);

struct DecodedExtrinsic {
  crypto::AccountId32 signer{};
  crypto::Signature signature{};
  TxExtra extra;
  Bytes call_bytes;
  ClusterCall call;
};

// Decodes a whole encoded extrinsic (length prefix included). Errors name the field:
// "bad_format" for a wrong version, address or signature type or a length prefix that does not
// match, "unknown_call", "truncated", "bad_value", "bad_compact", "bad_era", "trailing_bytes".
Result<DecodedExtrinsic> decodeExtrinsic(ByteSpan bytes);

// Checks the signer's signature over the signing payload built from `params` and the era block
// hash. Error "bad_signature".
Status verifyExtrinsicSignature(const DecodedExtrinsic& x, const ChainParams& params,
                                const H256& era_block_hash);

// blake2_256 of the whole encoded extrinsic.
H256 txHash(ByteSpan extrinsic);

}  // namespace hunter::core
