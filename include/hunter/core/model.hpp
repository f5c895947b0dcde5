#pragma once
// The hunter's records: what it stores about messages, signatures, submissions, outcomes and
// workers. Plain data shared by the relay (core), the stores and the commands.
#include <optional>
#include <string>
#include <vector>

#include "hunter/core/extrinsic.hpp"
#include "hunter/core/storage.hpp"

#include "hunter/core/wait_reason.hpp"

namespace hunter::core {

// A message's life in the hunter:
//   pending   fetched, hash chain checked, quorum not yet gathered (or retrying after an error)
//   signed    a quorum of valid, distinct signatures is stored; ready to submit
//   submitted part of a submission that is being sent or sits in the chain's pool
//   accepted  the chain's ACK has our hash and our account             (final)
//   superseded the ACK has our hash and another hunter's account       (final)
//   diverged  the ACK has another hash                                  (final)
//   dead      not used any more: a message that cannot go through for max_message_age is
//             reported dead (an outcome row, a status) and keeps being retried; stores move
//             rows an older version left `dead` back to pending when they open
enum class MsgState { kPending, kSigned, kSubmitted, kAccepted, kSuperseded, kDiverged, kDead };
const char* toString(MsgState s);
std::optional<MsgState> msgStateFromString(std::string_view s);
inline bool isFinal(MsgState s) {
  return s == MsgState::kAccepted || s == MsgState::kSuperseded || s == MsgState::kDiverged;
}

// The Store's "conflict": a stored message at `sn` has another hash than the one offered.
Error conflictError(const H256& cluster, uint64_t sn, const H256& stored, const H256& offered);

struct StoredMessage {
  H256 cluster{};
  uint64_t sn = 0;
  H256 hash{};
  ClusterMessage msg;
  std::string source;  // endpoint of the worker it was fetched from
  MsgState state = MsgState::kPending;
  uint32_t attempts = 0;
  std::string last_error;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t next_attempt_ms = 0;                // not retried before this time
  std::vector<crypto::Signature> signatures;  // the quorum, once signed
  int64_t submission_id = 0;                  // 0 = none
};

// One signature answer from one worker for one message, valid or not (audit trail).
struct SignatureRecord {
  H256 cluster{};
  uint64_t sn = 0;
  H256 hash{};         // the hash the hunter asked about
  std::string worker;  // endpoint
  bool valid = false;
  std::string code;  // "", "diverged", "unknown_sn", "bad_signature", "not_registered", ...
  std::optional<H256> local_hash;  // a diverged worker's own hash
};

enum class SubmissionStatus { kSending, kInPool, kIncluded, kRejected, kLost };
const char* toString(SubmissionStatus s);
std::optional<SubmissionStatus> submissionStatusFromString(std::string_view s);

struct SubmissionRecord {
  int64_t id = 0;
  H256 cluster{};
  H256 tx_hash{};
  crypto::AccountId32 account{};
  uint32_t nonce = 0;
  uint64_t era_birth = 0;  // block the mortal era starts at
  uint64_t era_death = 0;  // first block it is no longer valid
  uint64_t first_sn = 0;
  uint64_t last_sn = 0;
  u128 fee = 0;           // partialFee + tip
  bool fee_known = true;  // false: payment_queryInfo failed; asked again before booking
  SubmissionStatus status = SubmissionStatus::kSending;
  std::string error;
  Bytes extrinsic;  // the exact bytes, so a resend is idempotent
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

enum class OutcomeKind { kAccepted, kSuperseded, kDiverged, kRejected, kDead };
const char* toString(OutcomeKind k);
std::optional<OutcomeKind> outcomeKindFromString(std::string_view s);

struct OutcomeRecord {
  H256 cluster{};
  uint64_t sn = 0;
  OutcomeKind kind = OutcomeKind::kAccepted;
  std::string reason;  // rejection reason / dead reason (both are reports: the message goes on)
  std::optional<H256> ack_hash;
  uint32_t block = 0;
  u128 reward = 0;
  u128 fee = 0;  // this message's share of its extrinsic's fee
  crypto::AccountId32 account{};
  int64_t submission_id = 0;
  int64_t at_ms = 0;
};

struct WorkerRecord {
  H256 cluster{};
  std::string endpoint;
  std::optional<crypto::PublicKey> public_key;
  std::string version;
  int64_t last_seen_ms = 0;
  uint64_t signatures_valid = 0;
  uint64_t signatures_invalid = 0;
  uint64_t refused = 0;  // diverged / unknown_sn / stopped answers
  uint64_t errors = 0;   // transport errors, garbage, timeouts
  uint64_t divergences = 0;
  uint64_t faulty_chain = 0;  // lied about the hash chain
  double latency_ms_ewma = 0;
  std::string last_error;
  std::optional<H256> diverged_hash;  // last hash it signed/claimed that nobody else agreed with
  uint64_t diverged_sn = 0;
};

// The state a round leaves a cluster in (stored and shown by its name).
enum class ClusterState { kOk, kStuck, kDead, kChainUnreachable, kUnknownCluster };
const char* toString(ClusterState s);  // "ok", "stuck", "dead", "chain_unreachable", ...

// A cluster's summary the relay leaves for `status`.
struct ClusterStatusRecord {
  H256 cluster{};
  std::string state;   // toString(ClusterState)
  std::string detail;  // human text, e.g. competing hashes and who signed each
  uint64_t chain_next_sn = 0;
  uint64_t worker_next_sn = 0;
  int64_t updated_ms = 0;
  WaitReason reason = WaitReason::kMoving;  // why the head is not moving (kMoving: it is)
};

}  // namespace hunter::core
