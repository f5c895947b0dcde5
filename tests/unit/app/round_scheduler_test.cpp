// The round scheduler: a slow task delays only itself; no task runs twice at once; tasks take
// turns. Rounds are fakes; waits poll with a deadline.
#include "hunter/app/round_scheduler.hpp"

#include "support/wait_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace hunter::app {
namespace {

using namespace std::chrono_literals;

using testing::waitFor;

// A round that blocks until released, as a cluster whose workers do not answer.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<bool> entered{false};
  void pass() {
    entered = true;
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(RoundScheduler, AHangingTaskDoesNotDelayTheOthers) {
  Gate gate;
  std::atomic<int> fast{0};
  RoundScheduler s(3, 2, [&](size_t i) -> int64_t {
    if (i == 0) gate.pass();
    if (i != 0) ++fast;
    return 1;
  });
  s.start();
  ASSERT_TRUE(waitFor([&] { return gate.entered.load(); }, 5s));
  EXPECT_TRUE(waitFor([&] { return fast.load() >= 200; }, 10s))
      << "while task 0 hangs, tasks 1 and 2 ran " << fast.load() << " rounds";
  gate.release();
  s.stop();
}

TEST(RoundScheduler, NoTaskRunsOnTwoThreadsAtOnce) {
  constexpr size_t kTasks = 5;
  std::vector<std::atomic<int>> inside(kTasks);
  std::atomic<int> overlaps{0}, total{0};
  RoundScheduler s(kTasks, 4, [&](size_t i) -> int64_t {
    if (++inside[i] > 1) ++overlaps;
    std::this_thread::yield();
    --inside[i];
    ++total;
    return 0;  // more work at once
  });
  s.start();
  ASSERT_TRUE(waitFor([&] { return total.load() >= 5000; }, 20s));
  s.stop();
  EXPECT_EQ(overlaps.load(), 0);
}

// Tasks that are all due take turns: the one due longest goes first. (On one thread, so that a
// thread the machine pauses in the middle of a round, holding its task, cannot skew the count.)
TEST(RoundScheduler, TasksThatAreAllDueTakeTurns) {
  constexpr size_t kTasks = 5;
  std::vector<std::atomic<int>> rounds(kTasks);
  std::atomic<int> total{0};
  RoundScheduler s(kTasks, 1, [&](size_t i) -> int64_t {
    ++rounds[i];
    ++total;
    return 0;
  });
  s.start();
  ASSERT_TRUE(waitFor([&] { return total.load() >= 5000; }, 20s));
  s.stop();
  int lo = rounds[0], hi = rounds[0];
  for (auto& r : rounds) {
    lo = std::min(lo, r.load());
    hi = std::max(hi, r.load());
  }
  EXPECT_LE(hi - lo, 1) << "turns are fair: fewest " << lo << ", most " << hi;
}

TEST(RoundScheduler, ATaskComesBackAfterTheDelayItAsksFor) {
  std::atomic<int> rounds{0};
  std::vector<std::chrono::steady_clock::time_point> at;
  std::mutex mu;
  RoundScheduler s(1, 2, [&](size_t) -> int64_t {
    std::lock_guard lock(mu);
    at.push_back(std::chrono::steady_clock::now());
    ++rounds;
    return 100;
  });
  EXPECT_EQ(s.threads(), 1u) << "never more threads than tasks";
  s.start();
  ASSERT_TRUE(waitFor([&] { return rounds.load() >= 3; }, 10s));
  s.stop();
  std::lock_guard lock(mu);
  for (size_t i = 1; i < at.size(); ++i) {
    EXPECT_GE(at[i] - at[i - 1], 100ms) << "round " << i << " came early";
  }
}

TEST(RoundScheduler, StopReturnsWhenNoTaskIsDueAndWithNoTasks) {
  std::atomic<int> rounds{0};
  RoundScheduler idle(2, 2, [&](size_t) -> int64_t {
    ++rounds;
    return 3'600'000;
  });
  idle.start();
  ASSERT_TRUE(waitFor([&] { return rounds.load() == 2; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  idle.stop();  // both threads wait an hour for the next round: stop wakes them
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(rounds.load(), 2);
  RoundScheduler none(0, 4, [&](size_t) -> int64_t { return ++rounds; });
  none.start();
  none.stop();
  EXPECT_EQ(rounds.load(), 2) << "no tasks, no rounds";
}

}  // namespace
}  // namespace hunter::app
