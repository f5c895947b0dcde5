#pragma once
// Storage keys and values of docs/protocol.md §4.4, with SCALE encode and decode.
// Keys: twox_128(pallet) ++ twox_128(item) ++ hashed keys, where
//   Blake2_128Concat(k) = blake2_128(SCALE(k)) ++ SCALE(k), Twox64Concat(k) = twox_64(..) ++ ..
#include <vector>

#include "hunter/codec/scale.hpp"
#include "hunter/crypto/keys.hpp"

namespace hunter::core {

struct ClusterInfo {
  std::vector<crypto::PublicKey> workers;
  uint32_t threshold = 0;
  u128 reward_per_message = 0;
  bool operator==(const ClusterInfo&) const = default;
};

struct QueueState {
  uint64_t next_sn = 0;
  H256 last_hash{};
  bool operator==(const QueueState&) const = default;
};

struct AckRecord {
  H256 hash{};
  H256 state_root{};
  crypto::AccountId32 hunter{};
  uint32_t block = 0;
  u128 reward = 0;
  bool operator==(const AckRecord&) const = default;
};

struct AccountData {
  u128 free = 0;
  u128 reserved = 0;
  u128 frozen = 0;
  u128 flags = 0;
  bool operator==(const AccountData&) const = default;
};

struct AccountInfo {
  uint32_t nonce = 0;
  uint32_t consumers = 0;
  uint32_t providers = 0;
  uint32_t sufficients = 0;
  AccountData data;
  bool operator==(const AccountInfo&) const = default;
};

Bytes clustersKey(const H256& cluster);
Bytes queuesKey(const H256& cluster);
Bytes acksKey(const H256& cluster, uint64_t sn);
// Prefix of every Acks entry of one cluster (for iteration by a chain implementation).
Bytes acksPrefix(const H256& cluster);
Bytes hunterRewardsKey(const crypto::AccountId32& account);
Bytes systemAccountKey(const crypto::AccountId32& account);
// twox_128(pallet) ++ twox_128(item)
Bytes storagePrefix(std::string_view pallet, std::string_view item);

Bytes encode(const ClusterInfo& v);
Bytes encode(const QueueState& v);
Bytes encode(const AckRecord& v);
Bytes encode(const AccountInfo& v);
Bytes encodeU128(u128 v);

// Decoders take the whole value and reject trailing bytes. ClusterInfo holds at most
// kMaxWorkers workers.
inline constexpr size_t kMaxWorkers = 1024;
Result<ClusterInfo> decodeClusterInfo(ByteSpan bytes);
Result<QueueState> decodeQueueState(ByteSpan bytes);
Result<AckRecord> decodeAckRecord(ByteSpan bytes);
Result<AccountInfo> decodeAccountInfo(ByteSpan bytes);
Result<u128> decodeU128(ByteSpan bytes);

}  // namespace hunter::core
