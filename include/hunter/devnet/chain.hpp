#pragma once
// The devnet's chain: an in-memory Substrate-style runtime with the PhalaClusterMq pallet, a
// transaction pool that validates every extrinsic as docs/protocol.md §4 says, and block
// production. No I/O and no clock: the devnet process calls produceBlock() every block_ms and
// serves handleRpc() over HTTP. All public methods are thread-safe (one internal mutex).
//
// SEAM: this header is shared by the chain implementation and the devnet process wiring.
// Add to it; do not change what is here without telling the other side.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hunter/core/extrinsic.hpp"
#include "hunter/core/storage.hpp"

namespace hunter::devnet {

struct GenesisCluster {
  H256 id{};
  std::vector<crypto::PublicKey> workers;
  uint32_t threshold = 0;
  u128 reward_per_message = 0;
};

struct GenesisAccount {
  crypto::AccountId32 account{};
  u128 free = 0;
};

struct ChainConfig {
  std::string chain_name = "Phala Cluster Devnet";
  uint32_t spec_version = 1000;
  uint32_t transaction_version = 1;
  u128 base_fee = 1'000'000;  // fee = base_fee + byte_fee * len(extrinsic)
  u128 byte_fee = 1'000;
  size_t max_block_extrinsics = 4096;
  std::vector<GenesisCluster> clusters;
  std::vector<GenesisAccount> accounts;
  // Additions (chain implementation):
  // The pool refuses new transactions (1016 "Immediately Dropped") once it holds this many.
  size_t max_pool_transactions = 16384;
  // Acks[cluster][sn] is kept for at least this many blocks after inclusion, then pruned
  // (docs/protocol.md §4.6: at least 14,400). 0 keeps every ack forever.
  uint32_t ack_retention_blocks = 14400;
  // Seed of the generator behind ChainFaults::drop_rate (the chain reads no clock).
  uint64_t fault_seed = 0x5eed;
  // A runtime upgrade enacted by this block (0: none) to these versions (see scheduleUpgrade).
  uint32_t upgrade_at_block = 0;
  uint32_t upgrade_spec_version = 0;
  uint32_t upgrade_transaction_version = 0;
  // chain_getFinalizedHead answers the block this many below the best (0: finality is instant),
  // as a chain whose finality gadget trails block production does.
  uint32_t finality_lag_blocks = 0;
};

// Protocol limits the chain enforces (additions).
inline constexpr uint64_t kMaxSnAhead = 1024;           // "will be valid in the future" beyond
inline constexpr size_t kMaxExtrinsicBytes = 8u << 20;  // larger submissions: 1001

// Chain faults, changeable while running.
struct ChainFaults {
  bool unavailable = false;  // every RPC answers HTTP 503
  uint32_t latency_ms = 0;   // added before answering (applied by the HTTP wiring)
  double drop_rate = 0.0;    // share of accepted submissions silently dropped from the pool
  // author_submitExtrinsic is answered this late, after the pool took (or refused) the
  // transaction: a client killed meanwhile does not know its submission arrived.
  uint32_t submit_reply_delay_ms = 0;
  // JSON-RPC on the path /lagging answers as a node this many blocks behind (handleRpcBody).
  uint32_t lag_blocks = 0;
  // payment_queryInfo answers an error (-32603) while the rest works.
  bool query_info_fails = false;
};

// What a submission returned: the tx hash, or a JSON-RPC error object
// ({"code": 1010, "message": "Invalid Transaction", "data": "Custom error: 6"}).
struct SubmitResult {
  std::optional<H256> tx_hash;
  nlohmann::json error;  // null when accepted
};

// Called once per message included in a block, after the block's state is written.
using AckListener = std::function<void(const H256& cluster, uint64_t sn, const core::AckRecord&)>;

// Chain-side semantics where docs/protocol.md leaves room (additions, see src/devnet/chain.cpp):
// - A transaction is validated for the block that would include it (best + 1, as Substrate
//   does): a mortal era's birth block is era.birth(best + 1) and must already exist, else
//   "ancient birth block"; a period that ended shows as "bad signature" (another birth block).
// - Call checks: 8 on every item, then 7, 1, stale / too-far sn, 6; signatures per item in
//   order (2, 5, 4) and that item's threshold (3) before the next item.
// - Pool order is the order transactions became ready (no tip priority); no replacement by tip
//   (1014) for nonces either. Pool full: 1016 "Immediately Dropped".
// - Waiting transactions are rechecked (era, prev_hash, signers, fee) when they become ready and
//   again at inclusion; failures are dropped without a fee and counted in stateJson().dropped.
// - author_pendingExtrinsics lists the ready transactions (as Substrate does); state reads
//   accept `at` (a known block hash) but answer from the latest state.
// - Block hash = blake2_256(SCALE header: parent, Compact(number), state_root, extrinsics_root,
//   empty digest); state_root is a chained commitment, not a trie root.
class DevChain {
 public:
  // Throws std::invalid_argument when validateConfig(config) fails.
  explicit DevChain(ChainConfig config);
  ~DevChain();

  // Addition: a usable genesis? Distinct cluster ids and accounts, valid compressed worker keys
  // without repeats, 1 <= threshold <= workers, max_block_extrinsics >= 1.
  static Status validateConfig(const ChainConfig& config);

  // JSON-RPC 2.0: one request object in, one response object out (never throws; malformed
  // requests get the JSON-RPC error objects -32700/-32600/-32601/-32602).
  nlohmann::json handleRpc(const nlohmann::json& request);
  // Raw body in, raw body out (parse errors -> -32700). Supports batch arrays.
  std::string handleRpcBody(const std::string& body);
  // Addition: the same, served as a node `lag_blocks` behind would: its best block is that far
  // back, a block newer than that is unknown (an error, never "absent"), and Acks, Queues and
  // pha_clusterMqNextSn answer as of its best block (rebuilt from the ACKs' blocks).
  nlohmann::json handleRpc(const nlohmann::json& request, uint32_t lag_blocks);
  std::string handleRpcBody(const std::string& body, uint32_t lag_blocks);

  SubmitResult submit(const Bytes& extrinsic);
  // Includes ready transactions (in pool order, up to max_block_extrinsics), charges fees,
  // writes Queues / Acks / HunterRewards / balances / nonces, calls the ack listeners.
  // Returns the new block number. The listeners run on the calling thread after the state lock
  // is released (they may call any method except produceBlock); blocks are serialized.
  uint32_t produceBlock();

  uint32_t bestNumber() const;
  H256 genesisHash() const;
  core::ChainParams params() const;  // the runtime of the best block: what submissions need
  // Addition: a runtime upgrade, enacted by the next block, as Substrate enacts set_code: that
  // block is still executed by the old runtime; state_getRuntimeVersion at it and after it
  // answers the new versions, and from then on a signed payload must carry them. Transactions
  // in the pool signed for the old ones are dropped ("bad signature") when it is produced.
  void scheduleUpgrade(uint32_t spec_version, uint32_t transaction_version);
  // The runtime versions (spec, transaction) of block `number`.
  std::pair<uint32_t, uint32_t> runtimeAt(uint64_t number) const;
  std::optional<Bytes> storage(const Bytes& key) const;
  std::optional<core::AckRecord> ack(const H256& cluster, uint64_t sn) const;
  core::QueueState queue(const H256& cluster) const;
  uint64_t nextSn(const H256& cluster) const;                     // pha_clusterMqNextSn
  uint32_t accountNextIndex(const crypto::AccountId32& a) const;  // pool-aware
  u128 freeBalance(const crypto::AccountId32& a) const;
  // Additions.
  std::optional<H256> blockHash(uint64_t number) const;  // nullopt for an unknown block
  u128 feeFor(size_t extrinsic_len) const;               // base_fee + byte_fee * len
  size_t poolSize() const;                               // ready + waiting
  size_t readyCount() const;

  void addAckListener(AckListener listener);
  void setFaults(const ChainFaults& faults);
  ChainFaults faults() const;

  // For GET /devnet/state: per cluster produced (filled in by the wiring) vs accepted sns,
  // rewards and fees per account, rejections by reason, pool size, best block.
  nlohmann::json stateJson() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hunter::devnet
