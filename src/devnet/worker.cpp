#include "hunter/devnet/worker.hpp"

#include <algorithm>

#include "hunter/adapters/json_text.hpp"
#include "hunter/crypto/hash.hpp"

namespace hunter::devnet {
namespace {

using nlohmann::json;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

ByteSpan sv(std::string_view s) {
  return ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

WorkerReply errorReply(int status, std::string code, std::string message) {
  json j = {{"error", std::move(message)}, {"code", std::move(code)}};
  return WorkerReply{status, j.dump(), {}};
}
WorkerReply badRequest(std::string message) {
  return errorReply(400, "bad_request", std::move(message));
}

// An unsigned integer field; absent -> fallback. Error text names the field.
std::optional<std::string> readU64(const json& obj, const char* field, uint64_t fallback,
                                   uint64_t& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    out = fallback;
    return std::nullopt;
  }
  if (!it->is_number_unsigned()) {
    return std::string("field ") + field + ": expected an unsigned integer";
  }
  out = it->get<uint64_t>();
  return std::nullopt;
}

}  // namespace

// ---- MessageStream ------------------------------------------------------------------------

MessageStream::MessageStream(StreamSpec spec)
    : MessageStream(spec, 0, H256{}, genesisStateRoot(spec), Bytes{}) {}

MessageStream::MessageStream(StreamSpec spec, uint64_t start_sn, const H256& prev_hash,
                             const H256& prev_state_root, Bytes salt)
    : spec_(std::move(spec)),
      salt_(std::move(salt)),
      destination_(toBytes(spec_.destination)),
      base_sn_(start_sn),
      next_sn_(start_sn),
      base_prev_hash_(prev_hash),
      base_prev_root_(prev_state_root),
      last_hash_(prev_hash),
      last_root_(prev_state_root) {
  spec_.payload_size = std::min(spec_.payload_size, core::kMaxPayload);
}

H256 MessageStream::genesisStateRoot(const StreamSpec& spec) {
  codec::Encoder e;
  e.bytes(sv("hunter-devnet/state-root")).bytes(sv(spec.seed)).fixed(spec.cluster);
  return crypto::blake2_256(e.data());
}

StreamEntry MessageStream::generate(uint64_t sn) const {
  codec::Encoder e;
  e.bytes(sv("hunter-devnet/payload")).bytes(sv(spec_.seed)).fixed(spec_.cluster).u64(sn);
  e.bytes(salt_);
  H256 digest = crypto::blake2_256(e.data());

  StreamEntry out;
  core::ClusterMessage& m = out.msg;
  m.message.sender = core::MessageOrigin::cluster(spec_.cluster);
  m.message.destination = destination_;
  Bytes& p = m.message.payload;
  p.resize(spec_.payload_size);
  size_t first = std::min<size_t>(p.size(), digest.size());
  std::copy_n(digest.begin(), first, p.begin());
  uint64_t state = le64(digest.data()) ^ le64(digest.data() + 8) ^ le64(digest.data() + 16) ^
                   le64(digest.data() + 24);
  for (size_t i = first; i < p.size(); i += 8) {
    uint64_t r = splitmix64(state);
    for (size_t k = 0; k < 8 && i + k < p.size(); ++k)
      p[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  m.sn = sn;
  m.prev_hash = last_hash_;
  // The message hash covers the state root, so the root folds in the message's content digest
  // (which differs between forks) rather than its hash.
  codec::Encoder r;
  r.fixed(last_root_).fixed(digest).u64(sn);
  m.state_root = crypto::blake2_256(r.data());
  out.hash = core::messageHash(m);
  return out;
}

uint64_t MessageStream::produceUpTo(uint64_t n) {
  uint64_t made = 0;
  while (next_sn_ < n && entries_.size() < spec_.max_pending) {
    auto e = std::make_shared<StreamEntry>(generate(next_sn_));
    last_hash_ = e->hash;
    last_root_ = e->msg.state_root;
    entries_.push_back(std::move(e));
    ++next_sn_;
    ++made;
  }
  return made;
}

EntryPtr MessageStream::get(uint64_t sn) const {
  if (sn < base_sn_ || sn >= next_sn_) return nullptr;
  return entries_[sn - base_sn_];
}

std::vector<EntryPtr> MessageStream::range(uint64_t from, uint64_t limit) const {
  std::vector<EntryPtr> out;
  uint64_t sn = std::max(from, base_sn_);
  while (sn < next_sn_ && out.size() < limit) out.push_back(entries_[sn++ - base_sn_]);
  return out;
}

void MessageStream::purgeThrough(uint64_t sn) {
  while (!entries_.empty() && base_sn_ <= sn) {
    base_prev_hash_ = entries_.front()->hash;
    base_prev_root_ = entries_.front()->msg.state_root;
    entries_.pop_front();
    ++base_sn_;
  }
}

std::pair<H256, H256> MessageStream::linkBefore(uint64_t sn) const {
  if (sn > base_sn_ && sn <= next_sn_) {
    const auto& e = entries_[sn - 1 - base_sn_];
    return {e->hash, e->msg.state_root};
  }
  return {base_prev_hash_, base_prev_root_};
}

// ---- WorkerFaults -------------------------------------------------------------------------

json WorkerFaults::toJson() const {
  json j = {{"offline", offline},
            {"slow_ms", slow_ms},
            {"flaky_rate", flaky_rate},
            {"garbage", garbage},
            {"bad_signatures", bad_signatures},
            {"empty_messages", empty_messages},
            {"diverge_from", nullptr}};
  if (diverge_from) j["diverge_from"] = *diverge_from;
  return j;
}

// ---- DevWorker ----------------------------------------------------------------------------

DevWorker::DevWorker(DevCluster& cluster, size_t index, crypto::SecretKey key)
    : cluster_(cluster),
      index_(index),
      key_(std::move(key)),
      public_key_(key_.publicKey()),
      rng_state_(le64(public_key_.data() + 1)) {}

EntryPtr DevWorker::entryLocked(uint64_t sn) const {
  if (fork_ && sn >= fork_start_) return fork_->get(sn);
  return cluster_.stream_.get(sn);
}

void DevWorker::ensureForkLocked() {
  const MessageStream& honest = cluster_.stream_;
  if (!faults_.diverge_from) {
    fork_.reset();
    return;
  }
  if (!fork_) {
    uint64_t k = *faults_.diverge_from;
    // Cannot fork before the message before K exists; until then this worker is honest.
    if (k > honest.produced()) return;
    uint64_t start = std::max(k, honest.oldest());
    auto [prev_hash, prev_root] = honest.linkBefore(start);
    codec::Encoder salt;
    salt.bytes(sv("diverged")).u32(static_cast<uint32_t>(index_)).u64(k);
    fork_ =
        std::make_unique<MessageStream>(cluster_.spec_, start, prev_hash, prev_root, salt.take());
    fork_start_ = start;
  }
  fork_->produceUpTo(honest.produced());
}

std::optional<H256> DevWorker::hashAt(uint64_t sn) const {
  std::lock_guard lock(cluster_.mu_);
  auto e = entryLocked(sn);
  if (!e) return std::nullopt;
  return e->hash;
}

crypto::Signature DevWorker::signHash(const H256& hash) const {
  return core::signMessageHash(key_, hash);
}

void DevWorker::setFaults(const WorkerFaults& faults) {
  std::lock_guard lock(cluster_.mu_);
  if (faults.diverge_from != faults_.diverge_from) fork_.reset();
  faults_ = faults;
  faults_.flaky_rate = std::clamp(faults_.flaky_rate, 0.0, 1.0);
  ensureForkLocked();
}

WorkerFaults DevWorker::faults() const {
  std::lock_guard lock(cluster_.mu_);
  return faults_;
}

bool DevWorker::stopped() const {
  std::lock_guard lock(cluster_.mu_);
  return stopped_;
}

WorkerReply DevWorker::handlePath(std::string_view path, std::string_view body) {
  constexpr std::string_view kPrefix = "/prpc/PhactoryAPI.";
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    WorkerReply r = errorReply(404, "not_found", "unknown path " + std::string(path));
    r.delay = std::chrono::milliseconds(faults().slow_ms);
    return r;
  }
  return handle(path.substr(kPrefix.size()), body);
}

WorkerReply DevWorker::handle(std::string_view method, std::string_view body) {
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(cluster_.mu_);
    delay = std::chrono::milliseconds(faults_.slow_ms);
    if (faults_.offline) {
      return WorkerReply{503, R"({"error":"worker offline","code":"offline"})", delay};
    }
    if (faults_.flaky_rate > 0.0) {
      double draw = static_cast<double>(splitmix64(rng_state_) >> 11) * 0x1.0p-53;
      if (draw < faults_.flaky_rate) {
        WorkerReply r = errorReply(500, "internal", "injected fault: flaky worker");
        r.delay = delay;
        return r;
      }
    }
    if (faults_.garbage) return WorkerReply{200, "{not json", delay};
  }

  WorkerReply reply;
  try {
    json req = json::object();
    if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      req = json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (req.is_discarded()) {
        reply = badRequest("request body is not valid JSON");
      } else if (!req.is_object()) {
        reply = badRequest("request body must be a JSON object");
      }
    }
    if (reply.body.empty()) {
      if (method == "GetClusterInfo") {
        reply = info();
      } else if (method == "GetClusterMessages") {
        reply = messages(req);
      } else if (method == "SignClusterMessages") {
        reply = sign(req);
      } else {
        reply = errorReply(404, "not_found", "unknown method " + std::string(method));
      }
    }
  } catch (const std::exception& e) {
    reply = errorReply(500, "internal", std::string("internal error: ") + e.what());
  }
  reply.delay = delay;
  return reply;
}

WorkerReply DevWorker::info() {
  json j = {{"protocol", kProtocolName},
            {"version", kProtocolVersion},
            {"public_key", toHex(public_key_)},
            {"clusters", json::array({toHex(cluster_.id())})}};
  std::lock_guard lock(cluster_.mu_);
  const MessageStream& s = cluster_.stream_;
  j["pending_messages"] = s.produced() - s.oldest();
  j["next_sn"] = s.produced();
  if (stopped_) j["stopped"] = true;
  return WorkerReply{200, adapters::jsonText(j), {}};
}

namespace {
// Parses "cluster" and checks it is ours. Returns an error reply or nullopt.
std::optional<WorkerReply> checkCluster(const json& req, const H256& id) {
  auto it = req.find("cluster");
  if (it == req.end() || !it->is_string()) {
    return badRequest("field cluster: expected a 0x-hex cluster id");
  }
  auto cluster = fixedFromHex<32>(it->get<std::string>(), "field cluster");
  if (!cluster.ok()) return badRequest(cluster.error().message);
  if (*cluster != id) {
    return errorReply(500, "unknown_cluster", "unknown cluster " + toHex(*cluster));
  }
  return std::nullopt;
}
}  // namespace

WorkerReply DevWorker::messages(const json& req) {
  uint64_t from = 0, limit = 0;
  if (auto err = readU64(req, "from_sn", 0, from)) return badRequest(*err);
  if (auto err = readU64(req, "limit", kDefaultLimit, limit)) return badRequest(*err);
  if (limit > kMaxLimit) {
    return badRequest("field limit: " + std::to_string(limit) + " is over the maximum " +
                      std::to_string(kMaxLimit));
  }
  if (auto err = checkCluster(req, cluster_.id())) return *err;

  std::vector<EntryPtr> out;
  uint64_t next_sn = 0;
  {
    std::lock_guard lock(cluster_.mu_);
    if (stopped_)
      return errorReply(500, "stopped", "worker stopped itself after a contradicting ACK");
    ensureForkLocked();
    const MessageStream& s = cluster_.stream_;
    next_sn = faults_.empty_messages ? from : s.produced();
    uint64_t sn = std::max(from, s.oldest());
    out.reserve(static_cast<size_t>(std::min<uint64_t>(limit, next_sn > sn ? next_sn - sn : 0)));
    for (; sn < next_sn && out.size() < limit; ++sn) {
      auto e = entryLocked(sn);
      if (!e) break;  // cannot happen: honest and fork hold the same sns
      out.push_back(std::move(e));
    }
  }
  // Written directly, byte for byte what jsonText(entryJson(...)) writes: a 4,096-message answer
  // built as a JSON tree first cost the devnet more than the hunter's parsing of it.
  std::string body = "{\"messages\":[";
  body.reserve(64 +
               out.size() * (300 + 2 * (out.empty() ? 0 : out[0]->msg.message.payload.size())));
  for (size_t i = 0; i < out.size(); ++i) {
    const StreamEntry& e = *out[i];
    body += i == 0 ? "{\"destination\":\"" : ",{\"destination\":\"";
    appendHex(body, e.msg.message.destination);
    body += "\",\"hash\":\"";
    appendHex(body, e.hash);
    body += "\",\"payload\":\"";
    appendHex(body, e.msg.message.payload);
    body += "\",\"prev_hash\":\"";
    appendHex(body, e.msg.prev_hash);
    body += "\",\"sn\":";
    body += std::to_string(e.msg.sn);
    body += ",\"state_root\":\"";
    appendHex(body, e.msg.state_root);
    body += "\"}";
  }
  body += "],\"next_sn\":";
  body += std::to_string(next_sn);
  body += "}";
  return WorkerReply{200, std::move(body), {}};
}

WorkerReply DevWorker::sign(const json& req) {
  auto it = req.find("items");
  if (it == req.end() || !it->is_array()) return badRequest("field items: expected an array");
  if (it->size() > kMaxSignItems) {
    return badRequest("field items: " + std::to_string(it->size()) + " items is over the maximum " +
                      std::to_string(kMaxSignItems));
  }
  struct Item {
    uint64_t sn;
    H256 hash;
    std::optional<H256> local;
  };
  std::vector<Item> items;
  items.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& x = (*it)[i];
    std::string where = "items[" + std::to_string(i) + "]";
    if (!x.is_object()) return badRequest(where + ": expected an object");
    uint64_t sn = 0;
    auto sn_it = x.find("sn");
    if (sn_it == x.end()) return badRequest(where + ".sn: missing");
    if (auto err = readU64(x, "sn", 0, sn)) return badRequest(where + ": " + *err);
    auto h_it = x.find("hash");
    if (h_it == x.end() || !h_it->is_string()) {
      return badRequest(where + ".hash: expected a 0x-hex hash");
    }
    auto hash = fixedFromHex<32>(h_it->get<std::string>(), where + ".hash");
    if (!hash.ok()) return badRequest(hash.error().message);
    items.push_back(Item{sn, *hash, std::nullopt});
  }
  if (auto err = checkCluster(req, cluster_.id())) return *err;

  bool bad_signatures = false;
  {
    std::lock_guard lock(cluster_.mu_);
    if (stopped_)
      return errorReply(500, "stopped", "worker stopped itself after a contradicting ACK");
    ensureForkLocked();
    bad_signatures = faults_.bad_signatures;
    for (auto& item : items) {
      if (auto e = entryLocked(item.sn)) item.local = e->hash;
    }
  }

  // Signing is the expensive part: outside the lock. The answer is written directly (as
  // jsonText of the same tree would write it), not built as a JSON tree first.
  std::string body = "{\"public_key\":\"";
  appendHex(body, public_key_);
  body += "\",\"results\":[";
  body.reserve(body.size() + items.size() * 170);
  bool first = true;
  for (const auto& item : items) {
    if (!first) body += ',';
    first = false;
    if (!item.local) {
      adapters::appendJsonText(
          body, json{{"sn", item.sn},
                     {"error", "no message with this sn (not produced yet, or purged)"},
                     {"code", "unknown_sn"}});
    } else if (*item.local != item.hash) {
      adapters::appendJsonText(body, json{{"sn", item.sn},
                                          {"error", "local hash differs"},
                                          {"code", "diverged"},
                                          {"local_hash", toHex(*item.local)}});
    } else {
      H256 signed_hash = item.hash;
      if (bad_signatures) {
        codec::Encoder e;
        e.bytes(sv("hunter-devnet/bad-signature")).fixed(item.hash);
        signed_hash = crypto::blake2_256(e.data());
      }
      body += "{\"signature\":\"";
      appendHex(body, core::signMessageHash(key_, signed_hash));
      body += "\",\"sn\":";
      body += std::to_string(item.sn);
      body += '}';
    }
  }
  body += "]}";
  return WorkerReply{200, std::move(body), {}};
}

// ---- DevCluster ---------------------------------------------------------------------------

crypto::SecretKey DevCluster::workerKey(const std::string& seed, const H256& cluster,
                                        size_t index) {
  for (uint32_t attempt = 0;; ++attempt) {
    codec::Encoder e;
    e.bytes(sv("hunter-devnet/worker-key")).bytes(sv(seed)).fixed(cluster);
    e.u32(static_cast<uint32_t>(index)).u32(attempt);
    H256 secret = crypto::blake2_256(e.data());
    auto key = crypto::SecretKey::fromBytes(secret);
    if (key.ok()) return *key;  // fails with probability ~2^-128
  }
}

DevCluster::DevCluster(StreamSpec spec, size_t worker_count)
    : spec_(std::move(spec)), stream_(spec_) {
  spec_.payload_size = std::min(spec_.payload_size, core::kMaxPayload);
  workers_.reserve(worker_count);
  for (size_t i = 0; i < worker_count; ++i) {
    workers_.push_back(std::unique_ptr<DevWorker>(
        new DevWorker(*this, i, workerKey(spec_.seed, spec_.cluster, i))));
  }
}

std::vector<crypto::PublicKey> DevCluster::workerKeys() const {
  std::vector<crypto::PublicKey> out;
  for (const auto& w : workers_) out.push_back(w->publicKey());
  return out;
}

void DevCluster::produceUpTo(uint64_t n) {
  std::lock_guard lock(mu_);
  stream_.produceUpTo(n);
  for (auto& w : workers_) {
    if (w->faults_.diverge_from) w->ensureForkLocked();
  }
}

uint64_t DevCluster::produced() const {
  std::lock_guard lock(mu_);
  return stream_.produced();
}

uint64_t DevCluster::oldestHeld() const {
  std::lock_guard lock(mu_);
  return stream_.oldest();
}

EntryPtr DevCluster::honest(uint64_t sn) const {
  std::lock_guard lock(mu_);
  return stream_.get(sn);
}

void DevCluster::onAck(uint64_t sn, const core::AckRecord& ack) {
  std::lock_guard lock(mu_);
  for (auto& w : workers_) {
    if (w->faults_.diverge_from) w->ensureForkLocked();
    auto own = w->entryLocked(sn);
    if (own && own->hash != ack.hash) w->stopped_ = true;
  }
  stream_.purgeThrough(sn);
  for (auto& w : workers_) {
    if (w->fork_) w->fork_->purgeThrough(sn);
  }
}

nlohmann::json DevCluster::stateJson() const {
  std::lock_guard lock(mu_);
  json workers = json::array();
  for (const auto& w : workers_) {
    workers.push_back({{"index", w->index_},
                       {"public_key", toHex(w->public_key_)},
                       {"stopped", w->stopped_},
                       {"faults", w->faults_.toJson()}});
  }
  return json{{"id", toHex(spec_.cluster)},
              {"produced", stream_.produced()},
              {"held_from", stream_.oldest()},
              {"pending", stream_.produced() - stream_.oldest()},
              {"workers", std::move(workers)}};
}

}  // namespace hunter::devnet
