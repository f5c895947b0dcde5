// The fee policy against fakes: fees.max_batch_delay_ms, fees.min_profit, fees.min_balance.
#include <gtest/gtest.h>

#include "support/relay_fakes.hpp"

using namespace hunter;
using namespace hunter::core;
using namespace hunter::testing;

namespace {

// Harness(4 workers, threshold 3, n messages); batch_size 4, reward 1,000,000 a message.
std::unique_ptr<Harness> feeHarness(size_t messages) {
  auto h = std::make_unique<Harness>(4, 3, messages);
  h->cfg.batch_size = 4;
  h->cfg.max_in_flight = 4;
  return h;
}

}  // namespace

TEST(RelayFees, ABatchNotFullWaitsUpToMaxBatchDelayThenGoes) {
  auto h = feeHarness(2);
  h->cfg.max_batch_delay_ms = 2000;
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  auto st = h->relay->round();
  EXPECT_EQ(st.signed_now, 2u);
  EXPECT_EQ(st.submitted_txs, 0u) << "2 of 4: waits for a fuller batch";
  EXPECT_EQ(h->relay->reason(), WaitReason::kBatching);
  EXPECT_NE(h->relay->statusDetail().find("max_batch_delay_ms"), std::string::npos)
      << h->relay->statusDetail();
  h->clock.now += 1000;
  EXPECT_EQ(h->relay->round().submitted_txs, 0u) << "1 s of 2";
  h->clock.now += 1000;
  st = h->relay->round();
  EXPECT_EQ(st.submitted_txs, 1u) << "its oldest message is 2 s old: sent as it is";
  EXPECT_EQ(st.submitted_msgs, 2u);
}

TEST(RelayFees, AFullBatchDoesNotWait) {
  auto h = feeHarness(4);
  h->cfg.max_batch_delay_ms = 60'000;
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  auto st = h->relay->round();
  EXPECT_EQ(st.submitted_txs, 1u);
  EXPECT_EQ(st.submitted_msgs, 4u);
}

TEST(RelayFees, AnUnprofitableBatchWaitsWithItsReasonAndIsNotSent) {
  auto h = feeHarness(2);
  h->chain.fee = 3'000'000;  // 1,500,000 a message for two: above the reward of 1,000,000
  h->cfg.min_profit = 0;
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  auto st = h->relay->round();
  EXPECT_EQ(st.submitted_txs, 0u);
  EXPECT_EQ(h->chain.submits, 0u) << "nothing reached the chain";
  EXPECT_EQ(h->relay->reason(), WaitReason::kUnprofitable);
  const std::string detail = h->relay->statusDetail();
  EXPECT_NE(detail.find("fee 3000000 (1500000 a message)"), std::string::npos) << detail;
  EXPECT_NE(detail.find("waiting for a fuller batch"), std::string::npos) << detail;
  EXPECT_EQ(h->store.openSubmissions(h->cluster).value().size(), 0u) << "no submission stored";
}

TEST(RelayFees, AFullerBatchThatPaysIsSent) {
  auto h = feeHarness(4);
  h->chain.fee = 3'000'000;  // 750,000 a message for four: 250,000 profit each
  h->cfg.min_profit = 200'000;
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  auto st = h->relay->round();
  EXPECT_EQ(st.submitted_txs, 1u);
  EXPECT_EQ(st.submitted_msgs, 4u);
}

TEST(RelayFees, AFullBatchStillBelowMinProfitIsNotSentAndSaysSo) {
  auto h = feeHarness(4);
  h->chain.fee = 3'000'000;
  h->cfg.min_profit = 300'000;  // 250,000 is all a full batch earns
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  EXPECT_EQ(h->relay->round().submitted_txs, 0u);
  EXPECT_NE(h->relay->statusDetail().find("a full batch is not enough"), std::string::npos)
      << h->relay->statusDetail();
}

TEST(RelayFees, ANegativeMinProfitRelaysAtAChosenLoss) {
  auto h = feeHarness(1);
  h->chain.fee = 1'400'000;  // one message: 400,000 loss
  h->cfg.min_profit = -500'000;
  h->rebuild();
  ASSERT_TRUE(h->relay->start().ok());
  EXPECT_EQ(h->relay->round().submitted_txs, 1u);
}

TEST(RelayFees, BelowTheBalanceFloorNothingIsSignedUntilTopUp) {
  auto h = feeHarness(4);
  h->cfg.min_balance = 1'000'000'000;
  h->rebuild();
  const auto id = h->accounts.ids().front();
  h->accounts.setFree(id, 5'000);
  ASSERT_TRUE(h->relay->start().ok());
  EXPECT_EQ(h->relay->round().submitted_txs, 0u);
  EXPECT_EQ(h->relay->reason(), WaitReason::kBalanceFloor);
  EXPECT_NE(h->relay->statusDetail().find("fees.min_balance 1000000000"), std::string::npos)
      << h->relay->statusDetail();
  h->accounts.setFree(id, 2'000'000'000);
  EXPECT_EQ(h->relay->round().submitted_txs, 1u) << "topped up";
}

TEST(RelayFees, AccountsBelowTheFloorAreSkippedForOthers) {
  auto h = std::make_unique<Harness>(4, 3, 8, 2);
  h->cfg.batch_size = 4;
  h->cfg.min_balance = 1'000;
  h->rebuild();
  h->accounts.setFree(h->accounts.ids()[0], 10);
  h->accounts.setFree(h->accounts.ids()[1], 1'000'000);
  ASSERT_TRUE(h->relay->start().ok());
  EXPECT_EQ(h->relay->round().submitted_txs, 2u);
  for (const auto& x : h->chain.pool) EXPECT_EQ(x.signer, h->accounts.ids()[1]);
}
