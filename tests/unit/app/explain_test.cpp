// hunter explain: what it says about one sn, from a store (a MemoryStore stands in for SQLite).
#include "hunter/app/explain.hpp"

#include <gtest/gtest.h>

#include "hunter/core/memory_store.hpp"

using namespace hunter;
using nlohmann::json;

namespace {

constexpr int64_t kNow = 1'000'000;

struct ExplainTest : ::testing::Test {
  core::MemoryStore store;
  app::ClusterConfig cluster{H256{0x11}, "alpha", {"http://w0"}};

  void status(uint64_t chain_next, uint64_t worker_next, core::WaitReason reason,
              std::string detail = "") {
    core::ClusterStatusRecord s;
    s.cluster = cluster.id;
    s.state = reason == core::WaitReason::kMoving ? "ok" : "stuck";
    s.reason = reason;
    s.detail = std::move(detail);
    s.chain_next_sn = chain_next;
    s.worker_next_sn = worker_next;
    s.updated_ms = kNow - 2000;
    ASSERT_TRUE(store.setClusterStatus(s).ok());
  }

  void message(uint64_t sn, int64_t next_attempt_ms = 0) {
    core::StoredMessage m;
    m.cluster = cluster.id;
    m.sn = sn;
    m.hash = H256{static_cast<uint8_t>(sn + 1)};
    m.source = "http://w0";
    m.created_ms = kNow - 5000;
    m.next_attempt_ms = next_attempt_ms;
    ASSERT_TRUE(store.addMessages({m}).ok());
  }

  json explain(std::optional<uint64_t> sn) {
    auto r = app::explainJson(store, cluster, sn, kNow);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : json();
  }
};

TEST_F(ExplainTest, TheDefaultSnIsTheChainsNextAndItsWaitIsExplained) {
  status(7, 12, core::WaitReason::kShortOfSignatures, "sn 7: 1 of 2 signatures");
  message(7, kNow + 2500);
  json e = explain(std::nullopt);
  EXPECT_EQ(e["sn"], 7);
  EXPECT_EQ(e["cluster_state"]["reason"], "short_of_signatures");
  EXPECT_EQ(e["message"]["state"], "pending");
  EXPECT_EQ(e["message"]["source"], "http://w0");
  const std::string next = e["next"];
  EXPECT_NE(next.find("asked for again in 3 s"), std::string::npos) << next;
  EXPECT_NE(next.find("sn 7: 1 of 2 signatures"), std::string::npos) << next;
  EXPECT_NE(app::renderExplain(e).find("next: its signatures are asked for again in 3 s"),
            std::string::npos);
}

TEST_F(ExplainTest, WithoutARoundThereIsNoDefaultSn) {
  auto r = app::explainJson(store, cluster, std::nullopt, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("alpha"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("give an sn"), std::string::npos) << r.error().message;
}

TEST_F(ExplainTest, AnSnTheDatabaseDoesNotHoldIsPlacedAgainstTheChainAndTheWorkers) {
  status(10, 20, core::WaitReason::kMoving);
  EXPECT_NE(explain(3)["next"].get<std::string>().find("settled on the chain"), std::string::npos);
  EXPECT_NE(explain(15)["next"].get<std::string>().find("fetched by a coming round"),
            std::string::npos);
  EXPECT_NE(explain(25)["next"].get<std::string>().find("workers have not produced it"),
            std::string::npos);
  EXPECT_TRUE(explain(25)["message"].is_null());
}

TEST_F(ExplainTest, ASubmittedMessageShowsItsSubmissionsAndWaitsForItsAck) {
  status(4, 9, core::WaitReason::kWaitingAck);
  message(4);
  core::SubmissionRecord s;
  s.cluster = cluster.id;
  s.tx_hash = H256{0xab};
  s.account = crypto::AccountId32{0x01};
  s.nonce = 42;
  s.era_birth = 100;
  s.era_death = 164;
  s.first_sn = 4;
  s.last_sn = 6;
  s.fee = 1234;
  s.created_ms = kNow - 1000;
  ASSERT_TRUE(store.addSubmission(s).ok());
  json e = explain(4);
  EXPECT_EQ(e["message"]["state"], "submitted");
  ASSERT_EQ(e["submissions"].size(), 1u);
  EXPECT_EQ(e["submissions"][0]["nonce"], 42);
  EXPECT_EQ(e["submissions"][0]["sns"], "4..6");
  EXPECT_EQ(e["submissions"][0]["fee"], "1234");
  EXPECT_EQ(e["submissions"][0]["account"].get<std::string>().rfind("0x", 0), std::string::npos)
      << "SS58, as every human output";
  const std::string next = e["next"];
  EXPECT_NE(next.find("ACK of submission 1"), std::string::npos) << next;
  EXPECT_NE(next.find("block 164"), std::string::npos) << next;
  EXPECT_TRUE(explain(7)["submissions"].empty()) << "sn 7 was not in it";
}

TEST_F(ExplainTest, ASettledMessageShowsItsOutcomeAndNothingFollows) {
  status(6, 6, core::WaitReason::kMoving);
  message(5);
  core::OutcomeRecord o;
  o.cluster = cluster.id;
  o.sn = 5;
  o.kind = core::OutcomeKind::kAccepted;
  o.block = 77;
  o.reward = 1000;
  o.fee = 10;
  ASSERT_TRUE(store.recordOutcomes({o}).ok());
  json e = explain(5);
  EXPECT_EQ(e["message"]["state"], "accepted");
  ASSERT_EQ(e["outcomes"].size(), 1u);
  EXPECT_EQ(e["outcomes"][0]["block"], 77);
  EXPECT_EQ(e["outcomes"][0]["reward"], "1000");
  EXPECT_EQ(e["next"], "nothing: it is settled");
  EXPECT_TRUE(explain(4)["outcomes"].empty());
}

}  // namespace
