// The Store contract, run against core::MemoryStore and adapters::SqliteStore (in memory and in a
// file), plus what only the SQLite store has: a 0600 file, durability across reopen, schema
// versions, refusing files that are not hunter databases.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/core/memory_store.hpp"
#include "hunter/core/message.hpp"

namespace hunter {
namespace {

using adapters::SqliteStore;
using core::ClusterStatusRecord;
using core::MemoryStore;
using core::MsgState;
using core::OutcomeKind;
using core::OutcomeRecord;
using core::SignatureRecord;
using core::Store;
using core::StoredMessage;
using core::SubmissionRecord;
using core::SubmissionStatus;
using core::WorkerRecord;

// A private directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hunter-store-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

H256 filled(uint8_t b) {
  H256 h{};
  h.fill(b);
  return h;
}

crypto::Signature sig(uint8_t b) {
  crypto::Signature s{};
  s.fill(b);
  return s;
}

const H256 kA = filled(0xa1);
const H256 kB = filled(0xb2);
const u128 kBig = (static_cast<u128>(0x0123456789abcdefULL) << 64) | 0xfedcba9876543210ULL;

StoredMessage makeMessage(const H256& cluster, uint64_t sn, const H256& prev,
                          const std::string& tag = "payload") {
  StoredMessage m;
  m.cluster = cluster;
  m.sn = sn;
  m.msg.message.sender = core::MessageOrigin::cluster(cluster);
  m.msg.message.destination = toBytes("phala/topic");
  m.msg.message.payload = toBytes(tag + "-" + std::to_string(sn));
  m.msg.sn = sn;
  m.msg.prev_hash = prev;
  m.msg.state_root = filled(0x55);
  m.hash = core::messageHash(m.msg);
  m.source = "http://worker-1:8000";
  m.created_ms = 1000 + static_cast<int64_t>(sn % 1000000);
  m.updated_ms = m.created_ms;
  return m;
}

// sns first..first+n-1, hash-linked.
std::vector<StoredMessage> chainOf(const H256& cluster, uint64_t first, size_t n,
                                   const std::string& tag = "payload") {
  std::vector<StoredMessage> out;
  H256 prev{};
  for (size_t i = 0; i < n; ++i) {
    out.push_back(makeMessage(cluster, first + i, prev, tag));
    prev = out.back().hash;
  }
  return out;
}

void expectSameMessage(const StoredMessage& a, const StoredMessage& b) {
  EXPECT_EQ(a.cluster, b.cluster);
  EXPECT_EQ(a.sn, b.sn);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.msg, b.msg);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.last_error, b.last_error);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.next_attempt_ms, b.next_attempt_ms);
  EXPECT_EQ(a.signatures, b.signatures);
  EXPECT_EQ(a.submission_id, b.submission_id);
}

std::vector<uint64_t> sns(const std::vector<StoredMessage>& msgs) {
  std::vector<uint64_t> out;
  for (const auto& m : msgs) out.push_back(m.sn);
  return out;
}

SubmissionRecord makeSubmission(const H256& cluster, uint64_t first, uint64_t last) {
  SubmissionRecord s;
  s.cluster = cluster;
  s.tx_hash = filled(0x77);
  s.account = filled(0x88);
  s.nonce = 42;
  s.era_birth = 100;
  s.era_death = 164;
  s.first_sn = first;
  s.last_sn = last;
  s.fee = kBig;
  s.status = SubmissionStatus::kInPool;  // addSubmission stores "sending" regardless
  s.extrinsic = toBytes("extrinsic bytes");
  s.created_ms = 5000;
  s.updated_ms = 5000;
  return s;
}

SignatureRecord answer(const H256& cluster, uint64_t sn, const std::string& worker, bool valid,
                       const std::string& code = "") {
  SignatureRecord a;
  a.cluster = cluster;
  a.sn = sn;
  a.hash = filled(static_cast<uint8_t>(sn));
  a.worker = worker;
  a.valid = valid;
  a.code = code;
  if (code == "diverged") a.local_hash = filled(0xdd);
  return a;
}

OutcomeRecord outcome(const H256& cluster, uint64_t sn, OutcomeKind kind) {
  OutcomeRecord o;
  o.cluster = cluster;
  o.sn = sn;
  o.kind = kind;
  o.reason = std::string("because ") + core::toString(kind);
  if (kind != OutcomeKind::kRejected) o.ack_hash = filled(0xac);
  o.block = 1234;
  o.reward = kind == OutcomeKind::kAccepted ? kBig : 0;
  o.fee = 7;
  o.account = filled(0x88);
  o.submission_id = 3;
  o.at_ms = 9000;
  return o;
}

// ---- the shared contract -----------------------------------------------------------------------

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
      return;
    }
    std::string path = ":memory:";
    if (GetParam() == "sqlite_file") {
      dir_ = std::make_unique<TempDir>();
      path = dir_->file("hunter.db");
    }
    auto r = SqliteStore::open(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r).value();
  }

  Store& s() { return *store_; }

  StoredMessage get(const H256& cluster, uint64_t sn) {
    auto r = s().message(cluster, sn);
    EXPECT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.ok() && r->has_value()) << "sn " << sn << " not stored";
    return r.ok() && r->has_value() ? **r : StoredMessage{};
  }

  void add(const std::vector<StoredMessage>& msgs) {
    auto r = s().addMessages(msgs);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  uint64_t count(const H256& cluster, const std::vector<MsgState>& states = {}) {
    auto r = s().countMessages(cluster, states);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : 0;
  }

  std::unique_ptr<TempDir> dir_;  // outlives the store
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, AddedMessagesReadBackUnchanged) {
  auto msgs = chainOf(kA, 1, 3);
  msgs[1].state = MsgState::kSigned;
  msgs[1].signatures = {sig(1), sig(2)};
  msgs[1].attempts = 2;
  msgs[1].last_error = "timeout";
  msgs[1].next_attempt_ms = 777;
  add(msgs);
  for (const auto& m : msgs) expectSameMessage(get(kA, m.sn), m);
  auto missing = s().message(kA, 99);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto other = s().message(kB, 1);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_P(StoreTest, OddMessagesRoundTripLosslessly) {
  // Empty payload and destination, a non-cluster origin, a body sn unlike the row's sn, bytes
  // that are not UTF-8 in the strings.
  StoredMessage m = makeMessage(kA, 5, filled(1));
  m.msg.message.sender = core::MessageOrigin{core::OriginKind::kPallet, toBytes("Pallet")};
  m.msg.message.destination = {};
  m.msg.message.payload = {};
  m.msg.sn = 6;
  m.source = std::string("w\0\xff", 3);
  m.last_error = "\xc3\x28";
  StoredMessage bad_origin = makeMessage(kA, 6, m.hash);
  bad_origin.msg.message.sender = core::MessageOrigin{core::OriginKind::kWorker, {}};
  add({m, bad_origin});
  expectSameMessage(get(kA, 5), m);
  expectSameMessage(get(kA, 6), bad_origin);
}

TEST_P(StoreTest, ReAddingTheSameMessagesIsIgnored) {
  auto msgs = chainOf(kA, 1, 3);
  add(msgs);
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(9)}}}, {}, 2000).ok());
  // An overlapping batch: the known sns are skipped (state not reset), the new one is added.
  auto more = chainOf(kA, 1, 4);
  add(more);
  EXPECT_EQ(count(kA), 4u);
  EXPECT_EQ(get(kA, 2).state, MsgState::kSigned);
  EXPECT_EQ(get(kA, 2).signatures, std::vector<crypto::Signature>{sig(9)});
  expectSameMessage(get(kA, 4), more[3]);
  // The same sn twice in one batch with the same hash is one message.
  add({makeMessage(kA, 5, more[3].hash), makeMessage(kA, 5, more[3].hash)});
  EXPECT_EQ(count(kA), 5u);
}

TEST_P(StoreTest, ConflictWritesNothingOfTheBatch) {
  add(chainOf(kA, 1, 3));
  // New sns 4 and 5 come first in the batch, the conflicting sn 2 last.
  auto batch = chainOf(kA, 4, 2);
  batch.push_back(makeMessage(kA, 2, filled(0), "other"));
  auto r = s().addMessages(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "conflict");
  EXPECT_NE(r.error().message.find("sn 2"), std::string::npos) << r.error().message;
  EXPECT_EQ(count(kA), 3u);
  EXPECT_FALSE(s().message(kA, 4)->has_value());
  EXPECT_EQ(get(kA, 2).hash, chainOf(kA, 1, 3)[1].hash);
  // The store is usable afterwards (the failed transaction is gone).
  add(chainOf(kA, 4, 2));
  EXPECT_EQ(count(kA), 5u);
}

TEST_P(StoreTest, ConflictWithAFinalMessage) {
  add(chainOf(kA, 1, 2));
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 1, OutcomeKind::kAccepted)}).ok());
  auto r = s().addMessages({makeMessage(kA, 1, filled(0), "other")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "conflict");
  // The same hash is still fine.
  add({chainOf(kA, 1, 1)[0]});
  EXPECT_EQ(get(kA, 1).state, MsgState::kAccepted);
}

TEST_P(StoreTest, ConflictWithinOneBatch) {
  auto r = s().addMessages({makeMessage(kA, 1, filled(0)), makeMessage(kA, 2, filled(0)),
                            makeMessage(kA, 1, filled(0), "other")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "conflict");
  EXPECT_EQ(count(kA), 0u);
}

TEST_P(StoreTest, SnAboveInt64MaxIsRefused) {
  uint64_t huge = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  auto r = s().addMessages({makeMessage(kA, 1, filled(0)), makeMessage(kA, huge, filled(0))});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_value");
  EXPECT_EQ(count(kA), 0u);
  auto max = makeMessage(kA, huge - 1, filled(0));
  add({max});
  EXPECT_EQ(s().tip(kA).value()->first, huge - 1);
  EXPECT_TRUE(s().messages(kA, {}, huge, 10)->empty());
  EXPECT_EQ(s().messages(kA, {}, huge - 1, 10)->size(), 1u);
}

TEST_P(StoreTest, EmptyBatchesAreFine) {
  EXPECT_TRUE(s().addMessages({}).ok());
  EXPECT_TRUE(s().markSigned(kA, {}, {}, 1).ok());
  EXPECT_TRUE(s().setRetry(kA, {}, 1).ok());
  EXPECT_TRUE(s().recordSignatureAnswers({}).ok());
  EXPECT_TRUE(s().recordOutcomes({}).ok());
  EXPECT_EQ(count(kA), 0u);
}

TEST_P(StoreTest, TipIsTheHighestSnInAnyState) {
  auto t = s().tip(kA);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  auto msgs = chainOf(kA, 10, 3);
  add(msgs);
  add(chainOf(kB, 100, 1));
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 12, OutcomeKind::kAccepted)}).ok());
  t = s().tip(kA);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->first, 12u);
  EXPECT_EQ((*t)->second, msgs[2].hash);
  EXPECT_EQ(s().tip(kB).value()->first, 100u);
}

TEST_P(StoreTest, MessagesFilterByStateFromSnAndLimit) {
  add(chainOf(kA, 1, 6));
  add(chainOf(kB, 1, 6));
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(1)}}, {4, {sig(1)}}}, {}, 10).ok());
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 6, OutcomeKind::kDiverged)}).ok());

  auto all = s().messages(kA, {}, 0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(sns(*all), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  auto pending = s().messages(kA, {MsgState::kPending}, 0, 100);
  EXPECT_EQ(sns(*pending), (std::vector<uint64_t>{1, 3, 5}));
  auto open = s().messages(kA, {MsgState::kPending, MsgState::kSigned}, 2, 100);
  EXPECT_EQ(sns(*open), (std::vector<uint64_t>{2, 3, 4, 5}));
  auto limited = s().messages(kA, {MsgState::kPending, MsgState::kSigned}, 2, 3);
  EXPECT_EQ(sns(*limited), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_TRUE(s().messages(kA, {}, 0, 0)->empty());
  EXPECT_TRUE(s().messages(kA, {MsgState::kSubmitted}, 0, 100)->empty());
  EXPECT_EQ(sns(*s().messages(kA, {MsgState::kDiverged}, 0, 100)), std::vector<uint64_t>{6});

  EXPECT_EQ(count(kA), 6u);
  EXPECT_EQ(count(kA, {MsgState::kPending}), 3u);
  EXPECT_EQ(count(kA, {MsgState::kSigned, MsgState::kDiverged}), 3u);
  EXPECT_EQ(count(kA, {MsgState::kDead}), 0u);
  EXPECT_EQ(count(kB, {MsgState::kPending}), 6u);
  EXPECT_EQ(count(filled(0xcc)), 0u);
}

TEST_P(StoreTest, MessageHeadsAreMessagesWithTheSameBookkeeping) {
  auto msgs = chainOf(kA, 1, 6);
  msgs[2].attempts = 3;
  msgs[2].last_error = "timeout";
  msgs[2].next_attempt_ms = 4242;
  add(msgs);
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(1)}}, {4, {sig(2)}}}, {}, 10).ok());
  for (auto states : {std::vector<MsgState>{}, std::vector<MsgState>{MsgState::kPending},
                      std::vector<MsgState>{MsgState::kSigned},
                      std::vector<MsgState>{MsgState::kSigned, MsgState::kPending}}) {
    auto full = s().messages(kA, states, 2, 3);
    auto heads = s().messageHeads(kA, states, 2, 3);
    ASSERT_TRUE(full.ok() && heads.ok());
    ASSERT_EQ(sns(*heads), sns(*full));
    for (size_t i = 0; i < heads->size(); ++i) {
      const auto& h = (*heads)[i];
      const auto& f = (*full)[i];
      EXPECT_EQ(h.hash, f.hash);
      EXPECT_EQ(h.state, f.state);
      EXPECT_EQ(h.attempts, f.attempts);
      EXPECT_EQ(h.last_error, f.last_error);
      EXPECT_EQ(h.next_attempt_ms, f.next_attempt_ms);
      EXPECT_EQ(h.created_ms, f.created_ms);
      EXPECT_EQ(h.source, f.source);
      EXPECT_EQ(h.submission_id, f.submission_id);
    }
  }
  EXPECT_TRUE(s().messageHeads(kA, {}, 0, 0)->empty());
}

TEST_P(StoreTest, OldestOpenMessageBehindManySettledOnes) {
  // What `status` and the metrics ask every round: the first open message from sn 0, with
  // thousands of settled ones below it (SqliteStore reads it from the state index).
  add(chainOf(kA, 1, 3000));
  std::vector<Store::SignedUpdate> signed_;
  for (uint64_t sn = 1; sn <= 2990; ++sn) signed_.push_back({sn, {sig(1)}});
  ASSERT_TRUE(s().markSigned(kA, signed_, {}, 10).ok());
  std::vector<OutcomeRecord> outs;
  for (uint64_t sn = 1; sn <= 2990; ++sn) outs.push_back(outcome(kA, sn, OutcomeKind::kAccepted));
  ASSERT_TRUE(s().recordOutcomes(outs).ok());
  ASSERT_TRUE(s().markSigned(kA, {{2995, {sig(2)}}}, {}, 10).ok());
  const std::vector<MsgState> open = {MsgState::kPending, MsgState::kSigned, MsgState::kSubmitted};
  EXPECT_EQ(sns(*s().messageHeads(kA, open, 0, 1)), std::vector<uint64_t>{2991});
  EXPECT_EQ(sns(*s().messageHeads(kA, open, 2993, 3)), (std::vector<uint64_t>{2993, 2994, 2995}));
  EXPECT_EQ(sns(*s().messages(kA, {MsgState::kSigned, MsgState::kAccepted}, 2989, 3)),
            (std::vector<uint64_t>{2989, 2990, 2995}));
  EXPECT_EQ(count(kA, open), 10u);
}

TEST_P(StoreTest, OpenSubmissionHeadsAreOpenSubmissions) {
  auto a1 = s().addSubmission(makeSubmission(kA, 1, 1)).value();
  auto a2 = s().addSubmission(makeSubmission(kA, 2, 3)).value();
  ASSERT_TRUE(s().updateSubmission(a2, SubmissionStatus::kInPool, "", 6000).ok());
  auto a3 = s().addSubmission(makeSubmission(kA, 4, 4)).value();
  ASSERT_TRUE(s().updateSubmission(a3, SubmissionStatus::kIncluded, "", 7000).ok());
  auto full = s().openSubmissions(kA).value();
  auto heads = s().openSubmissionHeads(kA).value();
  ASSERT_EQ(heads.size(), 2u);
  ASSERT_EQ(full.size(), 2u);
  EXPECT_EQ(heads[0].id, a1);
  EXPECT_EQ(heads[1].id, a2);
  for (size_t i = 0; i < heads.size(); ++i) {
    EXPECT_EQ(heads[i].status, full[i].status);
    EXPECT_EQ(heads[i].first_sn, full[i].first_sn);
    EXPECT_EQ(heads[i].last_sn, full[i].last_sn);
    EXPECT_EQ(heads[i].nonce, full[i].nonce);
    EXPECT_EQ(heads[i].tx_hash, full[i].tx_hash);
    EXPECT_EQ(heads[i].era_death, full[i].era_death);
    EXPECT_EQ(heads[i].updated_ms, full[i].updated_ms);
    EXPECT_TRUE(heads[i].fee == full[i].fee);
  }
  // The bytes stay readable one by one.
  EXPECT_EQ(s().submission(a1).value()->extrinsic, full[0].extrinsic);
}

TEST_P(StoreTest, DropFromDeletesOnlyNonFinalMessages) {
  add(chainOf(kA, 1, 6));
  add(chainOf(kB, 1, 6));
  ASSERT_TRUE(s().markSigned(kA, {{4, {sig(1)}}}, {}, 10).ok());
  ASSERT_TRUE(s().addSubmission(makeSubmission(kA, 5, 5)).ok());
  ASSERT_TRUE(s().recordOutcomes(
                     {outcome(kA, 3, OutcomeKind::kAccepted), outcome(kA, 6, OutcomeKind::kDead)})
                  .ok());
  ASSERT_TRUE(s().dropFrom(kA, 2).ok());
  // A dead report settles nothing: sn 6 is dropped like any open message.
  EXPECT_EQ(sns(*s().messages(kA, {}, 0, 100)), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(count(kB), 6u);
  EXPECT_EQ(s().tip(kA).value()->first, 3u);
  ASSERT_TRUE(s().dropFrom(kA, 1000).ok());
  EXPECT_EQ(count(kA), 2u);
}

TEST_P(StoreTest, MarkSignedMovesPendingMessagesAndRecordsAnswers) {
  add(chainOf(kA, 1, 4));
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 3, OutcomeKind::kSuperseded)}).ok());
  std::vector<SignatureRecord> answers = {answer(kA, 1, "w1", true), answer(kA, 1, "w2", true),
                                          answer(kA, 1, "w3", false, "diverged"),
                                          answer(kA, 2, "w1", true)};
  auto r = s().markSigned(kA, {{1, {sig(1), sig(2)}}, {2, {sig(3)}}, {3, {sig(4)}}, {99, {sig(5)}}},
                          answers, 3000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto m1 = get(kA, 1);
  EXPECT_EQ(m1.state, MsgState::kSigned);
  EXPECT_EQ(m1.signatures, (std::vector<crypto::Signature>{sig(1), sig(2)}));
  EXPECT_EQ(m1.updated_ms, 3000);
  EXPECT_EQ(get(kA, 2).state, MsgState::kSigned);
  // A final message keeps its state; an unknown sn is skipped.
  EXPECT_EQ(get(kA, 3).state, MsgState::kSuperseded);
  EXPECT_TRUE(get(kA, 3).signatures.empty());
  EXPECT_FALSE(s().message(kA, 99)->has_value());
  // Already signed: not re-signed.
  ASSERT_TRUE(s().markSigned(kA, {{1, {sig(7)}}}, {}, 4000).ok());
  EXPECT_EQ(get(kA, 1).signatures, (std::vector<crypto::Signature>{sig(1), sig(2)}));

  auto got = s().signatureAnswers(kA, 1);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].worker, "w1");
  EXPECT_EQ((*got)[1].worker, "w2");
  EXPECT_EQ((*got)[2].worker, "w3");
  EXPECT_FALSE((*got)[2].valid);
  EXPECT_EQ((*got)[2].code, "diverged");
  EXPECT_EQ((*got)[2].local_hash, filled(0xdd));
  EXPECT_FALSE((*got)[0].local_hash.has_value());
  EXPECT_EQ((*got)[0].hash, filled(1));
  EXPECT_EQ(s().signatureAnswers(kA, 2)->size(), 1u);
  EXPECT_TRUE(s().signatureAnswers(kB, 1)->empty());
}

// Many consecutive quorums in one call (SqliteStore: one UPDATE per run, each row its own
// slice of the run's signatures): every message gets exactly its own, and a message that is no
// longer pending keeps what it had.
TEST_P(StoreTest, MarkSignedGivesEachMessageOfALongRunItsOwnQuorum) {
  add(chainOf(kA, 10, 300));
  ASSERT_TRUE(s().markSigned(kA, {{150, {sig(1)}}}, {}, 100).ok());
  std::vector<Store::SignedUpdate> updates;
  for (uint64_t sn = 10; sn < 310; ++sn) {
    updates.push_back({sn,
                       {sig(static_cast<uint8_t>(sn)), sig(static_cast<uint8_t>(sn + 1)),
                        sig(static_cast<uint8_t>(sn + 2))}});
  }
  ASSERT_TRUE(s().markSigned(kA, updates, {}, 200).ok());
  for (uint64_t sn = 10; sn < 310; ++sn) {
    auto m = get(kA, sn);
    EXPECT_EQ(m.state, MsgState::kSigned) << sn;
    if (sn == 150) {
      EXPECT_EQ(m.signatures, (std::vector<crypto::Signature>{sig(1)}));
      EXPECT_EQ(m.updated_ms, 100);
      continue;
    }
    EXPECT_EQ(m.signatures, updates[sn - 10].signatures) << sn;
    EXPECT_EQ(m.updated_ms, 200);
  }
}

// More outcomes in one call than one multi-row INSERT takes: every row is there, in order.
TEST_P(StoreTest, RecordOutcomesAppendsEveryRowOfALargeCall) {
  add(chainOf(kA, 1, 200));
  std::vector<OutcomeRecord> outs;
  for (uint64_t sn = 1; sn <= 200; ++sn) {
    auto o = outcome(kA, sn, sn % 7 == 0 ? OutcomeKind::kSuperseded : OutcomeKind::kAccepted);
    o.fee = sn;
    outs.push_back(o);
  }
  ASSERT_TRUE(s().recordOutcomes(outs).ok());
  auto got = s().outcomes(kA);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 200u);
  for (size_t i = 0; i < 200; ++i) {
    EXPECT_EQ((*got)[i].sn, i + 1);
    EXPECT_EQ((*got)[i].kind, outs[i].kind);
    EXPECT_TRUE((*got)[i].fee == outs[i].fee);
    EXPECT_EQ((*got)[i].reason, outs[i].reason);
  }
  EXPECT_EQ(get(kA, 7).state, MsgState::kSuperseded);
  EXPECT_EQ(get(kA, 200).state, MsgState::kAccepted);
}

TEST_P(StoreTest, RetryNowClearsTheBackoffOfOpenMessagesOnly) {
  add(chainOf(kA, 1, 4));
  add(chainOf(kB, 1, 1));
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(1)}}}, {}, 10).ok());
  std::vector<Store::RetryUpdate> later;
  for (uint64_t sn : {1, 2})
    later.push_back({sn, sn == 1 ? MsgState::kPending : MsgState::kSigned, 3, 99'000, "later"});
  ASSERT_TRUE(s().setRetry(kA, later, 10).ok());
  ASSERT_TRUE(s().setRetry(kB, {{1, MsgState::kPending, 3, 99'000, "later"}}, 10).ok());
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 3, OutcomeKind::kAccepted)}).ok());
  ASSERT_TRUE(s().retryNow(kA).ok());
  EXPECT_EQ(get(kA, 1).next_attempt_ms, 0);
  EXPECT_EQ(get(kA, 2).next_attempt_ms, 0);
  EXPECT_EQ(get(kA, 1).attempts, 3u);  // the count stays: it is history
  EXPECT_EQ(get(kA, 2).state, MsgState::kSigned);
  EXPECT_EQ(get(kA, 3).state, MsgState::kAccepted);
  EXPECT_EQ(get(kB, 1).next_attempt_ms, 99'000);  // another cluster is left alone
}

TEST_P(StoreTest, ASubmissionWithoutAKnownFeeSaysSo) {
  add(chainOf(kA, 1, 2));
  auto sub = makeSubmission(kA, 1, 2);
  sub.fee = 0;
  sub.fee_known = false;
  auto id = s().addSubmission(sub);
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto back = s().submission(*id).value();
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->fee_known);
  EXPECT_FALSE(s().openSubmissionHeads(kA).value().at(0).fee_known);
  auto known = s().addSubmission(makeSubmission(kB, 1, 1));
  ASSERT_TRUE(known.ok());
  EXPECT_TRUE(s().submission(*known).value()->fee_known);
}

TEST_P(StoreTest, ReplaceOutcomeKeepsOneSettledRowPerSn) {
  add(chainOf(kA, 1, 2));
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 1, OutcomeKind::kRejected),
                                  outcome(kA, 1, OutcomeKind::kSuperseded)})
                  .ok());
  ASSERT_TRUE(s().replaceOutcome(outcome(kA, 1, OutcomeKind::kAccepted)).ok());
  ASSERT_TRUE(s().replaceOutcome(outcome(kA, 1, OutcomeKind::kAccepted)).ok());
  ASSERT_TRUE(s().replaceOutcome(outcome(kA, 9, OutcomeKind::kAccepted)).ok());  // no row
  EXPECT_EQ(get(kA, 1).state, MsgState::kAccepted);
  size_t accepted = 0, superseded = 0, rejected = 0;
  for (auto& o : s().outcomes(kA).value()) {
    if (o.sn != 1) continue;
    accepted += o.kind == OutcomeKind::kAccepted;
    superseded += o.kind == OutcomeKind::kSuperseded;
    rejected += o.kind == OutcomeKind::kRejected;
  }
  EXPECT_EQ(accepted, 1u);
  EXPECT_EQ(superseded, 0u);
  EXPECT_EQ(rejected, 1u);  // reports stay
  EXPECT_FALSE(s().replaceOutcome(outcome(kA, 2, OutcomeKind::kRejected)).ok());
  EXPECT_EQ(get(kA, 2).state, MsgState::kPending);
}

TEST_P(StoreTest, RecordSignatureAnswersAppends) {
  ASSERT_TRUE(s().recordSignatureAnswers({answer(kA, 7, "w1", false, "unknown_sn")}).ok());
  ASSERT_TRUE(s().recordSignatureAnswers({answer(kA, 7, "w2", true)}).ok());
  auto got = s().signatureAnswers(kA, 7);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].code, "unknown_sn");
  EXPECT_EQ((*got)[0].cluster, kA);
  EXPECT_EQ((*got)[0].sn, 7u);
  EXPECT_EQ((*got)[1].worker, "w2");
  EXPECT_TRUE((*got)[1].valid);
}

TEST_P(StoreTest, SetRetrySetsEveryField) {
  add(chainOf(kA, 1, 3));
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(1)}}}, {}, 10).ok());
  auto r = s().setRetry(kA,
                        {{1, MsgState::kPending, 3, 5000, "timeout"},
                         {2, MsgState::kPending, 1, 6000, "bad"},
                         {50, MsgState::kSigned, 1, 1, "missing"}},
                        4000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto m1 = get(kA, 1);
  EXPECT_EQ(m1.state, MsgState::kPending);
  EXPECT_EQ(m1.attempts, 3u);
  EXPECT_EQ(m1.next_attempt_ms, 5000);
  EXPECT_EQ(m1.last_error, "timeout");
  EXPECT_EQ(m1.updated_ms, 4000);
  auto m2 = get(kA, 2);
  EXPECT_EQ(m2.state, MsgState::kPending);
  EXPECT_EQ(m2.last_error, "bad");
  EXPECT_EQ(get(kA, 3).attempts, 0u);
  EXPECT_FALSE(s().message(kA, 50)->has_value());
}

TEST_P(StoreTest, AddSubmissionStoresItAndMovesItsMessages) {
  add(chainOf(kA, 1, 6));
  add(chainOf(kB, 1, 6));
  ASSERT_TRUE(s().markSigned(kA, {{2, {sig(1)}}, {3, {sig(1)}}, {4, {sig(1)}}}, {}, 10).ok());
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 3, OutcomeKind::kSuperseded)}).ok());
  auto sub = makeSubmission(kA, 2, 4);
  auto id = s().addSubmission(sub);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_GT(*id, 0);

  auto m2 = get(kA, 2);
  EXPECT_EQ(m2.state, MsgState::kSubmitted);
  EXPECT_EQ(m2.submission_id, *id);
  EXPECT_EQ(m2.updated_ms, sub.created_ms);
  EXPECT_EQ(get(kA, 4).state, MsgState::kSubmitted);
  EXPECT_EQ(get(kA, 3).state, MsgState::kSuperseded);  // final: untouched
  EXPECT_EQ(get(kA, 3).submission_id, 0);
  EXPECT_EQ(get(kA, 1).state, MsgState::kPending);
  EXPECT_EQ(get(kA, 5).state, MsgState::kPending);
  EXPECT_EQ(get(kB, 2).state, MsgState::kPending);

  auto stored = s().submission(*id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const auto& r = **stored;
  EXPECT_EQ(r.id, *id);
  EXPECT_EQ(r.cluster, kA);
  EXPECT_EQ(r.tx_hash, sub.tx_hash);
  EXPECT_EQ(r.account, sub.account);
  EXPECT_EQ(r.nonce, 42u);
  EXPECT_EQ(r.era_birth, 100u);
  EXPECT_EQ(r.era_death, 164u);
  EXPECT_EQ(r.first_sn, 2u);
  EXPECT_EQ(r.last_sn, 4u);
  EXPECT_TRUE(r.fee == kBig);
  EXPECT_EQ(r.status, SubmissionStatus::kSending);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.extrinsic, sub.extrinsic);
  EXPECT_EQ(r.created_ms, 5000);
  EXPECT_EQ(r.updated_ms, 5000);

  auto id2 = s().addSubmission(makeSubmission(kA, 5, 5));
  ASSERT_TRUE(id2.ok());
  EXPECT_GT(*id2, *id);
  EXPECT_FALSE(s().submission(*id2 + 100)->has_value());

  auto bad = s().addSubmission(makeSubmission(kA, 5, 4));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_value");
}

TEST_P(StoreTest, UpdateSubmissionAndOpenSubmissions) {
  auto a1 = s().addSubmission(makeSubmission(kA, 1, 1)).value();
  auto b1 = s().addSubmission(makeSubmission(kB, 1, 1)).value();
  auto a2 = s().addSubmission(makeSubmission(kA, 2, 2)).value();
  auto a3 = s().addSubmission(makeSubmission(kA, 3, 3)).value();
  ASSERT_TRUE(s().updateSubmission(a2, SubmissionStatus::kInPool, "", 6000).ok());
  ASSERT_TRUE(s().updateSubmission(a3, SubmissionStatus::kIncluded, "done", 7000).ok());

  auto open = s().openSubmissions(kA);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, a1);
  EXPECT_EQ((*open)[0].status, SubmissionStatus::kSending);
  EXPECT_EQ((*open)[1].id, a2);
  EXPECT_EQ((*open)[1].status, SubmissionStatus::kInPool);
  EXPECT_EQ((*open)[1].updated_ms, 6000);
  EXPECT_EQ(s().openSubmissions(kB)->size(), 1u);
  EXPECT_EQ(s().openSubmissions(kB)->at(0).id, b1);

  auto done = s().submission(a3).value().value();
  EXPECT_EQ(done.status, SubmissionStatus::kIncluded);
  EXPECT_EQ(done.error, "done");
  EXPECT_EQ(done.updated_ms, 7000);

  auto r = s().updateSubmission(9999, SubmissionStatus::kLost, "", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_found");
}

TEST_P(StoreTest, ReleaseSubmissionReturnsItsStillSubmittedMessages) {
  add(chainOf(kA, 1, 5));
  ASSERT_TRUE(
      s().markSigned(kA, {{1, {sig(1)}}, {2, {sig(1)}}, {3, {sig(1)}}, {4, {sig(1)}}}, {}, 10)
          .ok());
  ASSERT_TRUE(s().setRetry(kA, {{2, MsgState::kSigned, 4, 0, ""}}, 20).ok());
  auto id = s().addSubmission(makeSubmission(kA, 1, 4)).value();
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 3, OutcomeKind::kAccepted)}).ok());

  core::Store::RetryUpdate retry{999, MsgState::kSigned, 77, 8000, "stale nonce"};
  auto r = s().releaseSubmission(id, SubmissionStatus::kRejected, "1010: stale", retry, 7500);
  ASSERT_TRUE(r.ok()) << r.error().message;

  auto sub = s().submission(id).value().value();
  EXPECT_EQ(sub.status, SubmissionStatus::kRejected);
  EXPECT_EQ(sub.error, "1010: stale");
  EXPECT_EQ(sub.updated_ms, 7500);
  EXPECT_TRUE(s().openSubmissions(kA)->empty());

  auto m1 = get(kA, 1);
  EXPECT_EQ(m1.state, MsgState::kSigned);
  EXPECT_EQ(m1.attempts, 1u);  // stored + 1; retry.attempts is ignored
  EXPECT_EQ(m1.next_attempt_ms, 8000);
  EXPECT_EQ(m1.last_error, "stale nonce");
  EXPECT_EQ(m1.submission_id, 0);
  EXPECT_EQ(m1.updated_ms, 7500);
  EXPECT_EQ(m1.signatures, std::vector<crypto::Signature>{sig(1)});
  EXPECT_EQ(get(kA, 2).attempts, 5u);
  EXPECT_EQ(get(kA, 3).state, MsgState::kAccepted);  // settled meanwhile: untouched
  EXPECT_EQ(get(kA, 3).submission_id, id);
  EXPECT_EQ(get(kA, 4).state, MsgState::kSigned);
  EXPECT_EQ(get(kA, 5).state, MsgState::kPending);

  // Messages since taken by another submission are not released by the old one.
  auto id2 = s().addSubmission(makeSubmission(kA, 1, 2)).value();
  ASSERT_TRUE(s().releaseSubmission(id, SubmissionStatus::kLost, "again", retry, 7600).ok());
  EXPECT_EQ(get(kA, 1).state, MsgState::kSubmitted);
  EXPECT_EQ(get(kA, 1).submission_id, id2);

  auto missing = s().releaseSubmission(4242, SubmissionStatus::kLost, "", retry, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
}

// A lost transaction may still be included; the newest lost one of the account that carried
// the sn is the one whose fee the chain took.
TEST_P(StoreTest, LostSubmissionCoveringFindsTheNewestLostOneOfThatAccount) {
  core::Store::RetryUpdate retry{0, MsgState::kSigned, 0, 8000, "lost"};
  auto older = s().addSubmission(makeSubmission(kA, 10, 13)).value();
  ASSERT_TRUE(s().releaseSubmission(older, SubmissionStatus::kLost, "dropped", retry, 7000).ok());
  auto newer = makeSubmission(kA, 12, 15);
  newer.fee = 1234;
  auto newerId = s().addSubmission(newer).value();
  ASSERT_TRUE(s().releaseSubmission(newerId, SubmissionStatus::kLost, "dropped", retry, 7100).ok());
  auto rejected = s().addSubmission(makeSubmission(kA, 10, 15)).value();
  ASSERT_TRUE(
      s().releaseSubmission(rejected, SubmissionStatus::kRejected, "1014", retry, 7200).ok());
  (void)s().addSubmission(makeSubmission(kA, 10, 15)).value();  // open: not lost
  auto other = makeSubmission(kA, 10, 15);
  other.account = filled(0x99);
  auto otherId = s().addSubmission(other).value();
  ASSERT_TRUE(s().releaseSubmission(otherId, SubmissionStatus::kLost, "dropped", retry, 7300).ok());

  auto at = [&](uint64_t sn) { return s().lostSubmissionCovering(kA, sn, filled(0x88)).value(); };
  ASSERT_TRUE(at(10).has_value());
  EXPECT_EQ(at(10)->id, older);
  EXPECT_EQ(at(13)->id, newerId);  // both lost ones carried 13: the newer
  EXPECT_EQ(at(13)->fee, u128{1234});
  EXPECT_EQ(at(13)->first_sn, 12u);
  EXPECT_EQ(at(13)->last_sn, 15u);
  EXPECT_EQ(at(13)->status, SubmissionStatus::kLost);
  EXPECT_EQ(at(15)->id, newerId);
  EXPECT_FALSE(at(9).has_value());
  EXPECT_FALSE(at(16).has_value());
  EXPECT_EQ(s().lostSubmissionCovering(kA, 10, filled(0x99)).value()->id, otherId);
  EXPECT_FALSE(s().lostSubmissionCovering(kB, 10, filled(0x88)).value().has_value());
}

TEST_P(StoreTest, SubmissionsAndOutcomesOfOneSnAreFoundForExplain) {
  core::Store::RetryUpdate retry{0, MsgState::kSigned, 0, 8000, "lost"};
  auto lost = s().addSubmission(makeSubmission(kA, 10, 13)).value();
  ASSERT_TRUE(s().releaseSubmission(lost, SubmissionStatus::kLost, "dropped", retry, 7000).ok());
  auto open = s().addSubmission(makeSubmission(kA, 12, 15)).value();
  (void)s().addSubmission(makeSubmission(kB, 12, 12)).value();  // another cluster
  auto ids = [&](uint64_t sn) {
    std::vector<int64_t> out;
    for (auto& x : s().submissionsCovering(kA, sn).value()) out.push_back(x.id);
    return out;
  };
  EXPECT_EQ(ids(12), (std::vector<int64_t>{lost, open})) << "every status, oldest first";
  EXPECT_EQ(ids(10), (std::vector<int64_t>{lost}));
  EXPECT_EQ(ids(15), (std::vector<int64_t>{open}));
  EXPECT_TRUE(ids(16).empty());
  EXPECT_EQ(s().submissionsCovering(kA, 12).value()[0].status, SubmissionStatus::kLost);
  EXPECT_TRUE(s().submissionsCovering(kA, 12).value()[0].extrinsic.empty()) << "heads only";

  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 5, OutcomeKind::kRejected),
                                  outcome(kA, 5, OutcomeKind::kAccepted),
                                  outcome(kA, 6, OutcomeKind::kAccepted),
                                  outcome(kB, 5, OutcomeKind::kAccepted)})
                  .ok());
  auto of5 = s().outcomesOf(kA, 5).value();
  ASSERT_EQ(of5.size(), 2u);
  EXPECT_EQ(of5[0].kind, OutcomeKind::kRejected);
  EXPECT_EQ(of5[1].kind, OutcomeKind::kAccepted);
  EXPECT_TRUE(s().outcomesOf(kA, 7).value().empty());
}

TEST_P(StoreTest, RecordOutcomesSettlesMessagesAndAppendsRows) {
  add(chainOf(kA, 1, 6));
  add(chainOf(kB, 1, 1));
  std::vector<OutcomeRecord> outs = {
      outcome(kA, 1, OutcomeKind::kAccepted), outcome(kA, 2, OutcomeKind::kSuperseded),
      outcome(kA, 3, OutcomeKind::kDiverged), outcome(kA, 4, OutcomeKind::kDead),
      outcome(kA, 5, OutcomeKind::kRejected), outcome(kA, 77, OutcomeKind::kAccepted),
      outcome(kB, 1, OutcomeKind::kAccepted)};
  auto r = s().recordOutcomes(outs);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(get(kA, 1).state, MsgState::kAccepted);
  EXPECT_EQ(get(kA, 1).updated_ms, 9000);
  EXPECT_EQ(get(kA, 2).state, MsgState::kSuperseded);
  EXPECT_EQ(get(kA, 3).state, MsgState::kDiverged);
  EXPECT_EQ(get(kA, 4).state, MsgState::kPending);  // a dead report only appends
  EXPECT_EQ(get(kA, 5).state, MsgState::kPending);  // a rejection only appends
  EXPECT_EQ(get(kA, 6).state, MsgState::kPending);
  EXPECT_FALSE(s().message(kA, 77)->has_value());

  auto a = s().outcomes(kA);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 6u);
  for (size_t i = 0; i < a->size(); ++i) {
    const auto& got = (*a)[i];
    const auto& want = outs[i];
    EXPECT_EQ(got.cluster, want.cluster);
    EXPECT_EQ(got.sn, want.sn);
    EXPECT_EQ(got.kind, want.kind);
    EXPECT_EQ(got.reason, want.reason);
    EXPECT_EQ(got.ack_hash, want.ack_hash);
    EXPECT_EQ(got.block, want.block);
    EXPECT_TRUE(got.reward == want.reward);
    EXPECT_TRUE(got.fee == want.fee);
    EXPECT_EQ(got.account, want.account);
    EXPECT_EQ(got.submission_id, want.submission_id);
    EXPECT_EQ(got.at_ms, want.at_ms);
  }
  ASSERT_TRUE(s().recordOutcomes({outcome(kA, 6, OutcomeKind::kDead)}).ok());
  auto all = s().outcomes(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 8u);
  EXPECT_EQ(all->at(6).cluster, kB);  // insertion order across clusters
  EXPECT_EQ(all->at(7).sn, 6u);
  EXPECT_EQ(s().outcomes(kB)->size(), 1u);
}

TEST_P(StoreTest, RecordOutcomesSettlesRunsGapsAndMixedKindsExactly) {
  add(chainOf(kA, 1, 10));
  add(chainOf(kB, 1, 3));
  auto late = outcome(kA, 9, OutcomeKind::kSuperseded);
  late.at_ms = 9500;
  ASSERT_TRUE(
      s().recordOutcomes(
             {outcome(kA, 1, OutcomeKind::kAccepted), outcome(kA, 2, OutcomeKind::kAccepted),
              outcome(kA, 3, OutcomeKind::kAccepted), outcome(kA, 5, OutcomeKind::kAccepted),
              outcome(kA, 6, OutcomeKind::kDiverged), outcome(kA, 7, OutcomeKind::kRejected),
              outcome(kA, 8, OutcomeKind::kDead), late, outcome(kB, 2, OutcomeKind::kAccepted)})
          .ok());
  const MsgState want[] = {MsgState::kAccepted, MsgState::kAccepted, MsgState::kAccepted,
                           MsgState::kPending,  MsgState::kAccepted, MsgState::kDiverged,
                           MsgState::kPending,  MsgState::kPending,  MsgState::kSuperseded,
                           MsgState::kPending};
  for (uint64_t sn = 1; sn <= 10; ++sn) {
    auto m = get(kA, sn);
    EXPECT_EQ(m.state, want[sn - 1]) << "sn " << sn;
    if (sn == 9) {
      EXPECT_EQ(m.updated_ms, 9500);
    }
  }
  EXPECT_EQ(get(kB, 1).state, MsgState::kPending);
  EXPECT_EQ(get(kB, 2).state, MsgState::kAccepted);
  EXPECT_EQ(get(kB, 3).state, MsgState::kPending);
  EXPECT_EQ(s().outcomes(kA)->size(), 8u);
}

TEST_P(StoreTest, WorkersAreUpsertedByClusterAndEndpoint) {
  WorkerRecord w;
  w.cluster = kA;
  w.endpoint = "http://w2";
  w.version = "1.2.3";
  w.last_seen_ms = 100;
  w.signatures_valid = std::numeric_limits<uint64_t>::max();
  w.signatures_invalid = 2;
  w.refused = 3;
  w.errors = 4;
  w.divergences = 5;
  w.faulty_chain = 6;
  w.latency_ms_ewma = 12.345678901234;
  w.last_error = "timeout";
  w.diverged_sn = 17;
  ASSERT_TRUE(s().upsertWorker(w).ok());
  WorkerRecord w1 = w;
  w1.endpoint = "http://w1";
  crypto::PublicKey pk{};
  pk.fill(0x02);
  w1.public_key = pk;
  w1.diverged_hash = filled(0xde);
  ASSERT_TRUE(s().upsertWorker(w1).ok());
  WorkerRecord wb = w;
  wb.cluster = kB;
  ASSERT_TRUE(s().upsertWorker(wb).ok());

  auto ws = s().workers(kA);
  ASSERT_TRUE(ws.ok());
  ASSERT_EQ(ws->size(), 2u);
  EXPECT_EQ((*ws)[0].endpoint, "http://w1");
  EXPECT_EQ((*ws)[0].public_key, pk);
  EXPECT_EQ((*ws)[0].diverged_hash, filled(0xde));
  const auto& got = (*ws)[1];
  EXPECT_EQ(got.endpoint, "http://w2");
  EXPECT_FALSE(got.public_key.has_value());
  EXPECT_FALSE(got.diverged_hash.has_value());
  EXPECT_EQ(got.version, "1.2.3");
  EXPECT_EQ(got.last_seen_ms, 100);
  EXPECT_EQ(got.signatures_valid, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(got.signatures_invalid, 2u);
  EXPECT_EQ(got.refused, 3u);
  EXPECT_EQ(got.errors, 4u);
  EXPECT_EQ(got.divergences, 5u);
  EXPECT_EQ(got.faulty_chain, 6u);
  EXPECT_EQ(got.latency_ms_ewma, 12.345678901234);
  EXPECT_EQ(got.last_error, "timeout");
  EXPECT_EQ(got.diverged_sn, 17u);

  // Upsert replaces every field, including clearing the optional ones.
  w1.public_key.reset();
  w1.errors = 40;
  w1.last_error = "";
  ASSERT_TRUE(s().upsertWorker(w1).ok());
  ws = s().workers(kA);
  ASSERT_EQ(ws->size(), 2u);
  EXPECT_FALSE((*ws)[0].public_key.has_value());
  EXPECT_EQ((*ws)[0].errors, 40u);
  EXPECT_EQ((*ws)[0].last_error, "");

  auto all = s().workers(std::nullopt);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at(2).cluster, kB);  // ordered by cluster bytes (0xa1.. < 0xb2..)
  EXPECT_TRUE(s().workers(filled(0xcc))->empty());
}

TEST_P(StoreTest, SaveRoundStateWritesWorkersAndStatusTogether) {
  WorkerRecord w0;
  w0.cluster = kA;
  w0.endpoint = "http://w0";
  w0.signatures_valid = 7;
  WorkerRecord w1 = w0;
  w1.endpoint = "http://w1";
  w1.last_error = "timeout";
  ASSERT_TRUE(s().saveRoundState({w0, w1}, ClusterStatusRecord{kA, "ok", "", 3, 5, 100}).ok());
  auto ws = s().workers(kA).value();
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].signatures_valid, 7u);
  EXPECT_EQ(ws[1].last_error, "timeout");
  EXPECT_EQ(s().clusterStatus(kA).value()->worker_next_sn, 5u);
  // Workers only, status only, nothing: each leaves the rest as it was.
  w0.signatures_valid = 8;
  ASSERT_TRUE(s().saveRoundState({w0}, std::nullopt).ok());
  EXPECT_EQ(s().workers(kA).value()[0].signatures_valid, 8u);
  EXPECT_EQ(s().clusterStatus(kA).value()->updated_ms, 100);
  ASSERT_TRUE(s().saveRoundState({}, ClusterStatusRecord{kA, "stuck", "why", 3, 6, 200,
                                                         core::WaitReason::kWorkersDisagree})
                  .ok());
  EXPECT_EQ(s().clusterStatus(kA).value()->state, "stuck");
  EXPECT_EQ(s().clusterStatus(kA).value()->reason, core::WaitReason::kWorkersDisagree);
  EXPECT_EQ(s().workers(kA).value().size(), 2u);
  ASSERT_TRUE(s().saveRoundState({}, std::nullopt).ok());
  EXPECT_EQ(s().clusterStatus(kA).value()->updated_ms, 200);
}

TEST_P(StoreTest, ClusterStatusIsKeyedByCluster) {
  auto none = s().clusterStatus(kA);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ClusterStatusRecord st{kA, "stuck", "two hashes at sn 5", 5, 9, 100};
  ASSERT_TRUE(s().setClusterStatus(st).ok());
  ASSERT_TRUE(s().setClusterStatus({kB, "ok", "", 1, 1, 50}).ok());
  st.state = "ok";
  st.detail = "";
  st.chain_next_sn = std::numeric_limits<uint64_t>::max();
  st.updated_ms = 200;
  ASSERT_TRUE(s().setClusterStatus(st).ok());
  auto got = s().clusterStatus(kA).value().value();
  EXPECT_EQ(got.cluster, kA);
  EXPECT_EQ(got.state, "ok");
  EXPECT_EQ(got.detail, "");
  EXPECT_EQ(got.chain_next_sn, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(got.worker_next_sn, 9u);
  EXPECT_EQ(got.updated_ms, 200);
  EXPECT_EQ(s().clusterStatus(kB).value()->state, "ok");
}

TEST_P(StoreTest, ConcurrentWritersDoNotInterfere) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      H256 cluster = filled(static_cast<uint8_t>(0x10 + t));
      auto msgs = chainOf(cluster, 1, 50);
      for (size_t i = 0; i < msgs.size(); i += 5) {
        std::vector<StoredMessage> batch(msgs.begin() + static_cast<long>(i),
                                         msgs.begin() + static_cast<long>(i + 5));
        EXPECT_TRUE(s().addMessages(batch).ok());
        EXPECT_TRUE(s().markSigned(cluster, {{msgs[i].sn, {sig(1)}}}, {}, 1).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    H256 cluster = filled(static_cast<uint8_t>(0x10 + t));
    EXPECT_EQ(count(cluster), 50u);
    EXPECT_EQ(count(cluster, {MsgState::kSigned}), 10u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreTest,
                         ::testing::Values("memory", "sqlite_memory", "sqlite_file"),
                         [](const auto& info) { return info.param; });

// ---- SQLite only -------------------------------------------------------------------------------

std::unique_ptr<SqliteStore> openOrDie(const std::string& path) {
  auto r = SqliteStore::open(path);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().message;
    return nullptr;
  }
  return std::move(r).value();
}

mode_t fileMode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Runs SQL on a database file directly (as another program, or a newer hunter, would).
void rawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

TEST(SqliteStoreTest, NewFileIsOwnerOnly) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  mode_t old = ::umask(0);  // even with a permissive umask
  auto store = openOrDie(path);
  ::umask(old);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->addMessages(chainOf(kA, 1, 3)).ok());
  EXPECT_EQ(fileMode(path), 0600u);
  // SQLite gives the WAL and shared-memory files the database file's mode.
  for (const char* suffix : {"-wal", "-shm"}) {
    ASSERT_TRUE(std::filesystem::exists(path + suffix)) << suffix;
    EXPECT_EQ(fileMode(path + suffix), 0600u) << suffix;
  }
}

TEST(SqliteStoreTest, ABacklogsWritesCreateNoTemporaryFiles) {
  // Multi-row updates inside a transaction need a statement journal; SQLite made each one a
  // file (created, written and unlinked at once, about 24 a second while clearing a backlog)
  // unless temporary storage is in memory. Watch SQLite's temporary directory for any file.
  TempDir dir;
  TempDir tmp;
  const std::string tmpDir = tmp.file("");
  char* before = sqlite3_temp_directory;
  sqlite3_temp_directory = sqlite3_mprintf("%s", tmpDir.c_str());
  int watch = ::inotify_init1(IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  ASSERT_GE(::inotify_add_watch(watch, tmpDir.c_str(), IN_CREATE), 0);
  {
    auto store = openOrDie(dir.file("hunter.db"));
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->addMessages(chainOf(kA, 0, 200)).ok());
    std::vector<Store::SignedUpdate> done;
    for (uint64_t sn = 0; sn < 200; ++sn) done.push_back({sn, {sig(1), sig(2), sig(3)}});
    ASSERT_TRUE(store->markSigned(kA, done, {}, 10).ok());
    for (uint64_t first = 0; first < 200; first += 50) {
      ASSERT_TRUE(store->addSubmission(makeSubmission(kA, first, first + 49)).ok());
    }
    EXPECT_EQ(store->countMessages(kA, {MsgState::kSubmitted}).value(), 200u);
  }
  char events[4096];
  ssize_t n = ::read(watch, events, sizeof events);
  ::close(watch);
  sqlite3_free(sqlite3_temp_directory);
  sqlite3_temp_directory = before;
  EXPECT_LE(n, 0) << "SQLite created a file in its temporary directory";
}

TEST(SqliteStoreTest, ReopeningKeepsEverything) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  auto msgs = chainOf(kA, 1, 4);
  int64_t sub_id = 0;
  {
    auto store = openOrDie(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->addMessages(msgs).ok());
    ASSERT_TRUE(store
                    ->markSigned(kA, {{1, {sig(1), sig(2)}}, {2, {sig(3)}}},
                                 {answer(kA, 1, "w1", true)}, 10)
                    .ok());
    sub_id = store->addSubmission(makeSubmission(kA, 1, 2)).value();
    ASSERT_TRUE(store->recordOutcomes({outcome(kA, 1, OutcomeKind::kAccepted)}).ok());
    WorkerRecord w;
    w.cluster = kA;
    w.endpoint = "http://w1";
    ASSERT_TRUE(store->upsertWorker(w).ok());
    ASSERT_TRUE(store->setClusterStatus({kA, "ok", "fine", 2, 5, 10}).ok());
  }
  auto store = openOrDie(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->countMessages(kA, {}).value(), 4u);
  auto m1 = store->message(kA, 1).value().value();
  EXPECT_EQ(m1.state, MsgState::kAccepted);
  EXPECT_EQ(m1.signatures, (std::vector<crypto::Signature>{sig(1), sig(2)}));
  EXPECT_EQ(m1.msg, msgs[0].msg);
  auto m2 = store->message(kA, 2).value().value();
  EXPECT_EQ(m2.state, MsgState::kSubmitted);
  EXPECT_EQ(m2.submission_id, sub_id);
  EXPECT_EQ(store->tip(kA).value()->second, msgs[3].hash);
  EXPECT_EQ(store->signatureAnswers(kA, 1)->size(), 1u);
  EXPECT_TRUE(store->submission(sub_id).value()->fee == kBig);
  EXPECT_EQ(store->openSubmissions(kA)->size(), 1u);
  EXPECT_TRUE(store->outcomes(kA)->at(0).reward == kBig);
  EXPECT_EQ(store->workers(kA)->size(), 1u);
  EXPECT_EQ(store->clusterStatus(kA).value()->detail, "fine");
  // Ids keep counting after a reopen.
  EXPECT_GT(store->addSubmission(makeSubmission(kA, 3, 3)).value(), sub_id);
}

TEST(SqliteStoreTest, NewerSchemaVersionIsRefused) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  ASSERT_TRUE(openOrDie(path));
  rawExec(path, "PRAGMA user_version = 7");
  auto r = SqliteStore::open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db");
  EXPECT_NE(
      r.error().message.find("database schema version 7 is newer than this hunter supports (" +
                             std::to_string(SqliteStore::kSchemaVersion) + ")"),
      std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
}

// Schema version 1 kept each submission's bytes in the submissions row; opening such a file
// moves them to submission_bytes, and nothing stored is lost.
TEST(SqliteStoreTest, VersionOneSubmissionsKeepTheirBytesAfterTheUpgrade) {
  TempDir dir;
  std::string path = dir.file("v1.db");
  rawExec(path,
          "CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, cluster BLOB NOT NULL, "
          "tx_hash BLOB NOT NULL, account BLOB NOT NULL, nonce INTEGER NOT NULL, era_birth "
          "INTEGER NOT NULL, era_death INTEGER NOT NULL, first_sn INTEGER NOT NULL, last_sn "
          "INTEGER NOT NULL, fee TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL, "
          "extrinsic BLOB NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
          "CREATE INDEX submissions_by_status ON submissions (cluster, status);"
          "CREATE TABLE messages (state TEXT NOT NULL, next_attempt_ms INTEGER NOT NULL);"
          "CREATE TABLE outcomes (cluster BLOB NOT NULL, sn INTEGER NOT NULL);"
          "CREATE TABLE cluster_status (cluster BLOB NOT NULL PRIMARY KEY, state TEXT NOT NULL, "
          "detail TEXT NOT NULL, chain_next_sn INTEGER NOT NULL, worker_next_sn INTEGER NOT NULL, "
          "updated_ms INTEGER NOT NULL);"
          "INSERT INTO submissions VALUES (3, x'" +
              std::string(64, 'a') + "', x'" + std::string(64, '7') + "', x'" +
              std::string(64, '8') +
              "', 42, 100, 164, 1, 4, '12345', 'in_pool', '', x'c0ffee', 5000, 6000);"
              "PRAGMA application_id = 1213550164; PRAGMA user_version = 1;");
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto sub = (*store)->submission(3);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE(sub->has_value());
  EXPECT_EQ((*sub)->extrinsic, (Bytes{0xc0, 0xff, 0xee}));
  EXPECT_EQ((*sub)->fee, u128{12345});
  EXPECT_EQ((*sub)->status, SubmissionStatus::kInPool);
  auto open = (*store)->openSubmissions(filled(0xaa));
  ASSERT_TRUE(open.ok()) << open.error().message;
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().extrinsic, (Bytes{0xc0, 0xff, 0xee}));
  EXPECT_EQ(open->front().last_sn, 4u);
}

// An older hunter left messages `dead`, which wedged their cluster for good (the chain takes sns
// in order): opening the database puts them back to pending, due at once.
TEST(SqliteStoreTest, DeadMessagesOfAnOlderVersionAreRetriedAfterTheUpgrade) {
  TempDir dir;
  std::string path = dir.file("v2.db");
  {
    auto store = SqliteStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->addMessages(chainOf(kA, 0, 3)).ok());
  }
  rawExec(path,
          "UPDATE messages SET state = 'dead', next_attempt_ms = 77000 WHERE sn = 0;"
          "UPDATE messages SET state = 'accepted' WHERE sn = 1;"
          "DROP TABLE meta; ALTER TABLE submissions DROP COLUMN fee_known;"
          "ALTER TABLE cluster_status DROP COLUMN reason;"
          "DROP TABLE reward_totals; DROP INDEX outcomes_by_sn;"
          "PRAGMA user_version = 2;");
  auto store = SqliteStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto m = (*store)->message(kA, 0).value();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->state, MsgState::kPending);
  EXPECT_EQ(m->next_attempt_ms, 0);
  EXPECT_EQ((*store)->message(kA, 1).value()->state, MsgState::kAccepted);
}

// A -wal file deleted after an unclean stop takes the last transactions with it. The submission
// journal beside the database brings the lost submissions back (as `lost`, with their fee), and
// tells the cluster's audit where to start.
TEST(SqliteStoreTest, SubmissionsLostWithTheWalComeBackFromTheJournal) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  TempDir copy;
  std::string copied = copy.file("hunter.db");
  {
    auto store = SqliteStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->addMessages(chainOf(kA, 5, 3)).ok());
    auto sub = makeSubmission(kA, 5, 7);
    ASSERT_TRUE((*store)->addSubmission(sub).ok());
    // The main file and the journal as they are now; the WAL (not yet checkpointed) is lost.
    std::filesystem::copy_file(path, copied);
    std::filesystem::copy_file(path + ".journal", copied + ".journal");
  }
  auto store = SqliteStore::open(copied);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->restoredFromJournal(), 1u);
  auto lost = (*store)->lostSubmissionCovering(kA, 6, filled(0x88));
  ASSERT_TRUE(lost.ok());
  ASSERT_TRUE(lost->has_value());
  EXPECT_TRUE((*lost)->fee == kBig);
  EXPECT_EQ((*lost)->first_sn, 5u);
  EXPECT_EQ((*lost)->last_sn, 7u);
  EXPECT_EQ((*store)->meta("audit_from:" + toHex(kA)).value(), std::optional<std::string>("5"));
  struct stat st {};
  ASSERT_EQ(::stat((copied + ".journal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 0) << "everything is in the database again";
}

// Damaged pages are found when the database opens, with what to do.
TEST(SqliteStoreTest, ADamagedDatabaseIsRefusedAtOpen) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  {
    auto store = SqliteStore::open(path);
    ASSERT_TRUE(store.ok());
    for (uint64_t i = 0; i < 20; ++i) {
      ASSERT_TRUE((*store)->addMessages(chainOf(kA, i * 50, 50, std::string(2000, 'p'))).ok());
    }
  }
  {
    // The headers of pages 2 to 8 (16 KiB pages): not b-tree pages any more.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(64, '\x5a');
    for (int page = 1; page < 8; ++page) {
      f.seekp(16384 * page);
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
  }
  auto store = SqliteStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("damaged"), std::string::npos) << store.error().message;
}

TEST(SqliteStoreTest, GarbageFileIsRefusedNamingThePath) {
  TempDir dir;
  std::string path = dir.file("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an SQLite database. ";
  }
  auto r = SqliteStore::open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db");
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not a database"), std::string::npos) << r.error().message;
}

TEST(SqliteStoreTest, AnotherProgramsDatabaseIsRefused) {
  TempDir dir;
  std::string path = dir.file("other.db");
  rawExec(path, "CREATE TABLE things (x INTEGER)");
  auto r = SqliteStore::open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not a hunter database"), std::string::npos)
      << r.error().message;
}

TEST(SqliteStoreTest, UnopenablePathIsRefusedNamingThePath) {
  TempDir dir;
  std::string path = dir.file("no/such/dir/hunter.db");
  auto r = SqliteStore::open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db");
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
}

TEST(SqliteStoreTest, SchemaIsVersionedAndWalIsOn) {
  TempDir dir;
  std::string path = dir.file("hunter.db");
  ASSERT_TRUE(openOrDie(path));
  ASSERT_TRUE(openOrDie(path));  // reopening an up-to-date file migrates nothing
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(scalar("PRAGMA user_version"), std::to_string(SqliteStore::kSchemaVersion));
  EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                   "('messages_by_sn', 'messages_by_state')"),
            "2");
  sqlite3_close(db);
}

TEST(SqliteStoreTest, ClustersMessageCountsAndRewards) {
  auto store = openOrDie(":memory:");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->addMessages(chainOf(kB, 1, 3)).ok());
  ASSERT_TRUE(store->setClusterStatus({kA, "ok", "", 0, 0, 1}).ok());
  H256 kC = filled(0x0c);
  WorkerRecord w;
  w.cluster = kC;
  w.endpoint = "http://w";
  ASSERT_TRUE(store->upsertWorker(w).ok());
  EXPECT_EQ(store->clusters().value(), (std::vector<H256>{kC, kA, kB}));

  ASSERT_TRUE(store->markSigned(kB, {{2, {sig(1)}}}, {}, 1).ok());
  auto counts = store->messageCounts(kB).value();
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[MsgState::kPending], 2u);
  EXPECT_EQ(counts[MsgState::kSigned], 1u);

  auto acc1 = outcome(kB, 1, OutcomeKind::kAccepted);
  auto acc2 = outcome(kB, 2, OutcomeKind::kAccepted);
  auto sup = outcome(kB, 3, OutcomeKind::kSuperseded);
  auto other = outcome(kB, 3, OutcomeKind::kAccepted);
  other.account = filled(0x99);
  other.reward = 1;
  auto elsewhere = outcome(kA, 1, OutcomeKind::kAccepted);
  ASSERT_TRUE(store->recordOutcomes({acc1, acc2, sup, other, elsewhere}).ok());

  auto sum = store->rewardsSummary(kB).value();
  ASSERT_EQ(sum.size(), 2u);
  EXPECT_EQ(sum[0].cluster, kB);
  EXPECT_EQ(sum[0].account, filled(0x88));
  EXPECT_EQ(sum[0].accepted, 2u);
  EXPECT_EQ(sum[0].superseded, 1u);
  EXPECT_TRUE(sum[0].reward == kBig * 2);  // beyond 64 bits: summed losslessly
  EXPECT_TRUE(sum[0].fee == 21);
  EXPECT_EQ(sum[1].account, filled(0x99));
  EXPECT_TRUE(sum[1].reward == 1);
  EXPECT_EQ(store->rewardsSummary(std::nullopt)->size(), 3u);
}

// Not a benchmark: checks that a large batch is one transaction that completes, and prints the
// time for the record.
TEST(SqliteStoreTest, WalIsCheckpointedWhileOpen) {
  // The checkpoint thread copies the WAL into the database file once it holds
  // kCheckpointBytes, while the store stays open; everything stays readable.
  TempDir dir;
  std::string path = dir.file("hunter.db");
  auto store = openOrDie(path);
  ASSERT_TRUE(store);
  auto size = [](const std::string& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? uintmax_t{0} : n;
  };
  const uintmax_t empty = size(path);
  uint64_t sn = 1;
  // Small transactions, as the relay makes them, until the WAL has passed the threshold.
  while (size(path + "-wal") < uintmax_t{SqliteStore::kCheckpointBytes} + 65536) {
    ASSERT_TRUE(store->addMessages(chainOf(kA, sn, 50, std::string(300, 'x'))).ok());
    sn += 50;
    ASSERT_LT(sn, 200000u) << "the WAL does not grow";
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const uintmax_t copied = empty + 1024 * 1024;  // the messages' pages, in the database file
  while (size(path) < copied && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(size(path), copied) << "no checkpoint while open: database file " << size(path)
                                << " bytes, WAL " << size(path + "-wal");
  EXPECT_EQ(store->countMessages(kA, {}).value(), sn - 1);
  store.reset();
  EXPECT_EQ(openOrDie(path)->countMessages(kA, {}).value(), sn - 1);
}

TEST(SqliteStoreTest, TenThousandMessagesInOneCall) {
  TempDir dir;
  auto store = openOrDie(dir.file("hunter.db"));
  ASSERT_TRUE(store);
  auto msgs = chainOf(kA, 1, 10000);
  auto start = std::chrono::steady_clock::now();
  auto r = store->addMessages(msgs);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::printf("[          ] 10,000 messages in one addMessages: %lld ms\n",
              static_cast<long long>(ms));
  EXPECT_EQ(store->countMessages(kA, {}).value(), 10000u);
  EXPECT_EQ(store->tip(kA).value()->second, msgs.back().hash);
}

// ---- retention (SqliteStore::pruneSettled) ---------------------------------------------------

namespace {

// sns first..first+n-1 stored, submitted in one submission per 10 and settled `kind` at at_ms,
// with one signature answer each: the rows a real round leaves.
void settled(adapters::SqliteStore& s, const H256& cluster, uint64_t first, size_t n,
             OutcomeKind kind, int64_t at_ms, const std::string& tag = "payload") {
  ASSERT_TRUE(s.addMessages(chainOf(cluster, first, n, tag)).ok());
  std::vector<SignatureRecord> answers;
  std::vector<OutcomeRecord> outs;
  for (uint64_t sn = first; sn < first + n; ++sn) {
    answers.push_back({cluster, sn, filled(1), "http://w0", true, "", std::nullopt});
    if (sn % 10 == first % 10 || sn == first) {
      auto id = s.addSubmission(makeSubmission(cluster, sn, std::min(sn + 9, first + n - 1)));
      ASSERT_TRUE(id.ok());
      ASSERT_TRUE(s.updateSubmission(*id, SubmissionStatus::kIncluded, "", at_ms).ok());
    }
    auto o = outcome(cluster, sn, kind);
    o.at_ms = at_ms;
    outs.push_back(o);
  }
  ASSERT_TRUE(s.recordSignatureAnswers(answers).ok());
  ASSERT_TRUE(s.recordOutcomes(outs).ok());
}

bool sameSummary(const std::vector<adapters::RewardSummary>& a,
                 const std::vector<adapters::RewardSummary>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].cluster != b[i].cluster || a[i].account != b[i].account ||
        a[i].accepted != b[i].accepted || a[i].superseded != b[i].superseded ||
        a[i].diverged != b[i].diverged || a[i].rejected != b[i].rejected ||
        a[i].dead != b[i].dead || a[i].reward != b[i].reward || a[i].fee != b[i].fee) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST(Retention, PruningDeletesTheRowsAndKeepsTheRewards) {
  auto s = adapters::SqliteStore::open(":memory:").value();
  settled(*s, kA, 0, 95, OutcomeKind::kAccepted, 1000);
  settled(*s, kA, 95, 5, OutcomeKind::kSuperseded, 1000);
  ASSERT_TRUE(s->recordOutcomes({outcome(kA, 3, OutcomeKind::kRejected)}).ok());  // a report
  settled(*s, kB, 0, 10, OutcomeKind::kAccepted, 1000);
  const auto before = s->rewardsSummary(std::nullopt).value();
  ASSERT_EQ(before.size(), 2u);

  size_t total = 0;
  for (;;) {
    auto n = s->pruneSettled(kA, 100, 2000, 30);
    ASSERT_TRUE(n.ok()) << n.error().message;
    EXPECT_LE(*n, 30u) << "one batch at most";
    total += *n;
    if (*n == 0) break;
  }
  EXPECT_EQ(total, 100u);
  EXPECT_TRUE(sameSummary(s->rewardsSummary(std::nullopt).value(), before))
      << "rewards, fees and counts are the same after pruning";
  EXPECT_TRUE(s->outcomes(kA).value().empty());
  EXPECT_TRUE(s->messageCounts(kA).value().empty());
  EXPECT_TRUE(s->signatureAnswers(kA, 5).value().empty());
  EXPECT_TRUE(s->submissionsCovering(kA, 5).value().empty());
  EXPECT_EQ(s->meta("pruned_below:" + toHex(kA)).value(), std::optional<std::string>("100"));
  EXPECT_EQ(s->messageCounts(kB).value().at(MsgState::kAccepted), 10u) << "another cluster kept";

  // Later outcomes add to the totals.
  settled(*s, kA, 100, 10, OutcomeKind::kAccepted, 5000);
  auto after = s->rewardsSummary(kA).value();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].accepted, 95u + 10u);
  EXPECT_EQ(after[0].superseded, 5u);
  EXPECT_EQ(after[0].rejected, 1u);
  EXPECT_TRUE(after[0].reward == kBig * 105);
}

TEST(Retention, OnlySettledMessagesBelowTheMarkAndOlderThanTheCutoffGo) {
  auto s = adapters::SqliteStore::open(":memory:").value();
  settled(*s, kA, 0, 10, OutcomeKind::kAccepted, 1000);
  settled(*s, kA, 10, 10, OutcomeKind::kAccepted, 9000);  // too recent
  ASSERT_TRUE(s->addMessages(chainOf(kA, 20, 5)).ok());   // pending
  EXPECT_EQ(s->pruneSettled(kA, 5, 2000, 100).value(), 5u) << "below sn 5 only";
  EXPECT_EQ(s->pruneSettled(kA, 100, 2000, 100).value(), 5u) << "then the rest of the old ones";
  EXPECT_EQ(s->pruneSettled(kA, 100, 2000, 100).value(), 0u);
  EXPECT_EQ(s->messageCounts(kA).value().at(MsgState::kAccepted), 10u);
  EXPECT_EQ(s->messageCounts(kA).value().at(MsgState::kPending), 5u);
  EXPECT_EQ(s->outcomes(kA).value().size(), 10u);
}

TEST(Retention, UnderRetentionTheFileStopsGrowing) {
  TempDir dir;
  const std::string path = dir.file("h.db");
  const std::string payload(1000, 'p');
  std::vector<uintmax_t> sizes;
  for (int cycle = 0; cycle < 6; ++cycle) {
    auto s = adapters::SqliteStore::open(path).value();
    const uint64_t first = static_cast<uint64_t>(cycle) * 2000;
    settled(*s, kA, first, 2000, OutcomeKind::kAccepted, 1000 + cycle, payload);
    while (s->pruneSettled(kA, first + 2000, 2000 + cycle, 500).value() > 0) {
    }
    s.reset();  // closes and checkpoints
    sizes.push_back(std::filesystem::file_size(path));
  }
  EXPECT_LE(sizes.back(), sizes[1] + sizes[1] / 10)
      << "6 cycles of 2,000 messages: " << sizes[0] << " " << sizes[1] << " ... " << sizes.back()
      << " bytes";
}

}  // namespace
}  // namespace hunter
