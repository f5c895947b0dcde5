#include "hunter/adapters/shared_chain_head.hpp"

namespace hunter::adapters {

// The first caller that finds no read on the wire sends its batch, with every call that joined
// it meanwhile; the others wait until their batch is done (or until the wire is free and their
// batch is not sent yet, when one of them sends it).
Result<core::ChainHead> SharedChainHead::head(const H256& cluster) {
  std::unique_lock lock(mu_);
  if (!open_) open_ = std::make_shared<Batch>();
  std::shared_ptr<Batch> batch = open_;
  const size_t index = batch->clusters.size();
  batch->clusters.push_back(cluster);
  cv_.wait(lock, [&] { return batch->done || !busy_; });
  if (!batch->done) {
    busy_ = true;
    open_.reset();  // later calls collect into the next batch
    const std::vector<H256> clusters = batch->clusters;
    lock.unlock();
    auto results = read_(clusters);
    lock.lock();
    results.resize(clusters.size(),
                   makeError("bad_response", "chain head: no answer for this cluster"));
    batch->results = std::move(results);
    batch->done = true;
    busy_ = false;
    ++reads_;
    cv_.notify_all();
  }
  return batch->results[index];
}

uint64_t SharedChainHead::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

size_t SharedChainHead::waiting() const {
  std::lock_guard lock(mu_);
  return open_ ? open_->clusters.size() : 0;
}

}  // namespace hunter::adapters
