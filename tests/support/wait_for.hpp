#pragma once
// Polls `done` every millisecond until it holds (true) or `limit` passes (false): the tests'
// way to wait for another thread, never a fixed sleep.
#include <chrono>
#include <functional>
#include <thread>

namespace hunter::testing {

inline bool waitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace hunter::testing
