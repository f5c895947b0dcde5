#pragma once
// The verdict of GET /healthz: healthy only while the service is making progress. Pure.
#include <cstdint>
#include <string>
#include <vector>

namespace hunter::app {

// A cluster whose head has stopped: not moving for stuck_after_s while its workers are ahead, no
// worker answering for that long, or dead.
struct StalledCluster {
  std::string cluster;  // alias or hex id
  std::string reason;   // core::WaitReason label
  std::string detail;   // what the relay knows (sn, workers, since when)
};

struct HealthInput {
  int64_t now_ms = 0;
  int64_t started_ms = 0;        // when the service started
  int64_t chain_last_ok_ms = 0;  // last round whose chain reads succeeded; 0 = never
  int64_t chain_stale_ms = 30'000;
  uint64_t backlog = 0;        // messages the workers hold that the chain has not taken
  int64_t last_accept_ms = 0;  // last accepted outcome; 0 = none since the start
  int64_t progress_timeout_ms = 300'000;
  std::vector<std::string> stuck;  // "cluster: detail" of each cluster stuck in its last round
  std::vector<StalledCluster> stalled;
};

struct HealthVerdict {
  bool ok = true;
  std::string reason;                   // empty when ok
  std::vector<StalledCluster> stalled;  // every cluster that makes it unhealthy
};

// Unhealthy when the chain has not answered within chain_stale_ms (counted from the start
// when it never answered), when a cluster has stalled (each one is named), or when there is a
// backlog and nothing was accepted within
// progress_timeout_ms (counted from the start when nothing was accepted yet); a stuck
// cluster's detail is then named as the cause.
HealthVerdict evaluateHealth(const HealthInput& in);

}  // namespace hunter::app
