// The retention pacer: how much a pass deletes, how long it may take, and when the next comes.
// Fakes only: each batch advances a fake clock by what deleting it costs.
#include "hunter/app/retention_pacer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace hunter::app {
namespace {

class StepClock : public core::Clock {
 public:
  int64_t nowMs() override { return now; }
  int64_t now = 1'000'000;
};

// Clusters with `rows[i]` settled messages left; a batch costs `ms_per_batch` of clock time.
struct FakeRows {
  FakeRows(std::vector<size_t> r, StepClock& c) : rows(std::move(r)), clock(c) {}
  std::vector<size_t> rows;
  StepClock& clock;
  int64_t ms_per_batch = 30;
  std::vector<size_t> order;  // which cluster each batch went to
  RetentionPacer::PruneBatch prune() {
    return [this](size_t i, size_t max) -> Result<size_t> {
      const size_t n = std::min(rows[i], max);
      rows[i] -= n;
      clock.now += ms_per_batch;
      order.push_back(i);
      return n;
    };
  }
  size_t left() const {
    size_t n = 0;
    for (size_t r : rows) n += r;
    return n;
  }
};

TEST(RetentionPacer, ABacklogOfAMillionIsGoneInAFewMinutesOfOneSecondPasses) {
  StepClock clock;
  FakeRows fake{{1'000'000}, clock};
  RetentionPacer pacer;
  const int64_t start = clock.now;
  int passes = 0;
  while (fake.left() > 0 && clock.now - start < 600'000) {
    if (pacer.due(clock.now)) {
      const int64_t before = clock.now;
      pacer.run(1, clock, fake.prune());
      ++passes;
      EXPECT_LE(clock.now - before, 200 + 30) << "a pass stops at its budget plus one batch";
    }
    clock.now += 100;  // the run loop's rounds
  }
  EXPECT_EQ(fake.left(), 0u) << "a million settled messages still left after 10 minutes";
  EXPECT_LT(clock.now - start, 300'000) << "took " << (clock.now - start) / 1000 << " s";
  EXPECT_GT(passes, 100) << "many short passes, not a few long ones";
}

TEST(RetentionPacer, APassThatFinishesComesBackAfterAMinute) {
  StepClock clock;
  FakeRows fake{{2'500, 10}, clock};
  RetentionPacer pacer;
  auto pass = pacer.run(2, clock, fake.prune());
  EXPECT_FALSE(pass.behind);
  EXPECT_EQ(pass.pruned, (std::vector<size_t>{2'500, 10}));
  EXPECT_EQ(fake.left(), 0u);
  EXPECT_FALSE(pacer.due(clock.now + 59'000));
  EXPECT_TRUE(pacer.due(clock.now + 60'000));
}

TEST(RetentionPacer, ClustersTakeTurnsAndTheNextPassStartsWhereThisOneStopped) {
  StepClock clock;
  FakeRows fake{{100'000, 100'000, 100'000}, clock};
  fake.ms_per_batch = 50;  // four batches fit the 200 ms budget
  RetentionPacer pacer;
  auto first = pacer.run(3, clock, fake.prune());
  EXPECT_TRUE(first.behind);
  EXPECT_TRUE(pacer.due(clock.now + 1'000)) << "behind: back within a second";
  EXPECT_EQ(fake.order, (std::vector<size_t>{0, 1, 2, 0}));
  fake.order.clear();
  pacer.run(3, clock, fake.prune());
  EXPECT_EQ(fake.order, (std::vector<size_t>{1, 2, 0, 1}));
}

TEST(RetentionPacer, AFailingClusterIsReportedAndDoesNotStopTheOthers) {
  StepClock clock;
  FakeRows fake{{0, 1'500}, clock};
  auto ok = fake.prune();
  RetentionPacer pacer;
  auto pass = pacer.run(2, clock, [&](size_t i, size_t max) -> Result<size_t> {
    if (i == 0) return makeError("sqlite", "database is locked");
    return ok(i, max);
  });
  ASSERT_EQ(pass.errors.size(), 1u);
  EXPECT_EQ(pass.errors[0].first, 0u);
  EXPECT_EQ(pass.errors[0].second, "database is locked");
  EXPECT_EQ(pass.pruned[1], 1'500u);
}

TEST(RetentionPacer, NoClustersIsAnEmptyPass) {
  StepClock clock;
  RetentionPacer pacer;
  auto pass = pacer.run(0, clock, [](size_t, size_t) -> Result<size_t> { return size_t{0}; });
  EXPECT_TRUE(pass.pruned.empty());
  EXPECT_FALSE(pass.behind);
}

}  // namespace
}  // namespace hunter::app
