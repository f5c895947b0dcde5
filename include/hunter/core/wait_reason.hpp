#pragma once
// Why a cluster's head message is not moving: a closed set, defined once. Each reason has a
// metric label (hunter_backlog_messages{reason}, `status --json`, /healthz) and a one-line text
// for people; the relay adds the specifics (which sn, which workers, until when) in the detail.
#include <optional>
#include <string_view>

namespace hunter::core {

enum class WaitReason : uint8_t {
  kMoving,             // nothing holds the head back (or there is nothing to relay)
  kWaitingAck,         // submitted: waiting for the chain to include it and write its ACK
  kShortOfSignatures,  // fewer than threshold valid signatures (refused, silent, not there yet)
  kWorkersDisagree,    // workers signed competing hashes for the head sn
  kNoWorkerReachable,  // no worker of the cluster answers
  kSourceBehind,       // the workers that answer lag the others (or claim more than they give)
  kChainUnreachable,   // no chain endpoint answers
  kPoolFuture,         // the pool holds the transaction for an earlier nonce of its account
  kCannotPay,          // the account's free balance is below fee + tip
  kUnprofitable,       // the best batch at hand earns less than fees.min_profit per message
  kBatching,           // a batch not yet full waits up to fees.max_batch_delay_ms for more
  kBalanceFloor,       // every account's free balance is below fees.min_balance
  kRuntimeChanged,     // the runtime was upgraded: open submissions are signed again for it
  kSignatureRefused,   // "bad signature" with the chain's own runtime: a key or chain mismatch
  kBackingOff,         // an error put the head on hold until a retry time
  kDead,               // the head failed for longer than the dead threshold
  kStoreFailed,        // the database refused a write
  kUnknownCluster,     // the chain does not know the cluster
  kBreaksRules,        // the head message breaks the chain's rules and can never be accepted
};

inline constexpr WaitReason kAllWaitReasons[] = {WaitReason::kMoving,
                                                 WaitReason::kWaitingAck,
                                                 WaitReason::kShortOfSignatures,
                                                 WaitReason::kWorkersDisagree,
                                                 WaitReason::kNoWorkerReachable,
                                                 WaitReason::kSourceBehind,
                                                 WaitReason::kChainUnreachable,
                                                 WaitReason::kPoolFuture,
                                                 WaitReason::kCannotPay,
                                                 WaitReason::kUnprofitable,
                                                 WaitReason::kBatching,
                                                 WaitReason::kBalanceFloor,
                                                 WaitReason::kRuntimeChanged,
                                                 WaitReason::kSignatureRefused,
                                                 WaitReason::kBackingOff,
                                                 WaitReason::kDead,
                                                 WaitReason::kStoreFailed,
                                                 WaitReason::kUnknownCluster,
                                                 WaitReason::kBreaksRules};

// "waiting_ack", "short_of_signatures", ...: the metric label and the JSON value.
std::string_view label(WaitReason r);
// One line for people: "waiting for the chain to include the submitted head and write its ACK".
std::string_view describe(WaitReason r);
// The reason of a label (as stored in the database); nullopt for an unknown one.
std::optional<WaitReason> waitReasonFromLabel(std::string_view label);

}  // namespace hunter::core
