#include "hunter/app/round_scheduler.hpp"

#include <algorithm>

namespace hunter::app {

RoundScheduler::RoundScheduler(size_t tasks, size_t threads, Round round)
    : tasks_(tasks),
      threads_(std::max<size_t>(1, std::min(threads, tasks))),
      round_(std::move(round)) {}

RoundScheduler::~RoundScheduler() { stop(); }

void RoundScheduler::start() {
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    for (size_t i = 0; i < tasks_; ++i) due_.push(Due{now, seq_++, i});
  }
  if (tasks_ == 0) return;
  for (size_t t = 0; t < threads_; ++t) pool_.emplace_back([this] { work(); });
}

void RoundScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : pool_) t.join();
  pool_.clear();
}

// A task taken off the queue is back on it only after its round: no task runs twice at once.
void RoundScheduler::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const Due next = due_.top();
    if (next.at > Clock::now()) {
      cv_.wait_until(lock, next.at);
      continue;
    }
    due_.pop();
    lock.unlock();
    const int64_t after_ms = std::max<int64_t>(0, round_(next.index));
    lock.lock();
    due_.push(Due{Clock::now() + std::chrono::milliseconds(after_ms), seq_++, next.index});
    cv_.notify_one();
  }
}

}  // namespace hunter::app
