// Relays of several clusters on several threads at once (the service's round scheduler), against
// fakes: the accounts they share give out each nonce once.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "support/relay_fakes.hpp"

using namespace hunter;
using namespace hunter::core;
using namespace hunter::testing;

namespace {

// The chain's view of the accounts' nonces, shared by the fake chains of every cluster.
struct NonceLedger {
  std::mutex mu;
  std::map<crypto::AccountId32, std::vector<uint32_t>> used;

  uint32_t next(const crypto::AccountId32& a) {
    std::lock_guard lock(mu);
    auto& v = used[a];
    return v.empty() ? 0 : *std::max_element(v.begin(), v.end()) + 1;
  }
  void record(const DecodedExtrinsic& d) {
    std::lock_guard lock(mu);
    used[d.signer].push_back(d.extra.nonce);
  }
};

}  // namespace

TEST(RelayConcurrency, RelaysOnSeveralThreadsNeverSignTwoTransactionsOnOneNonce) {
  constexpr size_t kRelays = 4;
  AccountPool shared(Harness::makeKeys(2));
  NonceLedger ledger;
  std::vector<std::unique_ptr<Harness>> clusters;
  for (size_t i = 0; i < kRelays; ++i) {
    auto h = std::make_unique<Harness>(4, 3, 40);
    h->cfg.batch_size = 2;
    h->cfg.max_in_flight = 8;
    h->pool = &shared;
    h->chain.next_index = [&ledger](const crypto::AccountId32& a) -> Result<uint32_t> {
      return ledger.next(a);
    };
    h->chain.on_pooled = [&ledger](const DecodedExtrinsic& d) { ledger.record(d); };
    h->rebuild();
    ASSERT_TRUE(h->relay->start().ok());
    clusters.push_back(std::move(h));
  }
  std::vector<std::thread> threads;
  for (auto& h : clusters) {
    threads.emplace_back([&h] {
      for (int round = 0; round < 3; ++round) h->relay->round();
    });
  }
  for (auto& t : threads) t.join();

  size_t total = 0;
  for (auto& [account, nonces] : ledger.used) {
    std::sort(nonces.begin(), nonces.end());
    total += nonces.size();
    for (size_t i = 0; i < nonces.size(); ++i) {
      ASSERT_EQ(nonces[i], i) << "account " << toHex(account)
                              << ": nonces must be 0, 1, 2, ... each once; " << i << "th is "
                              << nonces[i];
    }
  }
  EXPECT_EQ(total, kRelays * 8) << "every relay filled its 8 slots in flight";
  EXPECT_EQ(ledger.used.size(), 2u) << "both accounts used";
  for (auto& [account, nonces] : ledger.used) {
    EXPECT_GE(nonces.size(), total / 4) << "accounts used evenly: " << toHex(account);
  }
}

// limits.backlog_rounds (here 1): while one cluster clears its backlog, another cluster's round
// signs a single chunk, not its whole backlog: the memory of many backlogs at once stays that of
// one (bench A10: 133 MiB with ten at once on 2 cores, 65 MiB with two). Once the place is free,
// the other clears the rest in one round.
TEST(RelayConcurrency, OneBacklogAtATimeWhileOthersMoveAChunkARound) {
  BacklogGate gate(1);
  Harness a(4, 3, 20), b(4, 3, 20);
  for (Harness* h : {&a, &b}) {
    h->cfg.sign_chunk = 4;
    h->cfg.batch_size = 64;
    h->cfg.max_in_flight = 64;
    h->rebuild();
    h->relay->shareBacklogGate(gate);
    ASSERT_TRUE(h->relay->start().ok());
  }
  RoundStats meanwhile;
  size_t takenMeanwhile = 0;
  a.workers.on_sign = [&] {  // while a's backlog is being signed, b's round
    takenMeanwhile = gate.taken();
    meanwhile = b.relay->round();
  };
  const RoundStats first = a.relay->round();
  EXPECT_EQ(takenMeanwhile, 1u) << "a holds the place while it signs";
  EXPECT_EQ(first.signed_now, 20u) << "a cleared its backlog in one round";
  EXPECT_EQ(meanwhile.signed_now, 4u) << "b signed one chunk meanwhile";
  EXPECT_EQ(meanwhile.fetched, 4u) << "and fetched no more than that";
  EXPECT_EQ(gate.taken(), 0u) << "the place is given back";
  const RoundStats next = b.relay->round();
  EXPECT_EQ(next.signed_now, 16u) << "with the place free, b fetches and clears the rest";
  a.settle(3);
  b.settle(3);
  EXPECT_EQ(a.count(MsgState::kAccepted), 20u);
  EXPECT_EQ(b.count(MsgState::kAccepted), 20u);
}
