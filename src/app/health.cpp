#include "hunter/app/health.hpp"

#include <ctime>

namespace hunter::app {
namespace {

std::string isoTime(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

HealthVerdict evaluateHealth(const HealthInput& in) {
  HealthVerdict v;
  if (in.chain_last_ok_ms == 0) {
    if (in.now_ms - in.started_ms > in.chain_stale_ms) {
      v.ok = false;
      v.reason = "chain unreachable since the start (" + isoTime(in.started_ms) + ")";
      return v;
    }
    v.ok = false;
    v.reason = "starting: the chain has not answered yet";
    return v;
  }
  if (in.now_ms - in.chain_last_ok_ms > in.chain_stale_ms) {
    v.ok = false;
    v.reason = "chain unreachable since " + isoTime(in.chain_last_ok_ms) + " (" +
               std::to_string((in.now_ms - in.chain_last_ok_ms) / 1000) + " s)";
    return v;
  }
  if (!in.stalled.empty()) {
    v.ok = false;
    v.stalled = in.stalled;
    const auto& first = in.stalled.front();
    v.reason = "cluster stuck: " + first.cluster + ": " + first.reason +
               (first.detail.empty() ? "" : " (" + first.detail + ")");
    if (in.stalled.size() > 1) {
      v.reason += " and " + std::to_string(in.stalled.size() - 1) + " more";
    }
    return v;
  }
  if (in.backlog > 0) {
    int64_t since = in.last_accept_ms ? in.last_accept_ms : in.started_ms;
    if (in.now_ms - since > in.progress_timeout_ms) {
      v.ok = false;
      std::string what = "backlog " + std::to_string(in.backlog) + " with no acceptance for " +
                         std::to_string((in.now_ms - since) / 1000) + " s";
      v.reason = in.stuck.empty() ? what : "cluster stuck: " + in.stuck.front() + " (" + what + ")";
      return v;
    }
  }
  return v;
}

}  // namespace hunter::app
