#pragma once
// Runs the clusters' rounds on a small pool of threads, so that a slow, hanging or failing
// cluster delays only itself. Each cluster is a task with a due time; a free thread takes the
// task that has been due longest (ties: the one that ran least recently), runs one round, and
// puts it back due after the delay the round returns (0: at once, it has more work). A task is
// never run by two threads at once. With `threads` threads, up to `threads - 1` clusters may
// hang before the others wait for a thread.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace hunter::app {

class RoundScheduler {
 public:
  // One round of task `index`; returns the ms until it is due again.
  using Round = std::function<int64_t(size_t index)>;

  RoundScheduler(size_t tasks, size_t threads, Round round);
  ~RoundScheduler();  // stops and joins
  RoundScheduler(const RoundScheduler&) = delete;
  RoundScheduler& operator=(const RoundScheduler&) = delete;

  // Starts the threads; rounds run until stop(). Every task is due at once.
  void start();
  // Lets running rounds finish, starts no more, joins the threads.
  void stop();
  size_t threads() const { return threads_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Due {
    Clock::time_point at;
    uint64_t seq;  // order of scheduling: the earlier first among equal times
    size_t index;
    bool operator>(const Due& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void work();
  size_t tasks_;
  size_t threads_;
  Round round_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> pool_;
};

}  // namespace hunter::app
