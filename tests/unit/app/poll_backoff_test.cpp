// Adaptive polling: idle clusters back off to the slow interval, work brings them back at once.
#include "hunter/app/poll_backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hunter::app {
namespace {

// Idle rounds from `now`, each after the delay the last one asked for; their delays.
std::vector<int64_t> idleRounds(PollBackoff& p, int64_t& now, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(p.after(RoundOutcome::kIdle, now));
    now += out.back();
  }
  return out;
}

TEST(PollBackoff, AnIdleClusterStaysFastForAMinuteThenBacksOffToTheSlowInterval) {
  PollBackoff p(100, 1000, 60'000);
  int64_t now = 0;
  auto first = idleRounds(p, now, 600);  // the first minute
  EXPECT_EQ(first.front(), 100);
  EXPECT_EQ(first.back(), 100) << "a minute after its last message a cluster is still fast";
  auto later = idleRounds(p, now, 7);
  EXPECT_EQ(later, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000, 1000}));
}

TEST(PollBackoff, NewMessagesBringItBackToTheFastRateAtOnce) {
  PollBackoff p(100, 5000, 1000);
  int64_t now = 0;
  idleRounds(p, now, 40);
  EXPECT_EQ(p.after(RoundOutcome::kIdle, now), 5000) << "backed off";
  EXPECT_EQ(p.after(RoundOutcome::kProgressed, now), 0) << "a round that moved: the next at once";
  EXPECT_EQ(p.after(RoundOutcome::kIdle, now + 10), 100) << "idle again: fast for idle_after";
}

TEST(PollBackoff, WorkInProgressIsPolledAtTheFastRate) {
  PollBackoff p(250, 5000, 1000);
  int64_t now = 0;
  idleRounds(p, now, 40);
  EXPECT_EQ(p.after(RoundOutcome::kWaiting, now), 250);
  EXPECT_EQ(p.after(RoundOutcome::kWaiting, now + 250), 250);
  EXPECT_EQ(p.after(RoundOutcome::kIdle, now + 500), 250);
}

TEST(PollBackoff, ASlowIntervalBelowTheFastOneIsTheFastOne) {
  PollBackoff p(1000, 10, 0);
  EXPECT_EQ(p.after(RoundOutcome::kIdle, 0), 1000);
  EXPECT_EQ(p.after(RoundOutcome::kIdle, 1000), 1000);
}

}  // namespace
}  // namespace hunter::app
