#pragma once
// MemoryStore: core::Store kept in memory, for the relay's unit tests and for tools that need a
// throwaway store. Same contract as adapters::SqliteStore (the shared store tests run against
// both), minus durability: everything is lost with the object.
//
// The contract is core::Store's (ports.hpp), where all of it is written down once.
// Thread-safe: every method takes one mutex.
#include <map>
#include <mutex>

#include "hunter/core/ports.hpp"

namespace hunter::core {

class MemoryStore : public Store {
 public:
  Status addMessages(const std::vector<StoredMessage>& msgs) override;
  Result<std::optional<std::pair<uint64_t, H256>>> tip(const H256& cluster) override;
  Result<std::optional<StoredMessage>> message(const H256& cluster, uint64_t sn) override;
  Result<std::vector<StoredMessage>> messages(const H256& cluster,
                                              const std::vector<MsgState>& states, uint64_t from_sn,
                                              size_t limit) override;
  Result<uint64_t> countMessages(const H256& cluster, const std::vector<MsgState>& states) override;
  Status dropFrom(const H256& cluster, uint64_t from_sn) override;

  Status markSigned(const H256& cluster, const std::vector<SignedUpdate>& updates,
                    const std::vector<SignatureRecord>& answers, int64_t now_ms) override;
  Status setRetry(const H256& cluster, const std::vector<RetryUpdate>& updates,
                  int64_t now_ms) override;
  Status retryNow(const H256& cluster) override;
  Status recordSignatureAnswers(const std::vector<SignatureRecord>& answers) override;
  Result<std::vector<SignatureRecord>> signatureAnswers(const H256& cluster, uint64_t sn) override;

  Result<int64_t> addSubmission(const SubmissionRecord& s) override;
  Status updateSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                          int64_t now_ms) override;
  Status releaseSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                           const RetryUpdate& retry, int64_t now_ms) override;
  Result<std::vector<SubmissionRecord>> openSubmissions(const H256& cluster) override;
  Result<std::optional<SubmissionRecord>> submission(int64_t id) override;
  Result<std::optional<SubmissionRecord>> lostSubmissionCovering(
      const H256& cluster, uint64_t sn, const crypto::AccountId32& account) override;
  Result<std::vector<SubmissionRecord>> submissionsCovering(const H256& cluster,
                                                            uint64_t sn) override;

  Status recordOutcomes(const std::vector<OutcomeRecord>& outcomes) override;
  Status replaceOutcome(const OutcomeRecord& outcome) override;
  Result<std::vector<OutcomeRecord>> outcomes(const std::optional<H256>& cluster) override;
  Result<std::vector<OutcomeRecord>> outcomesOf(const H256& cluster, uint64_t sn) override;

  Status upsertWorker(const WorkerRecord& w) override;
  Result<std::vector<WorkerRecord>> workers(const std::optional<H256>& cluster) override;
  Status setClusterStatus(const ClusterStatusRecord& s) override;
  Result<std::optional<ClusterStatusRecord>> clusterStatus(const H256& cluster) override;
  Result<std::optional<std::string>> meta(const std::string& key) override;
  Status setMeta(const std::string& key, const std::string& value) override;

 private:
  using MsgKey = std::pair<H256, uint64_t>;

  std::mutex mu_;
  std::map<MsgKey, StoredMessage> messages_;
  std::vector<SignatureRecord> answers_;
  std::map<int64_t, SubmissionRecord> submissions_;
  int64_t next_submission_id_ = 1;
  std::vector<OutcomeRecord> outcomes_;
  std::map<std::pair<H256, std::string>, WorkerRecord> workers_;
  std::map<H256, ClusterStatusRecord> cluster_status_;
  std::map<std::string, std::string> meta_;
};

}  // namespace hunter::core
