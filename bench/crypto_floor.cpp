// The crypto floor of one relayed message (README "Performance"): what a message minimally costs
// the hunter (hash the ClusterMessage, recover the 3 quorum signatures) and the whole system
// (the workers' 3 signatures, the hunter's and the chain's 3 recoveries each, the hashing).
// Run by scripts/bench.sh with --benchmark_format=json; items_per_second is messages/s on one
// core.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <vector>

#include "hunter/core/message.hpp"
#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/keys.hpp"

namespace {

using hunter::Bytes;
using hunter::H256;
using hunter::core::ClusterMessage;
using hunter::core::MessageOrigin;
using hunter::crypto::PublicKey;
using hunter::crypto::SecretKey;
using hunter::crypto::Signature;

constexpr size_t kPayload = 256;
constexpr size_t kThreshold = 3;
constexpr size_t kMessages = 64;  // distinct messages, so no cache is warmer than in a real run

ClusterMessage makeMessage(uint64_t sn) {
  ClusterMessage m;
  H256 cluster{};
  cluster[0] = 0xbb;
  m.message.sender = MessageOrigin::cluster(cluster);
  const std::string topic = "phala/cluster/event";
  m.message.destination = Bytes(topic.begin(), topic.end());
  m.message.payload = Bytes(kPayload);
  for (size_t i = 0; i < kPayload; ++i) m.message.payload[i] = static_cast<uint8_t>(i * 31 + sn);
  m.sn = sn;
  m.prev_hash[0] = static_cast<uint8_t>(sn);
  return m;
}

struct Fixture {
  std::vector<SecretKey> keys;
  std::vector<ClusterMessage> msgs;
  std::vector<H256> hashes;
  std::vector<std::array<Signature, kThreshold>> sigs;

  Fixture() {
    for (size_t k = 0; k < kThreshold; ++k) keys.push_back(SecretKey::generate());
    for (size_t i = 0; i < kMessages; ++i) {
      msgs.push_back(makeMessage(i));
      hashes.push_back(hunter::core::messageHash(msgs.back()));
      std::array<Signature, kThreshold> s{};
      for (size_t k = 0; k < kThreshold; ++k) {
        s[k] = hunter::core::signMessageHash(keys[k], hashes.back());
      }
      sigs.push_back(s);
    }
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void mustRecover(const Signature& sig, const H256& hash) {
  auto pk = hunter::core::recoverMessageSigner(sig, hash);
  if (!pk.ok()) std::abort();
  benchmark::DoNotOptimize(*pk);
}

// One message for the hunter: SCALE-encode + blake2_256 (messageHash) + 3 recoveries.
void BM_HunterFloor(benchmark::State& state) {
  const Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    H256 h = hunter::core::messageHash(f.msgs[i]);
    benchmark::DoNotOptimize(h);
    for (size_t k = 0; k < kThreshold; ++k) mustRecover(f.sigs[i][k], h);
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_HunterFloor);

// One message for the whole system: the workers hash it and sign it 3 times, the hunter and the
// chain each hash it and recover the 3 signers (3 hashes, 3 signatures, 6 recoveries).
void BM_SystemFloor(benchmark::State& state) {
  const Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kThreshold; ++k) {
      H256 h = hunter::core::messageHash(f.msgs[i]);
      Signature s = hunter::core::signMessageHash(f.keys[k], h);
      benchmark::DoNotOptimize(s);
    }
    for (int side = 0; side < 2; ++side) {  // hunter, then chain
      H256 h = hunter::core::messageHash(f.msgs[i]);
      benchmark::DoNotOptimize(h);
      for (size_t k = 0; k < kThreshold; ++k) mustRecover(f.sigs[i][k], h);
    }
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SystemFloor);

void BM_Sign(benchmark::State& state) {
  const Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    Signature s = hunter::core::signMessageHash(f.keys[0], f.hashes[i]);
    benchmark::DoNotOptimize(s);
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Sign);

void BM_Recover(benchmark::State& state) {
  const Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    mustRecover(f.sigs[i][0], f.hashes[i]);
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Recover);

// SCALE encoding + blake2_256 of one 256-byte-payload ClusterMessage.
void BM_MessageHash(benchmark::State& state) {
  const Fixture& f = fixture();
  size_t i = 0;
  for (auto _ : state) {
    H256 h = hunter::core::messageHash(f.msgs[i]);
    benchmark::DoNotOptimize(h);
    i = (i + 1) % kMessages;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_MessageHash);

}  // namespace

BENCHMARK_MAIN();
