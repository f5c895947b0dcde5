// The vote counting of a gathering, alone: quorums, duplicates, strangers, divergence and the
// line that says why an sn has no quorum.
#include "hunter/core/vote_count.hpp"

#include <gtest/gtest.h>

#include "hunter/core/message.hpp"

using namespace hunter;
using namespace hunter::core;

namespace {

H256 h256(uint8_t b) {
  H256 h{};
  h.fill(b);
  return h;
}

struct Cluster {
  std::vector<crypto::SecretKey> keys;
  std::vector<crypto::PublicKey> registered;
  explicit Cluster(size_t m) {
    for (size_t i = 0; i < m; ++i) {
      keys.push_back(crypto::SecretKey::generate());
      registered.push_back(keys.back().publicKey());
    }
  }
  VoteCount count(uint32_t threshold, size_t items = 2) const {
    std::vector<SignItem> it;
    for (size_t k = 0; k < items; ++k) it.push_back(SignItem{10 + k, h256(0xa0 + k)});
    return VoteCount(h256(0xc1), it, threshold, registered);
  }
};

// Worker `w` signs item k as the relay sees it: recovered to its key.
VoteCount::Verdict sign(VoteCount& v, const Cluster& c, size_t w, size_t k) {
  SignatureRecord audit;
  auto sig = signMessageHash(c.keys[w], v.item(k).hash);
  return v.signature(k, "w" + std::to_string(w), c.registered[w], sig, audit);
}

SignatureRecord refuse(VoteCount& v, size_t w, size_t k, const std::string& code,
                       std::optional<H256> local = std::nullopt) {
  SignatureRecord audit;
  SignItemResult r;
  r.sn = v.item(k).sn;
  r.code = code;
  r.local_hash = local;
  EXPECT_EQ(v.refusal(k, "w" + std::to_string(w), r, audit), VoteCount::Verdict::kRefused);
  return audit;
}

}  // namespace

TEST(VoteCount, AQuorumIsTheFirstThresholdDistinctRegisteredSigners) {
  Cluster c(4);
  auto v = c.count(3);
  v.asked({0, 1}, 4);
  for (size_t w = 0; w < 2; ++w) EXPECT_EQ(sign(v, c, w, 0), VoteCount::Verdict::kValid);
  EXPECT_FALSE(v.hasQuorum(0));
  EXPECT_TRUE(v.quorum(0).empty());
  EXPECT_EQ(sign(v, c, 0, 0), VoteCount::Verdict::kValid) << "valid, but counted once";
  EXPECT_FALSE(v.hasQuorum(0)) << "the same key twice is one vote";
  sign(v, c, 2, 0);
  sign(v, c, 3, 0);
  ASSERT_TRUE(v.hasQuorum(0));
  auto q = v.quorum(0);
  ASSERT_EQ(q.size(), 3u) << "exactly the threshold";
  for (size_t w = 0; w < 3; ++w) {
    EXPECT_EQ(recoverMessageSigner(q[w], v.item(0).hash).value(), c.registered[w]);
  }
  EXPECT_EQ(v.lacking({0, 1}), (std::vector<size_t>{1}));
  EXPECT_EQ(v.indexOf(11), std::optional<size_t>(1));
  EXPECT_FALSE(v.indexOf(99).has_value());
}

TEST(VoteCount, AStrangerOrAnUnrecoverableSignatureIsInvalidAndRecorded) {
  Cluster c(3);
  Cluster strangers(1);
  auto v = c.count(2, 1);
  SignatureRecord audit;
  auto sig = signMessageHash(strangers.keys[0], v.item(0).hash);
  EXPECT_EQ(v.signature(0, "w9", strangers.registered[0], sig, audit),
            VoteCount::Verdict::kInvalid);
  EXPECT_EQ(audit.code, "not_registered");
  EXPECT_EQ(audit.worker, "w9");
  EXPECT_EQ(audit.sn, 10u);
  EXPECT_FALSE(audit.valid);
  EXPECT_EQ(v.signature(0, "w8", std::nullopt, sig, audit), VoteCount::Verdict::kInvalid);
  EXPECT_EQ(audit.code, "bad_signature");
  EXPECT_FALSE(v.hasQuorum(0));
}

TEST(VoteCount, AnotherHashThatThresholdWorkersClaimMeansOurSourceDiverged) {
  Cluster c(4);
  auto v = c.count(3, 1);
  v.asked({0}, 4);
  sign(v, c, 0, 0);
  refuse(v, 1, 0, "diverged", h256(0x77));
  refuse(v, 2, 0, "diverged", h256(0x77));
  EXPECT_FALSE(v.divergedTo(0).has_value()) << "two of three is not enough";
  auto audit = refuse(v, 3, 0, "diverged", h256(0x77));
  EXPECT_EQ(audit.code, "diverged");
  EXPECT_EQ(audit.local_hash, std::optional<H256>(h256(0x77)));
  EXPECT_EQ(v.divergedTo(0), std::optional<std::string>("w1"));
  EXPECT_TRUE(v.othersClaimAnotherHash(0));
  EXPECT_FALSE(v.onlyNotYet(0));
}

TEST(VoteCount, WorkersThatDoNotHaveItYetAreNotAFault) {
  Cluster c(3);
  auto v = c.count(2, 1);
  v.asked({0}, 3);
  sign(v, c, 0, 0);
  refuse(v, 1, 0, "unknown_sn");
  EXPECT_FALSE(v.onlyNotYet(0)) << "one worker has not answered";
  refuse(v, 2, 0, "unknown_sn");
  EXPECT_TRUE(v.onlyNotYet(0));
  EXPECT_FALSE(v.othersClaimAnotherHash(0));
}

TEST(VoteCount, WhySaysWhoSignedWhoClaimsWhatAndWhoIsSilent) {
  Cluster c(5);
  auto v = c.count(3, 1);
  v.asked({0}, 5);
  sign(v, c, 0, 0);
  refuse(v, 1, 0, "diverged", h256(0x77));
  refuse(v, 2, 0, "unknown_sn");
  v.failed({0}, "w3", "timeout");
  const std::string why = v.why(0);
  EXPECT_EQ(why.rfind("sn 10: 1 of 3 signatures for 0xa0a0a0a0a0a0a0a0…", 0), 0u) << why;
  EXPECT_NE(why.find("(w0)"), std::string::npos) << why;
  EXPECT_NE(why.find("0x7777777777777777… claimed by w1"), std::string::npos) << why;
  EXPECT_NE(why.find("1 worker(s) do not have it yet"), std::string::npos) << why;
  EXPECT_NE(why.find("no answer from w3 (timeout)"), std::string::npos) << why;
  EXPECT_NE(why.find("1 worker(s) left it unanswered"), std::string::npos) << why;
}

TEST(VoteCount, AThresholdOfZeroNeverMakesAQuorum) {
  Cluster c(2);
  auto v = c.count(0, 1);
  sign(v, c, 0, 0);
  EXPECT_FALSE(v.hasQuorum(0));
  EXPECT_TRUE(v.quorum(0).empty());
  refuse(v, 1, 0, "diverged", h256(0x55));
  EXPECT_FALSE(v.divergedTo(0).has_value());
}
