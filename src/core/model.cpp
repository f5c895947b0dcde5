#include "hunter/core/model.hpp"

#include <cstdlib>

#include "hunter/core/ports.hpp"

namespace hunter::core {
namespace {
constexpr const char* kMsgStates[] = {"pending",    "signed",   "submitted", "accepted",
                                      "superseded", "diverged", "dead"};
constexpr const char* kSubStates[] = {"sending", "in_pool", "included", "rejected", "lost"};
constexpr const char* kOutcomes[] = {"accepted", "superseded", "diverged", "rejected", "dead"};
constexpr const char* kClusterStates[] = {"ok", "stuck", "dead", "chain_unreachable",
                                          "unknown_cluster"};
}  // namespace

const char* toString(ClusterState s) { return kClusterStates[static_cast<int>(s)]; }
const char* toString(MsgState s) { return kMsgStates[static_cast<int>(s)]; }
const char* toString(SubmissionStatus s) { return kSubStates[static_cast<int>(s)]; }
const char* toString(OutcomeKind k) { return kOutcomes[static_cast<int>(k)]; }

std::optional<MsgState> msgStateFromString(std::string_view s) {
  for (int i = 0; i < 7; ++i) {
    if (s == kMsgStates[i]) return static_cast<MsgState>(i);
  }
  return std::nullopt;
}

std::optional<SubmissionStatus> submissionStatusFromString(std::string_view s) {
  for (int i = 0; i < 5; ++i) {
    if (s == kSubStates[i]) return static_cast<SubmissionStatus>(i);
  }
  return std::nullopt;
}

}  // namespace hunter::core

namespace hunter::core {
std::optional<OutcomeKind> outcomeKindFromString(std::string_view s) {
  for (int i = 0; i < 5; ++i) {
    if (s == kOutcomes[i]) return static_cast<OutcomeKind>(i);
  }
  return std::nullopt;
}
Error conflictError(const H256& cluster, uint64_t sn, const H256& stored, const H256& offered) {
  return makeError("conflict", "cluster " + toHex(cluster) + " sn " + std::to_string(sn) +
                                   ": stored hash " + toHex(stored) + " differs from " +
                                   toHex(offered));
}

std::string auditedBelowKey(const H256& cluster) { return "audited_below:" + toHex(cluster); }
std::string auditFromKey(const H256& cluster) { return "audit_from:" + toHex(cluster); }
std::string prunedBelowKey(const H256& cluster) { return "pruned_below:" + toHex(cluster); }

uint64_t metaSn(const std::optional<std::string>& value, uint64_t fallback) {
  if (!value || value->empty()) return fallback;
  return std::strtoull(value->c_str(), nullptr, 10);
}

}  // namespace hunter::core
