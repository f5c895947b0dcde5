#pragma once
// How many clusters may clear a backlog at once (limits.backlog_rounds). A round with more than
// one chunk to sign takes a place when one is free; without one it signs a single chunk, so it
// still moves and waits for nobody. A backlog's round holds its fetched messages, the chunks
// being signed ahead and their answers: on 2 cores, ten backlogs at once cost twice the memory of
// two and cleared no faster. Thread-safe.
#include <atomic>
#include <cstddef>
#include <optional>

namespace hunter::core {

class BacklogGate {
 public:
  explicit BacklogGate(size_t places) : places_(places == 0 ? 1 : places) {}
  BacklogGate(const BacklogGate&) = delete;
  BacklogGate& operator=(const BacklogGate&) = delete;

  // A place, given back when it goes out of scope.
  class Place {
   public:
    explicit Place(BacklogGate& gate) : gate_(&gate) {}
    Place(Place&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Place& operator=(Place&&) = delete;
    Place(const Place&) = delete;
    ~Place() {
      if (gate_) gate_->taken_.fetch_sub(1);
    }

   private:
    BacklogGate* gate_;
  };

  // A place when one is free, else none (never waits).
  std::optional<Place> tryTake() {
    size_t n = taken_.load();
    while (n < places_) {
      if (taken_.compare_exchange_weak(n, n + 1)) return std::optional<Place>(std::in_place, *this);
    }
    return std::nullopt;
  }
  size_t taken() const { return taken_.load(); }
  size_t places() const { return places_; }

 private:
  const size_t places_;
  std::atomic<size_t> taken_{0};
};

}  // namespace hunter::core
