#include "hunter/util/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace hunter {
namespace {

TEST(ParallelFor, EveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 31u, 32u, 63u, 64u, 100u, 1000u}) {
    for (size_t threads : {0u, 1u, 2u, 3u, 8u}) {
      std::vector<std::atomic<int>> seen(n);
      parallelFor(n, threads, 16, [&](size_t b, size_t e) {
        ASSERT_LE(b, e);
        ASSERT_LE(e, n);
        for (size_t i = b; i < e; ++i) seen[i]++;
      });
      for (size_t i = 0; i < n; ++i)
        EXPECT_EQ(seen[i].load(), 1) << n << " " << threads << " " << i;
    }
  }
}

TEST(ParallelFor, SharesOfAtLeastMinShareAndTheCallerTakesOne) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::vector<std::pair<size_t, size_t>> shares;
  bool callerWorked = false;
  const auto caller = std::this_thread::get_id();
  parallelFor(100, 2, 32, [&](size_t b, size_t e) {
    std::lock_guard lock(mu);
    ids.insert(std::this_thread::get_id());
    shares.emplace_back(b, e);
    if (std::this_thread::get_id() == caller) callerWorked = true;
  });
  EXPECT_EQ(shares.size(), 2u);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(callerWorked);
  // 40 items with a minimum share of 32: one share, on the calling thread.
  ids.clear();
  shares.clear();
  parallelFor(40, 2, 32, [&](size_t b, size_t e) {
    std::lock_guard lock(mu);
    ids.insert(std::this_thread::get_id());
    shares.emplace_back(b, e);
  });
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_EQ(shares[0], std::make_pair(size_t{0}, size_t{40}));
  EXPECT_EQ(*ids.begin(), caller);
}

}  // namespace
}  // namespace hunter
