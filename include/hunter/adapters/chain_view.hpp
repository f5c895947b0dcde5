#pragma once
// One view of the chain for every cluster, read once per block. The relays of all clusters ask
// for their cluster's head (best block, runtime version, queue, next sn) on their own threads,
// every round. The view answers from what it read at the best block, and asks the node at most
// once every `check_ms` whether the best block moved (one small request); only a new block (or
// a cluster it has not read yet) costs a read, and that read carries every cluster in one
// JSON-RPC batch. So the requests a second stay those of the block rate and the check rate,
// however many clusters poll and however often. Calls that come while a read is on the wire
// wait for it (no second read). Thread-safe.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "hunter/core/ports.hpp"

namespace hunter::adapters {

class ChainView {
 public:
  struct Reads {
    // The best block's hash (chain_getBlockHash with no number).
    std::function<Result<H256>()> best_hash;
    // The heads of `clusters` at block `at`, one result per cluster, in order.
    std::function<std::vector<Result<core::ChainHead>>(const H256& at,
                                                       const std::vector<H256>& clusters)>
        at_block;
  };

  // `now_ms`: a monotonic clock in ms.
  ChainView(Reads reads, int64_t check_ms, std::function<int64_t()> now_ms);

  // Clusters to read at every new block from now on (a cluster asked for is added too).
  void watch(const std::vector<H256>& clusters);
  // The cluster's head at the newest block seen, at most `check_ms` old; its age_ms says how
  // long ago it was read.
  Result<core::ChainHead> head(const H256& cluster);

  uint64_t blockReads() const;  // block reads made so far (each one batch for its clusters)
  size_t waiting() const;       // calls waiting for a read on the wire (for tests)

 private:
  struct Entry {
    Result<core::ChainHead> head;
    int64_t read_ms = 0;
  };
  std::optional<Result<core::ChainHead>> cached(const H256& cluster, int64_t now) const;
  bool confirmed(int64_t now) const;  // best_ is known and was checked less than check_ms ago
  std::vector<H256> unread() const;   // known clusters with no good entry at the current block
  void refresh(std::unique_lock<std::mutex>& lock);

  Reads reads_;
  int64_t check_ms_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<H256> known_;  // every cluster asked for: all are read at each new block
  std::map<H256, Entry> heads_;
  std::optional<H256> best_;  // the block heads_ was read at
  int64_t checked_ms_ = 0;    // when best_ was last confirmed the best block
  bool busy_ = false;         // a check or read is on the wire
  uint64_t refreshes_ = 0;
  std::optional<Error> failed_;  // the last refresh's check failed with this
  size_t waiting_ = 0;
  uint64_t block_reads_ = 0;
};

}  // namespace hunter::adapters
