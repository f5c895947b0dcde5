// The relay state machine against fakes: no network, no database, no clock.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "support/relay_fakes.hpp"

using namespace hunter;
using namespace hunter::core;
using namespace hunter::testing;

TEST(Relay, HappyPathAcceptsEveryMessageInOrderWithRewardsAndFees) {
  Harness h(4, 3, 10);
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.fetched, 10u);
  EXPECT_EQ(st.signed_now, 10u);
  // batch 4, two in flight: 8 messages in two extrinsics with consecutive nonces
  EXPECT_EQ(st.submitted_txs, 2u);
  EXPECT_EQ(st.submitted_msgs, 8u);
  ASSERT_EQ(h.chain.pool.size(), 2u);
  EXPECT_EQ(h.chain.pool[0].extra.nonce, 0u);
  EXPECT_EQ(h.chain.pool[1].extra.nonce, 1u);
  EXPECT_TRUE(h.chain.pool[0].call.batch);
  EXPECT_EQ(h.chain.pool[0].call.items[0].signatures.size(), 3u);  // exactly threshold
  EXPECT_FALSE(h.chain.pool[0].extra.era.isImmortal());
  EXPECT_EQ(h.chain.pool[0].extra.era.period, 64u);
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 10u);
  auto acc = h.outcomes(OutcomeKind::kAccepted);
  ASSERT_EQ(acc.size(), 10u);
  u128 reward = 0, fee = 0;
  for (auto& o : acc) {
    reward += o.reward;
    fee += o.fee;
  }
  EXPECT_TRUE(reward == h.chain.reward * 10);
  EXPECT_TRUE(fee == h.chain.fee * 3);  // three extrinsics: 4 + 4 + 2
  EXPECT_EQ(h.chain.q.next_sn, 10u);
}

// A runtime upgrade shows in the chain head: the relay signs for the new version from the next
// extrinsic on, and says so; none is refused for a stale version.
TEST(Relay, ARuntimeUpgradeInTheHeadIsFollowedWithoutARejection) {
  Harness h(4, 3, 8);
  h.chain.head_runtime = true;
  h.chain.verify_signatures = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(2);
  ASSERT_EQ(h.chain.q.next_sn, 8u);
  h.chain.p.spec_version += 1;
  h.chain.p.transaction_version += 1;
  h.workers.grow(16);
  h.settle(3);
  EXPECT_EQ(h.chain.q.next_sn, 16u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u) << "no extrinsic refused";
  EXPECT_EQ(h.relay->chainParams()->spec_version, h.chain.p.spec_version);
  bool said = false;
  for (auto& e : h.events) said = said || e.text.find("runtime upgraded") != std::string::npos;
  EXPECT_TRUE(said) << "the upgrade is reported";
}

// The upgrade lands between signing and submitting: the chain refuses the signature once; the
// relay asks the runtime, signs again at once for the new one, and books no rejection.
TEST(Relay, AnUpgradeBetweenSigningAndSubmittingIsSignedAgainAtOnce) {
  Harness h(4, 3, 8);
  h.chain.head_runtime = true;
  h.chain.verify_signatures = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(2);
  ASSERT_EQ(h.chain.q.next_sn, 8u);
  h.workers.grow(12);
  h.chain.before_submit = [&] { h.chain.p.spec_version += 1; };
  h.relay->round();
  EXPECT_EQ(h.relay->chainParams()->spec_version, h.chain.p.spec_version);
  h.settle(3);
  EXPECT_EQ(h.chain.q.next_sn, 12u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u) << "a refusal, not an outcome";
}

namespace {
bool saidIn(const std::vector<RelayEvent>& events, const std::string& text) {
  for (auto& e : events) {
    if (e.text.find(text) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

// A round that outlives its mortal era (a backlog gathered on a busy host: 10 s, 100 blocks,
// against an era of 64): what it signs after that is anchored at the chain's head of then, not
// at the round's. Anchored at the round's head the pool refused it as "bad signature" (another
// birth block), which was booked `rejected` and blamed on the key (A10 on 2026-12-07: 4,608
// rejected rows, ten clusters stalled for a minute each).
TEST(Relay, ARoundThatOutlivesItsEraSignsAtTheChainsHeadOfThen) {
  Harness h(4, 3, 8);
  h.chain.verify_signatures = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.workers.on_sign = [&] {
    h.clock.now += 10'000;
    h.chain.best += 100;
  };
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 2u) << "both extrinsics taken in the round that signed them";
  for (auto& x : h.chain.pool) EXPECT_EQ(x.extra.era.birth(h.chain.best), h.chain.best);
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u);
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
}

// The era ends between signing and the pool's check (a node that stalled): "bad signature", with
// the runtime unchanged. That is an era that ended, not a key or chain mismatch: the relay says
// so, signs again at once at a fresh block, and books no outcome.
TEST(Relay, AnEraThatEndsBeforeThePoolChecksItIsSignedAgainNotBlamedOnTheKey) {
  Harness h(4, 3, 8);
  h.chain.verify_signatures = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.before_submit = [&] {
    h.clock.now += 10'000;
    h.chain.best += 100;
  };
  h.relay->round();
  h.relay->round();  // the very next round, no backoff
  EXPECT_EQ(h.chain.pool.size(), 2u) << "signed again at once";
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u) << "a refusal, not an outcome";
  EXPECT_TRUE(saidIn(h.events, "era ended")) << "the log says what happened";
  EXPECT_FALSE(saidIn(h.events, "key or chain mismatch"));
  EXPECT_NE(h.relay->reason(), WaitReason::kSignatureRefused);
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
}

// Likewise when the birth block the era names is not there (Substrate's "ancient birth block":
// the era's next birth is the block being built): signed again at once, nothing booked.
TEST(Relay, AnAncientBirthBlockFromAnEndedEraIsSignedAgainAtOnce) {
  Harness h(4, 3, 8);
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.before_submit = [&] {
    h.clock.now += 10'000;
    h.chain.best += 100;
  };
  h.chain.scripted.push_back(makeError("1010", "Transaction has an ancient birth block"));
  h.relay->round();
  h.relay->round();
  EXPECT_EQ(h.chain.pool.size(), 2u) << "signed again at once";
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u);
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
}

// chain.ack_confirmations (here 2 blocks): an outcome is booked once its ACK's block is that deep,
// not at the best block, so a reorg of the newest blocks cannot take back a booked outcome. Until
// then the sns wait without a warning, and the ACKs are read once per settled block, not every
// round.
TEST(Relay, AcksAreBookedOnlyAtTheSettledBlock) {
  Harness h(4, 3, 8);
  h.chain.settled_lag = 2;
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 2u);
  h.chain.include();  // best 101: the ACKs are in it
  h.clock.now += 1000;
  h.events.clear();
  h.relay->round();
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 0u) << "not booked at the best block";
  ASSERT_FALSE(h.chain.acks_at.empty());
  EXPECT_EQ(h.chain.acks_at.back(), std::optional<H256>(h256(99)));
  const size_t reads = h.chain.acks_at.size();
  h.relay->round();
  EXPECT_EQ(h.chain.acks_at.size(), reads) << "the same settled block is not read again";
  EXPECT_FALSE(saidIn(h.events, "not known yet")) << "waiting for depth is no fault";
  h.chain.include();
  h.chain.include();  // best 103, settled 101
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 8u);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
}

// Included in the last block of its era, while the settled block is further back than the era's
// rest: the era's end is no reason to call the submission lost, its ACKs decide once settled.
TEST(Relay, AnIncludedSubmissionWaitingForTheSettledBlockIsNotLostAtItsEra) {
  Harness h(4, 3, 8);
  h.cfg.era_period = 4;  // blocks 100 .. 103
  h.chain.settled_lag = 4;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 2u);
  h.chain.include();             // block 101
  for (int i = 0; i < 3; ++i) {  // best 104: past the era, settled 100
    h.chain.include();
    h.clock.now += 1000;
    h.relay->round();
  }
  EXPECT_FALSE(saidIn(h.events, "era expired")) << "included, not lost";
  h.chain.include();  // best 105, settled 101
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 8u);
  EXPECT_EQ(h.chain.submits, 2u) << "nothing signed or sent again";
}

// Transactions in the pool signed for the old runtime are dropped by the upgrade: they are signed
// again (on their own nonces) as soon as the relay sees it, not left to their era, and their
// old bytes are never sent again (they would be refused).
TEST(Relay, SubmissionsTheUpgradeInvalidatedAreSignedAgainAtOnce) {
  Harness h(4, 3, 8);
  h.chain.head_runtime = true;
  h.chain.verify_signatures = true;
  h.cfg.lost_after_ms = 600'000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 2u);
  const auto nonces = std::make_pair(h.chain.pool[0].extra.nonce, h.chain.pool[1].extra.nonce);
  h.chain.upgradeRuntime();
  h.clock.now += 1000;
  h.events.clear();
  h.relay->round();
  size_t resigned = 0;
  for (auto& e : h.events) {
    resigned += e.text.find("signed for the runtime before the upgrade") != std::string::npos;
  }
  EXPECT_EQ(resigned, 2u) << "each released, saying why";
  ASSERT_EQ(h.chain.pool.size(), 2u) << "both signed again in the round that saw the upgrade";
  EXPECT_EQ(h.chain.pool[0].extra.nonce, nonces.first) << "on their own nonces";
  EXPECT_EQ(h.chain.pool[1].extra.nonce, nonces.second);
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 8u);
  h.settle(2);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u);
}

// A "bad signature" although the chain's runtime is the one signed for is not an upgrade: the
// relay says it is a key or chain mismatch, and does not sign again every round.
TEST(Relay, ABadSignatureWithTheChainsOwnRuntimeIsReportedAsAMismatch) {
  Harness h(4, 3, 1);
  h.cfg.backoff_max_ms = 60'000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.scripted.push_back(makeError("1010", "Transaction has a bad signature"));
  h.relay->round();
  EXPECT_EQ(h.relay->reason(), WaitReason::kSignatureRefused);
  EXPECT_EQ(h.relay->state(), ClusterState::kStuck);
  bool said = false;
  for (auto& e : h.events) {
    said =
        said || (e.level == "error" && e.text.find("key or chain mismatch") != std::string::npos);
  }
  EXPECT_TRUE(said);
  const size_t submits = h.chain.submits;
  for (int i = 0; i < 5; ++i) {
    h.clock.now += 1000;
    h.relay->round();
  }
  EXPECT_EQ(h.chain.submits, submits) << "not signed again every round";
  EXPECT_EQ(h.relay->reason(), WaitReason::kSignatureRefused);
  h.clock.now += 60'000;
  h.settle(2);
  EXPECT_EQ(h.count(MsgState::kAccepted), 1u) << "tried again after backoff_max_ms";
  EXPECT_NE(h.relay->reason(), WaitReason::kSignatureRefused);
}

// A head read at an older block than the version in use (the shared view can lag the node) does
// not take the relay back to the old runtime.
TEST(Relay, AnOlderRuntimeInALaggingHeadIsNotFollowed) {
  Harness h(4, 3, 4);
  h.chain.head_runtime = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.p.spec_version -= 1;
  h.relay->round();
  EXPECT_EQ(h.relay->chainParams()->spec_version, h.chain.p.spec_version + 1);
  for (auto& e : h.events) EXPECT_EQ(e.text.find("runtime upgraded"), std::string::npos);
}

// Killed while sending, the extrinsic was included all the same; then the runtime is upgraded,
// and re-sending those bytes answers "bad signature" (checked before the nonce). Its nonce shows
// used, so the ACKs decide: accepted once, not declared lost, no rejected outcome.
TEST(Relay, ResendingIncludedBytesAfterAnUpgradeLetsTheAcksDecide) {
  Harness h(4, 3, 1);
  h.chain.head_runtime = true;
  h.chain.verify_signatures = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  h.restartAsIfKilledWhileSending();
  h.chain.include();
  h.chain.upgradeRuntime();
  const size_t submits = h.chain.submits;
  h.chain.acks_absent = true;  // a node that does not show the ACK yet: the resend comes first
  h.clock.now += 1000;
  h.relay->round();
  h.chain.acks_absent = false;
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 1u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 1u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kRejected).size(), 0u);
  EXPECT_LE(h.chain.submits, submits + 1) << "at most the resend, never a new signature";
  for (auto& e : h.events) {
    EXPECT_EQ(e.text.find("lost"), std::string::npos) << "not declared lost: " << e.text;
  }
}

TEST(Relay, SingleMessageUsesSyncClusterMessage) {
  Harness h(4, 3, 1);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  EXPECT_FALSE(h.chain.pool[0].call.batch);
}

TEST(Relay, OneWorkerOfflineStillReachesThreshold) {
  Harness h(4, 3, 6);
  h.workers.w[2].down = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 6u);
  auto ws = h.store.workers(h.cluster).value();
  bool recorded = false;
  for (auto& w : ws) {
    if (w.endpoint == "http://w2") recorded = w.errors > 0 && !w.last_error.empty();
  }
  EXPECT_TRUE(recorded);
}

TEST(Relay, DivergedSourceIsRefetchedFromAnotherWorkerAndRecorded) {
  Harness h(4, 3, 8);
  h.workers.divergeFrom(0, 3);  // worker 0 is the first source
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(8);
  EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
  // The accepted hashes are the honest ones.
  for (uint64_t sn = 0; sn < 8; ++sn) {
    EXPECT_EQ(h.chain.ackmap.at(sn).hash, h.workers.w[1].msgs[sn].hash);
  }
  auto ws = h.store.workers(h.cluster).value();
  const WorkerRecord* w0 = nullptr;
  for (auto& w : ws) {
    if (w.endpoint == "http://w0") w0 = &w;
  }
  ASSERT_NE(w0, nullptr);
  EXPECT_GE(w0->divergences, 1u);
  EXPECT_EQ(w0->diverged_sn, 3u);
  ASSERT_TRUE(w0->diverged_hash.has_value());
  EXPECT_EQ(*w0->diverged_hash, h.workers.w[0].msgs[3].hash);
}

TEST(Relay, UnchangedStatusIsRewrittenAtMostOnceASecondAChangeAtOnce) {
  Harness h(4, 3, 0);  // nothing to relay: every round leaves the same status
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  auto first = h.store.clusterStatus(h.cluster).value();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->state, "ok");
  h.clock.now += 400;
  h.relay->round();
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->updated_ms, first->updated_ms);
  h.clock.now += 700;  // 1.1 s after the first
  h.relay->round();
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->updated_ms, first->updated_ms + 1100);
  // A change is written by the round that sees it.
  h.chain.down = true;
  h.clock.now += 10;
  h.relay->round();
  auto cs = h.store.clusterStatus(h.cluster).value();
  EXPECT_EQ(cs->state, "chain_unreachable");
  EXPECT_EQ(cs->updated_ms, first->updated_ms + 1110);
}

TEST(Relay, FewerThanThresholdSubmitsNothingAndReportsStuckThenResumes) {
  Harness h(4, 3, 5);
  h.workers.divergeFrom(2, 0);
  h.workers.divergeFrom(3, 0);  // 2 honest (w0, w1), 2 diverged with distinct streams
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_TRUE(st.stuck);
  EXPECT_EQ(h.chain.submits, 0u);
  auto cs = h.store.clusterStatus(h.cluster).value();
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->state, "stuck");
  EXPECT_NE(cs->detail.find("2 of 3 signatures"), std::string::npos) << cs->detail;
  EXPECT_NE(cs->detail.find("http://w0"), std::string::npos) << cs->detail;  // who signed
  EXPECT_NE(cs->detail.find("claimed by http://w2"), std::string::npos) << cs->detail;
  // Heal worker 2: the next rounds (after backoff) reach the threshold.
  h.workers.w[2].msgs = h.workers.w[0].msgs;
  h.settle(10);
  EXPECT_EQ(h.count(MsgState::kAccepted), 5u);
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->state, "ok");
}

TEST(Relay, WorkerLyingAboutHashChainIsMarkedFaultyAndAnotherIsUsed) {
  Harness h(4, 3, 6);
  h.workers.w[0].lie_chain = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 6u);
  auto ws = h.store.workers(h.cluster).value();
  for (auto& w : ws) {
    if (w.endpoint == "http://w0") {
      EXPECT_GE(w.faulty_chain, 1u);
      EXPECT_NE(w.last_error.find("hash chain"), std::string::npos) << w.last_error;
    }
  }
}

TEST(Relay, InvalidSignaturesAreCountedAndNotUsed) {
  Harness h(4, 3, 4);
  h.workers.w[1].garbage_sigs = true;
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 4u);
  auto ws = h.store.workers(h.cluster).value();
  for (auto& w : ws) {
    if (w.endpoint == "http://w1") {
      EXPECT_EQ(w.signatures_invalid, 4u);
    }
    if (w.endpoint == "http://w0") {
      EXPECT_EQ(w.signatures_valid, 4u);
    }
  }
}

TEST(Relay, IncompatibleWorkerIsRefusedWithClearMessage) {
  Harness h(4, 3, 2);
  h.workers.w[3].version = "2.0.0";
  ASSERT_TRUE(h.relay->start().ok());
  bool said = false;
  for (auto& e : h.events) {
    said = said || (e.level == "error" && e.text ==
                                              "http://w3: version 2.0.0 (handshake; asked "
                                              "again in 60 s)");
  }
  EXPECT_TRUE(said) << "the worker's error once, and when it is asked again";
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 2u);
}

TEST(Relay, SupersededWhenAnotherHunterIncludesFirst) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();  // submits 0..2 in one extrinsic
  // Another hunter's inclusion wins; our pool tx becomes outdated and is dropped.
  for (size_t i = 0; i < 3; ++i) h.chain.includeByOther(h.workers.w[0].msgs[i]);
  h.chain.pool.clear();
  h.chain.pool_bytes.clear();
  h.relay->round();
  EXPECT_EQ(h.count(MsgState::kSuperseded), 3u);
  EXPECT_EQ(h.outcomes(OutcomeKind::kAccepted).size(), 0u);
  for (auto& o : h.outcomes(OutcomeKind::kSuperseded)) EXPECT_TRUE(o.fee == 0);
}

TEST(Relay, AckWithOtherHashIsDiverged) {
  Harness h(4, 3, 2);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.chain.pool.clear();
  h.chain.pool_bytes.clear();
  auto other = makeStream(h.cluster, 2, 0x55);
  h.chain.includeByOther(other[0]);
  h.relay->round();
  auto d = h.outcomes(OutcomeKind::kDiverged);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].sn, 0u);
  ASSERT_TRUE(d[0].ack_hash.has_value());
  EXPECT_EQ(*d[0].ack_hash, other[0].hash);
}

TEST(Relay, NonceTakenByAnotherProcessIsResynchronised) {
  Harness h(4, 3, 4);
  ASSERT_TRUE(h.relay->start().ok());
  // Someone else used our nonce 0 (and it got included): the chain's nonce is now 1.
  h.chain.nonces[h.accounts.ids()[0]] = 0;
  h.chain.scripted.push_back(makeError("1014", "Priority is too low"));
  auto st = h.relay->round();
  EXPECT_EQ(st.submitted_txs, 0u);
  h.chain.nonces[h.accounts.ids()[0]] = 1;
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 4u);
  // The first accepted extrinsic used nonce 1: never skipped, never stuck.
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 2u);
}

TEST(Relay, RejectionIsRecordedAndRetriedWithBackoff) {
  Harness h(4, 3, 2);
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.scripted.push_back(makeError("1010", "Custom error: 3"));
  auto st = h.relay->round();
  EXPECT_EQ(st.rejected, 2u);
  auto rej = h.outcomes(OutcomeKind::kRejected);
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_NE(rej[0].reason.find("Custom error: 3"), std::string::npos) << rej[0].reason;
  // Back to pending: signatures are gathered again after the backoff.
  EXPECT_EQ(h.count(MsgState::kPending), 2u);
  auto m = h.store.message(h.cluster, 0).value();
  EXPECT_GT(m->next_attempt_ms, h.clock.now);
  EXPECT_EQ(m->attempts, 1u);
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 2u);
}

TEST(Relay, TransportErrorOnSubmitResendsTheSameBytes) {
  Harness h(4, 3, 2);
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.scripted.push_back(makeError("timeout", "chain timed out"));
  h.relay->round();
  auto open = h.store.openSubmissions(h.cluster).value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].status, SubmissionStatus::kSending);
  Bytes first = open[0].extrinsic;
  h.relay->round();  // resend
  ASSERT_EQ(h.chain.pool_bytes.size(), 1u);
  EXPECT_EQ(h.chain.pool_bytes[0], first);
  h.settle(3);
  EXPECT_EQ(h.count(MsgState::kAccepted), 2u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 1u);
}

TEST(Relay, CrashAfterStoringSubmissionDoesNotSubmitTwice) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();  // submitted and in the pool
  ASSERT_EQ(h.chain.pool.size(), 1u);
  ASSERT_NE(h.restartAsIfKilledWhileSending(), 0);
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 1u);  // one extrinsic included, not two
}

// Killed after the chain took the bytes but before recording it; on restart the block that
// includes them lands between the round's chain reads and the resend ("outdated"). The books
// still carry the fee the chain took.
TEST(Relay, SendingSubmissionIncludedJustBeforeItsResendKeepsItsFee) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  const int64_t id = h.restartAsIfKilledWhileSending();
  ASSERT_NE(id, 0);
  h.chain.before_submit = [&] { h.chain.include(); };
  h.relay->round();
  EXPECT_EQ(h.chain.submits, 2u);  // the resend was refused as outdated
  h.settle(3);
  auto acc = h.outcomes(OutcomeKind::kAccepted);
  ASSERT_EQ(acc.size(), 3u);
  u128 fees = 0;
  for (auto& o : acc) {
    fees += o.fee;
    EXPECT_EQ(o.submission_id, id);
  }
  EXPECT_EQ(fees, h.chain.fee);  // one extrinsic included, its fee booked once
  EXPECT_EQ(h.store.submission(id).value()->status, SubmissionStatus::kIncluded);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 1u);
}

// Gone from the pool, its bytes refused when sent again (so released as lost), and then the
// chain includes the lost bytes after all: the outcome names the lost submission and books its
// fee.
TEST(Relay, LostSubmissionIncludedAfterAllIsBookedWithItsFee) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  auto kept = h.chain.pool;  // the node forgets it for a while
  auto keptBytes = h.chain.pool_bytes;
  h.chain.pool.clear();
  h.chain.pool_bytes.clear();
  h.chain.best++;  // a block later its bytes are sent again, and refused
  h.clock.now += 1000;
  h.chain.scripted.push_back(makeError("1014", "Priority is too low"));
  h.relay->round();
  EXPECT_EQ(h.chain.submits, 2u);
  // The lost one is released, and its messages wait out a backoff: nothing is open.
  EXPECT_TRUE(h.store.openSubmissions(h.cluster).value().empty());
  h.chain.pool = kept;
  h.chain.pool_bytes = keptBytes;
  ASSERT_EQ(h.chain.include(), 3u);
  h.events.clear();
  h.relay->round();
  auto acc = h.outcomes(OutcomeKind::kAccepted);
  ASSERT_EQ(acc.size(), 3u);
  u128 fees = 0;
  for (auto& o : acc) fees += o.fee;
  EXPECT_EQ(fees, h.chain.fee);
  auto sub = h.store.submission(acc[0].submission_id).value();
  ASSERT_TRUE(sub.has_value());
  EXPECT_EQ(sub->tx_hash, txHash(keptBytes[0]));
  EXPECT_EQ(sub->status, SubmissionStatus::kIncluded);
  bool told = false;
  for (auto& e : h.events)
    told |= e.text.find("declared lost but the chain included it") != std::string::npos;
  EXPECT_TRUE(told);
}

TEST(Relay, DroppedTransactionIsSentAgainWithItsOwnNonce) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  ASSERT_EQ(h.chain.pool.size(), 1u);
  Bytes sent = h.chain.pool_bytes[0];
  h.chain.pool.clear();  // the chain dropped it
  h.chain.pool_bytes.clear();
  h.chain.best++;
  h.clock.now += 1000;
  h.relay->round();
  ASSERT_EQ(h.chain.pool_bytes.size(), 1u);
  EXPECT_EQ(h.chain.pool_bytes[0], sent);
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 1u);
}

TEST(Relay, SeveralAccountsAreUsedEvenly) {
  Harness h(4, 3, 16, 2);
  h.cfg.max_in_flight = 4;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(6);
  EXPECT_EQ(h.count(MsgState::kAccepted), 16u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[0]], 2u);
  EXPECT_EQ(h.chain.nonces[h.accounts.ids()[1]], 2u);
}

TEST(Relay, MessageThatCannotGoThroughBecomesDeadWithReason) {
  Harness h(4, 3, 2);
  h.cfg.max_message_age_ms = 10'000;
  h.rebuild();
  h.workers.divergeFrom(2, 0);
  h.workers.divergeFrom(3, 0);
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.clock.now += 11'000;
  auto st = h.relay->round();
  EXPECT_EQ(st.dead, 2u);
  auto dead = h.outcomes(OutcomeKind::kDead);
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_NE(dead[0].reason.find("signatures"), std::string::npos) << dead[0].reason;
}

TEST(Relay, ChainDownIsReportedAndNothingIsLost) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.chain.down = true;
  auto st = h.relay->round();
  EXPECT_TRUE(st.chain_unreachable);
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->state, "chain_unreachable");
  h.chain.down = false;
  h.settle(4);
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
}

TEST(Relay, UnregisteredClusterFailsToStart) {
  Harness h(4, 3, 1);
  h.chain.cluster = h256(0x22);
  auto st = h.relay->start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "unknown_cluster");
}

TEST(Relay, LostSubmissionBelowOpenOnesIsResentFirst) {
  Harness h(4, 3, 6);
  h.cfg.batch_size = 2;
  h.cfg.max_in_flight = 3;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();  // [0-1] nonce 0, [2-3] nonce 1, [4-5] nonce 2
  ASSERT_EQ(h.chain.pool.size(), 3u);
  h.chain.pool.erase(h.chain.pool.begin());  // the chain drops the first one
  h.chain.pool_bytes.erase(h.chain.pool_bytes.begin());
  h.chain.best++;
  h.clock.now += 1000;
  h.relay->round();
  // The dropped run is sent again at the next block, on its own nonce, not skipped past.
  ASSERT_EQ(h.chain.pool.size(), 3u);
  EXPECT_EQ(h.chain.pool.back().call.items.front().message.sn, 0u);
  EXPECT_EQ(h.chain.pool.back().extra.nonce, 0u);
  h.chain.include();
  EXPECT_EQ(h.chain.q.next_sn, 6u);
}

TEST(Relay, OnlyThresholdWorkersAreAskedWhenTheyAllSign) {
  Harness h(4, 3, 10);
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.signed_now, 10u);
  h.workers.asked.resize(4);
  size_t askedWorkers = 0;
  for (auto& calls : h.workers.asked) askedWorkers += calls.empty() ? 0 : 1;
  EXPECT_EQ(askedWorkers, 3u);  // the fourth costs a signature and a recovery for nothing
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 10u);
}

TEST(Relay, OtherWorkersAreAskedOnlyForTheItemsThatLackQuorum) {
  Harness h(4, 3, 10);
  h.cfg.probe_interval_ms = 0;  // never every worker at once
  h.rebuild();
  h.workers.w[1].msgs.resize(6);  // worker 1 lags: it does not have sns 6..9 yet
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.signed_now, 10u);  // in the same round
  EXPECT_FALSE(st.stuck);
  ASSERT_EQ(h.workers.asked.size(), 4u);
  ASSERT_EQ(h.workers.asked[3].size(), 1u);
  EXPECT_EQ(h.workers.asked[3][0], 4u);  // only sns 6..9
  // Worker 1 refused some items: it is asked after the healthy ones next time.
  h.workers.grow(20);
  for (auto& c : h.workers.asked) c.clear();
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 20u);
  EXPECT_TRUE(h.workers.asked[1].empty());
  EXPECT_FALSE(h.workers.asked[3].empty());
}

// In the steady state (a round of one chunk) the submission does not wait for the ACK read;
// when every in-flight slot is taken the ACKs come first, since they free one.
TEST(Relay, ARoundOfOneChunkSubmitsBeforeReadingTheAcksUnlessNoSlotIsFree) {
  for (size_t maxInFlight : {4u, 1u}) {
    Harness h(4, 3, 4);
    h.cfg.batch_size = 4;
    h.cfg.max_in_flight = maxInFlight;
    h.rebuild();
    ASSERT_TRUE(h.relay->start().ok());
    ASSERT_EQ(h.relay->round().submitted_txs, 1u);  // sns 0-3
    h.chain.include();
    h.workers.grow(8);
    h.chain.calls.clear();
    auto st = h.relay->round();
    EXPECT_EQ(st.submitted_txs, 1u) << maxInFlight;  // sns 4-7
    EXPECT_EQ(st.accepted, 4u) << maxInFlight;       // 0-3, read in the same round either way
    const std::vector<std::string> order = maxInFlight == 1
                                               ? std::vector<std::string>{"acks", "submit"}
                                               : std::vector<std::string>{"submit", "acks"};
    EXPECT_EQ(h.chain.calls, order) << maxInFlight;
    h.settle(3);
    EXPECT_EQ(h.count(MsgState::kAccepted), 8u);
  }
}

// A backlog of 300 in chunks of 40 and extrinsics of 16, with room for all of them in flight.
void configureBacklog(Harness& h, uint32_t fetchLimit = 1024) {
  h.cfg.sign_chunk = 40;
  h.cfg.verify_threads = 2;
  h.cfg.batch_size = 16;
  h.cfg.max_in_flight = 64;
  h.cfg.fetch_limit = fetchLimit;
}

TEST(Relay, LargeBacklogIsSignedAndSubmittedInPipelinedChunksExactlyOnce) {
  Harness h(4, 3, 300);
  configureBacklog(h);
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.fetched, 300u);
  EXPECT_EQ(st.signed_now, 300u);
  EXPECT_EQ(st.submitted_msgs, 300u);
  EXPECT_EQ(h.chain.submits, h.chain.pool.size());  // nothing sent twice
  // Consecutive nonces and contiguous sns, in order.
  uint64_t next = 0;
  for (size_t i = 0; i < h.chain.pool.size(); ++i) {
    EXPECT_EQ(h.chain.pool[i].extra.nonce, i);
    EXPECT_EQ(h.chain.pool[i].call.items.front().message.sn, next);
    next += h.chain.pool[i].call.items.size();
  }
  EXPECT_EQ(next, 300u);
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 300u);
}

TEST(Relay, ChunksSignedAheadAskTheWorkersOneCallAtATimeAndInOrder) {
  // Worker 0 signs garbage, so every chunk also goes to worker 3 (the fallback), from this
  // thread, while the next chunks are being signed ahead on others.
  Harness h(4, 3, 300);
  configureBacklog(h);
  h.cfg.probe_interval_ms = 0;
  h.rebuild();
  h.workers.w[0].garbage_sigs = true;
  h.workers.yields = 2000;
  ASSERT_TRUE(h.relay->start().ok());
  auto st = h.relay->round();
  EXPECT_EQ(st.signed_now, 300u);
  EXPECT_EQ(st.submitted_msgs, 300u);
  EXPECT_FALSE(h.workers.overlapped);
  std::vector<uint64_t> primary, fallback;
  for (auto& [n, first] : h.workers.calls) (n == 3 ? primary : fallback).push_back(first);
  std::vector<uint64_t> chunks;
  for (uint64_t sn = 0; sn < 300; sn += 40) chunks.push_back(sn);
  EXPECT_EQ(primary, chunks);   // each chunk once, in order
  EXPECT_EQ(fallback, chunks);  // and its fallback
  EXPECT_EQ(h.chain.submits, h.chain.pool.size());
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 300u);
}

TEST(Relay, ABacklogRoundFetchesTheNextMessagesWhileTheWorkersSign) {
  Harness h(4, 3, 300);
  configureBacklog(h, 100);
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  // Nothing to sign yet: fetch first, then sign those while fetching the next ones.
  auto st = h.relay->round();
  EXPECT_EQ(st.fetched, 200u);
  EXPECT_EQ(st.signed_now, 100u);
  st = h.relay->round();  // sns 100-199 were waiting: sign them, fetch 200-299 meanwhile
  EXPECT_EQ(st.fetched, 100u);
  EXPECT_EQ(st.signed_now, 100u);
  st = h.relay->round();
  EXPECT_EQ(st.fetched, 0u);
  EXPECT_EQ(st.signed_now, 100u);
  EXPECT_EQ(h.chain.submits, h.chain.pool.size());
  h.settle(5);
  EXPECT_EQ(h.count(MsgState::kAccepted), 300u);

  // A round with at most one chunk to sign fetches first and signs what it fetched.
  h.workers.grow(330);
  st = h.relay->round();
  EXPECT_EQ(st.fetched, 30u);
  EXPECT_EQ(st.signed_now, 30u);
}

TEST(Relay, EveryWorkerIsAskedAgainAfterTheProbeInterval) {
  Harness h(4, 3, 30);
  h.cfg.probe_interval_ms = 3000;
  h.cfg.batch_size = 64;
  h.cfg.fetch_limit = 5;
  h.rebuild();
  h.workers.w[0].garbage_sigs = true;  // fails first: goes to the back
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  h.workers.w[0].garbage_sigs = false;  // recovered, but not asked while the others suffice
  for (auto& c : h.workers.asked) c.clear();
  h.relay->round();
  h.clock.now += 1000;
  h.relay->round();
  EXPECT_TRUE(h.workers.asked[0].empty());
  h.clock.now += 3000;  // probe: everyone once
  h.relay->round();
  EXPECT_EQ(h.workers.asked[0].size(), 1u);
  auto ws = h.store.workers(h.cluster).value();
  for (auto& w : ws) {
    if (w.endpoint == "http://w0") {
      EXPECT_GT(w.signatures_valid, 0u);
    }
  }
  h.settle(10);
  EXPECT_EQ(h.count(MsgState::kAccepted), 30u);
}
