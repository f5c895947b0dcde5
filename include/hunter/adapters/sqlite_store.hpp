#pragma once
// SqliteStore: core::Store in one SQLite database file (the hunter's durable state).
//
// Contract: the same as core::MemoryStore (see memory_store.hpp for the details both share), plus
// durability. Every Store method runs as one transaction (BEGIN IMMEDIATE ... COMMIT, rolled back
// on any error), so after a crash each call either happened completely or not at all. Errors
// from SQLite come back as Error{"db", "<operation>: <what>: <sqlite3_errmsg>"}; the semantic
// errors of the contract keep their codes ("conflict", "not_found", "bad_value").
//
// The file is opened in WAL mode with synchronous=NORMAL: a committed transaction survives a
// crash of the process (it is in the WAL, which the OS holds), and the WAL's checksummed frames
// mean a transaction is replayed completely or not at all. Only an OS crash or power loss can
// lose the last few commits, never half of one (the relay then redoes that work, and the chain's
// ACKs settle anything it had already submitted); in exchange no commit waits for an fsync,
// which matters at thousands of messages per second. WAL checkpoints (the only fsyncs) run on a
// background thread with its own connection, so a commit does not run one either. A new file is
// created with mode 0600 (it names the hunter's accounts and workers); the -wal and -shm files
// inherit that mode from it.
//
// The schema is versioned in PRAGMA user_version and upgraded by the migrations in the .cpp, all
// in one transaction. A file written by a newer hunter (user_version above kSchemaVersion),
// a file that is not an SQLite database, or an SQLite database of another program is refused
// with an error naming the path.
//
// Thread-safe: one connection, guarded by a mutex; prepared statements are cached per SQL text.
// A file database also has a checkpoint thread: after a commit leaves kCheckpointBytes or more
// in the WAL it runs a PASSIVE checkpoint on a second connection (never blocking the writer);
// only if the WAL still reaches kInlineCheckpointBytes does a commit checkpoint by itself.
//
// CPU per message (README "Performance"): a new file gets 16 KiB pages (kPageSize), a commit of
// a round's rows is then a quarter of the WAL frames and write() calls it is with SQLite's 4 KiB
// default; a file made with another page size keeps it. The page cache is kCacheKiB, so that
// the rows a backlog works on are read from it rather than through pread(). SQLite's memory
// statistics (a global mutex around every allocation) are off.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hunter/core/ports.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hunter::adapters {
namespace sqlite_detail {
class Query;  // a cached prepared statement in use (sqlite_store.cpp)
}  // namespace sqlite_detail

// Per (cluster, account) totals over the recorded outcomes, for `hunter rewards`. `account` is
// the outcome's account: the ACK's hunter for accepted / superseded / diverged outcomes.
struct RewardSummary {
  H256 cluster{};
  crypto::AccountId32 account{};
  uint64_t accepted = 0;
  uint64_t superseded = 0;
  uint64_t diverged = 0;
  uint64_t rejected = 0;
  uint64_t dead = 0;
  u128 reward = 0;  // sum over accepted outcomes
  u128 fee = 0;     // sum over all outcomes (each message's share of its extrinsic's fee)
};

// The one writer of a database: an exclusive flock on "<database>.lock" (created 0600), held for
// the object's life, with the holder's PID written in it. `run` and `submit` take it before they
// open the database, so a second one on the same database fails at start (code "locked", naming
// the file and the holder's PID) instead of double-booking; the read-only commands (`status`,
// `rewards`, `workers`) and `retry` take none. The kernel drops the lock when the process dies,
// however it dies. ":memory:" needs no lock.
class WriterLock {
 public:
  static Result<WriterLock> acquire(const std::string& database);
  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&&) = delete;
  WriterLock(const WriterLock&) = delete;
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class SqliteStore final : public core::Store {
 public:
  static constexpr int kSchemaVersion = 5;
  static constexpr int kPageSize = 16384;  // for a new file
  static constexpr int kCacheKiB = 8192;
  // SQLite's own autocheckpoint default, 1,000 pages of 4 KiB, whatever the page size.
  static constexpr int64_t kCheckpointBytes = 4096000;
  static constexpr int64_t kInlineCheckpointBytes = int64_t{64000} * 4096;

  // kWriter (run, submit; the one holding the WriterLock): the database is checked
  // (quick_check), lost submissions are restored from the journal, and submissions are
  // journaled. kReader (status, rewards, workers, retry, GET /status): none of that, so that a
  // reader beside a running service never touches its journal.
  enum class Access { kWriter, kReader };
  // Opens or creates the database at `path` and brings its schema up to kSchemaVersion.
  // ":memory:" gives a private in-memory database (for tests).
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   Access access = Access::kWriter);

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  Status addMessages(const std::vector<core::StoredMessage>& msgs) override;
  Result<std::optional<std::pair<uint64_t, H256>>> tip(const H256& cluster) override;
  Result<std::optional<core::StoredMessage>> message(const H256& cluster, uint64_t sn) override;
  Result<std::vector<core::StoredMessage>> messages(const H256& cluster,
                                                    const std::vector<core::MsgState>& states,
                                                    uint64_t from_sn, size_t limit) override;
  // Without the message body and signatures (empty in the result).
  Result<std::vector<core::StoredMessage>> messageHeads(const H256& cluster,
                                                        const std::vector<core::MsgState>& states,
                                                        uint64_t from_sn, size_t limit) override;
  Result<uint64_t> countMessages(const H256& cluster,
                                 const std::vector<core::MsgState>& states) override;
  Status dropFrom(const H256& cluster, uint64_t from_sn) override;

  Status markSigned(const H256& cluster, const std::vector<SignedUpdate>& updates,
                    const std::vector<core::SignatureRecord>& answers, int64_t now_ms) override;
  Status setRetry(const H256& cluster, const std::vector<RetryUpdate>& updates,
                  int64_t now_ms) override;
  Status retryNow(const H256& cluster) override;
  Status recordSignatureAnswers(const std::vector<core::SignatureRecord>& answers) override;
  Result<std::vector<core::SignatureRecord>> signatureAnswers(const H256& cluster,
                                                              uint64_t sn) override;

  Result<int64_t> addSubmission(const core::SubmissionRecord& s) override;
  Status updateSubmission(int64_t id, core::SubmissionStatus status, const std::string& error,
                          int64_t now_ms) override;
  Status releaseSubmission(int64_t id, core::SubmissionStatus status, const std::string& error,
                           const RetryUpdate& retry, int64_t now_ms) override;
  Result<std::vector<core::SubmissionRecord>> openSubmissions(const H256& cluster) override;
  // Without the extrinsic bytes (empty in the result).
  Result<std::vector<core::SubmissionRecord>> openSubmissionHeads(const H256& cluster) override;
  Result<std::optional<core::SubmissionRecord>> submission(int64_t id) override;
  Result<std::optional<core::SubmissionRecord>> lostSubmissionCovering(
      const H256& cluster, uint64_t sn, const crypto::AccountId32& account) override;
  Result<std::vector<core::SubmissionRecord>> submissionsCovering(const H256& cluster,
                                                                  uint64_t sn) override;

  Status recordOutcomes(const std::vector<core::OutcomeRecord>& outcomes) override;
  Status replaceOutcome(const core::OutcomeRecord& outcome) override;
  Result<std::vector<core::OutcomeRecord>> outcomes(const std::optional<H256>& cluster) override;
  Result<std::vector<core::OutcomeRecord>> outcomesOf(const H256& cluster, uint64_t sn) override;

  Status upsertWorker(const core::WorkerRecord& w) override;
  Result<std::vector<core::WorkerRecord>> workers(const std::optional<H256>& cluster) override;
  Status setClusterStatus(const core::ClusterStatusRecord& s) override;
  Result<std::optional<core::ClusterStatusRecord>> clusterStatus(const H256& cluster) override;

  // Besides core::Store's keys, "checkpoint": a block "number:0xhash" of its chain it has seen.
  Result<std::optional<std::string>> meta(const std::string& key) override;
  Status setMeta(const std::string& key, const std::string& value) override;

  // Submission records the database had lost (its -wal deleted after an unclean stop) and that
  // open() restored from the journal, as `lost` submissions without their bytes.
  size_t restoredFromJournal() const { return restored_; }
  // One transaction.
  Status saveRoundState(const std::vector<core::WorkerRecord>& workers,
                        const std::optional<core::ClusterStatusRecord>& status) override;

  // ---- retention (not part of core::Store: the service's maintenance) ----
  // Deletes, in one transaction, at most `max_messages` settled messages (accepted, superseded,
  // diverged) of `cluster` with sn < below_sn, updated before cutoff_ms, lowest sns first, with
  // every row that belongs to them: signature answers, outcome rows (added first to
  // reward_totals, so rewardsSummary gives the same numbers), and the finished submissions
  // (included, rejected, lost) that carried nothing above the deleted sns. Records
  // "pruned_below:<cluster>" (the audit never goes below it). Returns the messages deleted.
  // SQLite reuses the freed pages, so a database under retention stops growing.
  Result<size_t> pruneSettled(const H256& cluster, uint64_t below_sn, int64_t cutoff_ms,
                              size_t max_messages);

  // ---- read helpers for `status` and `rewards` (not part of core::Store) ----
  // Every cluster the database knows anything about (messages, submissions, outcomes, workers,
  // status), ascending by bytes.
  Result<std::vector<H256>> clusters();
  // The newest `limit` outcome rows of a cluster, newest first.
  Result<std::vector<core::OutcomeRecord>> recentOutcomes(const H256& cluster, size_t limit);
  // Message counts of a cluster per state (states with no message are absent).
  Result<std::map<core::MsgState, uint64_t>> messageCounts(const H256& cluster);
  // Outcome totals per (cluster, account), ascending by (cluster, account); one cluster or all.
  Result<std::vector<RewardSummary>> rewardsSummary(const std::optional<H256>& cluster);
  // The database file's path as given to open().
  const std::string& path() const { return path_; }

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const;
  };
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const;
  };
  using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
  using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;
  using Query = sqlite_detail::Query;

  struct Checkpointer;
  friend struct Checkpointer;

  SqliteStore(DbPtr db, std::string path);
  // For a file database: replaces SQLite's autocheckpoint with the checkpoint thread.
  void startCheckpointer();
  static int walHook(void* self, sqlite3* db, const char* name, int pages);

  Status migrate();
  // The statements of upsertWorker and setClusterStatus, inside a transaction already open.
  Status workerRow(const core::WorkerRecord& w);
  Status statusRow(const core::ClusterStatusRecord& s);
  // A cached prepared statement for `sql`, ready to bind.
  Result<Query> query(const std::string& sql, const char* op);
  Status exec(const std::string& sql, const char* op);
  // Runs body() inside BEGIN IMMEDIATE ... COMMIT under the mutex; rolls back if body fails.
  template <class F>
  auto write(const char* op, F&& body) -> decltype(body());
  template <class F>
  auto read(F&& body) -> decltype(body());

  DbPtr db_;  // declared first: closed after the cached statements are finalized
  std::string path_;
  std::mutex mu_;
  std::unordered_map<std::string, StmtPtr> stmts_;
  std::unique_ptr<Checkpointer> checkpointer_;  // stopped first, in the destructor
  int64_t page_size_ = 4096;                    // of the file, read after migrate()
  // The submission journal ("<database>.journal"): one line per submission, appended after its
  // transaction commits, so that a lost -wal file cannot take a submission (and the fee the
  // chain took for it) out of the books. open() restores what the database lacks and empties
  // it; the checkpoint thread drops what a complete checkpoint made safe.
  struct Journal;
  std::unique_ptr<Journal> journal_;
  size_t restored_ = 0;
  Status restoreFromJournal();
  Status checkIntegrity();
  Status foldOutcomes(const H256& cluster, uint64_t hi);
};

}  // namespace hunter::adapters
