// "Never silent": why a cluster waits, against the relay's fakes. The backlog is what the workers
// agree on (one lying answer cannot poison it), a head that stops moving while the workers are
// ahead makes the cluster `stuck` within stuck_after and stays so, with a reason, and the log
// gets one line per change of state rather than one per round.
#include <gtest/gtest.h>

#include "hunter/crypto/ss58.hpp"
#include "support/relay_fakes.hpp"

using namespace hunter;
using namespace hunter::core;
using namespace hunter::testing;

namespace {

size_t countEvents(const std::vector<RelayEvent>& events, const std::string& text) {
  size_t n = 0;
  for (auto& e : events) n += e.text.find(text) != std::string::npos;
  return n;
}

}  // namespace

TEST(RelayReasons, OneLyingNextSnDoesNotMoveTheBacklog) {
  Harness h(4, 3, 5);
  h.workers.w[0].claim_next_sn = uint64_t{1} << 62;
  ASSERT_TRUE(h.relay->start().ok());
  for (int i = 0; i < 12; ++i) {
    h.settle(1);
    EXPECT_LE(h.relay->workerNextSn(), 5u) << "round " << i;
  }
  EXPECT_EQ(h.count(MsgState::kAccepted), 5u);
  EXPECT_FALSE(h.relay->stalled(h.clock.now)) << "an idle cluster is not stuck";
}

TEST(RelayReasons, FewerThanThresholdIsStuckWithinStuckAfterAndStaysSo) {
  Harness h(4, 3, 3);
  h.cfg.stuck_after_ms = 5'000;
  h.cfg.backoff_max_ms = 4'000;
  h.rebuild();
  h.workers.w[2].down = true;
  h.workers.w[3].down = true;
  ASSERT_TRUE(h.relay->start().ok());
  const int64_t t0 = h.clock.now;
  size_t samples = 0;
  for (int i = 0; i < 20; ++i) {
    h.relay->round();
    auto cs = h.store.clusterStatus(h.cluster).value();
    ASSERT_TRUE(cs.has_value());
    if (h.clock.now - t0 >= 5'000) {
      samples++;
      EXPECT_EQ(cs->state, "stuck") << "at " << (h.clock.now - t0) << " ms: " << cs->detail;
      EXPECT_TRUE(cs->reason == WaitReason::kShortOfSignatures ||
                  cs->reason == WaitReason::kBackingOff)
          << label(cs->reason);
      EXPECT_TRUE(h.relay->stalled(h.clock.now));
    }
    h.clock.now += 500;
  }
  EXPECT_GT(samples, 5u);
  EXPECT_EQ(countEvents(h.events, "test: stuck ("), 1u) << "one line when it became stuck";
  h.workers.w[2].down = false;
  h.workers.w[3].down = false;
  h.settle(6);
  EXPECT_EQ(h.count(MsgState::kAccepted), 3u);
  EXPECT_FALSE(h.relay->stalled(h.clock.now));
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->state, "ok");
  EXPECT_EQ(countEvents(h.events, "test: ok again (was stuck)"), 1u);
}

TEST(RelayReasons, NoWorkerAnsweringIsStalledWithItsReason) {
  Harness h(4, 3, 3);
  h.cfg.stuck_after_ms = 5'000;
  h.rebuild();
  ASSERT_TRUE(h.relay->start().ok());
  h.relay->round();
  for (auto& w : h.workers.w) w.down = true;
  for (int i = 0; i < 8; ++i) {
    h.clock.now += 1000;
    h.relay->round();
  }
  EXPECT_TRUE(h.relay->stalled(h.clock.now));
  EXPECT_EQ(h.relay->reason(), WaitReason::kNoWorkerReachable);
  EXPECT_EQ(h.store.clusterStatus(h.cluster).value()->state, "stuck");
}

TEST(RelayReasons, EveryReasonHasALabelAndAText) {
  std::set<std::string_view> labels;
  for (WaitReason r : kAllWaitReasons) {
    EXPECT_FALSE(describe(r).empty());
    EXPECT_TRUE(labels.insert(label(r)).second) << label(r);
    EXPECT_EQ(waitReasonFromLabel(label(r)), r);
  }
  EXPECT_EQ(waitReasonFromLabel("nonsense"), std::nullopt);
}

TEST(RelayReasons, TheSubmittedLineNamesTheAccountInSs58) {
  Harness h(4, 3, 3);
  ASSERT_TRUE(h.relay->start().ok());
  h.settle(2);
  const std::string ss58 = crypto::ss58Encode(h.accounts.ids().at(0));
  size_t submitted = 0;
  for (const auto& e : h.events) {
    if (e.kind != RelayEvent::Kind::kSubmitted) continue;
    ++submitted;
    EXPECT_NE(e.text.find(" account " + ss58 + " "), std::string::npos) << e.text;
  }
  EXPECT_GT(submitted, 0u);
}
