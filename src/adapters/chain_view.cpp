#include "hunter/adapters/chain_view.hpp"

#include <exception>
#include <string>

namespace hunter::adapters {

ChainView::ChainView(Reads reads, int64_t check_ms, std::function<int64_t()> now_ms)
    : reads_(std::move(reads)), check_ms_(check_ms), now_ms_(std::move(now_ms)) {}

void ChainView::watch(const std::vector<H256>& clusters) {
  std::lock_guard lock(mu_);
  known_.insert(clusters.begin(), clusters.end());
}

// A call is served from the view when the best block was confirmed less than check_ms ago and
// the cluster has an entry read at it; otherwise one caller refreshes the view while the others
// wait for that refresh, then look again. A refresh whose check failed fails those who waited.
Result<core::ChainHead> ChainView::head(const H256& cluster) {
  std::unique_lock lock(mu_);
  known_.insert(cluster);
  for (;;) {
    if (auto hit = cached(cluster, now_ms_())) return *hit;
    if (!busy_) break;
    const uint64_t seen = refreshes_;
    ++waiting_;
    cv_.wait(lock, [&] { return refreshes_ != seen; });
    --waiting_;
    if (failed_) return *failed_;
  }
  refresh(lock);
  if (failed_) return *failed_;
  auto it = heads_.find(cluster);
  if (it == heads_.end())
    return makeError("bad_response", "chain head: no answer for this cluster");
  if (auto hit = cached(cluster, now_ms_())) return *hit;
  return it->second.head;  // read just now, yet check_ms passed meanwhile
}

std::optional<Result<core::ChainHead>> ChainView::cached(const H256& cluster, int64_t now) const {
  if (!confirmed(now)) return std::nullopt;
  auto it = heads_.find(cluster);
  if (it == heads_.end()) return std::nullopt;
  if (!it->second.head.ok()) return it->second.head;
  core::ChainHead h = *it->second.head;
  h.age_ms = std::max<int64_t>(0, now - it->second.read_ms);
  return Result<core::ChainHead>(std::move(h));
}

bool ChainView::confirmed(int64_t now) const {
  return best_.has_value() && now - checked_ms_ < check_ms_;
}

std::vector<H256> ChainView::unread() const {
  std::vector<H256> out;
  for (const auto& c : known_) {
    auto it = heads_.find(c);
    if (it == heads_.end() || !it->second.head.ok()) out.push_back(c);
  }
  return out;
}

// Checks the best block (one request) unless it was confirmed less than check_ms ago; reads
// every known cluster at a new block, or only those not read yet (or whose read failed) at the
// same one. Called with the lock held; unlocks it while on the wire.
void ChainView::refresh(std::unique_lock<std::mutex>& lock) {
  busy_ = true;
  const int64_t now = now_ms_();
  const bool check = !confirmed(now);
  const std::optional<H256> had = best_;
  const std::vector<H256> all(known_.begin(), known_.end());
  const std::vector<H256> missing = unread();
  lock.unlock();
  Result<H256> best = makeError("internal", "chain view: no answer");
  std::vector<H256> toRead;
  std::vector<Result<core::ChainHead>> got;
  try {
    best = check ? reads_.best_hash() : Result<H256>(*had);
    if (best.ok()) toRead = (had && *had == *best) ? missing : all;
    if (!toRead.empty()) got = reads_.at_block(*best, toRead);
  } catch (const std::exception& e) {  // never leave busy_ set: every cluster would wait
    best = makeError("internal", std::string("chain view: ") + e.what());
    toRead.clear();
  }
  got.resize(toRead.size(), makeError("bad_response", "chain head: no answer for this cluster"));
  const int64_t answered = now_ms_();
  lock.lock();
  if (!toRead.empty()) ++block_reads_;
  failed_.reset();
  if (!best.ok()) {
    failed_ = best.error();
  } else {
    if (!best_ || *best_ != *best) heads_.clear();
    best_ = *best;
    // From the answer, not the question: a read slower than check_ms still serves its waiters.
    if (check) checked_ms_ = answered;
    for (size_t k = 0; k < toRead.size(); ++k) {
      heads_.insert_or_assign(toRead[k], Entry{got[k], now});
    }
  }
  busy_ = false;
  ++refreshes_;
  cv_.notify_all();
}

uint64_t ChainView::blockReads() const {
  std::lock_guard lock(mu_);
  return block_reads_;
}

size_t ChainView::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace hunter::adapters
