#pragma once
// parallelFor: one loop split over a few threads, for CPU-bound batches (signature recovery).
#include <algorithm>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace hunter {

// Calls fn(begin, end) over [0, n) in up to `threads` contiguous shares of at least
// `min_share` items each; the calling thread takes the first share and returns when all are
// done. If no thread can be started, the calling thread does the rest itself.
template <class F>
void parallelFor(size_t n, size_t threads, size_t min_share, F&& fn) {
  threads = std::max<size_t>(1, std::min(threads, n / std::max<size_t>(1, min_share)));
  if (threads <= 1) {
    if (n > 0) fn(size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  const size_t per = (n + threads - 1) / threads;
  size_t begin = per;
  try {
    for (size_t t = 1; t < threads && begin < n; ++t, begin += per) {
      pool.emplace_back([&fn, begin, end = std::min(n, begin + per)] { fn(begin, end); });
    }
  } catch (const std::system_error&) {
    fn(begin, n);  // no thread: the rest here
  }
  fn(size_t{0}, std::min(per, n));
  for (auto& t : pool) t.join();
}

}  // namespace hunter
