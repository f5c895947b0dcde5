#pragma once
// One vocabulary for what the chain answers a submission (docs/protocol.md §4.2): the kinds of
// rejection, the custom errors 1-8 of the PhalaClusterMq pallet, and classify(), the only place
// that reads the chain's error text. The relay branches on these enums (a switch the compiler
// checks); the devnet writes the same texts from them, so both sides speak exactly one language.
#include <optional>
#include <string>
#include <string_view>

#include "hunter/util/result.hpp"

namespace hunter::core {

// Custom error N of code 1010, in the pallet's order of numbers (not of checks).
enum class CustomError : uint8_t {
  kUnknownCluster = 1,      // no Clusters entry
  kMalformedSignature = 2,  // cannot be recovered, recid not in {0,1}, or high-S
  kBelowThreshold = 3,      // fewer valid signatures than the cluster's threshold
  kDuplicateSigner = 4,     // two signatures of one worker
  kUnknownSigner = 5,       // recovers to a key that is not a worker of the cluster
  kPrevHashMismatch = 6,    // prev_hash differs from the hash before it
  kBadBatch = 7,            // empty, not contiguous, or mixing clusters
  kBadMessage = 8,          // sender, destination or payload breaks the rules
};

enum class Rejection {
  kOutdated,         // 1010: nonce or sn below the chain's
  kFuture,           // 1010: first sn too far ahead
  kBadSignature,     // 1010: the hunter's signature (or versions, genesis, era block) is wrong
  kAncientBirth,     // 1010: the era's birth block is unknown, in the future or expired
  kCannotPay,        // 1010: free balance below fee + tip
  kCustom,           // 1010: a custom error of the call (ChainAnswer::custom)
  kInvalidOther,     // 1010 with another text
  kBadFormat,        // 1001: does not decode
  kAlreadyImported,  // 1013: these very bytes are in the pool
  kPriorityTooLow,   // 1014: the nonce or an sn is taken by a transaction in the pool
  kPoolFull,         // 1016: the pool refuses new transactions
  kTransport,        // no answer from the chain (timeout, unreachable, HTTP error, garbage)
  kOther,            // any other JSON-RPC error
};

struct ChainAnswer {
  Rejection kind = Rejection::kOther;
  std::optional<CustomError> custom;  // with kCustom
};

// Error{code = JSON-RPC code or transport code, message = the 1010 data or the message} (the
// ChainClient's errors) to what it means.
ChainAnswer classify(const Error& e);
// The `data` string of a 1010 rejection (kOutdated .. kCannotPay), as the chain writes it.
std::string_view invalidTransactionData(Rejection kind);
// "Custom error: N".
std::string customErrorData(CustomError e);
// A short label for metrics and logs: the 1010 data string, "Custom error: N", or the code.
std::string reasonLabel(const Error& e);
// Whether the quorum itself was refused (custom errors 2-6: a signature, the threshold, a signer
// or the prev_hash link), so that the messages go back to pending and are signed again.
bool gatherAgainAfter(CustomError e);
// Whether the error is one the chain never answered (transport): send the same bytes again.
bool isTransport(const Error& e);

}  // namespace hunter::core
