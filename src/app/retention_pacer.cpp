#include "hunter/app/retention_pacer.hpp"

namespace hunter::app {

RetentionPacer::Pass RetentionPacer::run(size_t clusters, core::Clock& clock,
                                         const PruneBatch& prune) {
  const int64_t start = clock.nowMs();
  Pass pass;
  pass.pruned.assign(clusters, 0);
  std::vector<bool> more(clusters, true);
  size_t open = clusters;
  size_t i = clusters == 0 ? 0 : cursor_ % clusters;
  while (open > 0) {
    if (more[i]) {
      auto n = prune(i, opt_.batch);
      if (!n.ok()) pass.errors.emplace_back(i, n.error().message);
      if (n.ok()) pass.pruned[i] += *n;
      if (!n.ok() || *n < opt_.batch) {
        more[i] = false;
        --open;
      }
    }
    i = (i + 1) % clusters;
    if (open > 0 && clock.nowMs() - start >= opt_.budget_ms) {
      pass.behind = true;
      break;
    }
  }
  cursor_ = i;  // the next pass starts with the cluster this one would have done next
  next_ms_ = clock.nowMs() + (pass.behind ? opt_.behind_every_ms : opt_.every_ms);
  return pass;
}

}  // namespace hunter::app
