#include "hunter/core/wait_reason.hpp"

namespace hunter::core {
namespace {

struct Words {
  std::string_view label;
  std::string_view text;
};

Words wordsOf(WaitReason r) {
  switch (r) {
    case WaitReason::kMoving:
      return {"moving", "moving: nothing holds the head back"};
    case WaitReason::kWaitingAck:
      return {"waiting_ack", "waiting for the chain to include the submitted head and ACK it"};
    case WaitReason::kShortOfSignatures:
      return {"short_of_signatures", "fewer than threshold workers signed the head"};
    case WaitReason::kWorkersDisagree:
      return {"workers_disagree", "workers signed competing hashes for the head"};
    case WaitReason::kNoWorkerReachable:
      return {"no_worker_reachable", "no worker of the cluster answers"};
    case WaitReason::kSourceBehind:
      return {"source_behind", "the workers that answer are behind the others"};
    case WaitReason::kChainUnreachable:
      return {"chain_unreachable", "no chain endpoint answers"};
    case WaitReason::kPoolFuture:
      return {"pool_future", "the pool holds the head's transaction for an earlier nonce"};
    case WaitReason::kCannotPay:
      return {"cannot_pay", "the account cannot pay the fee"};
    case WaitReason::kUnprofitable:
      return {"unprofitable", "relaying the head would earn less than fees.min_profit a message"};
    case WaitReason::kBatching:
      return {"batching", "the head waits up to fees.max_batch_delay_ms for a fuller batch"};
    case WaitReason::kBalanceFloor:
      return {"balance_floor", "every account's free balance is below fees.min_balance"};
    case WaitReason::kRuntimeChanged:
      return {"runtime_changed", "the runtime was upgraded; signing the open submissions again"};
    case WaitReason::kSignatureRefused:
      return {"signature_refused",
              "the chain refuses the hunter's signature with its own runtime: a key or chain "
              "mismatch"};
    case WaitReason::kBackingOff:
      return {"backing_off", "backing off after an error until the next attempt"};
    case WaitReason::kDead:
      return {"dead", "the head has failed for too long (dead); retried with backoff"};
    case WaitReason::kStoreFailed:
      return {"store_failed", "the database refused a write"};
    case WaitReason::kUnknownCluster:
      return {"unknown_cluster", "the chain does not know the cluster"};
    case WaitReason::kBreaksRules:
      return {"breaks_rules", "the head message breaks the chain's rules"};
  }
  return {"moving", "moving"};
}

}  // namespace

std::string_view label(WaitReason r) { return wordsOf(r).label; }

std::string_view describe(WaitReason r) { return wordsOf(r).text; }

std::optional<WaitReason> waitReasonFromLabel(std::string_view l) {
  for (WaitReason r : kAllWaitReasons) {
    if (label(r) == l) return r;
  }
  return std::nullopt;
}

}  // namespace hunter::core
