#pragma once
// Fakes for the relay's ports (core/ports.hpp) and a harness that wires a Relay to them: no
// network, no database, no clock. Shared by the relay's unit tests.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "hunter/core/memory_store.hpp"
#include "hunter/core/relay.hpp"
#include "hunter/crypto/hash.hpp"

namespace hunter::testing {

using namespace hunter::core;

inline H256 h256(uint8_t b) {
  H256 h{};
  h.fill(b);
  return h;
}

struct FakeClock : Clock {
  int64_t now = 1'000'000;
  int64_t nowMs() override { return now; }
};

// A cluster's message stream; workers hold copies and may diverge.
inline std::vector<HashedMessage> makeStream(const H256& cluster, size_t n, uint8_t salt = 0,
                                             size_t payload_size = 3) {
  std::vector<HashedMessage> out;
  H256 prev{};
  for (size_t i = 0; i < n; ++i) {
    ClusterMessage m;
    m.message.sender = MessageOrigin::cluster(cluster);
    m.message.destination = toBytes("phala/cluster/event");
    m.message.payload = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), salt};
    m.message.payload.resize(std::max<size_t>(payload_size, 3), 0x5a);
    m.sn = i;
    m.prev_hash = prev;
    m.state_root = h256(static_cast<uint8_t>(i));
    H256 h = messageHash(m);
    out.push_back({m, h});
    prev = h;
  }
  return out;
}

struct FakeWorkers : WorkerClient {
  struct W {
    crypto::SecretKey key = crypto::SecretKey::generate();
    std::vector<HashedMessage> msgs;
    bool down = false;
    bool lie_chain = false;  // breaks a prev_hash link in GetClusterMessages
    bool stopped = false;
    bool garbage_sigs = false;
    bool empty_answers = false;  // GetClusterMessages: no messages, yet next_sn as usual
    uint64_t claim_next_sn = 0;  // when set: the next_sn (and pending) it claims, true or not
    std::string version = "1.0.0";
  };
  H256 cluster;
  std::vector<W> w;
  std::vector<std::string> eps;
  size_t sign_calls = 0;
  size_t max_response = 0;           // GetClusterMessages answers over this fail (0 = no limit)
  size_t answered_bytes = 0;         // the largest answer given
  std::vector<size_t> enough_asked;  // signAll's `enough`, per call
  std::vector<std::vector<size_t>> asked;  // per worker: items of each SignClusterMessages
  // signAll may run on the relay's helper threads, never two at once: `overlapped` says if
  // two did. `yields` makes each call last a while, so that an overlap would show.
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  int yields = 0;
  std::mutex calls_mu;
  std::vector<std::pair<size_t, uint64_t>> calls;  // (workers asked, first sn), in call order
  // Runs once, at the start of the next signAll (on the caller's thread when a gathering has
  // a single chunk): for time that passes while the workers sign.
  std::function<void()> on_sign;

  FakeWorkers(const H256& c, size_t m, size_t n) : cluster(c), w(m) {
    auto s = makeStream(c, n);
    for (size_t i = 0; i < m; ++i) {
      w[i].msgs = s;
      eps.push_back("http://w" + std::to_string(i));
    }
  }
  // Every worker now holds the first n messages of the (deterministic) stream.
  void grow(size_t n) {
    auto s = makeStream(cluster, n);
    for (auto& x : w) x.msgs = s;
  }
  void divergeFrom(size_t i, uint64_t sn) {
    auto other = makeStream(cluster, w[i].msgs.size(), 0x77);
    // Same chain up to sn-1, then its own messages linked to the shared prefix.
    H256 prev = sn == 0 ? H256{} : w[i].msgs[sn - 1].hash;
    for (size_t k = sn; k < w[i].msgs.size(); ++k) {
      ClusterMessage m = other[k].msg;
      m.prev_hash = prev;
      w[i].msgs[k] = {m, messageHash(m)};
      prev = w[i].msgs[k].hash;
    }
  }
  const std::vector<std::string>& endpoints() const override { return eps; }
  Result<WorkerInfo> info(size_t i) override {
    if (w[i].down) return makeError("unreachable", eps[i] + ": connection refused");
    if (w[i].version[0] != '1') return makeError("incompatible", eps[i] + ": version 2.0.0");
    uint64_t pending = w[i].claim_next_sn ? w[i].claim_next_sn : w[i].msgs.size();
    return WorkerInfo{"phala-cluster-mq", w[i].version, w[i].key.publicKey(),
                      {cluster},          pending,      w[i].stopped};
  }
  Result<WorkerMessages> fetch(size_t i, const H256&, uint64_t from, uint32_t limit) override {
    if (w[i].down) return makeError("unreachable", eps[i] + ": connection refused");
    if (w[i].stopped) return makeError("stopped", "stopped");
    WorkerMessages r;
    r.next_sn = w[i].claim_next_sn ? w[i].claim_next_sn : w[i].msgs.size();
    for (uint64_t sn = from;
         !w[i].empty_answers && sn < w[i].msgs.size() && r.messages.size() < limit; ++sn) {
      r.messages.push_back(w[i].msgs[sn]);
    }
    if (max_response > 0) {
      size_t bytes = 0;
      for (auto& m : r.messages) {
        bytes += 2 * (m.msg.message.payload.size() + m.msg.message.destination.size()) + 300;
      }
      if (bytes > max_response) return makeError("response_too_large", "answer too large");
      answered_bytes = std::max(answered_bytes, bytes);
    }
    if (w[i].lie_chain && r.messages.size() > 1) {
      r.messages[1].msg.prev_hash = h256(0xee);
      r.messages[1].hash = messageHash(r.messages[1].msg);
    }
    return r;
  }
  std::vector<Result<SignResponse>> signAll(const std::vector<size_t>& ws, const H256&,
                                            const std::vector<SignItem>& items,
                                            size_t enough = SIZE_MAX) override {
    enough_asked.push_back(enough);
    if (on_sign) std::exchange(on_sign, nullptr)();
    if (inside.fetch_add(1) != 0) overlapped = true;
    for (int i = 0; i < yields; ++i) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(calls_mu);
      calls.emplace_back(ws.size(), items.empty() ? 0 : items.front().sn);
    }
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { n.fetch_sub(1); }
    } leave{inside};
    sign_calls++;
    asked.resize(w.size());
    std::vector<Result<SignResponse>> out;
    for (size_t i : ws) {
      asked[i].push_back(items.size());
      if (w[i].down) {
        out.push_back(makeError("timeout", eps[i] + ": timed out"));
        continue;
      }
      if (w[i].stopped) {
        out.push_back(makeError("stopped", "stopped"));
        continue;
      }
      SignResponse r;
      r.public_key = w[i].key.publicKey();
      for (auto& it : items) {
        SignItemResult x;
        x.sn = it.sn;
        if (it.sn >= w[i].msgs.size()) {
          x.code = "unknown_sn";
        } else if (w[i].msgs[it.sn].hash != it.hash) {
          x.code = "diverged";
          x.local_hash = w[i].msgs[it.sn].hash;
        } else if (w[i].garbage_sigs) {
          x.signature = signMessageHash(w[i].key, h256(0x99));  // over another hash
        } else {
          x.signature = signMessageHash(w[i].key, it.hash);
        }
        r.results.push_back(x);
      }
      out.push_back(r);
    }
    return out;
  }
};

// A chain that keeps the queue, acks, nonces and a pool; include() makes a block.
struct FakeChain : ChainClient {
  ChainParams p{1000, 1, h256(0x1e)};
  uint32_t best = 100;
  H256 cluster;
  ClusterInfo info;
  QueueState q;
  std::map<uint64_t, AckRecord> ackmap;
  std::map<crypto::AccountId32, uint32_t> nonces;
  std::vector<DecodedExtrinsic> pool;
  std::vector<Bytes> pool_bytes;
  std::deque<Error> scripted;           // errors for the next submits
  std::function<void()> before_submit;  // runs once, at the start of the next submit
  bool down = false;
  size_t drop_submits = 0;   // the next submits are answered with a hash but never pooled
  size_t fee_failures = 0;   // the next payment_queryInfo calls fail
  bool acks_absent = false;  // a lagging node: every ACK reads as absent
  std::vector<std::optional<H256>> acks_at;  // the block each acks() read named
  std::vector<Bytes> expired_bytes;          // refused as "ancient birth block"
  u128 fee = 5000;
  u128 reward = 1'000'000;
  size_t submits = 0;
  size_t largest_submit = 0;       // bytes of the largest extrinsic submitted
  std::vector<std::string> calls;  // "acks" and "submit", in order
  // When set: answers accountNextIndex (a nonce space shared with other fake chains).
  std::function<Result<uint32_t>(const crypto::AccountId32&)> next_index;
  // When set: told of every extrinsic the pool took.
  std::function<void(const DecodedExtrinsic&)> on_pooled;
  bool head_runtime = false;       // head() carries p's runtime version (as JsonRpcChainClient)
  bool verify_signatures = false;  // submit() refuses a signature not made for p
  int64_t head_age_ms = 0;         // head() answers from a view read this long ago
  // head() names a settled block this many below the best (chain.ack_confirmations), and
  // acks() read at it answer as of it (a block's number is its hash's byte: keep best < 256).
  uint32_t settled_lag = 0;

  Result<ChainHead> head(const H256& c) override {
    HUNTER_TRY(auto h, ChainClient::head(c));
    if (head_runtime) {
      h.spec_version = p.spec_version;
      h.transaction_version = p.transaction_version;
    }
    h.age_ms = head_age_ms;
    if (settled_lag > 0) {
      const uint32_t n = h.best.number - std::min(settled_lag, h.best.number);
      h.settled = BlockRef{n, h256(static_cast<uint8_t>(n))};
    }
    return h;
  }

  Result<ChainParams> params() override {
    if (down) return makeError("unreachable", "chain down");
    return p;
  }
  Result<BlockRef> bestBlock() override {
    if (down) return makeError("unreachable", "chain down");
    return BlockRef{best, h256(static_cast<uint8_t>(best))};
  }
  Result<H256> blockHash(uint32_t n) override { return h256(static_cast<uint8_t>(n)); }
  Result<std::optional<ClusterInfo>> clusterInfo(const H256& c) override {
    if (down) return makeError("unreachable", "chain down");
    if (c != cluster) return std::optional<ClusterInfo>();
    return std::optional<ClusterInfo>(info);
  }
  Result<QueueState> queue(const H256&) override {
    if (down) return makeError("unreachable", "chain down");
    return q;
  }
  uint64_t poolNext() const {
    uint64_t n = q.next_sn;
    for (auto& x : pool) {
      if (x.call.items.front().message.sn == n) n += x.call.items.size();
    }
    return n;
  }
  Result<uint64_t> nextSn(const H256&) override {
    if (down) return makeError("unreachable", "chain down");
    return poolNext();
  }
  Result<std::vector<std::optional<AckRecord>>> acks(const H256&, const std::vector<uint64_t>& sns,
                                                     const std::optional<H256>& at) override {
    calls.push_back("acks");
    acks_at.push_back(at);
    if (down) return makeError("unreachable", "chain down");
    std::vector<std::optional<AckRecord>> out;
    for (auto sn : sns) {
      auto it = acks_absent ? ackmap.end() : ackmap.find(sn);
      if (settled_lag > 0 && at && it != ackmap.end() && it->second.block > (*at)[0]) {
        it = ackmap.end();  // not in the block read at yet
      }
      out.push_back(it == ackmap.end() ? std::nullopt : std::optional<AckRecord>(it->second));
    }
    return out;
  }
  uint32_t poolNonce(const crypto::AccountId32& a) const {
    uint32_t n = nonces.count(a) ? nonces.at(a) : 0;
    for (auto& x : pool) {
      if (x.signer == a && x.extra.nonce == n) n++;
    }
    return n;
  }
  Result<uint32_t> accountNextIndex(const crypto::AccountId32& a) override {
    if (down) return makeError("unreachable", "chain down");
    if (next_index) return next_index(a);
    return poolNonce(a);
  }
  Result<std::optional<AccountInfo>> account(const crypto::AccountId32& a) override {
    if (down) return makeError("unreachable", "chain down");
    if (!nonces.count(a)) return std::optional<AccountInfo>();
    AccountInfo info;
    info.nonce = nonces.at(a);
    return std::optional<AccountInfo>(info);
  }
  Result<u128> hunterRewards(const crypto::AccountId32&) override { return u128{0}; }
  Result<u128> queryFee(const Bytes&) override {
    if (fee_failures > 0) {
      fee_failures--;
      return makeError("timeout", "payment_queryInfo timed out");
    }
    return fee;
  }
  Result<H256> submit(const Bytes& xt) override {
    submits++;
    largest_submit = std::max(largest_submit, xt.size());
    calls.push_back("submit");
    if (before_submit) std::exchange(before_submit, nullptr)();
    if (down) return makeError("unreachable", "chain down");
    if (!scripted.empty()) {
      auto e = scripted.front();
      scripted.pop_front();
      return e;
    }
    auto d = decodeExtrinsic(xt);
    if (!d.ok()) return makeError("1001", d.error().message);
    if (verify_signatures) {
      const H256 eraHash = h256(static_cast<uint8_t>(d->extra.era.birth(best)));
      if (!verifyExtrinsicSignature(*d, p, eraHash).ok()) {
        return makeError("1010", "Transaction has a bad signature");
      }
    }
    for (auto& b : expired_bytes) {
      if (b == xt) return makeError("1010", "Transaction has an ancient birth block");
    }
    for (auto& b : pool_bytes) {
      if (b == xt) return makeError("1013", "Transaction Already Imported");
    }
    uint32_t an = nonces.count(d->signer) ? nonces.at(d->signer) : 0;
    if (d->extra.nonce < an) return makeError("1010", "Transaction is outdated");
    for (auto& x : pool) {
      if (x.signer == d->signer && x.extra.nonce == d->extra.nonce) {
        return makeError("1014", "Priority is too low");
      }
    }
    uint64_t first = d->call.items.front().message.sn;
    if (first < q.next_sn) return makeError("1010", "Transaction is outdated");
    for (auto& item : d->call.items) {
      std::set<crypto::PublicKey> signers;
      for (auto& s : item.signatures) {
        auto pk = recoverMessageSigner(s, messageHash(item.message));
        if (!pk.ok()) return makeError("1010", "Custom error: 2");
        if (std::find(info.workers.begin(), info.workers.end(), *pk) == info.workers.end()) {
          return makeError("1010", "Custom error: 5");
        }
        if (!signers.insert(*pk).second) return makeError("1010", "Custom error: 4");
      }
      if (signers.size() < info.threshold) return makeError("1010", "Custom error: 3");
    }
    if (drop_submits > 0) {
      drop_submits--;
      return txHash(xt);
    }
    pool.push_back(*d);
    pool_bytes.push_back(xt);
    if (on_pooled) on_pooled(*d);
    return txHash(xt);
  }
  // Includes every ready pool transaction, as `hunter` (or its signer).
  size_t include(std::optional<crypto::AccountId32> as = std::nullopt) {
    best++;
    size_t n = 0;
    bool again = true;
    while (again) {
      again = false;
      for (size_t i = 0; i < pool.size(); ++i) {
        auto& x = pool[i];
        uint32_t an = nonces[x.signer];
        if (x.extra.nonce != an || x.call.items.front().message.sn != q.next_sn) continue;
        for (auto& item : x.call.items) {
          H256 h = messageHash(item.message);
          ackmap[item.message.sn] =
              AckRecord{h, item.message.state_root, as.value_or(x.signer), best, reward};
          q = QueueState{item.message.sn + 1, h};
          n++;
        }
        nonces[x.signer]++;
        pool.erase(pool.begin() + static_cast<long>(i));
        pool_bytes.erase(pool_bytes.begin() + static_cast<long>(i));
        again = true;
        break;
      }
    }
    return n;
  }
  // A block that enacts a runtime upgrade: signatures must carry the new versions from now on,
  // and the pool drops what was signed for the old ones (nothing is included).
  void upgradeRuntime() {
    best++;
    p.spec_version++;
    p.transaction_version++;
    pool.clear();
    pool_bytes.clear();
  }
  // Every pool transaction's era ends: the pool drops them, and their bytes are refused from now.
  void expireAll() {
    for (auto& b : pool_bytes) expired_bytes.push_back(b);
    pool.clear();
    pool_bytes.clear();
  }
  // Another hunter includes the honest message sn directly.
  void includeByOther(const HashedMessage& m) {
    best++;
    ackmap[m.msg.sn] = AckRecord{m.hash, m.msg.state_root, h256(0xab), best, reward};
    q = QueueState{m.msg.sn + 1, m.hash};
  }
};

struct Harness {
  H256 cluster = h256(0xc1);
  FakeWorkers workers;
  FakeChain chain;
  MemoryStore store;
  FakeClock clock;
  AccountPool accounts;
  AccountPool* pool = &accounts;  // the relay's; a test may share one among harnesses
  std::vector<RelayEvent> events;
  std::unique_ptr<Relay> relay;
  RelayConfig cfg;

  explicit Harness(size_t m = 4, uint32_t threshold = 3, size_t n = 10, size_t accountsN = 1)
      : workers(h256(0xc1), m, n), accounts(makeKeys(accountsN)) {
    chain.cluster = cluster;
    for (auto& w : workers.w) chain.info.workers.push_back(w.key.publicKey());
    chain.info.threshold = threshold;
    chain.info.reward_per_message = chain.reward;
    cfg.cluster = cluster;
    cfg.name = "test";
    cfg.batch_size = 4;
    cfg.max_in_flight = 2;
    cfg.backoff_base_ms = 100;
    cfg.backoff_max_ms = 1000;
    cfg.lost_after_ms = 5000;
    rebuild();
  }
  static std::vector<crypto::SecretKey> makeKeys(size_t n) {
    std::vector<crypto::SecretKey> k;
    for (size_t i = 0; i < n; ++i) k.push_back(crypto::SecretKey::generate());
    return k;
  }
  void rebuild() {
    relay = std::make_unique<Relay>(
        cfg, workers, chain, store, clock, *pool,
        [this](const RelayEvent& e) { events.push_back(e); }, 42);
  }
  uint64_t count(MsgState s) { return store.countMessages(cluster, {s}).value(); }
  std::vector<OutcomeRecord> outcomes(OutcomeKind k) {
    std::vector<OutcomeRecord> r;
    auto all = store.outcomes(cluster).value();
    for (auto& o : all) {
      if (o.kind == k) r.push_back(o);
    }
    return r;
  }
  // A restart after the process died between storing its one open submission and recording it
  // in the pool: the store says `sending`, the accounts' nonces are forgotten. Returns its id.
  int64_t restartAsIfKilledWhileSending() {
    auto open = store.openSubmissions(cluster).value();
    EXPECT_EQ(open.size(), 1u);
    if (open.empty()) return 0;
    EXPECT_TRUE(store.updateSubmission(open[0].id, SubmissionStatus::kSending, "", 0).ok());
    accounts.invalidateAll();
    rebuild();
    EXPECT_TRUE(relay->start().ok());
    return open[0].id;
  }
  // Rounds and blocks until nothing is open or the budget runs out.
  void settle(int rounds = 20) {
    for (int i = 0; i < rounds; ++i) {
      relay->round();
      chain.include();
      clock.now += 1000;
    }
  }
};

}  // namespace hunter::testing
