#pragma once
// Private to the devnet chain: the state behind DevChain, shared by chain.cpp (pool, blocks)
// and chain_rpc.cpp (JSON-RPC). Everything here is guarded by Impl::mu unless stated.
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "hunter/core/chain_answer.hpp"
#include "hunter/devnet/chain.hpp"

namespace hunter::devnet::detail {

struct H256Hash {
  size_t operator()(const H256& h) const {
    size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

// The data strings of code 1010 (docs/protocol.md §4.2), from the one vocabulary the hunter
// reads them with (core/chain_answer.hpp).
inline const std::string kOutdated{core::invalidTransactionData(core::Rejection::kOutdated)};
inline const std::string kFuture{core::invalidTransactionData(core::Rejection::kFuture)};
inline const std::string kBadSignature{
    core::invalidTransactionData(core::Rejection::kBadSignature)};
inline const std::string kAncientBirth{
    core::invalidTransactionData(core::Rejection::kAncientBirth)};
inline const std::string kPayment{core::invalidTransactionData(core::Rejection::kCannotPay)};
inline std::string customError(core::CustomError e) { return core::customErrorData(e); }

// A submission refused: a JSON-RPC error object.
struct TxError {
  int code = 0;
  std::string message;
  std::string data;
  nlohmann::json toJson() const;
  // The key rejections are counted under: the data of 1010, else the message.
  std::string reason() const { return code == 1010 ? data : message; }
};
TxError invalidTx(std::string data);

// What a submission's bytes say on their own, worked out before taking the lock (decoding,
// message hashes and the recovery of every worker signature dominate the cost).
struct Prepared {
  Bytes bytes;
  H256 hash{};
  core::DecodedExtrinsic x;
  std::vector<H256> msg_hashes;  // per item
  // Per item, per signature in order: the recovered worker key, or nullopt (custom error 2).
  std::vector<std::vector<std::optional<crypto::PublicKey>>> recovered;
};

struct PoolTx {
  uint64_t id = 0;
  Bytes bytes;
  H256 hash{};
  crypto::AccountId32 signer{};
  uint32_t nonce = 0;
  u128 tip = 0;
  u128 fee = 0;
  H256 cluster{};
  uint64_t first_sn = 0;
  uint64_t last_sn = 0;
  H256 first_prev_hash{};
  std::vector<H256> msg_hashes;
  std::vector<H256> state_roots;
  std::vector<std::vector<crypto::PublicKey>> signers;  // recovered, per item
  uint64_t death = UINT64_MAX;                          // first block it is invalid in
  uint32_t spec_version = 0;  // the runtime it was signed (and validated) for
  uint32_t transaction_version = 0;
  uint64_t ready_seq = 0;  // 0 = waiting
};

struct Account {
  uint32_t nonce = 0;
  u128 free = 0;
  u128 fees_paid = 0;
  u128 tips_paid = 0;
  u128 rewards = 0;
};

struct Cluster {
  core::ClusterInfo info;
  std::set<crypto::PublicKey> workers;
  core::QueueState queue;
  // Wall clock (ms since the epoch) of the block that last moved `queue`, 0 before any: the
  // benchmark reads the moment a backlog was cleared from it instead of polling finely.
  int64_t advanced_ms = 0;
};

struct Header {
  H256 parent{};
  uint32_t number = 0;
  H256 state_root{};
  H256 extrinsics_root{};
  H256 hash{};
};

struct AckEvent {
  H256 cluster{};
  uint64_t sn = 0;
  core::AckRecord record;
};

struct Impl {
  explicit Impl(ChainConfig c);

  ChainConfig config;
  core::ChainParams params;  // genesis hash, and the runtime of the best block
  // Runtime versions (spec, transaction) by the block that enacted them (0: genesis).
  std::map<uint32_t, std::pair<uint32_t, uint32_t>> runtimes;
  std::optional<std::pair<uint32_t, uint32_t>> pending_upgrade;  // enacted by the next block
  ChainFaults faults;

  mutable std::mutex mu;
  std::mutex produce_mu;  // serializes produceBlock, including its listener calls
  std::vector<AckListener> listeners;

  // Chain state.
  std::map<crypto::AccountId32, Account> accounts;
  std::map<H256, Cluster> clusters;
  std::unordered_map<std::string, Bytes> storage;  // key bytes -> SCALE value
  std::vector<Header> headers;
  std::unordered_map<H256, uint32_t, H256Hash> number_by_hash;
  std::deque<std::pair<uint32_t, std::vector<std::string>>> ack_keys_by_block;

  // Pool.
  uint64_t next_id = 1;
  uint64_t next_seq = 1;
  std::unordered_map<uint64_t, PoolTx> txs;
  std::unordered_map<H256, uint64_t, H256Hash> by_hash;
  std::map<crypto::AccountId32, std::map<uint32_t, uint64_t>> by_nonce;
  std::map<H256, std::map<uint64_t, uint64_t>> by_first_sn;  // sn ranges never overlap
  std::map<uint64_t, uint64_t> ready;                        // ready_seq -> id
  std::multimap<uint64_t, uint64_t> by_death;                // mortal txs only
  std::map<crypto::AccountId32, uint32_t> ready_nonce;       // account nonce + ready txs
  std::map<H256, uint64_t> ready_sn;                         // queue next_sn + ready sns

  // Counters for stateJson.
  std::map<std::string, uint64_t> rejections;
  std::map<std::string, uint64_t> dropped;
  std::map<H256, uint64_t> accepted;
  std::mt19937_64 rng;

  uint32_t best() const { return headers.back().number; }
  std::pair<uint32_t, uint32_t> runtimeAtLocked(uint64_t number) const;
  void enactUpgrade(uint32_t number);  // at the block `number` just made
  u128 feeFor(size_t len) const;
  uint32_t accountNonce(const crypto::AccountId32& a) const;
  uint32_t nonceCursor(const crypto::AccountId32& a) const;
  uint64_t snCursor(const H256& cluster) const;

  // Storage writes mirror the typed state.
  void writeAccount(const crypto::AccountId32& a);
  void writeQueue(const H256& cluster);

  std::optional<TxError> validate(const Prepared& p, uint64_t& death) const;
  SubmitResult submitLocked(Prepared p);
  // A tx whose nonce and sn cursors match becomes ready after `recheck`; cascades.
  void promote(std::vector<uint64_t> work, uint64_t block);
  // The checks that depend on chain state, as they stand for inclusion in `block`.
  std::optional<std::string> recheck(const PoolTx& tx, uint64_t block) const;
  // The hash the tx's first message must link to, if its predecessor is known.
  std::optional<H256> predecessorHash(const H256& cluster, uint64_t first_sn) const;
  void remove(uint64_t id);
  void drop(uint64_t id, const std::string& reason);
  void rebuildReadiness(uint64_t block);
  std::vector<AckEvent> produceLocked();

  nlohmann::json stateJson() const;
};

// Decoding and signature recovery, without the lock. Error: 1001.
Result<Prepared> prepare(const Bytes& extrinsic);

}  // namespace hunter::devnet::detail

namespace hunter::devnet {
struct DevChain::Impl : detail::Impl {
  using detail::Impl::Impl;
};
}  // namespace hunter::devnet
