#include "hunter/core/storage.hpp"

#include "hunter/crypto/hash.hpp"

namespace hunter::core {
namespace {

constexpr std::string_view kPallet = "PhalaClusterMq";

void appendBlake2_128Concat(Bytes& key, ByteSpan encoded) {
  auto h = crypto::blake2_128(encoded);
  key.insert(key.end(), h.begin(), h.end());
  key.insert(key.end(), encoded.begin(), encoded.end());
}

template <class T>
Result<T> whole(ByteSpan bytes, const char* what, Result<T> (*f)(codec::Decoder&)) {
  codec::Decoder d(bytes);
  auto v = f(d);
  if (!v.ok()) return v.error().context(what);
  auto fin = d.finish();
  if (!fin.ok()) return fin.error().context(what);
  return v;
}

}  // namespace

Bytes storagePrefix(std::string_view pallet, std::string_view item) {
  auto p = crypto::twox_128(pallet);
  auto i = crypto::twox_128(item);
  return concat({span(p), span(i)});
}

Bytes clustersKey(const H256& cluster) {
  Bytes k = storagePrefix(kPallet, "Clusters");
  appendBlake2_128Concat(k, span(cluster));
  return k;
}

Bytes queuesKey(const H256& cluster) {
  Bytes k = storagePrefix(kPallet, "Queues");
  appendBlake2_128Concat(k, span(cluster));
  return k;
}

Bytes acksPrefix(const H256& cluster) {
  Bytes k = storagePrefix(kPallet, "Acks");
  appendBlake2_128Concat(k, span(cluster));
  return k;
}

Bytes acksKey(const H256& cluster, uint64_t sn) {
  Bytes k = acksPrefix(cluster);
  codec::Encoder e;
  e.u64(sn);
  auto h = crypto::twox_64(e.data());
  k.insert(k.end(), h.begin(), h.end());
  k.insert(k.end(), e.data().begin(), e.data().end());
  return k;
}

Bytes hunterRewardsKey(const crypto::AccountId32& account) {
  Bytes k = storagePrefix(kPallet, "HunterRewards");
  appendBlake2_128Concat(k, span(account));
  return k;
}

Bytes systemAccountKey(const crypto::AccountId32& account) {
  Bytes k = storagePrefix("System", "Account");
  appendBlake2_128Concat(k, span(account));
  return k;
}

Bytes encode(const ClusterInfo& v) {
  codec::Encoder e;
  e.compact(v.workers.size());
  for (const auto& w : v.workers) e.fixed(w);
  e.u32(v.threshold);
  e.u128v(v.reward_per_message);
  return e.take();
}

Bytes encode(const QueueState& v) {
  codec::Encoder e;
  e.u64(v.next_sn).fixed(v.last_hash);
  return e.take();
}

Bytes encode(const AckRecord& v) {
  codec::Encoder e;
  e.fixed(v.hash).fixed(v.state_root).fixed(v.hunter).u32(v.block).u128v(v.reward);
  return e.take();
}

Bytes encode(const AccountInfo& v) {
  codec::Encoder e;
  e.u32(v.nonce).u32(v.consumers).u32(v.providers).u32(v.sufficients);
  e.u128v(v.data.free).u128v(v.data.reserved).u128v(v.data.frozen).u128v(v.data.flags);
  return e.take();
}

Bytes encodeU128(u128 v) {
  codec::Encoder e;
  e.u128v(v);
  return e.take();
}

static Result<ClusterInfo> readClusterInfo(codec::Decoder& d) {
  ClusterInfo v;
  HUNTER_TRY(size_t n, d.length(kMaxWorkers, 33));
  v.workers.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    HUNTER_TRY(auto pk, d.fixed<33>());
    v.workers.push_back(pk);
  }
  HUNTER_TRY(v.threshold, d.u32());
  HUNTER_TRY(v.reward_per_message, d.u128v());
  return v;
}

static Result<QueueState> readQueueState(codec::Decoder& d) {
  QueueState v;
  HUNTER_TRY(v.next_sn, d.u64());
  HUNTER_TRY(v.last_hash, d.fixed<32>());
  return v;
}

static Result<AckRecord> readAckRecord(codec::Decoder& d) {
  AckRecord v;
  HUNTER_TRY(v.hash, d.fixed<32>());
  HUNTER_TRY(v.state_root, d.fixed<32>());
  HUNTER_TRY(v.hunter, d.fixed<32>());
  HUNTER_TRY(v.block, d.u32());
  HUNTER_TRY(v.reward, d.u128v());
  return v;
}

static Result<AccountInfo> readAccountInfo(codec::Decoder& d) {
  AccountInfo v;
  HUNTER_TRY(v.nonce, d.u32());
  HUNTER_TRY(v.consumers, d.u32());
  HUNTER_TRY(v.providers, d.u32());
  HUNTER_TRY(v.sufficients, d.u32());
  HUNTER_TRY(v.data.free, d.u128v());
  HUNTER_TRY(v.data.reserved, d.u128v());
  HUNTER_TRY(v.data.frozen, d.u128v());
  HUNTER_TRY(v.data.flags, d.u128v());
  return v;
}

static Result<u128> readU128(codec::Decoder& d) { return d.u128v(); }

Result<ClusterInfo> decodeClusterInfo(ByteSpan b) {
  return whole<ClusterInfo>(b, "ClusterInfo", readClusterInfo);
}
Result<QueueState> decodeQueueState(ByteSpan b) {
  return whole<QueueState>(b, "QueueState", readQueueState);
}
Result<AckRecord> decodeAckRecord(ByteSpan b) {
  return whole<AckRecord>(b, "AckRecord", readAckRecord);
}
Result<AccountInfo> decodeAccountInfo(ByteSpan b) {
  return whole<AccountInfo>(b, "AccountInfo", readAccountInfo);
}
Result<u128> decodeU128(ByteSpan b) { return whole<u128>(b, "u128", readU128); }

}  // namespace hunter::core
