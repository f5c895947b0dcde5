#pragma once
// How long a cluster waits for its next round. A round that moved something is followed at once;
// one that waits on work in progress (messages at the workers or in the chain's pool, a worker or
// the chain not answering) after the fast interval (hunter.poll_interval_ms). A cluster with
// nothing waiting anywhere stays at the fast interval for `idle_after_ms` (a minute) after its
// last busy round, so a cluster with a message every few seconds is never slowed down; after
// that its delay doubles from the fast interval up to the slow one
// (hunter.max_poll_interval_ms). A fetch that finds new messages is progress: an idle cluster is
// back at the fast rate with the first round that sees a new message. No I/O.
#include <algorithm>
#include <cstdint>
#include <optional>

namespace hunter::app {

enum class RoundOutcome { kProgressed, kWaiting, kIdle };

class PollBackoff {
 public:
  static constexpr int64_t kIdleAfterMs = 60'000;

  PollBackoff(int64_t fast_ms, int64_t slow_ms, int64_t idle_after_ms = kIdleAfterMs)
      : fast_ms_(fast_ms), slow_ms_(std::max(fast_ms, slow_ms)), idle_after_ms_(idle_after_ms) {}

  // The ms until the next round after a round with this outcome, ending at now_ms.
  int64_t after(RoundOutcome outcome, int64_t now_ms) {
    if (!busy_ms_) busy_ms_ = now_ms;  // a new cluster starts at the fast rate
    if (outcome != RoundOutcome::kIdle) {
      busy_ms_ = now_ms;
      idle_ms_ = 0;
      return outcome == RoundOutcome::kProgressed ? 0 : fast_ms_;
    }
    if (now_ms - *busy_ms_ < idle_after_ms_) return fast_ms_;
    idle_ms_ = idle_ms_ == 0 ? fast_ms_ : std::min(slow_ms_, idle_ms_ * 2);
    return idle_ms_;
  }

 private:
  int64_t fast_ms_;
  int64_t slow_ms_;
  int64_t idle_after_ms_;
  std::optional<int64_t> busy_ms_;  // the end of the last round that was not idle
  int64_t idle_ms_ = 0;             // the last backed-off delay; 0 while not backing off
};

}  // namespace hunter::app
