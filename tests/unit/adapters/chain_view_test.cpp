// The shared chain head: calls that overlap a read on the wire go out together in one read.
#include "hunter/adapters/shared_chain_head.hpp"

#include "support/wait_for.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace hunter::adapters {
namespace {

using namespace std::chrono_literals;

H256 clusterNo(uint8_t n) {
  H256 h{};
  h.fill(n);
  return h;
}

using testing::waitFor;

// A chain whose next sn for a cluster is its first byte; the first read waits until released.
struct FakeHeads {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> reads{0};
  std::vector<size_t> sizes;
  std::vector<Result<core::ChainHead>> read(const std::vector<H256>& clusters) {
    {
      std::unique_lock lock(mu);
      sizes.push_back(clusters.size());
      if (reads++ == 0) cv.wait(lock, [this] { return released; });
    }
    std::vector<Result<core::ChainHead>> out;
    for (const auto& c : clusters) {
      core::ChainHead h;
      h.best.number = 7;
      h.next_sn = c[0];
      out.emplace_back(h);
    }
    return out;
  }
  void release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
};

TEST(SharedChainHead, CallsThatOverlapAReadGoOutTogetherAndGetTheirOwnCluster) {
  FakeHeads fake;
  SharedChainHead shared([&](const std::vector<H256>& c) { return fake.read(c); });
  std::vector<uint64_t> got(9, 0);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { got[0] = shared.head(clusterNo(100)).value().next_sn; });
  ASSERT_TRUE(waitFor([&] { return fake.reads.load() == 1; })) << "the first read is on the wire";
  for (uint8_t k = 1; k <= 8; ++k) {
    threads.emplace_back([&, k] { got[k] = shared.head(clusterNo(k)).value().next_sn; });
  }
  ASSERT_TRUE(waitFor([&] { return shared.waiting() == 8; })) << "eight calls wait";
  fake.release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(shared.reads(), 2u) << "nine clusters, two reads";
  EXPECT_EQ(fake.sizes, (std::vector<size_t>{1, 8}));
  EXPECT_EQ(got[0], 100u);
  for (uint8_t k = 1; k <= 8; ++k) EXPECT_EQ(got[k], k) << "each call gets its own cluster";
}

TEST(SharedChainHead, AFailedReadFailsEveryCallOfItsBatchAndNotTheNext) {
  int calls = 0;
  SharedChainHead shared([&](const std::vector<H256>& c) {
    ++calls;
    if (calls == 1) {
      return std::vector<Result<core::ChainHead>>(c.size(), makeError("unreachable", "chain down"));
    }
    return std::vector<Result<core::ChainHead>>(c.size(), core::ChainHead{});
  });
  auto first = shared.head(clusterNo(1));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message, "chain down");
  EXPECT_TRUE(shared.head(clusterNo(1)).ok());
}

TEST(SharedChainHead, AShortAnswerIsAnErrorNotACrash) {
  SharedChainHead shared(
      [](const std::vector<H256>&) { return std::vector<Result<core::ChainHead>>{}; });
  auto r = shared.head(clusterNo(3));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no answer for this cluster"), std::string::npos);
}

}  // namespace
}  // namespace hunter::adapters
