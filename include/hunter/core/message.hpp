#pragma once
// The message model of docs/protocol.md §2 (phala-mq layout) with its SCALE form, hash, the bytes a
// worker signs, the message rules the chain enforces, and hash-chain checks.
#include <optional>
#include <vector>

#include "hunter/codec/scale.hpp"
#include "hunter/crypto/keys.hpp"

namespace hunter::core {

enum class OriginKind : uint8_t {
  kPallet = 0,
  kContract = 1,
  kWorker = 2,
  kAccountId = 3,
  kMultiLocation = 4,
  kGatekeeper = 5,
  kCluster = 6,
  kReserved = 255,
};

// MessageOrigin: `data` is the Vec<u8> of Pallet / MultiLocation, the 32 bytes of Contract /
// Worker / AccountId / Cluster, and empty for Gatekeeper / Reserved.
struct MessageOrigin {
  OriginKind kind = OriginKind::kCluster;
  Bytes data;

  static MessageOrigin cluster(const H256& id) {
    return MessageOrigin{OriginKind::kCluster, Bytes(id.begin(), id.end())};
  }
  bool operator==(const MessageOrigin&) const = default;
};

struct Message {
  MessageOrigin sender;
  Bytes destination;
  Bytes payload;
  bool operator==(const Message&) const = default;
};

struct ClusterMessage {
  Message message;
  uint64_t sn = 0;
  H256 prev_hash{};
  H256 state_root{};
  bool operator==(const ClusterMessage&) const = default;

  // The cluster id if the sender is Cluster(id).
  std::optional<H256> clusterId() const;
};

inline constexpr size_t kMaxPayload = 65536;
// Decoding bounds for untrusted input: a destination topic is short in practice; 4 KiB is far
// above any real topic and keeps a hostile length from allocating.
inline constexpr size_t kMaxDestination = 4096;
inline constexpr size_t kMaxOriginBytes = 4096;

void encode(codec::Encoder& e, const MessageOrigin& o);
void encode(codec::Encoder& e, const ClusterMessage& m);
Bytes encode(const ClusterMessage& m);

// Decoding errors: "truncated", "bad_value" (unknown MessageOrigin variant, over-long fields).
// Payloads up to kMaxPayload + 1 MiB decode so that the oversize rule can be reported as a
// message rule (custom error 8) rather than a format error.
Result<MessageOrigin> decodeOrigin(codec::Decoder& d);
Result<ClusterMessage> decodeClusterMessage(codec::Decoder& d);
Result<ClusterMessage> decodeClusterMessage(ByteSpan bytes);  // whole input

// hash = blake2_256(SCALE(ClusterMessage))
H256 messageHash(const ClusterMessage& m);
// 0xff ++ 0x10 ++ hash: what a worker signs (sp_core::ecdsa::sign hashes it again).
Bytes signingBytes(const H256& hash);
crypto::Signature signMessageHash(const crypto::SecretKey& key, const H256& hash);
Result<crypto::PublicKey> recoverMessageSigner(const crypto::Signature& sig, const H256& hash);

// The chain's message rules (custom error 8): sender is Cluster(id), destination not empty and
// not starting with a reserved character, payload at most kMaxPayload. Error code "bad_message".
Status validateMessageRules(const ClusterMessage& m);
bool isValidDestination(ByteSpan destination);

// A message together with the hash the hunter or a worker claims for it.
struct HashedMessage {
  ClusterMessage msg;
  H256 hash{};
};

// Checks a run of messages as a worker returned them: every claimed hash equals the recomputed
// one, sns are contiguous and ascending, every prev_hash links to the hash before it, and (when
// given) the first message links to `prev` (the hash of sn - 1). Error codes: "bad_hash",
// "not_contiguous", "bad_link". The message names the sn.
Status checkHashChain(const std::vector<HashedMessage>& run, const std::optional<H256>& prev);

}  // namespace hunter::core
