#pragma once
// One chain read for many clusters (group commit). The relays of all clusters ask for their
// cluster's chain head (best block, queue, next sn) on their own threads; a call made while
// another read is on the wire waits for it, and then every call that waited goes out together
// in one read, the best block once for all. So the JSON-RPC requests a second grow with the
// rounds that overlap, not with the clusters: one request carries the heads of every cluster
// that asked meanwhile. Thread-safe.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "hunter/core/ports.hpp"

namespace hunter::adapters {

class SharedChainHead {
 public:
  // Reads the heads of `clusters` at once; one result per cluster, in order.
  using ReadHeads =
      std::function<std::vector<Result<core::ChainHead>>(const std::vector<H256>& clusters)>;

  explicit SharedChainHead(ReadHeads read) : read_(std::move(read)) {}

  Result<core::ChainHead> head(const H256& cluster);
  uint64_t reads() const;  // reads made so far
  size_t waiting() const;  // calls waiting for the next read (for tests)

 private:
  struct Batch {
    std::vector<H256> clusters;
    std::vector<Result<core::ChainHead>> results;
    bool done = false;
  };
  ReadHeads read_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Batch> open_;  // collecting calls
  bool busy_ = false;            // a read is on the wire
  uint64_t reads_ = 0;
};

}  // namespace hunter::adapters
