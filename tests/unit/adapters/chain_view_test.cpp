// The chain view shared by all clusters: read once per block, whatever the clusters and polls.
#include "hunter/adapters/chain_view.hpp"

#include "support/wait_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

namespace hunter::adapters {
namespace {

H256 filled(uint8_t n) {
  H256 h{};
  h.fill(n);
  return h;
}

using testing::waitFor;

// A chain whose best block is `block` (its hash is filled with it) and whose next sn for a
// cluster is its first byte plus the block. `gate` (when set) holds block reads until opened.
struct FakeChainReads {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint8_t> block{7};
  std::atomic<int> checks{0};
  std::atomic<int> reads{0};
  std::atomic<bool> check_fails{false};
  std::atomic<bool> short_answer{false};
  std::vector<size_t> sizes;  // clusters per block read
  bool gate = false;

  Result<H256> best() {
    checks++;
    if (check_fails) return makeError("unreachable", "chain down");
    return filled(block);
  }
  std::vector<Result<core::ChainHead>> at(const H256& at, const std::vector<H256>& clusters) {
    {
      std::unique_lock lock(mu);
      sizes.push_back(clusters.size());
      reads++;
      cv.wait(lock, [this] { return !gate; });
    }
    std::vector<Result<core::ChainHead>> out;
    if (short_answer) return out;
    for (const auto& c : clusters) {
      core::ChainHead h;
      h.best = {at[0], at};
      h.next_sn = c[0] + at[0];
      out.emplace_back(h);
    }
    return out;
  }
  void open() {
    {
      std::lock_guard lock(mu);
      gate = false;
    }
    cv.notify_all();
  }
  ChainView::Reads fns() {
    return {[this] { return best(); },
            [this](const H256& a, const std::vector<H256>& c) { return this->at(a, c); }};
  }
};

struct Clock {
  std::atomic<int64_t> now{1000};
  std::function<int64_t()> fn() {
    return [this] { return now.load(); };
  }
};

// The measure: 100 clusters polling five times within a block cost one check and one
// read (not a request per cluster per poll); a later check on the same block reads nothing; a
// new block is one read for all.
TEST(ChainView, ManyClustersPollingInOneBlockCostOneCheckAndOneRead) {
  FakeChainReads chain;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  std::vector<H256> clusters;
  for (uint8_t k = 1; k <= 100; ++k) clusters.push_back(filled(k));
  view.watch(clusters);
  for (int poll = 0; poll < 5; ++poll) {
    for (const auto& c : clusters) {
      auto h = view.head(c);
      ASSERT_TRUE(h.ok()) << h.error().message;
      EXPECT_EQ(h->next_sn, c[0] + 7u) << "each cluster gets its own head";
    }
  }
  EXPECT_EQ(chain.checks.load(), 1);
  EXPECT_EQ(chain.reads.load(), 1);
  EXPECT_EQ(chain.sizes, (std::vector<size_t>{100}));

  clock.now += 150;  // the check is due: the same block, nothing read
  for (const auto& c : clusters) ASSERT_TRUE(view.head(c).ok());
  EXPECT_EQ(chain.checks.load(), 2);
  EXPECT_EQ(chain.reads.load(), 1);
  auto aged = view.head(clusters[0]);
  EXPECT_EQ(aged->age_ms, 150) << "the head says how old it is";

  chain.block = 8;
  clock.now += 150;
  for (const auto& c : clusters) EXPECT_EQ(view.head(c)->next_sn, c[0] + 8u);
  EXPECT_EQ(chain.checks.load(), 3);
  EXPECT_EQ(chain.reads.load(), 2) << "a new block: one read for all";
  EXPECT_EQ(view.head(clusters[0])->age_ms, 0);
  EXPECT_EQ(view.blockReads(), 2u);
}

// A cluster the view has not seen is read at the known block alone, without a check.
TEST(ChainView, ANewClusterIsReadAtTheKnownBlockAlone) {
  FakeChainReads chain;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  ASSERT_TRUE(view.head(filled(1)).ok());
  auto h = view.head(filled(2));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->next_sn, 2u + 7u);
  EXPECT_EQ(chain.checks.load(), 1);
  EXPECT_EQ(chain.sizes, (std::vector<size_t>{1, 1}));
}

TEST(ChainView, CallsThatComeWhileAReadIsOnTheWireWaitForIt) {
  FakeChainReads chain;
  chain.gate = true;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  std::vector<H256> clusters;
  for (uint8_t k = 1; k <= 9; ++k) clusters.push_back(filled(k));
  view.watch(clusters);
  std::vector<uint64_t> got(9, 0);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { got[0] = view.head(clusters[0]).value().next_sn; });
  ASSERT_TRUE(waitFor([&] { return chain.reads.load() == 1; })) << "the read is on the wire";
  for (size_t k = 1; k < 9; ++k) {
    threads.emplace_back([&, k] { got[k] = view.head(clusters[k]).value().next_sn; });
  }
  ASSERT_TRUE(waitFor([&] { return view.waiting() == 8; })) << "eight calls wait";
  chain.open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(chain.checks.load(), 1);
  EXPECT_EQ(chain.reads.load(), 1) << "nine clusters, one read";
  for (size_t k = 0; k < 9; ++k) EXPECT_EQ(got[k], clusters[k][0] + 7u);
}

TEST(ChainView, AFailedCheckFailsItsCallsAndTheNextCallTriesAgain) {
  FakeChainReads chain;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  chain.check_fails = true;
  auto first = view.head(filled(1));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message, "chain down");
  chain.check_fails = false;
  EXPECT_TRUE(view.head(filled(1)).ok()) << "no wait for check_ms after a failure";
}

// A block read that answers fewer clusters than asked is an error for the missing ones (not a
// crash), and they are read again at the next check, on the same block.
TEST(ChainView, AShortAnswerIsAnErrorAndIsReadAgain) {
  FakeChainReads chain;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  chain.short_answer = true;
  auto r = view.head(filled(3));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no answer for this cluster"), std::string::npos);
  chain.short_answer = false;
  clock.now += 150;
  auto again = view.head(filled(3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(chain.reads.load(), 2);
}

// A read slower than check_ms (a distant node, a thousand clusters) still serves the calls that
// waited for it: they do not each check again.
TEST(ChainView, AReadSlowerThanTheCheckIntervalStillServesItsWaiters) {
  FakeChainReads chain;
  chain.gate = true;
  Clock clock;
  ChainView view(chain.fns(), 100, clock.fn());
  std::vector<H256> clusters;
  for (uint8_t k = 1; k <= 4; ++k) clusters.push_back(filled(k));
  view.watch(clusters);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (const auto& c : clusters) {
    threads.emplace_back([&, c] { ok += view.head(c).ok() ? 1 : 0; });
  }
  ASSERT_TRUE(waitFor([&] { return chain.reads.load() == 1 && view.waiting() == 3; }));
  clock.now += 150;  // the read took longer than check_ms
  chain.open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(chain.checks.load(), 1);
  EXPECT_EQ(chain.reads.load(), 1);
}

// A read that throws fails its calls; the view is not left busy (every cluster would hang).
TEST(ChainView, AReadThatThrowsIsAnErrorAndTheViewGoesOn) {
  bool thrown = false;
  Clock clock;
  ChainView view(ChainView::Reads{[&]() -> Result<H256> {
                                    if (!std::exchange(thrown, true)) throw std::bad_alloc();
                                    return filled(9);
                                  },
                                  [](const H256&, const std::vector<H256>& c) {
                                    return std::vector<Result<core::ChainHead>>(c.size(),
                                                                                core::ChainHead{});
                                  }},
                 100, clock.fn());
  auto first = view.head(filled(1));
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.error().message.find("chain view"), std::string::npos);
  EXPECT_TRUE(view.head(filled(1)).ok());
}

}  // namespace
}  // namespace hunter::adapters
