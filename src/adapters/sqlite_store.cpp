#include "hunter/adapters/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <thread>
#include <utility>

namespace hunter::adapters {

using core::ClusterStatusRecord;
using core::MsgState;
using core::OutcomeKind;
using core::OutcomeRecord;
using core::SignatureRecord;
using core::StoredMessage;
using core::SubmissionRecord;
using core::SubmissionStatus;
using core::WorkerRecord;

namespace {

// "HUNT": marks the file as a hunter database (PRAGMA application_id).
constexpr int64_t kApplicationId = 0x48554e54;
// Sns order the queue, and SQLite integers are signed 64-bit.
constexpr uint64_t kMaxSn = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr int kBusyTimeoutMs = 5000;

// kMigrations[i] takes a database from user_version i to i + 1. Append only; never edit a
// released entry. Conventions: hashes, keys and byte strings are BLOBs; u128 amounts are decimal
// TEXT (lossless, readable in the sqlite3 shell); u64 values are stored as the INTEGER with the
// same bits; states and kinds are their names.
constexpr const char* kMigrations[] = {
    // v1: the initial schema.
    R"sql(
CREATE TABLE messages (
  cluster         BLOB    NOT NULL,
  sn              INTEGER NOT NULL,
  hash            BLOB    NOT NULL,  -- blake2_256(SCALE(ClusterMessage))
  sender_kind     INTEGER NOT NULL,  -- MessageOrigin variant index
  sender_data     BLOB    NOT NULL,
  destination     BLOB    NOT NULL,
  payload         BLOB    NOT NULL,
  msg_sn          INTEGER NOT NULL,  -- the sn inside the message (equals sn when fetched)
  prev_hash       BLOB    NOT NULL,
  state_root      BLOB    NOT NULL,
  source          TEXT    NOT NULL,  -- endpoint of the worker it was fetched from
  state           TEXT    NOT NULL,
  attempts        INTEGER NOT NULL,
  last_error      TEXT    NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  signatures      BLOB    NOT NULL,  -- the quorum: 65-byte r ++ s ++ recid, concatenated
  submission_id   INTEGER NOT NULL   -- 0 = none
);
CREATE UNIQUE INDEX messages_by_sn ON messages (cluster, sn);
CREATE INDEX messages_by_state ON messages (cluster, state, sn);

CREATE TABLE signatures (
  id         INTEGER PRIMARY KEY,
  cluster    BLOB    NOT NULL,
  sn         INTEGER NOT NULL,
  hash       BLOB    NOT NULL,  -- the hash the hunter asked the worker to sign
  worker     TEXT    NOT NULL,
  valid      INTEGER NOT NULL,
  code       TEXT    NOT NULL,
  local_hash BLOB              -- a diverged worker's own hash
);
CREATE INDEX signatures_by_sn ON signatures (cluster, sn);

CREATE TABLE submissions (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster    BLOB    NOT NULL,
  tx_hash    BLOB    NOT NULL,
  account    BLOB    NOT NULL,
  nonce      INTEGER NOT NULL,
  era_birth  INTEGER NOT NULL,
  era_death  INTEGER NOT NULL,
  first_sn   INTEGER NOT NULL,
  last_sn    INTEGER NOT NULL,
  fee        TEXT    NOT NULL,
  status     TEXT    NOT NULL,
  error      TEXT    NOT NULL,
  extrinsic  BLOB    NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX submissions_by_status ON submissions (cluster, status);

CREATE TABLE outcomes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster       BLOB    NOT NULL,
  sn            INTEGER NOT NULL,
  kind          TEXT    NOT NULL,
  reason        TEXT    NOT NULL,
  ack_hash      BLOB,
  block         INTEGER NOT NULL,
  reward        TEXT    NOT NULL,
  fee           TEXT    NOT NULL,
  account       BLOB    NOT NULL,
  submission_id INTEGER NOT NULL,
  at_ms         INTEGER NOT NULL
);
CREATE INDEX outcomes_by_cluster ON outcomes (cluster);

CREATE TABLE workers (
  cluster            BLOB    NOT NULL,
  endpoint           TEXT    NOT NULL,
  public_key         BLOB,
  version            TEXT    NOT NULL,
  last_seen_ms       INTEGER NOT NULL,
  signatures_valid   INTEGER NOT NULL,
  signatures_invalid INTEGER NOT NULL,
  refused            INTEGER NOT NULL,
  errors             INTEGER NOT NULL,
  divergences        INTEGER NOT NULL,
  faulty_chain       INTEGER NOT NULL,
  latency_ms_ewma    REAL,             -- NULL = NaN (SQLite stores NaN as NULL)
  last_error         TEXT    NOT NULL,
  diverged_hash      BLOB,
  diverged_sn        INTEGER NOT NULL,
  PRIMARY KEY (cluster, endpoint)
);

CREATE TABLE cluster_status (
  cluster        BLOB    NOT NULL PRIMARY KEY,
  state          TEXT    NOT NULL,
  detail         TEXT    NOT NULL,
  chain_next_sn  INTEGER NOT NULL,
  worker_next_sn INTEGER NOT NULL,
  updated_ms     INTEGER NOT NULL
);
)sql",
    // v2: a submission's bytes (up to megabytes) in their own table. SQLite rewrites a whole
    // row on UPDATE, overflow pages included, so each status change of a submission rewrote
    // its extrinsic: two thirds of the WAL a backlog wrote for submissions.
    R"sql(
CREATE TABLE submission_bytes (
  id        INTEGER PRIMARY KEY,  -- submissions.id
  extrinsic BLOB    NOT NULL
);
INSERT INTO submission_bytes (id, extrinsic) SELECT id, extrinsic FROM submissions;
ALTER TABLE submissions DROP COLUMN extrinsic;
)sql",
    // v3: `dead` is a report, not a state: messages an older hunter left dead are retried (the
    // chain takes sns in order, so a dead head wedged its cluster). A submission whose fee
    // could not be queried says so, and the fee is asked again before it is booked. `meta`
    // holds facts about the database itself (the chain it belongs to).
    R"sql(
UPDATE messages SET state = 'pending', next_attempt_ms = 0 WHERE state = 'dead';
ALTER TABLE submissions ADD COLUMN fee_known INTEGER NOT NULL DEFAULT 1;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
    // v4: why a cluster's head is not moving (core::WaitReason, by its label).
    R"sql(
ALTER TABLE cluster_status ADD COLUMN reason TEXT NOT NULL DEFAULT 'moving';
)sql",
    // v5: retention. Outcome rows that pruneSettled deletes are first added to reward_totals,
    // per cluster and account, so that `rewards` counts the same before and after; outcomes are
    // found by sn.
    R"sql(
CREATE TABLE reward_totals (
  cluster    BLOB    NOT NULL,
  account    BLOB    NOT NULL,
  accepted   INTEGER NOT NULL,
  superseded INTEGER NOT NULL,
  diverged   INTEGER NOT NULL,
  rejected   INTEGER NOT NULL,
  dead       INTEGER NOT NULL,
  reward     TEXT    NOT NULL,
  fee        TEXT    NOT NULL,
  PRIMARY KEY (cluster, account)
);
CREATE INDEX outcomes_by_sn ON outcomes (cluster, sn);
)sql",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion,
              "one migration per schema version");

constexpr const char* kMessageColumns =
    "cluster, sn, hash, sender_kind, sender_data, destination, payload, msg_sn, prev_hash, "
    "state_root, source, state, attempts, last_error, created_ms, updated_ms, next_attempt_ms, "
    "signatures, submission_id";
constexpr const char* kSignatureColumns = "cluster, sn, hash, worker, valid, code, local_hash";
// With the bytes: FROM kSubmissionsWithBytes.
constexpr const char* kSubmissionColumns =
    "s.id, s.cluster, s.tx_hash, s.account, s.nonce, s.era_birth, s.era_death, s.first_sn, "
    "s.last_sn, s.fee, s.status, s.error, coalesce(b.extrinsic, X''), s.created_ms, "
    "s.updated_ms, s.fee_known";
constexpr const char* kSubmissionsWithBytes =
    "submissions s LEFT JOIN submission_bytes b ON b.id = s.id";
// Without the bytes (empty): FROM submissions.
constexpr const char* kSubmissionHeadColumns =
    "id, cluster, tx_hash, account, nonce, era_birth, era_death, first_sn, last_sn, fee, status, "
    "error, X'', created_ms, updated_ms, fee_known";
constexpr const char* kOutcomeColumns =
    "cluster, sn, kind, reason, ack_hash, block, reward, fee, account, submission_id, at_ms";
constexpr const char* kWorkerColumns =
    "cluster, endpoint, public_key, version, last_seen_ms, signatures_valid, signatures_invalid, "
    "refused, errors, divergences, faulty_chain, latency_ms_ewma, last_error, diverged_hash, "
    "diverged_sn";

std::string placeholders(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ", ?";
  return s;
}

std::optional<OutcomeKind> outcomeKindFrom(std::string_view s) {
  for (auto k : {OutcomeKind::kAccepted, OutcomeKind::kSuperseded, OutcomeKind::kDiverged,
                 OutcomeKind::kRejected, OutcomeKind::kDead}) {
    if (s == core::toString(k)) return k;
  }
  return std::nullopt;
}

// The message state an outcome settles, if any (a rejection settles nothing).
std::optional<MsgState> settledState(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::kAccepted:
      return MsgState::kAccepted;
    case OutcomeKind::kSuperseded:
      return MsgState::kSuperseded;
    case OutcomeKind::kDiverged:
      return MsgState::kDiverged;
    case OutcomeKind::kDead:  // a report, like a rejection: the message is retried
    case OutcomeKind::kRejected:
      break;
  }
  return std::nullopt;
}

Error dbError(sqlite3* db, const std::string& op, const std::string& what) {
  return makeError("db", op + ": " + what + ": " + sqlite3_errmsg(db));
}

}  // namespace

// ---- WriterLock ------------------------------------------------------------------------------

Result<WriterLock> WriterLock::acquire(const std::string& database) {
  if (database == ":memory:") return WriterLock(-1);
  const std::string path = database + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return makeError("io", "cannot open the lock file " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return makeError("io", "cannot lock " + path + ": " + std::strerror(err));
    }
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return makeError("locked", "database " + database + " is in use by hunter process " +
                                   (pid.empty() ? "(unknown pid)" : pid) + " (lock " + path +
                                   "): only one run or submit may write a database; stop it "
                                   "first, or give this one its own database");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the PID; only the message of a second process is poorer.
  }
  return WriterLock(fd);
}

WriterLock::WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor drops the flock
}

namespace sqlite_detail {

// A cached prepared statement in use: binds parameters left to right, steps, reads columns, and
// resets itself when it goes out of scope. Bind failures and malformed column values are
// remembered and reported by the next step() / rowError().
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* s, const char* op) : db_(db), s_(s), op_(op) {}
  Query(Query&& o) noexcept
      : db_(o.db_),
        s_(std::exchange(o.s_, nullptr)),
        op_(o.op_),
        next_(o.next_),
        bind_rc_(o.bind_rc_),
        corrupt_(std::move(o.corrupt_)) {}
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (s_ != nullptr) {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  Query& i64(int64_t v) { return check(sqlite3_bind_int64(s_, ++next_, v)); }
  Query& u64(uint64_t v) { return i64(static_cast<int64_t>(v)); }
  Query& real(double v) {
    if (std::isnan(v)) return null();
    return check(sqlite3_bind_double(s_, ++next_, v));
  }
  Query& text(std::string_view v) {
    return check(
        sqlite3_bind_text64(s_, ++next_, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  Query& u128v(u128 v) { return text(u128ToString(v)); }
  Query& blob(ByteSpan v) {
    // A null pointer would bind NULL; an empty blob must stay an empty blob.
    if (v.empty()) return check(sqlite3_bind_zeroblob(s_, ++next_, 0));
    return check(sqlite3_bind_blob64(s_, ++next_, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  template <size_t N>
  Query& blob(const FixedBytes<N>& v) {
    return blob(ByteSpan(v.data(), N));
  }
  template <size_t N>
  Query& blob(const std::optional<FixedBytes<N>>& v) {
    return v ? blob(*v) : null();
  }
  Query& null() { return check(sqlite3_bind_null(s_, ++next_)); }

  // True for a row, false when done.
  Result<bool> step() {
    if (bind_rc_ != SQLITE_OK) {
      return makeError("db", std::string(op_) + ": bind: " + sqlite3_errstr(bind_rc_));
    }
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return dbError(db_, op_, "step");
  }
  // Runs a statement that returns no rows.
  Status run() {
    auto r = step();
    if (!r.ok()) return r.error();
    return okStatus();
  }
  int64_t changes() const { return sqlite3_changes64(db_); }

  bool isNull(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
  int64_t colI64(int i) const { return sqlite3_column_int64(s_, i); }
  uint64_t colU64(int i) const { return static_cast<uint64_t>(colI64(i)); }
  uint32_t colU32(int i) {
    int64_t v = colI64(i);
    if (v < 0 || v > std::numeric_limits<uint32_t>::max()) corrupt(i, "out of range");
    return static_cast<uint32_t>(v);
  }
  double colReal(int i) const {
    return isNull(i) ? std::numeric_limits<double>::quiet_NaN() : sqlite3_column_double(s_, i);
  }
  std::string colText(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    int n = sqlite3_column_bytes(s_, i);
    return p == nullptr ? std::string() : std::string(p, static_cast<size_t>(n));
  }
  Bytes colBlob(int i) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, i));
    int n = sqlite3_column_bytes(s_, i);
    return p == nullptr ? Bytes() : Bytes(p, p + n);
  }
  template <size_t N>
  FixedBytes<N> colFixed(int i) {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, i));
    int n = sqlite3_column_bytes(s_, i);
    if (p == nullptr || n != static_cast<int>(N)) {
      corrupt(i, "has " + std::to_string(n) + " bytes, expected " + std::to_string(N));
      return FixedBytes<N>{};
    }
    return toFixed<N>(ByteSpan(p, N));
  }
  template <size_t N>
  std::optional<FixedBytes<N>> colFixedOpt(int i) {
    if (isNull(i)) return std::nullopt;
    return colFixed<N>(i);
  }
  u128 colU128(int i) {
    auto v = u128FromString(colText(i));
    if (!v.ok()) {
      corrupt(i, "is not a u128: " + v.error().message);
      return 0;
    }
    return *v;
  }
  MsgState colMsgState(int i) {
    auto s = core::msgStateFromString(colText(i));
    if (!s) corrupt(i, "is not a message state");
    return s.value_or(MsgState::kPending);
  }
  SubmissionStatus colSubmissionStatus(int i) {
    auto s = core::submissionStatusFromString(colText(i));
    if (!s) corrupt(i, "is not a submission status");
    return s.value_or(SubmissionStatus::kSending);
  }
  OutcomeKind colOutcomeKind(int i) {
    auto k = outcomeKindFrom(colText(i));
    if (!k) corrupt(i, "is not an outcome kind");
    return k.value_or(OutcomeKind::kAccepted);
  }
  void corrupt(int i, const std::string& why) {
    if (corrupt_.empty()) {
      corrupt_ = std::string("column ") + sqlite3_column_name(s_, i) + " " + why;
    }
  }
  // The first malformed value read from the current row, as an error.
  Status rowError() const {
    if (corrupt_.empty()) return okStatus();
    return makeError("db", std::string(op_) + ": corrupt row: " + corrupt_);
  }

 private:
  Query& check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3* db_;
  sqlite3_stmt* s_;
  const char* op_;
  int next_ = 0;
  int bind_rc_ = SQLITE_OK;
  std::string corrupt_;
};

}  // namespace sqlite_detail

using sqlite_detail::Query;

void SqliteStore::DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteStore::StmtFinalizer::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

// ---- the submission journal ---------------------------------------------------------------

struct SqliteStore::Journal {
  std::string path;
  std::mutex mu;
  int fd = -1;

  explicit Journal(std::string p) : path(std::move(p)) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  }
  ~Journal() {
    if (fd >= 0) ::close(fd);
  }
  bool ok() const { return fd >= 0; }
  Status append(const std::string& line) {
    std::lock_guard lock(mu);
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return makeError("io", "cannot append to " + path + ": " + std::strerror(errno));
    }
    return okStatus();
  }
  uint64_t size() {
    std::lock_guard lock(mu);
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
  std::string readAll() {
    std::lock_guard lock(mu);
    std::string out;
    char buf[65536];
    for (off_t off = 0;;) {
      ssize_t n = ::pread(fd, buf, sizeof buf, off);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      off += n;
    }
    return out;
  }
  // Keeps what was appended after the first `n` bytes.
  void dropPrefix(uint64_t n) {
    std::string rest;
    {
      std::string all = readAll();
      if (n > all.size()) return;
      rest = all.substr(n);
    }
    std::lock_guard lock(mu);
    if (::ftruncate(fd, 0) != 0) return;
    if (!rest.empty()) (void)!::write(fd, rest.data(), rest.size());
  }
};

namespace {

// One journal line: the submission's bookkeeping, without its bytes.
std::string journalLine(const SubmissionRecord& s) {
  return toHex(s.tx_hash) + " " + toHex(s.cluster) + " " + toHex(s.account) + " " +
         std::to_string(s.nonce) + " " + std::to_string(s.first_sn) + " " +
         std::to_string(s.last_sn) + " " + u128ToString(s.fee) + " " + (s.fee_known ? "1" : "0") +
         " " + std::to_string(s.era_birth) + " " + std::to_string(s.era_death) + " " +
         std::to_string(s.created_ms) + "\n";
}

std::optional<SubmissionRecord> parseJournalLine(const std::string& line) {
  std::istringstream in(line);
  std::string tx, cluster, account, fee;
  SubmissionRecord s;
  int known = 1;
  if (!(in >> tx >> cluster >> account >> s.nonce >> s.first_sn >> s.last_sn >> fee >> known >>
        s.era_birth >> s.era_death >> s.created_ms)) {
    return std::nullopt;
  }
  auto t = fixedFromHex<32>(tx, "tx");
  auto c = fixedFromHex<32>(cluster, "cluster");
  auto a = fixedFromHex<32>(account, "account");
  auto f = u128FromString(fee);
  if (!t.ok() || !c.ok() || !a.ok() || !f.ok() || s.first_sn > s.last_sn) return std::nullopt;
  s.tx_hash = *t;
  s.cluster = *c;
  s.account = *a;
  s.fee = *f;
  s.fee_known = known != 0;
  s.updated_ms = s.created_ms;
  return s;
}

}  // namespace

// The checkpoint thread: its own connection to the same file, woken by walHook.
struct SqliteStore::Checkpointer {
  SqliteStore::Journal* journal = nullptr;  // its prefix goes once a checkpoint is complete
  DbPtr db;
  std::mutex mu;
  std::condition_variable cv;
  bool wanted = false;
  bool stopping = false;
  std::thread thread;

  void loop() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [this] { return wanted || stopping; });
      if (stopping) return;
      wanted = false;
      lock.unlock();
      // PASSIVE: copies what no reader still needs, takes no writer lock, never waits. What it
      // leaves is copied next time; SQLite restarts the WAL once all of it has been copied.
      // Journal lines written before it began are then safe in the main file.
      const uint64_t journaled = journal ? journal->size() : 0;
      int log = -1, copied = -2;
      int rc =
          sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
      if (journal && rc == SQLITE_OK && log == copied) journal->dropPrefix(journaled);
      lock.lock();
    }
  }
};

SqliteStore::SqliteStore(DbPtr db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  if (!checkpointer_) return;
  sqlite3_wal_hook(db_.get(), nullptr, nullptr);
  {
    std::lock_guard lock(checkpointer_->mu);
    checkpointer_->stopping = true;
  }
  checkpointer_->cv.notify_all();
  checkpointer_->thread.join();
  // db_ checkpoints what is left when it closes, as the last connection.
}

int SqliteStore::walHook(void* self, sqlite3* db, const char*, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  auto* c = store->checkpointer_.get();
  const int64_t bytes = int64_t{pages} * store->page_size_;
  if (bytes >= kInlineCheckpointBytes) {
    // The thread does not keep up (or cannot run): checkpoint here, as SQLite would have.
    sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (bytes >= kCheckpointBytes) {
    {
      std::lock_guard lock(c->mu);
      c->wanted = true;
    }
    c->cv.notify_one();
  }
  return SQLITE_OK;
}

void SqliteStore::startCheckpointer() {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  // A connection learns that the file is in WAL mode when it first reads it; until then a
  // checkpoint does nothing.
  if (rc == SQLITE_OK) rc = sqlite3_exec(raw, "PRAGMA journal_mode", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return;  // SQLite's own autocheckpoint stays in place
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  auto c = std::make_unique<Checkpointer>();
  c->db = std::move(db);
  c->journal = journal_.get();
  try {
    c->thread = std::thread([p = c.get()] { p->loop(); });
  } catch (const std::system_error&) {
    return;  // no thread: SQLite's own autocheckpoint stays in place
  }
  checkpointer_ = std::move(c);
  sqlite3_wal_hook(db_.get(), &SqliteStore::walHook, this);  // replaces the autocheckpoint
}

Result<Query> SqliteStore::query(const std::string& sql, const char* op) {
  auto it = stmts_.find(sql);
  if (it == stmts_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                                SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK || raw == nullptr) return dbError(db_.get(), op, "prepare");
    it = stmts_.emplace(sql, std::move(stmt)).first;
  }
  return Query(db_.get(), it->second.get(), op);
}

Status SqliteStore::exec(const std::string& sql, const char* op) {
  HUNTER_TRY(auto q, query(sql, op));
  for (;;) {  // a PRAGMA may answer with a row
    HUNTER_TRY(bool row, q.step());
    if (!row) return okStatus();
  }
}

template <class F>
auto SqliteStore::write(const char* op, F&& body) -> decltype(body()) {
  std::lock_guard lock(mu_);
  HUNTER_CHECK(exec("BEGIN IMMEDIATE", op));
  struct Rollback {
    SqliteStore* self;
    bool armed = true;
    ~Rollback() {
      // SQLite may have rolled back already (e.g. on SQLITE_FULL); then there is nothing to do.
      if (armed && sqlite3_get_autocommit(self->db_.get()) == 0) {
        (void)self->exec("ROLLBACK", "rollback");
      }
    }
  } guard{this};
  auto r = body();
  if (!r.ok()) return r;
  HUNTER_CHECK(exec("COMMIT", op));
  guard.armed = false;
  return r;
}

template <class F>
auto SqliteStore::read(F&& body) -> decltype(body()) {
  std::lock_guard lock(mu_);
  return body();
}

// ---- open and migrate ----------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, Access access) {
  const bool in_memory = path.empty() || path == ":memory:";
  if (!in_memory) {
    // Create the file ourselves so that it is born 0600; SQLite would use 0644.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      (void)::fchmod(fd, 0600);  // whatever the umask
      ::close(fd);
    } else if (errno != EEXIST) {
      return makeError("db", "cannot create database " + path + ": " + std::strerror(errno));
    }
  }
  // Before SQLite initializes (the first open); later it answers SQLITE_MISUSE and keeps them.
  static const int memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus;
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return makeError("db", "cannot open database " + path + ": " +
                               (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db), path));
  auto st = store->migrate();
  if (!st.ok()) return makeError(st.error().code, "database " + path + ": " + st.error().message);
  {
    auto q = store->query("PRAGMA page_size", "reading page_size");
    if (q.ok()) {
      auto row = q->step();
      if (row.ok() && *row) store->page_size_ = std::max<int64_t>(512, q->colI64(0));
    }
  }
  if (!in_memory && access == Access::kWriter) {
    HUNTER_CHECK(store->checkIntegrity());
    store->journal_ = std::make_unique<Journal>(path + ".journal");
    if (!store->journal_->ok()) {
      return makeError(
          "db", "cannot open the submission journal " + path + ".journal: " + std::strerror(errno));
    }
    HUNTER_CHECK(store->restoreFromJournal());
  }
  if (!in_memory) store->startCheckpointer();
  return store;
}

// PRAGMA quick_check: damaged pages are found at start, not in the middle of a booking.
Status SqliteStore::checkIntegrity() {
  std::lock_guard lock(mu_);
  HUNTER_TRY(auto q, query("PRAGMA quick_check(1)", "quick_check"));
  HUNTER_TRY(bool row, q.step());
  std::string verdict = row ? q.colText(0) : "no answer";
  if (verdict == "ok") return okStatus();
  return makeError("db_damaged", "database " + path_ + " is damaged (quick_check: " + verdict +
                                     "): stop hunter, restore a backup or move the file (with "
                                     "its -wal, -shm and .journal files) aside");
}

// Submissions the journal has and the database lacks went with a lost -wal file: they come back
// as `lost` (the ACKs then book them with their fee), and the cluster's audit is told to start
// at their first sn. Then everything is checkpointed and the journal starts afresh.
Status SqliteStore::restoreFromJournal() {
  std::string text = journal_->readAll();
  std::map<H256, uint64_t> auditFrom;
  {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      auto s = parseJournalLine(line);
      if (!s) continue;  // a torn last line
      bool have = false;
      HUNTER_CHECK(read([&]() -> Status {
        HUNTER_TRY(auto q, query("SELECT 1 FROM submissions WHERE tx_hash = ?", "journal"));
        q.blob(s->tx_hash);
        HUNTER_TRY(have, q.step());
        return okStatus();
      }));
      if (have) continue;
      HUNTER_CHECK(write("restoreFromJournal", [&]() -> Status {
        HUNTER_TRY(auto q,
                   query("INSERT INTO submissions (cluster, tx_hash, account, nonce, era_birth, "
                         "era_death, first_sn, last_sn, fee, status, error, created_ms, "
                         "updated_ms, fee_known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'lost', ?, ?, "
                         "?, ?)",
                         "restoreFromJournal"));
        q.blob(s->cluster)
            .blob(s->tx_hash)
            .blob(s->account)
            .i64(s->nonce)
            .u64(s->era_birth)
            .u64(s->era_death)
            .u64(s->first_sn)
            .u64(s->last_sn)
            .u128v(s->fee)
            .text("restored from the submission journal: the database had lost it")
            .i64(s->created_ms)
            .i64(s->updated_ms)
            .i64(s->fee_known ? 1 : 0);
        return q.run();
      }));
      restored_++;
      auto [it, fresh] = auditFrom.emplace(s->cluster, s->first_sn);
      if (!fresh) it->second = std::min(it->second, s->first_sn);
    }
  }
  for (const auto& [cluster, sn] : auditFrom) {
    const std::string key = core::auditFromKey(cluster);
    HUNTER_TRY(auto old, meta(key));
    uint64_t from = sn;
    if (old) from = std::min<uint64_t>(from, std::strtoull(old->c_str(), nullptr, 10));
    HUNTER_CHECK(setMeta(key, std::to_string(from)));
  }
  if (text.empty()) return okStatus();
  std::lock_guard lock(mu_);
  int log = -1, copied = -2;
  int rc = sqlite3_wal_checkpoint_v2(db_.get(), "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &copied);
  if (rc == SQLITE_OK && log == copied) journal_->dropPrefix(text.size());
  return okStatus();
}

Status SqliteStore::migrate() {
  std::lock_guard lock(mu_);
  // The first read tells a garbage file ("file is not a database") before anything is written.
  {
    HUNTER_TRY(auto q, query("SELECT count(*) FROM sqlite_master", "cannot read the database"));
    HUNTER_CHECK(q.step());
  }
  // WAL: readers never block the writer, and a commit is one append to the WAL. synchronous =
  // NORMAL: see the header; every commit stays atomic across a process crash.
  // page_size takes effect only on a file that has no table yet, before it is put in WAL mode.
  HUNTER_CHECK(exec("PRAGMA page_size = " + std::to_string(kPageSize), "setting page_size"));
  HUNTER_CHECK(exec("PRAGMA cache_size = -" + std::to_string(kCacheKiB), "setting cache_size"));
  HUNTER_CHECK(exec("PRAGMA journal_mode = WAL", "setting journal_mode"));
  HUNTER_CHECK(exec("PRAGMA synchronous = NORMAL", "setting synchronous"));
  // Statement journals and sorts in memory: a multi-row UPDATE inside a transaction otherwise
  // creates, writes and deletes a file in /var/tmp (about 24 a second while clearing a backlog).
  HUNTER_CHECK(exec("PRAGMA temp_store = MEMORY", "setting temp_store"));
  // No table has a foreign key yet; on, so that a migration adding one gets it enforced.
  HUNTER_CHECK(exec("PRAGMA foreign_keys = ON", "setting foreign_keys"));

  HUNTER_CHECK(exec("BEGIN IMMEDIATE", "migrate"));
  struct Rollback {
    sqlite3* db;
    bool armed = true;
    ~Rollback() {
      if (armed && sqlite3_get_autocommit(db) == 0)
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  } guard{db_.get()};

  int64_t version = 0;
  int64_t app_id = 0;
  int64_t objects = 0;
  {
    HUNTER_TRY(auto q, query("PRAGMA user_version", "reading user_version"));
    HUNTER_CHECK(q.step());
    version = q.colI64(0);
  }
  {
    HUNTER_TRY(auto q, query("PRAGMA application_id", "reading application_id"));
    HUNTER_CHECK(q.step());
    app_id = q.colI64(0);
  }
  {
    HUNTER_TRY(auto q, query("SELECT count(*) FROM sqlite_master", "reading the schema"));
    HUNTER_CHECK(q.step());
    objects = q.colI64(0);
  }
  if (version > kSchemaVersion) {
    return makeError("db", "database schema version " + std::to_string(version) +
                               " is newer than this hunter supports (" +
                               std::to_string(kSchemaVersion) + ")");
  }
  if ((version == 0 && objects != 0) || (version > 0 && app_id != kApplicationId)) {
    return makeError("db", "an SQLite database, but not a hunter database");
  }
  for (int64_t v = version; v < kSchemaVersion; ++v) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), kMigrations[v], nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return makeError("db", "migration to schema version " + std::to_string(v + 1) + ": " + msg);
    }
    HUNTER_CHECK(exec("PRAGMA user_version = " + std::to_string(v + 1), "setting user_version"));
  }
  if (version < kSchemaVersion) {
    HUNTER_CHECK(exec("PRAGMA application_id = " + std::to_string(kApplicationId),
                      "setting application_id"));
  }
  HUNTER_CHECK(exec("COMMIT", "migrate"));
  guard.armed = false;
  return okStatus();
}

// ---- rows ------------------------------------------------------------------------------------

namespace {

void appendSignatures(Bytes& out, const std::vector<crypto::Signature>& sigs) {
  for (const auto& s : sigs) out.insert(out.end(), s.begin(), s.end());
}

Bytes concatSignatures(const std::vector<crypto::Signature>& sigs) {
  Bytes out;
  out.reserve(sigs.size() * 65);
  appendSignatures(out, sigs);
  return out;
}

// Binds every column of kMessageColumns.
void bindMessage(Query& q, const StoredMessage& m, const Bytes& signatures) {
  const auto& msg = m.msg;
  q.blob(m.cluster)
      .u64(m.sn)
      .blob(m.hash)
      .i64(static_cast<int64_t>(msg.message.sender.kind))
      .blob(span(msg.message.sender.data))
      .blob(span(msg.message.destination))
      .blob(span(msg.message.payload))
      .u64(msg.sn)
      .blob(msg.prev_hash)
      .blob(msg.state_root)
      .text(m.source)
      .text(core::toString(m.state))
      .i64(m.attempts)
      .text(m.last_error)
      .i64(m.created_ms)
      .i64(m.updated_ms)
      .i64(m.next_attempt_ms)
      .blob(span(signatures))
      .i64(m.submission_id);
}

Result<StoredMessage> readMessage(Query& q) {
  StoredMessage m;
  m.cluster = q.colFixed<32>(0);
  m.sn = q.colU64(1);
  m.hash = q.colFixed<32>(2);
  int64_t kind = q.colI64(3);
  if (kind < 0 || kind > 255) q.corrupt(3, "is not an origin kind");
  m.msg.message.sender.kind = static_cast<core::OriginKind>(kind);
  m.msg.message.sender.data = q.colBlob(4);
  m.msg.message.destination = q.colBlob(5);
  m.msg.message.payload = q.colBlob(6);
  m.msg.sn = q.colU64(7);
  m.msg.prev_hash = q.colFixed<32>(8);
  m.msg.state_root = q.colFixed<32>(9);
  m.source = q.colText(10);
  m.state = q.colMsgState(11);
  m.attempts = q.colU32(12);
  m.last_error = q.colText(13);
  m.created_ms = q.colI64(14);
  m.updated_ms = q.colI64(15);
  m.next_attempt_ms = q.colI64(16);
  Bytes sigs = q.colBlob(17);
  if (sigs.size() % 65 != 0) q.corrupt(17, "is not a list of 65-byte signatures");
  for (size_t i = 0; i + 65 <= sigs.size(); i += 65) {
    m.signatures.push_back(toFixed<65>(ByteSpan(sigs.data() + i, 65)));
  }
  m.submission_id = q.colI64(18);
  HUNTER_CHECK(q.rowError());
  return m;
}

void bindSignature(Query& q, const SignatureRecord& a) {
  q.blob(a.cluster)
      .u64(a.sn)
      .blob(a.hash)
      .text(a.worker)
      .i64(a.valid ? 1 : 0)
      .text(a.code)
      .blob(a.local_hash);
}

Result<SignatureRecord> readSignature(Query& q) {
  SignatureRecord a;
  a.cluster = q.colFixed<32>(0);
  a.sn = q.colU64(1);
  a.hash = q.colFixed<32>(2);
  a.worker = q.colText(3);
  a.valid = q.colI64(4) != 0;
  a.code = q.colText(5);
  a.local_hash = q.colFixedOpt<32>(6);
  HUNTER_CHECK(q.rowError());
  return a;
}

Result<SubmissionRecord> readSubmission(Query& q) {
  SubmissionRecord s;
  s.id = q.colI64(0);
  s.cluster = q.colFixed<32>(1);
  s.tx_hash = q.colFixed<32>(2);
  s.account = q.colFixed<32>(3);
  s.nonce = q.colU32(4);
  s.era_birth = q.colU64(5);
  s.era_death = q.colU64(6);
  s.first_sn = q.colU64(7);
  s.last_sn = q.colU64(8);
  s.fee = q.colU128(9);
  s.status = q.colSubmissionStatus(10);
  s.error = q.colText(11);
  s.extrinsic = q.colBlob(12);
  s.created_ms = q.colI64(13);
  s.updated_ms = q.colI64(14);
  s.fee_known = q.colI64(15) != 0;
  HUNTER_CHECK(q.rowError());
  return s;
}

Result<OutcomeRecord> readOutcome(Query& q) {
  OutcomeRecord o;
  o.cluster = q.colFixed<32>(0);
  o.sn = q.colU64(1);
  o.kind = q.colOutcomeKind(2);
  o.reason = q.colText(3);
  o.ack_hash = q.colFixedOpt<32>(4);
  o.block = q.colU32(5);
  o.reward = q.colU128(6);
  o.fee = q.colU128(7);
  o.account = q.colFixed<32>(8);
  o.submission_id = q.colI64(9);
  o.at_ms = q.colI64(10);
  HUNTER_CHECK(q.rowError());
  return o;
}

Result<WorkerRecord> readWorker(Query& q) {
  WorkerRecord w;
  w.cluster = q.colFixed<32>(0);
  w.endpoint = q.colText(1);
  w.public_key = q.colFixedOpt<33>(2);
  w.version = q.colText(3);
  w.last_seen_ms = q.colI64(4);
  w.signatures_valid = q.colU64(5);
  w.signatures_invalid = q.colU64(6);
  w.refused = q.colU64(7);
  w.errors = q.colU64(8);
  w.divergences = q.colU64(9);
  w.faulty_chain = q.colU64(10);
  w.latency_ms_ewma = q.colReal(11);
  w.last_error = q.colText(12);
  w.diverged_hash = q.colFixedOpt<32>(13);
  w.diverged_sn = q.colU64(14);
  HUNTER_CHECK(q.rowError());
  return w;
}

// Collects every row of a query through `reader`.
template <class T>
Result<std::vector<T>> readAll(Query& q, Result<T> (*reader)(Query&)) {
  std::vector<T> out;
  for (;;) {
    HUNTER_TRY(bool row, q.step());
    if (!row) return out;
    HUNTER_TRY(T v, reader(q));
    out.push_back(std::move(v));
  }
}

// " AND state IN (?, ...)" for a non-empty list; empty means any state.
std::string stateFilter(const std::vector<MsgState>& states) {
  if (states.empty()) return "";
  return " AND state IN (" + placeholders(states.size()) + ")";
}

// SELECT `cols` FROM messages of one cluster from an sn up, in sn order, at most a limit, in
// any state or in the given ones. With states, one range of messages_by_state (cluster, state,
// sn) per state, merged: a filter on state over messages_by_sn would first step over every
// settled message from the sn up (a year of accepted ones, for "the oldest pending").
// Bind with bindMessagesFrom.
std::string messagesFromSql(const std::string& cols, size_t states) {
  if (states == 0) {
    return "SELECT " + cols + " FROM messages WHERE cluster = ? AND sn >= ? ORDER BY sn LIMIT ?";
  }
  std::string sql = "SELECT * FROM (";
  for (size_t i = 0; i < states; ++i) {
    if (i > 0) sql += " UNION ALL ";
    sql += "SELECT * FROM (SELECT " + cols +
           " FROM messages WHERE cluster = ? AND state = ? AND sn >= ? ORDER BY sn LIMIT ?)";
  }
  return sql + ") ORDER BY sn LIMIT ?";
}

void bindMessagesFrom(Query& q, const H256& cluster, const std::vector<MsgState>& states,
                      uint64_t from_sn, size_t limit) {
  int64_t lim = limit > kMaxSn ? static_cast<int64_t>(kMaxSn) : static_cast<int64_t>(limit);
  if (states.empty()) {
    q.blob(cluster).u64(from_sn).i64(lim);
    return;
  }
  for (auto s : states) q.blob(cluster).text(core::toString(s)).u64(from_sn).i64(lim);
  q.i64(lim);
}

}  // namespace

// ---- messages --------------------------------------------------------------------------------

Status SqliteStore::addMessages(const std::vector<StoredMessage>& msgs) {
  const char* op = "addMessages";
  for (const auto& m : msgs) {
    if (m.sn > kMaxSn) {
      return makeError("bad_value", "addMessages: sn " + std::to_string(m.sn) + " is too large");
    }
  }
  static const std::string insert = std::string("INSERT INTO messages (") + kMessageColumns +
                                    ") VALUES (" + placeholders(19) +
                                    ") ON CONFLICT (cluster, sn) DO NOTHING";
  return write(op, [&]() -> Status {
    for (const auto& m : msgs) {
      {
        HUNTER_TRY(auto q, query(insert, op));
        Bytes sigs = concatSignatures(m.signatures);
        bindMessage(q, m, sigs);
        HUNTER_CHECK(q.run());
        if (q.changes() == 1) continue;
      }
      // Already there: the same message is fine, another one is a conflict.
      HUNTER_TRY(auto q, query("SELECT hash FROM messages WHERE cluster = ? AND sn = ?", op));
      q.blob(m.cluster).u64(m.sn);
      HUNTER_TRY(bool row, q.step());
      if (!row) return makeError("db", "addMessages: sn " + std::to_string(m.sn) + " vanished");
      H256 stored = q.colFixed<32>(0);
      HUNTER_CHECK(q.rowError());
      if (stored != m.hash) return core::conflictError(m.cluster, m.sn, stored, m.hash);
    }
    return okStatus();
  });
}

Result<std::optional<std::pair<uint64_t, H256>>> SqliteStore::tip(const H256& cluster) {
  using Tip = std::optional<std::pair<uint64_t, H256>>;
  return read([&]() -> Result<Tip> {
    HUNTER_TRY(auto q, query("SELECT sn, hash FROM messages WHERE cluster = ? "
                             "ORDER BY sn DESC LIMIT 1",
                             "tip"));
    q.blob(cluster);
    HUNTER_TRY(bool row, q.step());
    if (!row) return Tip();
    Tip tip = std::make_pair(q.colU64(0), q.colFixed<32>(1));
    HUNTER_CHECK(q.rowError());
    return tip;
  });
}

Result<std::optional<StoredMessage>> SqliteStore::message(const H256& cluster, uint64_t sn) {
  return read([&]() -> Result<std::optional<StoredMessage>> {
    static const std::string sql =
        std::string("SELECT ") + kMessageColumns + " FROM messages WHERE cluster = ? AND sn = ?";
    HUNTER_TRY(auto q, query(sql, "message"));
    q.blob(cluster).u64(sn);
    HUNTER_TRY(bool row, q.step());
    if (!row) return std::optional<StoredMessage>();
    HUNTER_TRY(auto m, readMessage(q));
    return std::optional(std::move(m));
  });
}

Result<std::vector<StoredMessage>> SqliteStore::messages(const H256& cluster,
                                                         const std::vector<MsgState>& states,
                                                         uint64_t from_sn, size_t limit) {
  if (from_sn > kMaxSn || limit == 0) return std::vector<StoredMessage>();
  return read([&]() -> Result<std::vector<StoredMessage>> {
    HUNTER_TRY(auto q, query(messagesFromSql(kMessageColumns, states.size()), "messages"));
    bindMessagesFrom(q, cluster, states, from_sn, limit);
    return readAll<StoredMessage>(q, readMessage);
  });
}

Result<std::vector<StoredMessage>> SqliteStore::messageHeads(const H256& cluster,
                                                             const std::vector<MsgState>& states,
                                                             uint64_t from_sn, size_t limit) {
  if (from_sn > kMaxSn || limit == 0) return std::vector<StoredMessage>();
  return read([&]() -> Result<std::vector<StoredMessage>> {
    // The columns of kMessageColumns, with empty blobs for the body and the signatures.
    static const std::string kHeadColumns =
        "cluster, sn, hash, sender_kind, X'' AS sender_data, X'' AS destination, X'' AS payload, "
        "msg_sn, prev_hash, state_root, source, state, attempts, last_error, created_ms, "
        "updated_ms, next_attempt_ms, X'' AS signatures, submission_id";
    HUNTER_TRY(auto q, query(messagesFromSql(kHeadColumns, states.size()), "messageHeads"));
    bindMessagesFrom(q, cluster, states, from_sn, limit);
    return readAll<StoredMessage>(q, readMessage);
  });
}

Result<uint64_t> SqliteStore::countMessages(const H256& cluster,
                                            const std::vector<MsgState>& states) {
  return read([&]() -> Result<uint64_t> {
    std::string sql = "SELECT count(*) FROM messages WHERE cluster = ?" + stateFilter(states);
    HUNTER_TRY(auto q, query(sql, "countMessages"));
    q.blob(cluster);
    for (auto s : states) q.text(core::toString(s));
    HUNTER_CHECK(q.step());
    return q.colU64(0);
  });
}

Status SqliteStore::dropFrom(const H256& cluster, uint64_t from_sn) {
  if (from_sn > kMaxSn) return okStatus();
  const char* op = "dropFrom";
  return write(op, [&]() -> Status {
    HUNTER_TRY(auto q, query("DELETE FROM messages WHERE cluster = ? AND sn >= ? "
                             "AND state IN ('pending', 'signed', 'submitted')",
                             op));
    q.blob(cluster).u64(from_sn);
    return q.run();
  });
}

// ---- signatures ------------------------------------------------------------------------------

namespace {
const std::string kInsertSignature = std::string("INSERT INTO signatures (") + kSignatureColumns +
                                     ") VALUES (" + placeholders(7) + ")";
}  // namespace

Status SqliteStore::markSigned(const H256& cluster, const std::vector<SignedUpdate>& updates,
                               const std::vector<SignatureRecord>& answers, int64_t now_ms) {
  const char* op = "markSigned";
  return write(op, [&]() -> Status {
    // A run of consecutive sns with quorums of one size is one UPDATE over its sn range, each
    // row taking its slice of the run's concatenated signatures: a statement per run instead
    // of one per message (a statement's fixed cost was most of an update's).
    size_t i = 0;
    while (i < updates.size()) {
      const size_t width = updates[i].signatures.size() * 65;
      size_t j = i;
      while (j + 1 < updates.size() && updates[j + 1].sn == updates[j].sn + 1 &&
             updates[j + 1].signatures.size() * 65 == width) {
        ++j;
      }
      Bytes sigs;
      sigs.reserve((j - i + 1) * width);
      for (size_t k = i; k <= j; ++k) appendSignatures(sigs, updates[k].signatures);
      HUNTER_TRY(auto q, query("UPDATE messages SET state = 'signed', "
                               "signatures = substr(?1, (sn - ?2) * ?3 + 1, ?3), updated_ms = ?4 "
                               "WHERE cluster = ?5 AND sn BETWEEN ?2 AND ?6 AND state = 'pending'",
                               op));
      q.blob(span(sigs))
          .u64(updates[i].sn)
          .i64(static_cast<int64_t>(width))
          .i64(now_ms)
          .blob(cluster)
          .u64(updates[j].sn);
      HUNTER_CHECK(q.run());
      i = j + 1;
    }
    for (const auto& a : answers) {
      HUNTER_TRY(auto q, query(kInsertSignature, op));
      bindSignature(q, a);
      HUNTER_CHECK(q.run());
    }
    return okStatus();
  });
}

Status SqliteStore::setRetry(const H256& cluster, const std::vector<RetryUpdate>& updates,
                             int64_t now_ms) {
  const char* op = "setRetry";
  return write(op, [&]() -> Status {
    for (const auto& u : updates) {
      HUNTER_TRY(auto q, query("UPDATE messages SET state = ?, attempts = ?, next_attempt_ms = ?, "
                               "last_error = ?, updated_ms = ? WHERE cluster = ? AND sn = ?",
                               op));
      q.text(core::toString(u.state))
          .i64(u.attempts)
          .i64(u.next_attempt_ms)
          .text(u.last_error)
          .i64(now_ms)
          .blob(cluster)
          .u64(u.sn);
      HUNTER_CHECK(q.run());
    }
    return okStatus();
  });
}

Status SqliteStore::retryNow(const H256& cluster) {
  const char* op = "retryNow";
  return write(op, [&]() -> Status {
    HUNTER_TRY(auto q, query("UPDATE messages SET next_attempt_ms = 0 WHERE cluster = ? AND "
                             "state IN ('pending', 'signed') AND next_attempt_ms != 0",
                             op));
    q.blob(cluster);
    return q.run();
  });
}

Status SqliteStore::recordSignatureAnswers(const std::vector<SignatureRecord>& answers) {
  const char* op = "recordSignatureAnswers";
  return write(op, [&]() -> Status {
    for (const auto& a : answers) {
      HUNTER_TRY(auto q, query(kInsertSignature, op));
      bindSignature(q, a);
      HUNTER_CHECK(q.run());
    }
    return okStatus();
  });
}

Result<std::vector<SignatureRecord>> SqliteStore::signatureAnswers(const H256& cluster,
                                                                   uint64_t sn) {
  return read([&]() -> Result<std::vector<SignatureRecord>> {
    static const std::string sql = std::string("SELECT ") + kSignatureColumns +
                                   " FROM signatures WHERE cluster = ? AND sn = ? ORDER BY id";
    HUNTER_TRY(auto q, query(sql, "signatureAnswers"));
    q.blob(cluster).u64(sn);
    return readAll<SignatureRecord>(q, readSignature);
  });
}

// ---- submissions -----------------------------------------------------------------------------

Result<int64_t> SqliteStore::addSubmission(const SubmissionRecord& s) {
  if (s.first_sn > s.last_sn) {
    return makeError("bad_value", "addSubmission: first_sn " + std::to_string(s.first_sn) +
                                      " > last_sn " + std::to_string(s.last_sn));
  }
  const char* op = "addSubmission";
  Result<int64_t> id = write(op, [&]() -> Result<int64_t> {
    int64_t id = 0;
    {
      HUNTER_TRY(auto q,
                 query("INSERT INTO submissions (cluster, tx_hash, account, nonce, era_birth, "
                       "era_death, first_sn, last_sn, fee, status, error, created_ms, "
                       "updated_ms, fee_known) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'sending', ?, "
                       "?, ?, ?)",
                       op));
      q.blob(s.cluster)
          .blob(s.tx_hash)
          .blob(s.account)
          .i64(s.nonce)
          .u64(s.era_birth)
          .u64(s.era_death)
          .u64(s.first_sn)
          .u64(s.last_sn)
          .u128v(s.fee)
          .text(s.error)
          .i64(s.created_ms)
          .i64(s.updated_ms)
          .i64(s.fee_known ? 1 : 0);
      HUNTER_CHECK(q.run());
      id = sqlite3_last_insert_rowid(db_.get());
    }
    {
      HUNTER_TRY(auto q, query("INSERT INTO submission_bytes (id, extrinsic) VALUES (?, ?)", op));
      q.i64(id).blob(span(s.extrinsic));
      HUNTER_CHECK(q.run());
    }
    if (s.first_sn <= kMaxSn) {
      HUNTER_TRY(auto q, query("UPDATE messages SET state = 'submitted', submission_id = ?, "
                               "updated_ms = ? WHERE cluster = ? AND sn BETWEEN ? AND ? "
                               "AND state IN ('pending', 'signed', 'submitted')",
                               op));
      q.i64(id).i64(s.created_ms).blob(s.cluster).u64(s.first_sn).u64(std::min(s.last_sn, kMaxSn));
      HUNTER_CHECK(q.run());
    }
    return id;
  });
  if (id.ok() && journal_) {
    SubmissionRecord j = s;
    j.id = *id;
    HUNTER_CHECK(journal_->append(journalLine(j)));
  }
  return id;
}

Status SqliteStore::updateSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                     int64_t now_ms) {
  const char* op = "updateSubmission";
  return write(op, [&]() -> Status {
    HUNTER_TRY(auto q, query("UPDATE submissions SET status = ?, error = ?, updated_ms = ? "
                             "WHERE id = ?",
                             op));
    q.text(core::toString(status)).text(error).i64(now_ms).i64(id);
    HUNTER_CHECK(q.run());
    if (q.changes() == 0) {
      return makeError("not_found", "updateSubmission: no submission " + std::to_string(id));
    }
    return okStatus();
  });
}

Status SqliteStore::releaseSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                      const RetryUpdate& retry, int64_t now_ms) {
  const char* op = "releaseSubmission";
  return write(op, [&]() -> Status {
    H256 cluster{};
    uint64_t first = 0;
    uint64_t last = 0;
    {
      HUNTER_TRY(auto q,
                 query("SELECT cluster, first_sn, last_sn FROM submissions WHERE id = ?", op));
      q.i64(id);
      HUNTER_TRY(bool row, q.step());
      if (!row) {
        return makeError("not_found", "releaseSubmission: no submission " + std::to_string(id));
      }
      cluster = q.colFixed<32>(0);
      first = q.colU64(1);
      last = q.colU64(2);
      HUNTER_CHECK(q.rowError());
    }
    {
      HUNTER_TRY(auto q, query("UPDATE submissions SET status = ?, error = ?, updated_ms = ? "
                               "WHERE id = ?",
                               op));
      q.text(core::toString(status)).text(error).i64(now_ms).i64(id);
      HUNTER_CHECK(q.run());
    }
    if (first > kMaxSn) return okStatus();
    // The range keeps this on the (cluster, sn) index; submission_id picks the messages.
    HUNTER_TRY(auto q, query("UPDATE messages SET state = ?, attempts = attempts + 1, "
                             "next_attempt_ms = ?, last_error = ?, submission_id = 0, "
                             "updated_ms = ? WHERE cluster = ? AND sn BETWEEN ? AND ? "
                             "AND submission_id = ? AND state = 'submitted'",
                             op));
    q.text(core::toString(retry.state))
        .i64(retry.next_attempt_ms)
        .text(retry.last_error)
        .i64(now_ms)
        .blob(cluster)
        .u64(first)
        .u64(std::min(last, kMaxSn))
        .i64(id);
    return q.run();
  });
}

Result<std::vector<SubmissionRecord>> SqliteStore::openSubmissions(const H256& cluster) {
  return read([&]() -> Result<std::vector<SubmissionRecord>> {
    static const std::string sql = std::string("SELECT ") + kSubmissionColumns + " FROM " +
                                   kSubmissionsWithBytes +
                                   " WHERE s.cluster = ? AND s.status IN ('sending', 'in_pool') "
                                   "ORDER BY s.id";
    HUNTER_TRY(auto q, query(sql, "openSubmissions"));
    q.blob(cluster);
    return readAll<SubmissionRecord>(q, readSubmission);
  });
}

Result<std::vector<SubmissionRecord>> SqliteStore::openSubmissionHeads(const H256& cluster) {
  return read([&]() -> Result<std::vector<SubmissionRecord>> {
    static const std::string sql = std::string("SELECT ") + kSubmissionHeadColumns +
                                   " FROM submissions WHERE cluster = ? "
                                   "AND status IN ('sending', 'in_pool') ORDER BY id";
    HUNTER_TRY(auto q, query(sql, "openSubmissionHeads"));
    q.blob(cluster);
    return readAll<SubmissionRecord>(q, readSubmission);
  });
}

Result<std::optional<SubmissionRecord>> SqliteStore::submission(int64_t id) {
  return read([&]() -> Result<std::optional<SubmissionRecord>> {
    static const std::string sql = std::string("SELECT ") + kSubmissionColumns + " FROM " +
                                   kSubmissionsWithBytes + " WHERE s.id = ?";
    HUNTER_TRY(auto q, query(sql, "submission"));
    q.i64(id);
    HUNTER_TRY(bool row, q.step());
    if (!row) return std::optional<SubmissionRecord>();
    HUNTER_TRY(auto s, readSubmission(q));
    return std::optional(std::move(s));
  });
}

Result<std::optional<SubmissionRecord>> SqliteStore::lostSubmissionCovering(
    const H256& cluster, uint64_t sn, const crypto::AccountId32& account) {
  return read([&]() -> Result<std::optional<SubmissionRecord>> {
    // On the (cluster, status) index: lost submissions are few.
    static const std::string sql =
        std::string("SELECT ") + kSubmissionHeadColumns +
        " FROM submissions WHERE cluster = ? "
        "AND status = 'lost' AND account = ? AND first_sn <= ? AND last_sn >= ? "
        "ORDER BY id DESC LIMIT 1";
    HUNTER_TRY(auto q, query(sql, "lostSubmissionCovering"));
    q.blob(cluster).blob(account).u64(std::min(sn, kMaxSn)).u64(std::min(sn, kMaxSn));
    HUNTER_TRY(bool row, q.step());
    if (!row) return std::optional<SubmissionRecord>();
    HUNTER_TRY(auto s, readSubmission(q));
    return std::optional(std::move(s));
  });
}

Result<std::vector<SubmissionRecord>> SqliteStore::submissionsCovering(const H256& cluster,
                                                                       uint64_t sn) {
  return read([&]() -> Result<std::vector<SubmissionRecord>> {
    // Scans the cluster's submissions: `hunter explain` only, never a round.
    static const std::string sql = std::string("SELECT ") + kSubmissionHeadColumns +
                                   " FROM submissions WHERE cluster = ? "
                                   "AND first_sn <= ? AND last_sn >= ? ORDER BY id";
    HUNTER_TRY(auto q, query(sql, "submissionsCovering"));
    q.blob(cluster).u64(std::min(sn, kMaxSn)).u64(std::min(sn, kMaxSn));
    return readAll<SubmissionRecord>(q, readSubmission);
  });
}

// ---- outcomes --------------------------------------------------------------------------------

namespace {
// The values of one outcomes row, in kOutcomeColumns order.
void bindOutcome(Query& q, const OutcomeRecord& o) {
  q.blob(o.cluster)
      .u64(o.sn)
      .text(core::toString(o.kind))
      .text(o.reason)
      .blob(o.ack_hash)
      .i64(o.block)
      .u128v(o.reward)
      .u128v(o.fee)
      .blob(o.account)
      .i64(o.submission_id)
      .i64(o.at_ms);
}
}  // namespace

Status SqliteStore::replaceOutcome(const OutcomeRecord& o) {
  if (!settledState(o.kind)) {
    return makeError("bad_value",
                     "replaceOutcome: " + std::string(core::toString(o.kind)) + " settles nothing");
  }
  const char* op = "replaceOutcome";
  return write(op, [&]() -> Status {
    {
      HUNTER_TRY(auto q, query("DELETE FROM outcomes WHERE cluster = ? AND sn = ? AND kind IN "
                               "('accepted', 'superseded', 'diverged')",
                               op));
      q.blob(o.cluster).u64(o.sn);
      HUNTER_CHECK(q.run());
    }
    {
      HUNTER_TRY(auto q, query("UPDATE messages SET state = ?, updated_ms = ? WHERE cluster = ? "
                               "AND sn = ?",
                               op));
      q.text(core::toString(*settledState(o.kind))).i64(o.at_ms).blob(o.cluster).u64(o.sn);
      HUNTER_CHECK(q.run());
    }
    HUNTER_TRY(auto q, query(std::string("INSERT INTO outcomes (") + kOutcomeColumns +
                                 ") VALUES (" + placeholders(11) + ")",
                             op));
    bindOutcome(q, o);
    return q.run();
  });
}

Status SqliteStore::recordOutcomes(const std::vector<OutcomeRecord>& outcomes) {
  const char* op = "recordOutcomes";
  static const std::string insert = std::string("INSERT INTO outcomes (") + kOutcomeColumns +
                                    ") VALUES (" + placeholders(11) + ")";
  auto insertRows = [](size_t n) {
    std::string sql = std::string("INSERT INTO outcomes (") + kOutcomeColumns + ") VALUES ";
    for (size_t k = 0; k < n; ++k) sql += (k == 0 ? "(" : ", (") + placeholders(11) + ")";
    return sql;
  };
  return write(op, [&]() -> Status {
    // b follows a in one run: consecutive sns of a cluster settled the same way at the same time.
    auto sameRun = [](const OutcomeRecord& a, const OutcomeRecord& b) {
      return b.cluster == a.cluster && settledState(b.kind) == settledState(a.kind) &&
             b.at_ms == a.at_ms && b.sn == a.sn + 1;
    };
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto& o = outcomes[i];
      auto state = settledState(o.kind);
      // The first of a run settles the whole run with one range update (the range holds
      // exactly those sns), not one per message.
      if (state && (i == 0 || !sameRun(outcomes[i - 1], o))) {
        size_t last = i;
        while (last + 1 < outcomes.size() && sameRun(outcomes[last], outcomes[last + 1])) ++last;
        HUNTER_TRY(auto q, query("UPDATE messages SET state = ?, updated_ms = ? "
                                 "WHERE cluster = ? AND sn BETWEEN ? AND ?",
                                 op));
        q.text(core::toString(*state))
            .i64(o.at_ms)
            .blob(o.cluster)
            .u64(o.sn)
            .u64(outcomes[last].sn);
        HUNTER_CHECK(q.run());
      }
    }
    // The outcome rows, up to kRowsPerInsert per INSERT (one statement's fixed cost per
    // message was as much as the row's own).
    constexpr size_t kRowsPerInsert = 64;
    for (size_t i = 0; i < outcomes.size(); i += kRowsPerInsert) {
      const size_t n = std::min(kRowsPerInsert, outcomes.size() - i);
      static const std::string full = insertRows(kRowsPerInsert);
      HUNTER_TRY(auto q, query(n == 1 ? insert : n == kRowsPerInsert ? full : insertRows(n), op));
      for (size_t k = i; k < i + n; ++k) {
        bindOutcome(q, outcomes[k]);
      }
      HUNTER_CHECK(q.run());
    }
    return okStatus();
  });
}

Result<std::vector<OutcomeRecord>> SqliteStore::outcomes(const std::optional<H256>& cluster) {
  return read([&]() -> Result<std::vector<OutcomeRecord>> {
    static const std::string all =
        std::string("SELECT ") + kOutcomeColumns + " FROM outcomes ORDER BY id";
    static const std::string one =
        std::string("SELECT ") + kOutcomeColumns + " FROM outcomes WHERE cluster = ? ORDER BY id";
    HUNTER_TRY(auto q, query(cluster ? one : all, "outcomes"));
    if (cluster) q.blob(*cluster);
    return readAll<OutcomeRecord>(q, readOutcome);
  });
}

Result<std::vector<OutcomeRecord>> SqliteStore::recentOutcomes(const H256& cluster, size_t limit) {
  return read([&]() -> Result<std::vector<OutcomeRecord>> {
    static const std::string sql = std::string("SELECT ") + kOutcomeColumns +
                                   " FROM outcomes WHERE cluster = ? ORDER BY id DESC LIMIT ?";
    HUNTER_TRY(auto q, query(sql, "recentOutcomes"));
    q.blob(cluster).i64(static_cast<int64_t>(std::min<size_t>(limit, 1000)));
    return readAll<OutcomeRecord>(q, readOutcome);
  });
}

Result<std::vector<OutcomeRecord>> SqliteStore::outcomesOf(const H256& cluster, uint64_t sn) {
  return read([&]() -> Result<std::vector<OutcomeRecord>> {
    static const std::string sql = std::string("SELECT ") + kOutcomeColumns +
                                   " FROM outcomes WHERE cluster = ? AND sn = ? ORDER BY id";
    HUNTER_TRY(auto q, query(sql, "outcomesOf"));
    q.blob(cluster).u64(std::min(sn, kMaxSn));
    return readAll<OutcomeRecord>(q, readOutcome);
  });
}

// ---- workers and cluster status --------------------------------------------------------------

Status SqliteStore::upsertWorker(const WorkerRecord& w) {
  return write("upsertWorker", [&]() -> Status { return workerRow(w); });
}

Status SqliteStore::workerRow(const WorkerRecord& w) {
  const char* op = "upsertWorker";
  static const std::string sql =
      std::string("INSERT INTO workers (") + kWorkerColumns + ") VALUES (" + placeholders(15) +
      ") ON CONFLICT (cluster, endpoint) DO UPDATE SET public_key = excluded.public_key, "
      "version = excluded.version, last_seen_ms = excluded.last_seen_ms, "
      "signatures_valid = excluded.signatures_valid, "
      "signatures_invalid = excluded.signatures_invalid, refused = excluded.refused, "
      "errors = excluded.errors, divergences = excluded.divergences, "
      "faulty_chain = excluded.faulty_chain, latency_ms_ewma = excluded.latency_ms_ewma, "
      "last_error = excluded.last_error, diverged_hash = excluded.diverged_hash, "
      "diverged_sn = excluded.diverged_sn";
  HUNTER_TRY(auto q, query(sql, op));
  q.blob(w.cluster)
      .text(w.endpoint)
      .blob(w.public_key)
      .text(w.version)
      .i64(w.last_seen_ms)
      .u64(w.signatures_valid)
      .u64(w.signatures_invalid)
      .u64(w.refused)
      .u64(w.errors)
      .u64(w.divergences)
      .u64(w.faulty_chain)
      .real(w.latency_ms_ewma)
      .text(w.last_error)
      .blob(w.diverged_hash)
      .u64(w.diverged_sn);
  return q.run();
}

Result<std::vector<WorkerRecord>> SqliteStore::workers(const std::optional<H256>& cluster) {
  return read([&]() -> Result<std::vector<WorkerRecord>> {
    static const std::string all =
        std::string("SELECT ") + kWorkerColumns + " FROM workers ORDER BY cluster, endpoint";
    static const std::string one = std::string("SELECT ") + kWorkerColumns +
                                   " FROM workers WHERE cluster = ? ORDER BY endpoint";
    HUNTER_TRY(auto q, query(cluster ? one : all, "workers"));
    if (cluster) q.blob(*cluster);
    return readAll<WorkerRecord>(q, readWorker);
  });
}

Status SqliteStore::setClusterStatus(const ClusterStatusRecord& s) {
  return write("setClusterStatus", [&]() -> Status { return statusRow(s); });
}

Status SqliteStore::statusRow(const ClusterStatusRecord& s) {
  HUNTER_TRY(auto q, query("INSERT INTO cluster_status (cluster, state, detail, chain_next_sn, "
                           "worker_next_sn, updated_ms, reason) VALUES (?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (cluster) DO UPDATE SET state = excluded.state, "
                           "reason = excluded.reason, "
                           "detail = excluded.detail, chain_next_sn = excluded.chain_next_sn, "
                           "worker_next_sn = excluded.worker_next_sn, "
                           "updated_ms = excluded.updated_ms",
                           "setClusterStatus"));
  q.blob(s.cluster)
      .text(s.state)
      .text(s.detail)
      .u64(s.chain_next_sn)
      .u64(s.worker_next_sn)
      .i64(s.updated_ms)
      .text(std::string(core::label(s.reason)));
  return q.run();
}

Status SqliteStore::saveRoundState(const std::vector<WorkerRecord>& workers,
                                   const std::optional<ClusterStatusRecord>& status) {
  if (workers.empty() && !status) return okStatus();
  return write("saveRoundState", [&]() -> Status {
    for (const auto& w : workers) HUNTER_CHECK(workerRow(w));
    if (status) HUNTER_CHECK(statusRow(*status));
    return okStatus();
  });
}

Result<std::optional<ClusterStatusRecord>> SqliteStore::clusterStatus(const H256& cluster) {
  return read([&]() -> Result<std::optional<ClusterStatusRecord>> {
    HUNTER_TRY(auto q, query("SELECT cluster, state, detail, chain_next_sn, worker_next_sn, "
                             "updated_ms, reason FROM cluster_status WHERE cluster = ?",
                             "clusterStatus"));
    q.blob(cluster);
    HUNTER_TRY(bool row, q.step());
    if (!row) return std::optional<ClusterStatusRecord>();
    ClusterStatusRecord s;
    s.cluster = q.colFixed<32>(0);
    s.state = q.colText(1);
    s.detail = q.colText(2);
    s.chain_next_sn = q.colU64(3);
    s.worker_next_sn = q.colU64(4);
    s.updated_ms = q.colI64(5);
    s.reason = core::waitReasonFromLabel(q.colText(6)).value_or(core::WaitReason::kMoving);
    HUNTER_CHECK(q.rowError());
    return std::optional(std::move(s));
  });
}

// ---- meta ------------------------------------------------------------------------------------

Result<std::optional<std::string>> SqliteStore::meta(const std::string& key) {
  return read([&]() -> Result<std::optional<std::string>> {
    HUNTER_TRY(auto q, query("SELECT value FROM meta WHERE key = ?", "meta"));
    q.text(key);
    HUNTER_TRY(bool row, q.step());
    if (!row) return std::optional<std::string>();
    std::string v = q.colText(0);
    HUNTER_CHECK(q.rowError());
    return std::optional(std::move(v));
  });
}

Status SqliteStore::setMeta(const std::string& key, const std::string& value) {
  const char* op = "setMeta";
  return write(op, [&]() -> Status {
    HUNTER_TRY(auto q, query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO "
                             "UPDATE SET value = excluded.value",
                             op));
    q.text(key).text(value);
    return q.run();
  });
}

// ---- read helpers ----------------------------------------------------------------------------

Result<std::vector<H256>> SqliteStore::clusters() {
  return read([&]() -> Result<std::vector<H256>> {
    HUNTER_TRY(auto q, query("SELECT cluster FROM messages UNION SELECT cluster FROM submissions "
                             "UNION SELECT cluster FROM outcomes UNION SELECT cluster FROM workers "
                             "UNION SELECT cluster FROM cluster_status ORDER BY 1",
                             "clusters"));
    std::vector<H256> out;
    for (;;) {
      HUNTER_TRY(bool row, q.step());
      if (!row) break;
      out.push_back(q.colFixed<32>(0));
      HUNTER_CHECK(q.rowError());
    }
    return out;
  });
}

Result<std::map<MsgState, uint64_t>> SqliteStore::messageCounts(const H256& cluster) {
  return read([&]() -> Result<std::map<MsgState, uint64_t>> {
    HUNTER_TRY(auto q, query("SELECT state, count(*) FROM messages WHERE cluster = ? "
                             "GROUP BY state",
                             "messageCounts"));
    q.blob(cluster);
    std::map<MsgState, uint64_t> out;
    for (;;) {
      HUNTER_TRY(bool row, q.step());
      if (!row) break;
      MsgState s = q.colMsgState(0);
      HUNTER_CHECK(q.rowError());
      out[s] = q.colU64(1);
    }
    return out;
  });
}

namespace {

// One outcome row into a running total.
void addOutcome(RewardSummary& s, OutcomeKind kind, u128 reward, u128 fee) {
  switch (kind) {
    case OutcomeKind::kAccepted:
      s.accepted++;
      s.reward += reward;
      break;
    case OutcomeKind::kSuperseded:
      s.superseded++;
      break;
    case OutcomeKind::kDiverged:
      s.diverged++;
      break;
    case OutcomeKind::kRejected:
      s.rejected++;
      break;
    case OutcomeKind::kDead:
      s.dead++;
      break;
  }
  s.fee += fee;
}

}  // namespace

Result<std::vector<RewardSummary>> SqliteStore::rewardsSummary(const std::optional<H256>& cluster) {
  return read([&]() -> Result<std::vector<RewardSummary>> {
    std::map<std::pair<H256, crypto::AccountId32>, RewardSummary> sums;
    // What retention folded into reward_totals, then the outcome rows still there.
    HUNTER_TRY(auto t, query(cluster ? "SELECT cluster, account, accepted, superseded, diverged, "
                                       "rejected, dead, reward, fee FROM reward_totals "
                                       "WHERE cluster = ?"
                                     : "SELECT cluster, account, accepted, superseded, diverged, "
                                       "rejected, dead, reward, fee FROM reward_totals",
                             "rewardsSummary"));
    if (cluster) t.blob(*cluster);
    for (;;) {
      HUNTER_TRY(bool row, t.step());
      if (!row) break;
      RewardSummary r;
      r.cluster = t.colFixed<32>(0);
      r.account = t.colFixed<32>(1);
      r.accepted = t.colU64(2);
      r.superseded = t.colU64(3);
      r.diverged = t.colU64(4);
      r.rejected = t.colU64(5);
      r.dead = t.colU64(6);
      r.reward = t.colU128(7);
      r.fee = t.colU128(8);
      HUNTER_CHECK(t.rowError());
      sums[{r.cluster, r.account}] = r;
    }
    // u128 sums do not fit SQLite's integers, so the rows are summed here.
    HUNTER_TRY(auto q, query(cluster ? "SELECT cluster, account, kind, reward, fee FROM outcomes "
                                       "WHERE cluster = ?"
                                     : "SELECT cluster, account, kind, reward, fee FROM outcomes",
                             "rewardsSummary"));
    if (cluster) q.blob(*cluster);
    for (;;) {
      HUNTER_TRY(bool row, q.step());
      if (!row) break;
      H256 c = q.colFixed<32>(0);
      crypto::AccountId32 account = q.colFixed<32>(1);
      OutcomeKind kind = q.colOutcomeKind(2);
      u128 reward = q.colU128(3);
      u128 fee = q.colU128(4);
      HUNTER_CHECK(q.rowError());
      auto& s = sums[{c, account}];
      s.cluster = c;
      s.account = account;
      addOutcome(s, kind, reward, fee);
    }
    std::vector<RewardSummary> out;
    out.reserve(sums.size());
    for (auto& [key, s] : sums) out.push_back(s);
    return out;
  });
}

// ---- retention -------------------------------------------------------------------------------

// Adds the outcome rows of `cluster` with sn <= hi to reward_totals (inside a transaction).
// u128 sums do not fit SQLite's integers: they are made here.
Status SqliteStore::foldOutcomes(const H256& cluster, uint64_t hi) {
  const char* op = "pruneSettled";
  std::map<crypto::AccountId32, RewardSummary> sums;
  {
    HUNTER_TRY(auto q, query("SELECT account, kind, reward, fee FROM outcomes "
                             "WHERE cluster = ? AND sn <= ?",
                             op));
    q.blob(cluster).u64(hi);
    for (;;) {
      HUNTER_TRY(bool row, q.step());
      if (!row) break;
      crypto::AccountId32 account = q.colFixed<32>(0);
      OutcomeKind kind = q.colOutcomeKind(1);
      u128 reward = q.colU128(2), fee = q.colU128(3);
      HUNTER_CHECK(q.rowError());
      addOutcome(sums[account], kind, reward, fee);
    }
  }
  for (auto& [account, add] : sums) {
    HUNTER_TRY(auto cur, query("SELECT accepted, superseded, diverged, rejected, dead, reward, fee "
                               "FROM reward_totals WHERE cluster = ? AND account = ?",
                               op));
    cur.blob(cluster).blob(account);
    RewardSummary t = add;
    HUNTER_TRY(bool row, cur.step());
    if (row) {
      t.accepted += cur.colU64(0);
      t.superseded += cur.colU64(1);
      t.diverged += cur.colU64(2);
      t.rejected += cur.colU64(3);
      t.dead += cur.colU64(4);
      t.reward += cur.colU128(5);
      t.fee += cur.colU128(6);
      HUNTER_CHECK(cur.rowError());
    }
    HUNTER_TRY(auto put, query("INSERT OR REPLACE INTO reward_totals (cluster, account, accepted, "
                               "superseded, diverged, rejected, dead, reward, fee) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               op));
    put.blob(cluster)
        .blob(account)
        .u64(t.accepted)
        .u64(t.superseded)
        .u64(t.diverged)
        .u64(t.rejected)
        .u64(t.dead)
        .u128v(t.reward)
        .u128v(t.fee);
    HUNTER_CHECK(put.run());
  }
  return okStatus();
}

Result<size_t> SqliteStore::pruneSettled(const H256& cluster, uint64_t below_sn, int64_t cutoff_ms,
                                         size_t max_messages) {
  const char* op = "pruneSettled";
  below_sn = std::min(below_sn, kMaxSn);
  if (below_sn == 0 || max_messages == 0) return size_t{0};
  return write(op, [&]() -> Result<size_t> {
    // The highest sn of the batch: the max_messages-th settled message below below_sn.
    HUNTER_TRY(auto pick, query("SELECT sn FROM messages WHERE cluster = ? AND sn < ? "
                                "AND state IN ('accepted', 'superseded', 'diverged') "
                                "AND updated_ms < ? ORDER BY sn LIMIT ?",
                                op));
    pick.blob(cluster).u64(below_sn).i64(cutoff_ms).i64(static_cast<int64_t>(max_messages));
    std::optional<uint64_t> hi;
    size_t n = 0;
    for (;;) {
      HUNTER_TRY(bool row, pick.step());
      if (!row) break;
      hi = pick.colU64(0);
      ++n;
    }
    if (!hi) return size_t{0};
    HUNTER_CHECK(foldOutcomes(cluster, *hi));
    for (const char* sql :
         {"DELETE FROM outcomes WHERE cluster = ? AND sn <= ?",
          "DELETE FROM signatures WHERE cluster = ? AND sn <= ?",
          "DELETE FROM messages WHERE cluster = ? AND sn <= ? "
          "AND state IN ('accepted', 'superseded', 'diverged')",
          "DELETE FROM submission_bytes WHERE id IN (SELECT id FROM submissions WHERE cluster = ? "
          "AND last_sn <= ? AND status IN ('included', 'rejected', 'lost'))",
          "DELETE FROM submissions WHERE cluster = ? AND last_sn <= ? "
          "AND status IN ('included', 'rejected', 'lost')"}) {
      HUNTER_TRY(auto q, query(sql, op));
      q.blob(cluster).u64(*hi);
      HUNTER_CHECK(q.run());
    }
    HUNTER_TRY(auto mark, query("INSERT INTO meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                op));
    mark.text(core::prunedBelowKey(cluster)).text(std::to_string(*hi + 1));
    HUNTER_CHECK(mark.run());
    return n;
  });
}

}  // namespace hunter::adapters
