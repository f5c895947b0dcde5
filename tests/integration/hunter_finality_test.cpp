// ACKs at finality (issue #19), against the devnet at 1 s blocks with a finalized head that
// trails the best block by 3: with chain.ack_confirmations = "finalized", hunter books an outcome
// only once the block its ACK is in is finalized, so a reorg of the newest blocks could not take
// back anything it booked; the books still come out exact.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/hunter_harness.hpp"

namespace hunter::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

// The finalized head's number as the devnet answers it now (-1 when it does not).
int64_t finalizedNumber(DevnetProcess& d) {
  auto hash = d.rpcResult("chain_getFinalizedHead");
  if (!hash.ok() || !hash->is_string()) return -1;
  auto header = d.rpcResult("chain_getHeader", json::array({*hash}));
  if (!header.ok() || !header->is_object()) return -1;
  return std::stoll(header->value("number", std::string("-1")), nullptr, 16);
}

TEST(AckFinality, OutcomesAreBookedOnlyOnceTheirBlockIsFinalized) {
  DevnetOptions o;
  o.block_ms = 1000;
  o.clusters[0].rate = 20;
  o.extra_toml = "[chain]\nfinality_lag_blocks = 3\n";
  auto d = startDevnet(o);
  ASSERT_TRUE(d);
  HunterConfigOptions ho;
  ho.extra_chain = "ack_confirmations = \"finalized\"\n";
  const std::string cfg = writeHunterConfig(*d, d->dir(), ho);
  const std::string db = d->dir() + "/hunter.db";
  const H256 alpha = d->clusters()[0].id;
  const auto accounts = accountsBefore(*d, {devHunter(*d)});
  HunterService svc(cfg, d->dir() + "/hunter.log");

  // For 8 s (8 blocks), every 100 ms: the newest block of a booked outcome, read before the
  // finalized head, is never above it. Booked at the best block, it was 3 blocks above.
  const std::string newestBooked = "SELECT max(block) FROM outcomes WHERE kind = 'accepted'";
  int64_t booked = 0;
  int samples = 0;
  const auto until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < until) {
    booked = queryInt(db, newestBooked);
    const int64_t finalized = finalizedNumber(*d);
    ASSERT_GE(finalized, 0);
    EXPECT_LE(booked, finalized) << "sample " << samples << ": an outcome of block " << booked
                                 << " booked while the finalized head was " << finalized;
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(booked, 0) << "outcomes were booked meanwhile\n" << svc.log();
  EXPECT_EQ(svc.log().find("not known yet"), std::string::npos)
      << "waiting for finality is not reported as a fault\n"
      << svc.log();
  EXPECT_EQ(svc.terminate(), 0);
  // What the pool still holds is included within two blocks; those are final three later.
  auto best = d->rpcResult("chain_getHeader");
  ASSERT_TRUE(best.ok() && best->is_object());
  const int64_t last = std::stoll(best->value("number", std::string("0")), nullptr, 16) + 2;
  ASSERT_TRUE(DevnetProcess::waitUntil([&] { return finalizedNumber(*d) >= last; }, 15s));
  reconcile(*d, cfg);
  EXPECT_GE(expectBooksExact(*d, db, alpha, accounts), 40u);
}

}  // namespace
}  // namespace hunter::testing
