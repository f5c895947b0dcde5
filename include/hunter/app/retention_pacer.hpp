#pragma once
// When and how much retention deletes. A pass deletes settled messages in batches, one batch per
// cluster in turn, each pass starting where the last one stopped (fair: one cluster's old
// backlog does not starve the others), until every
// cluster is done or the pass has used its time budget. A pass that finished comes back after
// `every_ms`; one that ran out of budget with rows left comes back after `behind_every_ms`, so a
// large first prune or a fast cluster is caught up within seconds while no pass holds the run
// loop longer than about `budget_ms` plus one batch. No I/O: the caller deletes (PruneBatch).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "hunter/core/ports.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

class RetentionPacer {
 public:
  struct Options {
    int64_t every_ms = 60'000;        // between passes that finished
    int64_t behind_every_ms = 1'000;  // between passes while rows are left
    int64_t budget_ms = 200;          // time a pass may take, checked after each batch
    size_t batch = 1'000;             // messages per delete transaction
  };
  // Deletes at most `max` settled messages of cluster `index`; returns how many it deleted.
  using PruneBatch = std::function<Result<size_t>(size_t index, size_t max)>;

  struct Pass {
    std::vector<size_t> pruned;                          // per cluster index
    std::vector<std::pair<size_t, std::string>> errors;  // cluster index, message (skipped after)
    bool behind = false;                                 // rows were left when the budget ran out
  };

  explicit RetentionPacer(Options opt) : opt_(opt) {}
  RetentionPacer() : RetentionPacer(Options{}) {}

  bool due(int64_t now_ms) const { return now_ms >= next_ms_; }
  int64_t nextMs() const { return next_ms_; }
  // One pass over `clusters` clusters, timed by `clock`; schedules the next one.
  Pass run(size_t clusters, core::Clock& clock, const PruneBatch& prune);

 private:
  Options opt_;
  int64_t next_ms_ = 0;
  size_t cursor_ = 0;  // the cluster a pass starts with
};

}  // namespace hunter::app
