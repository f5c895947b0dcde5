// The faults operators meet every week, against the relay's fakes: a dead head, a worker that
// answers empty lists, dropped and expired transactions, a lagging node's ACK reads and a fee
// query that fails. Each test failed before the behaviour it names existed.
#include <gtest/gtest.h>

#include "support/relay_fakes.hpp"

using namespace hunter;
using namespace hunter::core;
using namespace hunter::testing;

namespace {

bool said(const std::vector<RelayEvent>& events, const std::string& text) {
  for (auto& e : events) {
    if (e.text.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// A head that cannot gather a quorum for longer than max_message_age is reported dead, but it is
// never given up: once the workers heal, the cluster resumes within one backoff period.
TEST(RelayFaults, DeadHeadIsReportedThenResumesWhenTheWorkersHeal) {
  Harness h(4, 3, 3);
  h.cfg.max_message_age_ms = 10'000;
  h.cfg.backoff_max_ms = 2'000;
  h.rebuild();
  h.workers.w[2].down = true;
  h.workers.w[3].down = true;
  ASSERT_TRUE(h.relay->start().ok());
  for (int i = 0; i < 15; ++i) {
    h.relay->round();
    h.clock.now += 1000;
  }
  EXPECT_TRUE(said(h.events, "dead")) << "the operator is told";
  auto cs = h.store.clusterStatus(h.cluster).value();
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->state, "dead");
  EXPECT_NE(cs->detail.find("sn 0"), std::string::npos) << cs->detail;
  EXPECT_EQ(h.count(MsgState::kDead), 0u) << "dead is a report, never a state";
  h.workers.w[2].down = false;
  h.workers.w[3].down = false;
  h.settle(4);  // 4 s: two backoff periods at most
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
  EXPECT_EQ(h.chain.q.next_sn, 3u);
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->state, "ok");
}

// A restart retries a backing-off head at once, and so does Store::retryNow (`hunter retry`).
TEST(RelayFaults, RestartAndRetryNowCutTheBackoffShort) {
  Harness h(4, 3, 2);
  h.cfg.backoff_base_ms = 30'000;
  h.cfg.backoff_max_ms = 60'000;
  h.rebuild();
  h.workers.w[2].down = true;
  h.workers.w[3].down = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.relay->round();
  auto m = h.store.message(h.cluster, 0).value();
  ASSERT_TRUE(m.has_value());
  ASSERT_GT(m->next_attempt_ms, h.clock.now + 10'000);
  h.workers.w[2].down = false;
  h.workers.w[3].down = false;
  h.relay->round();
  EXPECT_EQ(h.chain.submits, 0u) << "still backing off";
  ASSERT_TRUE(h.store.retryNow(h.cluster).ok());
  h.relay->round();
  EXPECT_EQ(h.chain.submits, 1u);

  // The same after a restart.
  Harness r(4, 3, 2);
  r.cfg.backoff_base_ms = 30'000;
  r.cfg.backoff_max_ms = 60'000;
  r.rebuild();
  r.workers.w[2].down = true;
  r.workers.w[3].down = true;
  ASSERT_TRUE(r.relay->start().ok());
  r.relay->round();
  r.workers.w[2].down = false;
  r.workers.w[3].down = false;
  r.rebuild();
  ASSERT_TRUE(r.relay->start().ok());
  r.relay->round();
  EXPECT_EQ(r.chain.submits, 1u);
}

// One worker answers GetClusterMessages with an empty list while the others are far ahead: the
// fetch moves on to another worker instead of ending the round.
TEST(RelayFaults, AWorkerAnsweringEmptyIsSkippedForOneThatHasTheMessages) {
  Harness h(4, 3, 20);
  h.workers.w[0].msgs.clear();  // re-syncing: nothing, and it says next_sn 0
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.fetched, 20u);
  h.settle(10);
  EXPECT_EQ(h.chain.q.next_sn, 20u);
}

// A worker that claims messages (next_sn ahead) but returns none is skipped too.
TEST(RelayFaults, AWorkerClaimingMessagesItDoesNotReturnIsSkipped) {
  Harness h(4, 3, 12);
  h.workers.w[0].empty_answers = true;
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.fetched, 12u);
}

// The pool drops a transaction (a node restart, a fault): the same bytes are sent again at the
// next block, and the cluster advances within a block, not after lost_after or the era.
TEST(RelayFaults, ADroppedTransactionIsRebroadcastAtTheNextBlock) {
  Harness h(4, 3, 8);
  h.cfg.lost_after_ms = 600'000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.drop_submits = 1;  // the first of two extrinsics never reaches the pool
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  Bytes dropped;
  auto open = h.store.openSubmissions(h.cluster).value();
  ASSERT_EQ(open.size(), 2u);
  dropped = open[0].extrinsic;
  h.chain.include();  // nothing is ready: the first nonce is missing
  EXPECT_EQ(h.chain.q.next_sn, 0u);
  h.clock.now += 1000;
  h.relay->round();  // a new block: the missing one is sent again, byte for byte
  ASSERT_EQ(h.chain.pool.size(), 2u);
  EXPECT_EQ(h.chain.pool_bytes.back(), dropped);
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 8u);
  h.settle(2);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 2u);
}

// The chain view shared by all clusters may be older than the round: a submission stored after
// it was read cannot show in it, so it is not taken for dropped (and sent again with a warning)
// until a view read after it still misses it.
TEST(RelayFaults, ASubmissionNewerThanTheSharedChainViewIsNotTakenForDropped) {
  Harness h(4, 3, 8);
  h.cfg.lost_after_ms = 600'000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.drop_submits = 1;
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  h.chain.include();  // a new block, the first nonce missing
  h.clock.now += 1000;
  h.chain.head_age_ms = 1500;  // the view this round gets was read before the submissions
  h.relay->round();
  EXPECT_EQ(h.chain.pool.size(), 1u) << "a view older than the submission cannot show it";
  h.chain.include();
  h.clock.now += 1000;
  h.chain.head_age_ms = 0;
  h.relay->round();  // a view read after the submission still misses it: sent again
  ASSERT_EQ(h.chain.pool.size(), 2u);
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 8u);
}

// Three accounts, the first transaction dropped: the others wait in the pool, one for its
// nonce, all for its sns. Signing the dropped run again on whichever account comes next puts it
// behind a transaction that waits for it (a deadlock until the era ends); sending its own bytes
// again does not.
TEST(RelayFaults, ADroppedHeadWithThreeAccountsDoesNotDeadlock) {
  Harness h(4, 3, 10, 3);
  h.cfg.batch_size = 2;
  h.cfg.max_in_flight = 5;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.drop_submits = 1;
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 4u);
  for (int i = 0; i < 3; ++i) {  // three blocks, each past lost_after
    h.chain.include();
    h.clock.now += 6000;
    h.relay->round();
  }
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 10u);
}

// Transactions whose era ended in the pool are signed again with their own account and nonce, so
// that a later transaction of that account (waiting for the nonce) and of the cluster (waiting
// for the sns) is not left holding the other's slot. Three accounts, every transaction expired.
TEST(RelayFaults, ExpiredTransactionsAreResignedOnTheirOwnNoncesWithoutADeadlock) {
  Harness h(4, 3, 12, 3);
  h.cfg.batch_size = 2;
  h.cfg.max_in_flight = 6;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.drop_submits = 1;  // [0-1] is lost, so the five others wait in the pool
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 5u);
  h.chain.expireAll();  // the era ends before anything is included
  h.chain.best += 64;
  h.clock.now += 1000;
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {  // [0-1] a0 n0, [2-3] a1 n0, [4-5] a2 n0, [6-7] a0 n1, ...
    EXPECT_EQ(h.chain.pool[i].signer, h.accounts.ids()[i % 3]) << i;
    EXPECT_EQ(h.chain.pool[i].extra.nonce, i / 3) << i;
  }
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 12u) << "every released run went back on its own slot";
  h.settle(2);
  EXPECT_EQ(h.count(MsgState::kAccepted), 12u);
  for (size_t a = 0; a < 3; ++a) EXPECT_EQ(h.chain.nonces[h.accounts.ids()[a]], 2u) << a;
}

// A read from a node that lags the head's: "no ACK" is "not yet", never "gone". The ACKs are read
// at the block the round's head came from, and a later read books them correctly.
TEST(RelayFaults, AnAbsentAckIsNotYetAndAcksAreReadAtTheHeadsBlock) {
  Harness h(4, 3, 4);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.chain.include();
  ASSERT_EQ(h.chain.q.next_sn, 4u);
  h.chain.acks_absent = true;
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kSuperseded), 0u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kSuperseded).size(), 0u);
  ASSERT_FALSE(h.chain.acks_at.empty());
  ASSERT_TRUE(h.chain.acks_at.back().has_value());
  EXPECT_EQ(*h.chain.acks_at.back(), h256(static_cast<uint8_t>(h.chain.best)));
  h.chain.acks_absent = false;
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kAccepted), 4u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 4u);
}

// payment_queryInfo fails while the submission goes through: the fee is asked again before the
// books are written, never booked as 0.
TEST(RelayFaults, AFeeThatCouldNotBeQueriedIsQueriedAgainBeforeBooking) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.fee_failures = 1;
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  h.chain.include();
  h.chain.fee_failures = 1;  // and once more at the first booking attempt
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 0u) << "no guess is booked";
  h.clock.now += 1000;
  h.relay->round();
  auto acc = h.outcomes(OutcomeKind::kAccepted);
  ASSERT_EQ(acc.size(), 3u);
  u128 fees = 0;
  for (auto& o : acc) fees += o.fee;
  EXPECT_TRUE(fees == h.chain.fee);
}

// The probe (every worker, every probe_interval) waits for `threshold` answers, not for the
// slowest worker: a trickling worker does not hold up the round.
TEST(RelayFaults, TheProbeWaitsForThresholdAnswersOnly) {
  Harness h(4, 3, 2);
  h.cfg.probe_interval_ms = 1000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();  // the first round asks the threshold workers
  h.workers.grow(4);
  h.clock.now += 1500;
  h.relay->round();  // the probe: every worker
  ASSERT_EQ(h.workers.calls.size(), h.workers.enough_asked.size());
  bool probed = false;
  for (size_t i = 0; i < h.workers.calls.size(); ++i) {
    size_t asked = h.workers.calls[i].first;
    EXPECT_EQ(h.workers.enough_asked[i], asked > 3 ? 3u : SIZE_MAX) << i;
    probed |= asked == 4;
  }
  EXPECT_TRUE(probed);
}

// Protocol-maximum payloads (65,536 bytes): 1,024 of them are 134 MB of hex, far over the
// answer limit. Fetches ask for as many as fit, and extrinsics stop short of their byte limit.
TEST(RelayFaults, ProtocolMaximumPayloadsRelayUnderTheDefaultLimits) {
  Harness h(4, 3, 0);
  const size_t kMax = 65'536;
  auto big = makeStream(h.cluster, 300, 0, kMax);
  for (auto& w : h.workers.w) w.msgs = big;
  h.workers.max_response = 16u << 20;
  h.cfg.batch_size = 64;
  h.cfg.max_in_flight = 64;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(30);
  EXPECT_EQ(h.chain.q.next_sn, 300u);
  EXPECT_LE(h.workers.answered_bytes, 16u << 20);
  EXPECT_GT(h.chain.largest_submit, 512u << 10);         // batched, yet
  EXPECT_LE(h.chain.largest_submit, (1u << 20) + kMax);  // about max_extrinsic_bytes
  EXPECT_EQ(h.count(MsgState::kAccepted), 300u);
}

// The database lost the rows of sns the chain accepted from us (a deleted -wal), but the
// submission came back from the journal as `lost`: the audit at start books them accepted, with
// the chain's reward and that submission's fee, exactly once.
TEST(RelayFaults, TheAuditBooksWhatTheDatabaseLostFromTheChainsAcks) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  h.chain.include();
  ASSERT_EQ(h.chain.q.next_sn, 3u);
  // What survives in the journal, in a fresh store that lost everything else.
  SubmissionRecord sub = h.store.openSubmissions(h.cluster).value().at(0);
  MemoryStore fresh;
  sub.extrinsic.clear();
  auto id = fresh.addSubmission(sub);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      fresh.releaseSubmission(*id, SubmissionStatus::kLost, "restored", Store::RetryUpdate{}, 0)
          .ok());
  ASSERT_TRUE(fresh.setMeta("audit_from:" + toHex(h.cluster), "0").ok());
  AccountPool& accounts = h.accounts;
  std::vector<RelayEvent> events;
  Relay relay(h.cfg, h.workers, h.chain, fresh, h.clock, accounts,
              [&](const RelayEvent& e) { events.push_back(e); });
  ASSERT_TRUE(relay.start().ok());
  auto outs = fresh.outcomes(h.cluster).value();
  ASSERT_EQ(outs.size(), 3u);
  u128 fees = 0, rewards = 0;
  for (auto& o : outs) {
    EXPECT_EQ(o.kind, OutcomeKind::kAccepted);
    fees += o.fee;
    rewards += o.reward;
  }
  EXPECT_TRUE(fees == h.chain.fee);
  EXPECT_TRUE(rewards == h.chain.reward * 3);
  relay.round();  // and never again
  EXPECT_EQ(fresh.outcomes(h.cluster).value().size(), 3u);
  EXPECT_EQ(fresh.meta("audited_below:" + toHex(h.cluster)).value(),
            std::optional<std::string>("3"));
}

// Our first transaction is dropped and another hunter includes its sns: its nonce is never used,
// so ours above it wait in the pool until their era ends. They are then signed again on new
// nonces from the chain's, not on their own (which would wait behind the same gap for good).
TEST(RelayFaults, AGapBelowReleasedNoncesIsNotKeptForever) {
  Harness h(4, 3, 6);
  h.cfg.batch_size = 2;
  h.cfg.max_in_flight = 3;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.drop_submits = 1;  // [0-1] nonce 0 never reaches the pool
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 2u);  // [2-3] nonce 1, [4-5] nonce 2: waiting for nonce 0
  h.chain.includeByOther(h.workers.w[0].msgs[0]);
  h.chain.includeByOther(h.workers.w[0].msgs[1]);
  h.clock.now += 1000;
  h.relay->round();  // sns 0-1 superseded; nonce 0 stays unused
  EXPECT_EQ(h.count(MsgState::kSuperseded), 2u);
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 2u) << "waiting for nonce 0";
  h.chain.expireAll();
  h.chain.best += 64;
  h.clock.now += 1000;
  h.relay->round();
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 6u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 2u);
}

// A hunter away for longer than the chain keeps ACKs (14,400 blocks after its submission's era
// ended): the missing ACK is then "gone", and the message is settled rather than read forever.
TEST(RelayFaults, AnAckPrunedLongAfterItsEraIsSettledNotReadForever) {
  Harness h(4, 3, 2);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.chain.include();
  h.chain.acks_absent = true;
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kSuperseded), 0u) << "not yet";
  h.chain.best += 14'400 + 100;
  h.clock.now += 1000;
  h.relay->round();
  auto sup = h.outcomes(OutcomeKind::kSuperseded);
  ASSERT_EQ(sup.size(), 2u);
  EXPECT_NE(sup[0].reason.find("ACK is gone"), std::string::npos) << sup[0].reason;
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 0u);
}

// A wrong outcome is never permanent: an sn booked superseded (here by hand, as an older version
// did after a lagging read) whose ACK names this hunter with our hash is corrected to accepted by
// the audit of the minute it was booked in, with its fee, and booked accepted exactly once.
TEST(RelayFaults, AWrongSupersededIsCorrectedByALaterConsistentRead) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.include(), 3u);
  OutcomeRecord wrong;
  wrong.cluster = h.cluster;
  wrong.sn = 1;
  wrong.kind = OutcomeKind::kSuperseded;
  wrong.reason = "the chain moved past this sn and keeps no ACK for it";
  ASSERT_TRUE(h.store.replaceOutcome(wrong).ok());
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kSuperseded), 0u);
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
  auto acc = h.outcomes(OutcomeKind::kAccepted);
  ASSERT_EQ(acc.size(), 3u);
  u128 fees = 0;
  for (auto& o : acc) fees += o.fee;
  EXPECT_TRUE(fees == h.chain.fee);
  EXPECT_EQ(h.outcomes(OutcomeKind::kSuperseded).size(), 0u);
}

namespace {
// A store whose setRetry fails, as a full disk would.
struct FailingRetryStore : MemoryStore {
  Status setRetry(const H256&, const std::vector<RetryUpdate>&, int64_t) override {
    return makeError("db", "setRetry: database or disk is full");
  }
};
}  // namespace

// Every Store write's result is checked: a failed one is an error event naming the operation
// (the service counts it as hunter_store_errors_total{op}) and the cluster's status says so.
TEST(RelayFaults, AFailedStoreWriteIsReportedWithItsOperation) {
  Harness h(4, 3, 2);
  h.workers.w[2].down = true;
  h.workers.w[3].down = true;
  FailingRetryStore store;
  std::vector<RelayEvent> events;
  Relay relay(h.cfg, h.workers, h.chain, store, h.clock, h.accounts,
              [&](const RelayEvent& e) { events.push_back(e); });
  ASSERT_TRUE(relay.start().ok());
  relay.round();
  bool reported = false;
  for (auto& e : events) {
    if (e.kind == RelayEvent::Kind::kStore) {
      reported = true;
      EXPECT_EQ(e.reason, "setRetry");
      EXPECT_EQ(e.level, "error");
      EXPECT_NE(e.text.find("database or disk is full"), std::string::npos) << e.text;
    }
  }
  EXPECT_TRUE(reported);
  auto cs = store.clusterStatus(h.cluster).value();
  ASSERT_TRUE(cs.has_value());
  EXPECT_NE(cs->detail.find("the database refused a write"), std::string::npos) << cs->detail;
}

// Our own transaction was included (its nonce is used on chain), yet a read says another hunter
// took its sns: the read contradicts the hunter's own evidence, so nothing is booked until a read
// agrees with it.
TEST(RelayFaults, AnAckContradictingOurIncludedNonceIsNotBooked) {
  Harness h(4, 3, 2);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.include(), 2u);
  ASSERT_EQ(h.chain.nonces[h.accounts.ids()[0]], 1u);
  auto truth = h.chain.ackmap;
  for (auto& [sn, ack] : h.chain.ackmap) ack.hunter = h256(0xab);  // a lying node
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kSuperseded), 0u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kSuperseded).size(), 0u);
  h.chain.ackmap = truth;
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kAccepted), 2u);
}
