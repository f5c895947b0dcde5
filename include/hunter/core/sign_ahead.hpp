#pragma once
// The chunks of a large gathering, signed ahead on their own threads, in order: a chunk's job
// asks the workers only once the job before it has asked (the worker client is used by one
// thread at a time), then recovers its signatures while the next job asks. The caller takes the
// chunks in order; a chunk with no job ahead is signed on the caller's thread.
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <system_error>
#include <utility>

namespace hunter::core {

template <class Out>
class SignAhead {
 public:
  using Sign = std::function<Out(size_t begin)>;                // asks the workers
  using Recover = std::function<void(size_t begin, Out& out)>;  // checks their answers

  SignAhead(size_t total, size_t chunk, Sign sign, Recover recover)
      : total_(total), chunk_(chunk), sign_(std::move(sign)), recover_(std::move(recover)) {}
  SignAhead(const SignAhead&) = delete;
  SignAhead& operator=(const SignAhead&) = delete;
  ~SignAhead() { drain(); }

  // Starts jobs until `depth` are ahead or every chunk has one.
  void fill(size_t depth) {
    while (launched_ < total_ && ahead_.size() < depth && launch()) {
    }
  }
  // The chunk that starts at `begin` (the next one in order).
  Out take(size_t begin) {
    if (!ahead_.empty()) {
      Out out = ahead_.front().get();
      ahead_.pop_front();
      return out;
    }
    Out out = sign_(begin);
    recover_(begin, out);
    launched_ = begin + chunk_;
    return out;
  }
  // Returns once every job started so far has asked the workers (they are free again).
  void waitSigned() {
    if (all_signed_.valid()) all_signed_.wait();
  }
  void drain() {
    for (auto& f : ahead_) f.wait();
  }

 private:
  bool launch() {
    std::promise<void> signedNow;
    std::shared_future<void> next = signedNow.get_future().share();
    const size_t begin = launched_;
    try {
      ahead_.push_back(std::async(std::launch::async, [this, begin, after = all_signed_,
                                                       done = std::move(signedNow)]() mutable {
        if (after.valid()) after.wait();
        Out out;
        try {
          out = sign_(begin);
        } catch (...) {
          done.set_value();
          throw;
        }
        done.set_value();
        recover_(begin, out);
        return out;
      }));
    } catch (const std::system_error&) {
      return false;  // no thread: signed on the caller's when its turn comes
    }
    all_signed_ = next;
    launched_ += chunk_;
    return true;
  }

  size_t total_;
  size_t chunk_;
  Sign sign_;
  Recover recover_;
  size_t launched_ = 0;                  // chunks [0, launched_) have a job or were taken
  std::shared_future<void> all_signed_;  // ready once every job started so far has asked
  std::deque<std::future<Out>> ahead_;   // the jobs not taken yet, in order
};

}  // namespace hunter::core
