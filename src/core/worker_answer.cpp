#include "hunter/core/worker_answer.hpp"

#include "hunter/core/chain_answer.hpp"

namespace hunter::core {

WorkerFailure workerFailureOf(const Error& e) {
  if (e.code == "response_too_large") return WorkerFailure::kResponseTooLarge;
  if (isTransport(e)) return WorkerFailure::kTransport;
  if (e.code == "stopped") return WorkerFailure::kStopped;
  if (e.code == "incompatible") return WorkerFailure::kIncompatible;
  if (e.code == "unknown_cluster") return WorkerFailure::kUnknownCluster;
  return WorkerFailure::kOther;
}

ItemRefusal itemRefusalOf(std::string_view code) {
  if (code == "unknown_sn") return ItemRefusal::kUnknownSn;
  if (code == "diverged") return ItemRefusal::kDiverged;
  return ItemRefusal::kOther;
}

std::string_view toString(SignatureFault f) {
  switch (f) {
    case SignatureFault::kUnrecoverable:
      return "bad_signature";
    case SignatureFault::kNotRegistered:
      return "not_registered";
  }
  return "bad_signature";
}

}  // namespace hunter::core
