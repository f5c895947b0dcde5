// The devnet chain: genesis, the transaction pool of docs/protocol.md §4 and block production.
//
// Pool model (Substrate's ready/future queues with CheckNonce and CheckMqSequence tags): a
// transaction provides (signer, nonce) and (cluster, first_sn..last_sn) and requires the ones
// before. It is ready when its nonce is the account's nonce plus the ready transactions of that
// account before it AND its first sn is the queue's next sn plus the ready sns before it;
// otherwise it waits. The ready set is kept in the order transactions became ready, which is a
// valid inclusion order. After every block the readiness is rebuilt from the chain state, and
// every transaction that (still or newly) is ready passes `recheck` again; one that fails is
// dropped without a fee and counted in stateJson().dropped.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "chain_impl.hpp"
#include "hunter/crypto/hash.hpp"
#include "hunter/util/parallel.hpp"

namespace hunter::devnet {
namespace detail {
namespace {

constexpr u128 kNewAccountFlags = static_cast<u128>(1) << 127;  // Substrate's IS_NEW_LOGIC

std::string keyString(const Bytes& key) { return std::string(key.begin(), key.end()); }

u128 saturatingAdd(u128 a, u128 b) {
  u128 s = a + b;
  return s < a ? ~static_cast<u128>(0) : s;
}

H256 headerHash(const Header& h) {
  codec::Encoder e(128);
  e.fixed(h.parent).compact(h.number).fixed(h.state_root).fixed(h.extrinsics_root);
  e.compact(0);  // digest: no logs
  return crypto::blake2_256(e.data());
}

}  // namespace

TxError invalidTx(std::string data) {
  return TxError{1010, "Invalid Transaction", std::move(data)};
}

nlohmann::json TxError::toJson() const {
  nlohmann::json j = {{"code", code}, {"message", message}};
  if (!data.empty()) j["data"] = data;
  return j;
}

Result<Prepared> prepare(const Bytes& extrinsic) {
  if (extrinsic.size() > kMaxExtrinsicBytes) {
    return makeError("too_large", "extrinsic of " + std::to_string(extrinsic.size()) +
                                      " bytes exceeds the limit of " +
                                      std::to_string(kMaxExtrinsicBytes));
  }
  auto x = core::decodeExtrinsic(extrinsic);
  if (!x.ok()) return x.error();
  Prepared p;
  p.x = std::move(x).value();
  p.bytes = extrinsic;
  p.hash = core::txHash(extrinsic);
  // The recoveries are most of a submission's cost: a large batch is split over two threads,
  // so that the caller's answer does not wait for one core to do them all.
  const auto& items = p.x.call.items;
  p.msg_hashes.resize(items.size());
  p.recovered.resize(items.size());
  parallelFor(items.size(), 2, 16, [&p, &items](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const H256 h = core::messageHash(items[i].message);
      p.msg_hashes[i] = h;
      auto& keys = p.recovered[i];
      keys.reserve(items[i].signatures.size());
      for (const auto& sig : items[i].signatures) {
        auto pk = core::recoverMessageSigner(sig, h);
        keys.push_back(pk.ok() ? std::optional<crypto::PublicKey>(*pk) : std::nullopt);
      }
    }
  });
  return p;
}

Impl::Impl(ChainConfig c) : config(std::move(c)), rng(config.fault_seed) {
  auto valid = DevChain::validateConfig(config);
  if (!valid.ok()) throw std::invalid_argument("devnet chain config: " + valid.error().message);

  // Genesis: the state root commits to the genesis config, so two devnets with different
  // configs never share a genesis hash (and never accept each other's signed extrinsics). The
  // runtime versions are not part of it: a runtime upgrade keeps the chain's genesis.
  codec::Encoder g;
  g.raw(toBytes("phala-cluster-devnet"));
  g.bytes(toBytes(config.chain_name));
  g.u128v(config.base_fee).u128v(config.byte_fee);
  g.compact(config.clusters.size());
  for (const auto& gc : config.clusters) {
    core::ClusterInfo info{gc.workers, gc.threshold, gc.reward_per_message};
    g.fixed(gc.id).raw(core::encode(info));
    Cluster cl;
    cl.info = info;
    cl.workers.insert(gc.workers.begin(), gc.workers.end());
    clusters.emplace(gc.id, std::move(cl));
    storage[keyString(core::clustersKey(gc.id))] = core::encode(info);
  }
  g.compact(config.accounts.size());
  for (const auto& ga : config.accounts) {
    g.fixed(ga.account).u128v(ga.free);
    accounts[ga.account].free = ga.free;
    writeAccount(ga.account);
  }
  Header genesis;
  genesis.number = 0;
  genesis.state_root = crypto::blake2_256(g.data());
  genesis.extrinsics_root = crypto::blake2_256(ByteSpan());
  genesis.hash = headerHash(genesis);
  headers.push_back(genesis);
  number_by_hash[genesis.hash] = 0;

  params.spec_version = config.spec_version;
  params.transaction_version = config.transaction_version;
  params.genesis_hash = genesis.hash;
  runtimes[0] = {config.spec_version, config.transaction_version};
}

// The upgrade the block `number` enacts, if any: the scheduled one, else the configured one.
void Impl::enactUpgrade(uint32_t number) {
  std::optional<std::pair<uint32_t, uint32_t>> v = std::exchange(pending_upgrade, std::nullopt);
  if (!v && config.upgrade_at_block != 0 && config.upgrade_at_block == number) {
    v = std::make_pair(config.upgrade_spec_version, config.upgrade_transaction_version);
  }
  if (!v) return;
  runtimes[number] = *v;
  params.spec_version = v->first;
  params.transaction_version = v->second;
  // Revalidated against the new runtime, whatever waits signed for the old one is invalid.
  std::vector<uint64_t> stale;
  for (const auto& [id, tx] : txs) {
    if (tx.spec_version != v->first || tx.transaction_version != v->second) stale.push_back(id);
  }
  for (uint64_t id : stale) drop(id, kBadSignature);
}

std::pair<uint32_t, uint32_t> Impl::runtimeAtLocked(uint64_t number) const {
  auto it = runtimes.upper_bound(static_cast<uint32_t>(std::min<uint64_t>(number, UINT32_MAX)));
  return std::prev(it)->second;  // runtimes[0] exists
}

u128 Impl::feeFor(size_t len) const {
  return saturatingAdd(config.base_fee, config.byte_fee * static_cast<u128>(len));
}

uint32_t Impl::accountNonce(const crypto::AccountId32& a) const {
  auto it = accounts.find(a);
  return it == accounts.end() ? 0 : it->second.nonce;
}

uint32_t Impl::nonceCursor(const crypto::AccountId32& a) const {
  auto it = ready_nonce.find(a);
  return it == ready_nonce.end() ? accountNonce(a) : it->second;
}

uint64_t Impl::snCursor(const H256& cluster) const {
  auto it = ready_sn.find(cluster);
  if (it != ready_sn.end()) return it->second;
  auto c = clusters.find(cluster);
  return c == clusters.end() ? 0 : c->second.queue.next_sn;
}

void Impl::writeAccount(const crypto::AccountId32& a) {
  const Account& acct = accounts.at(a);
  core::AccountInfo info;
  info.nonce = acct.nonce;
  info.providers = 1;
  info.data.free = acct.free;
  info.data.flags = kNewAccountFlags;
  storage[keyString(core::systemAccountKey(a))] = core::encode(info);
}

void Impl::writeQueue(const H256& cluster) {
  storage[keyString(core::queuesKey(cluster))] = core::encode(clusters.at(cluster).queue);
}

std::optional<H256> Impl::predecessorHash(const H256& cluster, uint64_t first_sn) const {
  auto c = clusters.find(cluster);
  if (c == clusters.end()) return std::nullopt;
  const auto& q = c->second.queue;
  if (first_sn == q.next_sn) return q.last_hash;
  if (first_sn < q.next_sn) return std::nullopt;
  auto m = by_first_sn.find(cluster);
  if (m == by_first_sn.end()) return std::nullopt;
  auto j = m->second.upper_bound(first_sn - 1);
  if (j == m->second.begin()) return std::nullopt;
  --j;
  const PoolTx& t = txs.at(j->second);
  if (t.last_sn < first_sn - 1) return std::nullopt;
  return t.msg_hashes[first_sn - 1 - t.first_sn];
}

// docs/protocol.md §4, in its order: era, the hunter's signature, nonce, fees; then the call:
// 8 and 7; 1; stale / too-far sn; 6; each signature (2, 5, 4) and the threshold (3), per item.
std::optional<TxError> Impl::validate(const Prepared& p, uint64_t& death) const {
  const auto& x = p.x;
  // The transaction is checked for the block that would include it (Substrate validates in the
  // context of best + 1); the era's birth block must already exist.
  const uint64_t block = static_cast<uint64_t>(best()) + 1;
  H256 era_hash = params.genesis_hash;
  death = UINT64_MAX;
  if (!x.extra.era.isImmortal()) {
    uint64_t birth = x.extra.era.birth(block);
    if (birth > best()) return invalidTx(kAncientBirth);
    era_hash = headers[birth].hash;
    death = x.extra.era.death(block);
  }
  if (!core::verifyExtrinsicSignature(x, params, era_hash).ok()) return invalidTx(kBadSignature);
  if (x.extra.nonce < accountNonce(x.signer)) return invalidTx(kOutdated);
  auto acct = accounts.find(x.signer);
  u128 free = acct == accounts.end() ? 0 : acct->second.free;
  if (free < saturatingAdd(feeFor(p.bytes.size()), x.extra.tip)) return invalidTx(kPayment);

  const auto& items = x.call.items;
  for (const auto& item : items) {
    if (!core::validateMessageRules(item.message).ok())
      return invalidTx(customError(core::CustomError::kBadMessage));
  }
  if (items.empty()) return invalidTx(customError(core::CustomError::kBadBatch));
  const H256 cluster_id = *items[0].message.clusterId();
  for (size_t i = 1; i < items.size(); ++i) {
    if (*items[i].message.clusterId() != cluster_id)
      return invalidTx(customError(core::CustomError::kBadBatch));
    if (items[i - 1].message.sn == UINT64_MAX ||
        items[i].message.sn != items[i - 1].message.sn + 1) {
      return invalidTx(customError(core::CustomError::kBadBatch));
    }
  }
  auto cl = clusters.find(cluster_id);
  if (cl == clusters.end()) return invalidTx(customError(core::CustomError::kUnknownCluster));
  const uint64_t first = items[0].message.sn;
  const uint64_t next = cl->second.queue.next_sn;
  if (first < next) return invalidTx(kOutdated);
  if (first - next > kMaxSnAhead) return invalidTx(kFuture);
  // The link of the first item can be checked now when its predecessor is the chain's last
  // accepted message or waits in the pool; otherwise it is checked when the tx becomes ready.
  if (auto pred = predecessorHash(cluster_id, first); pred && *pred != items[0].message.prev_hash) {
    return invalidTx(customError(core::CustomError::kPrevHashMismatch));
  }
  for (size_t i = 1; i < items.size(); ++i) {
    if (items[i].message.prev_hash != p.msg_hashes[i - 1])
      return invalidTx(customError(core::CustomError::kPrevHashMismatch));
  }
  const auto& info = cl->second;
  for (size_t i = 0; i < items.size(); ++i) {
    std::vector<crypto::PublicKey> seen;
    seen.reserve(p.recovered[i].size());
    for (const auto& key : p.recovered[i]) {
      if (!key) return invalidTx(customError(core::CustomError::kMalformedSignature));
      if (!info.workers.count(*key))
        return invalidTx(customError(core::CustomError::kUnknownSigner));
      if (std::find(seen.begin(), seen.end(), *key) != seen.end()) {
        return invalidTx(customError(core::CustomError::kDuplicateSigner));
      }
      seen.push_back(*key);
    }
    if (seen.size() < info.info.threshold)
      return invalidTx(customError(core::CustomError::kBelowThreshold));
  }
  return std::nullopt;
}

std::optional<std::string> Impl::recheck(const PoolTx& tx, uint64_t block) const {
  if (block >= tx.death) return std::string(kAncientBirth);
  if (tx.spec_version != params.spec_version ||
      tx.transaction_version != params.transaction_version) {
    return std::string(kBadSignature);  // signed for a runtime the chain has left
  }
  auto cl = clusters.find(tx.cluster);
  if (cl == clusters.end()) return customError(core::CustomError::kUnknownCluster);
  auto pred = predecessorHash(tx.cluster, tx.first_sn);
  if (!pred || *pred != tx.first_prev_hash)
    return customError(core::CustomError::kPrevHashMismatch);
  for (const auto& signers : tx.signers) {
    for (const auto& key : signers) {
      if (!cl->second.workers.count(key)) return customError(core::CustomError::kUnknownSigner);
    }
    if (signers.size() < cl->second.info.threshold)
      return customError(core::CustomError::kBelowThreshold);
  }
  auto acct = accounts.find(tx.signer);
  u128 free = acct == accounts.end() ? 0 : acct->second.free;
  if (free < saturatingAdd(tx.fee, tx.tip)) return std::string(kPayment);
  return std::nullopt;
}

SubmitResult Impl::submitLocked(Prepared p) {
  auto refuse = [&](TxError e) {
    ++rejections[e.reason()];
    return SubmitResult{std::nullopt, e.toJson()};
  };
  if (by_hash.count(p.hash)) {
    return refuse(TxError{1013, "Transaction Already Imported", toHex(p.hash)});
  }
  uint64_t death = UINT64_MAX;
  if (auto err = validate(p, death)) return refuse(*err);

  const auto& items = p.x.call.items;
  const H256 cluster = *items[0].message.clusterId();
  const uint64_t first = items[0].message.sn;
  const uint64_t last = items.back().message.sn;
  // No replacement: neither by tip for a nonce nor at all for an sn.
  if (auto a = by_nonce.find(p.x.signer); a != by_nonce.end() && a->second.count(p.x.extra.nonce)) {
    return refuse(TxError{1014, "Priority is too low",
                          "nonce " + std::to_string(p.x.extra.nonce) + " of " + toHex(p.x.signer) +
                              " is taken by a transaction in the pool"});
  }
  if (auto m = by_first_sn.find(cluster); m != by_first_sn.end()) {
    auto j = m->second.upper_bound(last);
    if (j != m->second.begin()) {
      --j;
      const PoolTx& other = txs.at(j->second);
      if (other.last_sn >= first) {
        uint64_t sn = std::max(first, other.first_sn);
        return refuse(TxError{1014, "Priority is too low",
                              "sn " + std::to_string(sn) + " of cluster " + toHex(cluster) +
                                  " is carried by a transaction in the pool"});
      }
    }
  }
  if (txs.size() >= config.max_pool_transactions) {
    return refuse(TxError{1016, "Immediately Dropped",
                          "the pool is full (" + std::to_string(txs.size()) + " transactions)"});
  }
  if (faults.drop_rate > 0 &&
      std::uniform_real_distribution<double>(0.0, 1.0)(rng) < faults.drop_rate) {
    ++dropped["fault: drop_rate"];
    return SubmitResult{p.hash, nullptr};
  }

  PoolTx tx;
  tx.id = next_id++;
  tx.hash = p.hash;
  tx.signer = p.x.signer;
  tx.nonce = p.x.extra.nonce;
  tx.tip = p.x.extra.tip;
  tx.fee = feeFor(p.bytes.size());
  tx.cluster = cluster;
  tx.first_sn = first;
  tx.last_sn = last;
  tx.first_prev_hash = items[0].message.prev_hash;
  tx.msg_hashes = std::move(p.msg_hashes);
  tx.state_roots.reserve(items.size());
  for (const auto& item : items) tx.state_roots.push_back(item.message.state_root);
  tx.signers.reserve(items.size());
  for (auto& keys : p.recovered) {
    std::vector<crypto::PublicKey> s;
    s.reserve(keys.size());
    for (auto& k : keys) s.push_back(*k);  // all valid: validate() passed
    tx.signers.push_back(std::move(s));
  }
  tx.death = death;
  tx.spec_version = params.spec_version;
  tx.transaction_version = params.transaction_version;
  tx.bytes = std::move(p.bytes);
  const uint64_t id = tx.id;
  by_hash[tx.hash] = id;
  by_nonce[tx.signer][tx.nonce] = id;
  by_first_sn[cluster][first] = id;
  if (death != UINT64_MAX) by_death.emplace(death, id);
  const H256 hash = tx.hash;
  txs.emplace(id, std::move(tx));
  promote({id}, static_cast<uint64_t>(best()) + 1);
  return SubmitResult{hash, nullptr};
}

void Impl::promote(std::vector<uint64_t> work, uint64_t block) {
  while (!work.empty()) {
    const uint64_t id = work.back();
    work.pop_back();
    auto it = txs.find(id);
    if (it == txs.end() || it->second.ready_seq != 0) continue;
    PoolTx& tx = it->second;
    if (tx.nonce != nonceCursor(tx.signer) || tx.first_sn != snCursor(tx.cluster)) continue;
    if (auto reason = recheck(tx, block)) {
      drop(id, *reason);
      continue;
    }
    tx.ready_seq = next_seq++;
    ready[tx.ready_seq] = id;
    ready_nonce[tx.signer] = tx.nonce + 1;
    ready_sn[tx.cluster] = tx.last_sn + 1;
    if (auto a = by_nonce.find(tx.signer); a != by_nonce.end()) {
      if (auto n = a->second.find(tx.nonce + 1); n != a->second.end()) work.push_back(n->second);
    }
    if (auto m = by_first_sn.find(tx.cluster); m != by_first_sn.end()) {
      if (auto s = m->second.find(tx.last_sn + 1); s != m->second.end()) {
        work.push_back(s->second);
      }
    }
  }
}

void Impl::remove(uint64_t id) {
  auto it = txs.find(id);
  if (it == txs.end()) return;
  const PoolTx& tx = it->second;
  by_hash.erase(tx.hash);
  if (auto a = by_nonce.find(tx.signer); a != by_nonce.end()) {
    a->second.erase(tx.nonce);
    if (a->second.empty()) by_nonce.erase(a);
  }
  if (auto m = by_first_sn.find(tx.cluster); m != by_first_sn.end()) {
    m->second.erase(tx.first_sn);
    if (m->second.empty()) by_first_sn.erase(m);
  }
  if (tx.ready_seq != 0) ready.erase(tx.ready_seq);
  if (tx.death != UINT64_MAX) {
    auto [b, e] = by_death.equal_range(tx.death);
    for (auto d = b; d != e; ++d) {
      if (d->second == id) {
        by_death.erase(d);
        break;
      }
    }
  }
  txs.erase(it);
}

void Impl::drop(uint64_t id, const std::string& reason) {
  ++dropped[reason];
  remove(id);
}

void Impl::rebuildReadiness(uint64_t block) {
  // Mortal transactions that cannot enter `block` any more.
  while (!by_death.empty() && by_death.begin()->first <= block) {
    drop(by_death.begin()->second, kAncientBirth);
  }
  // Defensive: nothing in the pool may be stale (each nonce and sn is held by one tx only).
  std::vector<uint64_t> stale;
  for (const auto& [account, m] : by_nonce) {
    const uint32_t n = accountNonce(account);
    for (auto j = m.begin(); j != m.end() && j->first < n; ++j) stale.push_back(j->second);
  }
  for (const auto& [cluster, m] : by_first_sn) {
    const uint64_t n = clusters.at(cluster).queue.next_sn;
    for (auto j = m.begin(); j != m.end() && j->first < n; ++j) stale.push_back(j->second);
  }
  for (uint64_t id : stale) {
    if (txs.count(id)) drop(id, kOutdated);
  }

  // Transactions ready before keep their place when they still are (their order was a valid
  // inclusion order); newly ready ones follow.
  std::vector<std::pair<uint64_t, uint64_t>> old(ready.begin(), ready.end());
  ready.clear();
  ready_nonce.clear();
  ready_sn.clear();
  for (const auto& [seq, id] : old) txs.at(id).ready_seq = 0;
  for (const auto& [seq, id] : old) {
    auto it = txs.find(id);
    if (it == txs.end()) continue;
    PoolTx& tx = it->second;
    if (tx.nonce != nonceCursor(tx.signer) || tx.first_sn != snCursor(tx.cluster)) continue;
    if (auto reason = recheck(tx, block)) {
      drop(id, *reason);
      continue;
    }
    tx.ready_seq = seq;
    ready[seq] = id;
    ready_nonce[tx.signer] = tx.nonce + 1;
    ready_sn[tx.cluster] = tx.last_sn + 1;
  }
  std::vector<uint64_t> work;
  for (const auto& [account, m] : by_nonce) {
    if (auto j = m.find(nonceCursor(account)); j != m.end()) work.push_back(j->second);
  }
  for (const auto& [cluster, m] : by_first_sn) {
    if (auto j = m.find(snCursor(cluster)); j != m.end()) work.push_back(j->second);
  }
  promote(std::move(work), block);
}

std::vector<AckEvent> Impl::produceLocked() {
  const uint32_t number = best() + 1;
  const int64_t block_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<AckEvent> events;
  std::vector<uint64_t> included;
  std::vector<std::pair<uint64_t, std::string>> drops;
  std::vector<std::string> ack_keys;
  codec::Encoder ext_hashes;

  for (const auto& [seq, id] : ready) {
    if (included.size() >= config.max_block_extrinsics) break;
    const PoolTx& tx = txs.at(id);
    auto cl = clusters.find(tx.cluster);
    // A predecessor failed earlier in this block: the tx waits again (readiness is rebuilt).
    if (tx.nonce != accountNonce(tx.signer) || tx.first_sn != cl->second.queue.next_sn) continue;
    if (auto reason = recheck(tx, number)) {
      drops.emplace_back(id, *reason);
      continue;
    }
    Account& acct = accounts.at(tx.signer);  // exists: it paid the fee check
    acct.free -= tx.fee + tx.tip;
    acct.fees_paid += tx.fee;
    acct.tips_paid += tx.tip;
    acct.nonce += 1;
    const u128 reward = cl->second.info.reward_per_message;
    for (size_t i = 0; i < tx.msg_hashes.size(); ++i) {
      AckEvent ev;
      ev.cluster = tx.cluster;
      ev.sn = tx.first_sn + i;
      ev.record = core::AckRecord{tx.msg_hashes[i], tx.state_roots[i], tx.signer, number, reward};
      std::string key = keyString(core::acksKey(tx.cluster, ev.sn));
      storage[key] = core::encode(ev.record);
      if (config.ack_retention_blocks != 0) ack_keys.push_back(std::move(key));
      acct.free = saturatingAdd(acct.free, reward);
      acct.rewards = saturatingAdd(acct.rewards, reward);
      events.push_back(std::move(ev));
    }
    cl->second.queue = core::QueueState{tx.last_sn + 1, tx.msg_hashes.back()};
    cl->second.advanced_ms = block_ms;
    accepted[tx.cluster] += tx.msg_hashes.size();
    writeQueue(tx.cluster);
    writeAccount(tx.signer);
    if (acct.rewards != 0) {
      storage[keyString(core::hunterRewardsKey(tx.signer))] = core::encodeU128(acct.rewards);
    }
    ext_hashes.fixed(tx.hash);
    included.push_back(id);
  }

  Header h;
  h.parent = headers.back().hash;
  h.number = number;
  h.extrinsics_root = crypto::blake2_256(ext_hashes.data());
  // Not a trie root: a commitment chained from the parent's and this block's extrinsics, which
  // determine the state change completely.
  codec::Encoder sr;
  sr.fixed(headers.back().state_root).u32(number).fixed(h.extrinsics_root);
  h.state_root = crypto::blake2_256(sr.data());
  h.hash = headerHash(h);
  headers.push_back(h);
  number_by_hash[h.hash] = number;

  if (config.ack_retention_blocks != 0) {
    if (!ack_keys.empty()) ack_keys_by_block.emplace_back(number, std::move(ack_keys));
    while (!ack_keys_by_block.empty() &&
           static_cast<uint64_t>(ack_keys_by_block.front().first) + config.ack_retention_blocks <
               number) {
      for (const auto& k : ack_keys_by_block.front().second) storage.erase(k);
      ack_keys_by_block.pop_front();
    }
  }

  for (uint64_t id : included) remove(id);
  for (const auto& [id, reason] : drops) drop(id, reason);
  enactUpgrade(number);
  rebuildReadiness(static_cast<uint64_t>(number) + 1);
  return events;
}

nlohmann::json Impl::stateJson() const {
  using nlohmann::json;
  json j;
  j["best"] = best();
  j["best_hash"] = toHex(headers.back().hash);
  j["genesis_hash"] = toHex(params.genesis_hash);
  j["runtime"] = {{"spec_version", params.spec_version},
                  {"transaction_version", params.transaction_version},
                  {"enacted_at", runtimes.rbegin()->first}};
  j["pool"] = txs.size();
  j["pool_ready"] = ready.size();
  j["pool_waiting"] = txs.size() - ready.size();
  json cl = json::object();
  for (const auto& [id, c] : clusters) {
    auto a = accepted.find(id);
    cl[toHex(id)] = {{"next_sn", c.queue.next_sn},
                     {"last_hash", toHex(c.queue.last_hash)},
                     {"accepted", a == accepted.end() ? 0 : a->second},
                     {"pool_next_sn", snCursor(id)},
                     {"advanced_ms", c.advanced_ms},
                     {"threshold", c.info.threshold},
                     {"workers", c.info.workers.size()}};
  }
  j["clusters"] = std::move(cl);
  json ac = json::object();
  for (const auto& [id, a] : accounts) {
    ac[toHex(id)] = {{"free", u128ToString(a.free)},
                     {"fees_paid", u128ToString(a.fees_paid)},
                     {"tips_paid", u128ToString(a.tips_paid)},
                     {"rewards", u128ToString(a.rewards)},
                     {"nonce", a.nonce},
                     {"next_index", nonceCursor(id)}};
  }
  j["accounts"] = std::move(ac);
  j["rejections"] = json::object();
  for (const auto& [k, v] : rejections) j["rejections"][k] = v;
  j["dropped"] = json::object();
  for (const auto& [k, v] : dropped) j["dropped"][k] = v;
  j["faults"] = {
      {"unavailable", faults.unavailable}, {"latency_ms", faults.latency_ms},
      {"drop_rate", faults.drop_rate},     {"submit_reply_delay_ms", faults.submit_reply_delay_ms},
      {"lag_blocks", faults.lag_blocks},   {"query_info_fails", faults.query_info_fails}};
  return j;
}

}  // namespace detail

Status DevChain::validateConfig(const ChainConfig& config) {
  if (config.max_block_extrinsics == 0) {
    return makeError("config", "max_block_extrinsics must be at least 1");
  }
  std::set<H256> ids;
  for (const auto& c : config.clusters) {
    const std::string name = "cluster " + toHex(c.id);
    if (!ids.insert(c.id).second) return makeError("config", name + " is listed twice");
    if (c.workers.empty() || c.workers.size() > core::kMaxWorkers) {
      return makeError("config", name + ": needs 1.." + std::to_string(core::kMaxWorkers) +
                                     " workers, has " + std::to_string(c.workers.size()));
    }
    std::set<crypto::PublicKey> keys;
    for (const auto& w : c.workers) {
      if (!crypto::isValidPublicKey(w)) {
        return makeError(
            "config", name + ": worker " + toHex(w) + " is not a compressed secp256k1 public key");
      }
      if (!keys.insert(w).second) {
        return makeError("config", name + ": worker " + toHex(w) + " is listed twice");
      }
    }
    if (c.threshold == 0 || c.threshold > c.workers.size()) {
      return makeError("config", name + ": threshold " + std::to_string(c.threshold) +
                                     " is not within 1.." + std::to_string(c.workers.size()));
    }
  }
  std::set<crypto::AccountId32> accounts;
  for (const auto& a : config.accounts) {
    if (!accounts.insert(a.account).second) {
      return makeError("config", "account " + toHex(a.account) + " is listed twice");
    }
  }
  return okStatus();
}

DevChain::DevChain(ChainConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
DevChain::~DevChain() = default;

SubmitResult DevChain::submit(const Bytes& extrinsic) {
  auto prepared = detail::prepare(extrinsic);
  std::lock_guard lock(impl_->mu);
  if (!prepared.ok()) {
    detail::TxError e{1001, "Extrinsic has invalid format", prepared.error().message};
    ++impl_->rejections[e.reason()];
    return SubmitResult{std::nullopt, e.toJson()};
  }
  return impl_->submitLocked(std::move(prepared).value());
}

uint32_t DevChain::produceBlock() {
  std::lock_guard produce(impl_->produce_mu);
  std::vector<detail::AckEvent> events;
  std::vector<AckListener> listeners;
  uint32_t number = 0;
  {
    std::lock_guard lock(impl_->mu);
    events = impl_->produceLocked();
    number = impl_->best();
    if (!events.empty()) listeners = impl_->listeners;
  }
  for (const auto& ev : events) {
    for (const auto& l : listeners) l(ev.cluster, ev.sn, ev.record);
  }
  return number;
}

uint32_t DevChain::bestNumber() const {
  std::lock_guard lock(impl_->mu);
  return impl_->best();
}

H256 DevChain::genesisHash() const { return impl_->params.genesis_hash; }  // immutable

core::ChainParams DevChain::params() const {
  std::lock_guard lock(impl_->mu);
  return impl_->params;
}

void DevChain::scheduleUpgrade(uint32_t spec_version, uint32_t transaction_version) {
  std::lock_guard lock(impl_->mu);
  impl_->pending_upgrade = std::make_pair(spec_version, transaction_version);
}

std::pair<uint32_t, uint32_t> DevChain::runtimeAt(uint64_t number) const {
  std::lock_guard lock(impl_->mu);
  return impl_->runtimeAtLocked(number);
}

std::optional<Bytes> DevChain::storage(const Bytes& key) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->storage.find(std::string(key.begin(), key.end()));
  if (it == impl_->storage.end()) return std::nullopt;
  return it->second;
}

std::optional<core::AckRecord> DevChain::ack(const H256& cluster, uint64_t sn) const {
  auto v = storage(core::acksKey(cluster, sn));
  if (!v) return std::nullopt;
  auto rec = core::decodeAckRecord(*v);
  if (!rec.ok()) return std::nullopt;
  return *rec;
}

core::QueueState DevChain::queue(const H256& cluster) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->clusters.find(cluster);
  return it == impl_->clusters.end() ? core::QueueState{} : it->second.queue;
}

uint64_t DevChain::nextSn(const H256& cluster) const {
  std::lock_guard lock(impl_->mu);
  return impl_->snCursor(cluster);
}

uint32_t DevChain::accountNextIndex(const crypto::AccountId32& a) const {
  std::lock_guard lock(impl_->mu);
  return impl_->nonceCursor(a);
}

u128 DevChain::freeBalance(const crypto::AccountId32& a) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->accounts.find(a);
  return it == impl_->accounts.end() ? 0 : it->second.free;
}

std::optional<H256> DevChain::blockHash(uint64_t number) const {
  std::lock_guard lock(impl_->mu);
  if (number >= impl_->headers.size()) return std::nullopt;
  return impl_->headers[number].hash;
}

u128 DevChain::feeFor(size_t extrinsic_len) const { return impl_->feeFor(extrinsic_len); }

size_t DevChain::poolSize() const {
  std::lock_guard lock(impl_->mu);
  return impl_->txs.size();
}

size_t DevChain::readyCount() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ready.size();
}

void DevChain::addAckListener(AckListener listener) {
  std::lock_guard lock(impl_->mu);
  impl_->listeners.push_back(std::move(listener));
}

void DevChain::setFaults(const ChainFaults& faults) {
  std::lock_guard lock(impl_->mu);
  impl_->faults = faults;
}

ChainFaults DevChain::faults() const {
  std::lock_guard lock(impl_->mu);
  return impl_->faults;
}

nlohmann::json DevChain::stateJson() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stateJson();
}

}  // namespace hunter::devnet
