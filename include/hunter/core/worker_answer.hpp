#pragma once
// One vocabulary for what a worker answers (docs/protocol.md §3): the failure of a whole call,
// the refusal of one SignClusterMessages item, and what the hunter found wrong with a signature.
// The worker client reports codes as text (they are stored verbatim in the audit trail); these
// functions are the only place that reads them, and the relay branches on the enums.
#include <string_view>

#include "hunter/util/result.hpp"

namespace hunter::core {

// Why a whole worker call failed.
enum class WorkerFailure {
  kTransport,         // no usable answer: timeout, unreachable, HTTP error, garbage
  kResponseTooLarge,  // the answer is larger than the client accepts: ask for fewer messages
  kStopped,           // the worker halted itself after an ACK contradicted it (§4.6)
  kIncompatible,      // the worker speaks another protocol version: excluded
  kUnknownCluster,    // the worker does not serve this cluster
  kOther,             // bad_request and anything else
};
WorkerFailure workerFailureOf(const Error& e);

// Why one item of SignClusterMessages has no signature.
enum class ItemRefusal {
  kUnknownSn,  // "unknown_sn": not produced yet, or already purged
  kDiverged,   // "diverged": the worker's own hash for that sn differs (local_hash)
  kOther,      // any other code, or none
};
ItemRefusal itemRefusalOf(std::string_view code);

// What the hunter found wrong with a signature a worker did give.
enum class SignatureFault {
  kUnrecoverable,  // does not recover to a key
  kNotRegistered,  // recovers to a key that is not a worker of the cluster
};
// The code written into the audit trail: "bad_signature", "not_registered".
std::string_view toString(SignatureFault f);

}  // namespace hunter::core
