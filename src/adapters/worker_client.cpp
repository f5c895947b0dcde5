#include "hunter/adapters/worker_client.hpp"
#include "hunter/adapters/json_scan.hpp"
#include "hunter/adapters/json_text.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace hunter::adapters {
namespace {

using json = nlohmann::json;

constexpr const char* kProtocol = "phala-cluster-mq";

const char* typeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unknown value";
  }
}

// Reads fields out of one worker response; every error is "bad_response" naming the worker and
// the field path.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  Error bad(const std::string& path, const std::string& problem) const {
    return makeError("bad_response", where_ + ": " + (path.empty() ? "" : path + ": ") + problem);
  }

  Result<json> parse(const std::string& body) const {
    json doc;
    try {
      doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    } catch (const std::exception& e) {  // allocation failures; parse errors do not throw
      return bad("", std::string("invalid JSON: ") + e.what());
    }
    if (doc.is_discarded())
      return bad("", "invalid JSON (" + std::to_string(body.size()) + " bytes)");
    if (!doc.is_object()) return bad("", std::string("expected an object, got ") + typeName(doc));
    return doc;
  }

  // A required member (null counts as missing).
  Result<const json*> member(const json& obj, const char* key, const std::string& path) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return bad(path, "missing");
    return &*it;
  }
  // An optional member: nullptr when absent or null.
  static const json* optional(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  Result<std::string> str(const json& v, const std::string& path) const {
    if (!v.is_string()) return bad(path, std::string("expected a string, got ") + typeName(v));
    return v.get<std::string>();
  }

  // A non-negative integer: a JSON integer, or a decimal string.
  Result<uint64_t> u64(const json& v, const std::string& path) const {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) {
      return bad(path, "expected a non-negative integer, got " + std::to_string(v.get<int64_t>()));
    }
    if (v.is_string()) {
      auto s = v.get<std::string>();
      auto n = u64FromString(s, "x");
      if (!n.ok())
        return bad(path, "expected a non-negative integer, got \"" + quotePeerText(s) + "\"");
      return *n;
    }
    if (v.is_number_float()) return bad(path, "expected a non-negative integer, got " + v.dump());
    return bad(path, std::string("expected a non-negative integer, got ") + typeName(v));
  }

  Result<bool> boolean(const json& v, const std::string& path) const {
    if (!v.is_boolean()) return bad(path, std::string("expected a boolean, got ") + typeName(v));
    return v.get<bool>();
  }

  Result<Bytes> bytes(const json& v, const std::string& path) const {
    HUNTER_TRY(std::string s, str(v, path));
    auto b = fromHex(s, path);
    if (!b.ok()) return makeError("bad_response", where_ + ": " + b.error().message);
    return std::move(b).value();
  }

  template <size_t N>
  Result<FixedBytes<N>> fixed(const json& v, const std::string& path) const {
    HUNTER_TRY(std::string s, str(v, path));
    auto b = fixedFromHex<N>(s, path);
    if (!b.ok()) return makeError("bad_response", where_ + ": " + b.error().message);
    return *b;
  }

  Result<crypto::PublicKey> publicKey(const json& v, const std::string& path) const {
    HUNTER_TRY(auto pk, fixed<33>(v, path));
    if (!crypto::isValidPublicKey(pk)) return bad(path, "not a valid compressed secp256k1 key");
    return pk;
  }

  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

// Maps a non-2xx reply: the worker's {"error", "code"} body when it has one.
Error httpError(const std::string& where, const char* method, const HttpReply& reply) {
  std::string code;
  std::string text;
  try {
    auto doc = json::parse(reply.body, nullptr, false);
    if (doc.is_object()) {
      if (auto it = doc.find("code"); it != doc.end() && it->is_string())
        code = it->get<std::string>();
      if (auto it = doc.find("error"); it != doc.end() && it->is_string())
        text = it->get<std::string>();
    }
  } catch (const std::exception&) {
  }
  std::string message = where + ": " + method + ": HTTP " + std::to_string(reply.status);
  if (!code.empty()) message += " (" + quotePeerText(code) + ")";
  if (!text.empty()) message += ": " + quotePeerText(text);
  if (code == "stopped" || code == "unknown_cluster") return makeError(code, message);
  if (reply.status == 400) return makeError("bad_request", message);
  return makeError("http_" + std::to_string(reply.status), message);
}

bool isSuccess(long status) { return status >= 200 && status < 300; }

// "1.2.3" -> 1; nullopt unless it starts with decimal digits followed by '.' or the end.
std::optional<uint64_t> majorVersion(const std::string& v) {
  size_t dot = v.find('.');
  std::string major = v.substr(0, dot);
  if (major.empty() || major.size() > 9) return std::nullopt;
  auto n = u64FromString(major);
  if (!n.ok()) return std::nullopt;
  return *n;
}

// ---- The fast path for the two large replies ----------------------------------------------------
// GetClusterMessages and SignClusterMessages replies are most of what the hunter reads (a 4,096-
// message reply is about 3 MB), and building nlohmann's tree for them (a std::map per object, a
// string per value, filled a character at a time) cost more than the hunter's hashing. The
// readers below take their usual shape with detail::Scan (json_scan.hpp); at anything else (an
// escape, a null, a float, a decimal-string sn, a duplicate member, a refusal item, or any check
// that fails) they give up and the reply goes through the general parser above. So the fast path
// decides only how quickly a reply is read, never whether it is accepted or what an error says
// (fuzz_worker_response and the unit tests compare the two).
using detail::firstTime;
using detail::Scan;
using detail::scanArray;
using detail::scanObject;
using detail::u64Once;

bool hexInto(Scan& s, Bytes& out) {
  auto v = s.str();
  if (!v) return false;
  auto b = fromHex(*v);
  if (!b.ok()) return false;
  out = std::move(b).value();
  return true;
}

template <size_t N>
bool hexInto(Scan& s, FixedBytes<N>& out) {
  auto v = s.str();
  if (!v) return false;
  auto b = fixedFromHex<N>(*v);
  if (!b.ok()) return false;
  out = *b;
  return true;
}

std::optional<core::WorkerMessages> fastMessages(std::string_view body, const H256& cluster,
                                                 uint64_t from_sn, uint32_t limit) {
  Scan s(body);
  core::WorkerMessages out;
  const auto sender = core::MessageOrigin::cluster(cluster);
  unsigned top = 0;
  bool ok = scanObject(s, [&](std::string_view key) {
    if (key == "messages") {
      if (!firstTime(top, 1)) return false;
      return scanArray(s, [&] {
        if (out.messages.size() >= limit) return false;
        core::HashedMessage hm;
        hm.msg.message.sender = sender;
        unsigned seen = 0;
        bool m = scanObject(s, [&](std::string_view k) {
          if (k == "sn") return u64Once(s, seen, 1, hm.msg.sn);
          if (k == "destination")
            return firstTime(seen, 2) && hexInto(s, hm.msg.message.destination);
          if (k == "payload") return firstTime(seen, 4) && hexInto(s, hm.msg.message.payload);
          if (k == "prev_hash") return firstTime(seen, 8) && hexInto(s, hm.msg.prev_hash);
          if (k == "state_root") return firstTime(seen, 16) && hexInto(s, hm.msg.state_root);
          if (k == "hash") return firstTime(seen, 32) && hexInto(s, hm.hash);
          return s.skip();
        });
        if (!m || seen != 63) return false;
        if (out.messages.empty() ? hm.msg.sn < from_sn
                                 : hm.msg.sn != out.messages.back().msg.sn + 1 ||
                                       out.messages.back().msg.sn == UINT64_MAX) {
          return false;
        }
        out.messages.push_back(std::move(hm));
        return true;
      });
    }
    if (key == "next_sn") return u64Once(s, top, 2, out.next_sn);
    return s.skip();
  });
  if (!ok || !s.end() || top != 3) return std::nullopt;
  if (!out.messages.empty() && out.next_sn <= out.messages.back().msg.sn) return std::nullopt;
  return out;
}

std::optional<core::SignResponse> fastSign(std::string_view body,
                                           const std::unordered_set<uint64_t>& asked) {
  Scan s(body);
  core::SignResponse out;
  std::unordered_set<uint64_t> seenSns;
  unsigned top = 0;
  bool ok = scanObject(s, [&](std::string_view key) {
    if (key == "public_key") {
      crypto::PublicKey pk{};
      if (!firstTime(top, 1) || !hexInto(s, pk) || !crypto::isValidPublicKey(pk)) return false;
      out.public_key = pk;
      return true;
    }
    if (key == "results") {
      if (!firstTime(top, 2)) return false;
      return scanArray(s, [&] {
        if (out.results.size() >= asked.size()) return false;
        core::SignItemResult res;
        crypto::Signature sig{};
        unsigned seen = 0;
        bool m = scanObject(s, [&](std::string_view k) {
          if (k == "sn") return u64Once(s, seen, 1, res.sn);
          if (k == "signature") return firstTime(seen, 2) && hexInto(s, sig);
          return s.skip();
        });
        if (!m || seen != 3 || !asked.contains(res.sn) || !seenSns.insert(res.sn).second) {
          return false;
        }
        res.signature = sig;
        out.results.push_back(std::move(res));
        return true;
      });
    }
    return s.skip();
  });
  if (!ok || !s.end() || top != 3) return std::nullopt;
  return out;
}

Result<core::WorkerInfo> parseInfo(const Reader& r, const HttpReply& reply) {
  HUNTER_TRY(json doc, r.parse(reply.body));
  core::WorkerInfo info;
  HUNTER_TRY(const json* protocol, r.member(doc, "protocol", "protocol"));
  HUNTER_TRY(info.protocol, r.str(*protocol, "protocol"));
  HUNTER_TRY(const json* version, r.member(doc, "version", "version"));
  HUNTER_TRY(info.version, r.str(*version, "version"));
  auto major = majorVersion(info.version);
  if (info.protocol != kProtocol || major != 1u) {
    return makeError("incompatible", r.where() + ": speaks protocol \"" +
                                         quotePeerText(info.protocol) + "\" version \"" +
                                         quotePeerText(info.version) + "\"; the hunter needs " +
                                         kProtocol + " 1.x");
  }
  HUNTER_TRY(const json* pk, r.member(doc, "public_key", "public_key"));
  HUNTER_TRY(info.public_key, r.publicKey(*pk, "public_key"));
  HUNTER_TRY(const json* clusters, r.member(doc, "clusters", "clusters"));
  if (!clusters->is_array()) {
    return r.bad("clusters", std::string("expected an array, got ") + typeName(*clusters));
  }
  for (size_t i = 0; i < clusters->size(); ++i) {
    HUNTER_TRY(H256 c, r.fixed<32>((*clusters)[i], "clusters[" + std::to_string(i) + "]"));
    info.clusters.push_back(c);
  }
  HUNTER_TRY(const json* pending, r.member(doc, "pending_messages", "pending_messages"));
  HUNTER_TRY(info.pending_messages, r.u64(*pending, "pending_messages"));
  if (const json* stopped = Reader::optional(doc, "stopped")) {
    HUNTER_TRY(info.stopped, r.boolean(*stopped, "stopped"));
  }
  return info;
}

Result<core::WorkerMessages> parseMessages(const Reader& r, const HttpReply& reply,
                                           const H256& cluster, uint64_t from_sn, uint32_t limit,
                                           bool fast) {
  if (fast) {
    if (auto out = fastMessages(reply.body, cluster, from_sn, limit)) return std::move(*out);
  }
  HUNTER_TRY(json doc, r.parse(reply.body));
  core::WorkerMessages out;
  HUNTER_TRY(const json* msgs, r.member(doc, "messages", "messages"));
  if (!msgs->is_array()) {
    return r.bad("messages", std::string("expected an array, got ") + typeName(*msgs));
  }
  if (msgs->size() > limit) {
    return r.bad("messages", std::to_string(msgs->size()) + " messages, more than the limit " +
                                 std::to_string(limit));
  }
  out.messages.reserve(msgs->size());
  const auto sender = core::MessageOrigin::cluster(cluster);
  for (size_t i = 0; i < msgs->size(); ++i) {
    const json& m = (*msgs)[i];
    const std::string path = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return r.bad(path, std::string("expected an object, got ") + typeName(m));
    core::HashedMessage hm;
    hm.msg.message.sender = sender;
    HUNTER_TRY(const json* sn, r.member(m, "sn", path + ".sn"));
    HUNTER_TRY(hm.msg.sn, r.u64(*sn, path + ".sn"));
    if (i == 0 && hm.msg.sn < from_sn) {
      return r.bad(path + ".sn",
                   std::to_string(hm.msg.sn) + " is below from_sn " + std::to_string(from_sn));
    }
    if (i > 0) {
      uint64_t prev = out.messages.back().msg.sn;
      if (prev == UINT64_MAX || hm.msg.sn != prev + 1) {
        return r.bad(path + ".sn", std::to_string(hm.msg.sn) + " does not follow " +
                                       std::to_string(prev) + " (not ascending and contiguous)");
      }
    }
    HUNTER_TRY(const json* dest, r.member(m, "destination", path + ".destination"));
    HUNTER_TRY(hm.msg.message.destination, r.bytes(*dest, path + ".destination"));
    HUNTER_TRY(const json* payload, r.member(m, "payload", path + ".payload"));
    HUNTER_TRY(hm.msg.message.payload, r.bytes(*payload, path + ".payload"));
    HUNTER_TRY(const json* prev_hash, r.member(m, "prev_hash", path + ".prev_hash"));
    HUNTER_TRY(hm.msg.prev_hash, r.fixed<32>(*prev_hash, path + ".prev_hash"));
    HUNTER_TRY(const json* state_root, r.member(m, "state_root", path + ".state_root"));
    HUNTER_TRY(hm.msg.state_root, r.fixed<32>(*state_root, path + ".state_root"));
    HUNTER_TRY(const json* hash, r.member(m, "hash", path + ".hash"));
    HUNTER_TRY(hm.hash, r.fixed<32>(*hash, path + ".hash"));
    out.messages.push_back(std::move(hm));
  }
  HUNTER_TRY(const json* next_sn, r.member(doc, "next_sn", "next_sn"));
  HUNTER_TRY(out.next_sn, r.u64(*next_sn, "next_sn"));
  if (!out.messages.empty() && out.next_sn <= out.messages.back().msg.sn) {
    return r.bad("next_sn", std::to_string(out.next_sn) + " but the messages reach sn " +
                                std::to_string(out.messages.back().msg.sn));
  }
  return out;
}

// One SignClusterMessages reply; `asked` are the sns of that request.
Result<core::SignResponse> parseSign(const Reader& r, const HttpReply& reply,
                                     const std::unordered_set<uint64_t>& asked, bool fast) {
  if (fast) {
    if (auto out = fastSign(reply.body, asked)) return std::move(*out);
  }
  HUNTER_TRY(json doc, r.parse(reply.body));
  core::SignResponse out;
  HUNTER_TRY(const json* pk, r.member(doc, "public_key", "public_key"));
  HUNTER_TRY(out.public_key, r.publicKey(*pk, "public_key"));
  HUNTER_TRY(const json* results, r.member(doc, "results", "results"));
  if (!results->is_array()) {
    return r.bad("results", std::string("expected an array, got ") + typeName(*results));
  }
  if (results->size() > asked.size()) {
    return r.bad("results", std::to_string(results->size()) + " results for " +
                                std::to_string(asked.size()) + " items");
  }
  std::unordered_set<uint64_t> seen;
  out.results.reserve(results->size());
  for (size_t i = 0; i < results->size(); ++i) {
    const json& item = (*results)[i];
    const std::string path = "results[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      return r.bad(path, std::string("expected an object, got ") + typeName(item));
    }
    core::SignItemResult res;
    HUNTER_TRY(const json* sn, r.member(item, "sn", path + ".sn"));
    HUNTER_TRY(res.sn, r.u64(*sn, path + ".sn"));
    if (!asked.contains(res.sn)) {
      return r.bad(path + ".sn", std::to_string(res.sn) + " was not asked for");
    }
    if (!seen.insert(res.sn).second) {
      return r.bad(path + ".sn", std::to_string(res.sn) + " answered twice");
    }
    if (const json* sig = Reader::optional(item, "signature")) {
      HUNTER_TRY(res.signature, r.fixed<65>(*sig, path + ".signature"));
    } else {
      HUNTER_TRY(const json* code, r.member(item, "code", path + ".code"));
      HUNTER_TRY(res.code, r.str(*code, path + ".code"));
      if (res.code.empty()) return r.bad(path + ".code", "empty, and no signature");
      if (const json* error = Reader::optional(item, "error")) {
        HUNTER_TRY(res.error, r.str(*error, path + ".error"));
      }
      if (const json* local = Reader::optional(item, "local_hash")) {
        HUNTER_TRY(res.local_hash, r.fixed<32>(*local, path + ".local_hash"));
      }
    }
    out.results.push_back(std::move(res));
  }
  return out;
}

}  // namespace

HttpWorkerClient::HttpWorkerClient(std::vector<std::string> endpoints, WorkerClientOptions options)
    : endpoints_(std::move(endpoints)), options_(options), latency_(endpoints_.size()) {
  for (auto& e : endpoints_) {
    while (!e.empty() && e.back() == '/') e.pop_back();
    names_.push_back(redactUrl(e));
  }
  options_.sign_batch = std::clamp<size_t>(options_.sign_batch, 1, kMaxLimit);
  http_.setCaFile(options_.ca_file);
  sign_http_.setCaFile(options_.ca_file);
}

Result<HttpReply> HttpWorkerClient::post(const HttpCall& c) {
  return options_.transport ? options_.transport(c) : http_.post(c);
}

HttpWorkerClient::~HttpWorkerClient() = default;

// A transport error ("POST <url>: <detail>") as "worker <name>: <method>: <detail>", so that the
// worker is named once, the way every other error of this client names it.
static Error transportError(const std::string& name, const char* method, const HttpCall& call,
                            Error e) {
  const std::string prefix = "POST " + redactUrl(call.url) + ": ";
  std::string detail =
      e.message.rfind(prefix, 0) == 0 ? e.message.substr(prefix.size()) : e.message;
  e.message = "worker " + name + ": " + method + ": " + detail;
  return e;
}

std::string HttpWorkerClient::url(size_t worker, const char* method) const {
  return endpoints_[worker] + "/prpc/PhactoryAPI." + method + "?json";
}

HttpCall HttpWorkerClient::call(size_t worker, const char* method, std::string body) const {
  HttpCall c;
  c.url = url(worker, method);
  c.body = std::move(body);
  c.timeout = options_.timeout;
  c.max_response = options_.max_response;
  c.min_rate = options_.min_rate;
  c.min_rate_window = options_.min_rate_window;
  return c;
}

void HttpWorkerClient::noteLatency(size_t worker, std::chrono::microseconds elapsed) {
  std::lock_guard lock(latency_mutex_);
  latency_[worker] = elapsed;
}

std::chrono::microseconds HttpWorkerClient::lastLatency(size_t worker) const {
  std::lock_guard lock(latency_mutex_);
  return worker < latency_.size() ? latency_[worker] : std::chrono::microseconds{0};
}

static Error badWorker(size_t worker, size_t count) {
  return makeError("bad_worker", "worker index " + std::to_string(worker) + " out of range (" +
                                     std::to_string(count) + " workers)");
}

Result<core::WorkerInfo> HttpWorkerClient::info(size_t worker) {
  if (worker >= endpoints_.size()) return badWorker(worker, endpoints_.size());
  const char* method = "GetClusterInfo";
  std::lock_guard lock(call_mutex_);
  const HttpCall c = call(worker, method, "{}");
  auto got = post(c);
  if (!got.ok()) return transportError(names_[worker], method, c, got.error());
  HttpReply& reply = *got;
  noteLatency(worker, reply.elapsed);
  const std::string where = "worker " + names_[worker];
  if (!isSuccess(reply.status)) return httpError(where, method, reply);
  return parseInfo(Reader(where), reply);
}

Result<core::WorkerMessages> HttpWorkerClient::fetch(size_t worker, const H256& cluster,
                                                     uint64_t from_sn, uint32_t limit) {
  if (worker >= endpoints_.size()) return badWorker(worker, endpoints_.size());
  const char* method = "GetClusterMessages";
  if (limit == 0) limit = 256;
  limit = std::min<uint32_t>(limit, kMaxLimit);
  json req = {{"cluster", toHex(cluster)}, {"from_sn", from_sn}, {"limit", limit}};
  std::lock_guard lock(call_mutex_);
  const HttpCall c = call(worker, method, jsonText(req));
  auto got = post(c);
  if (!got.ok()) return transportError(names_[worker], method, c, got.error());
  HttpReply& reply = *got;
  noteLatency(worker, reply.elapsed);
  const std::string where = "worker " + names_[worker];
  if (!isSuccess(reply.status)) return httpError(where, method, reply);
  return parseMessages(Reader(where), reply, cluster, from_sn, limit, options_.fast_parse);
}

std::vector<Result<core::SignResponse>> HttpWorkerClient::signAll(
    const std::vector<size_t>& workers, const H256& cluster,
    const std::vector<core::SignItem>& items, size_t enough) {
  const char* method = "SignClusterMessages";
  const size_t batch = options_.sign_batch;
  const size_t chunks = std::max<size_t>(1, (items.size() + batch - 1) / batch);

  // The request bodies and asked sns are the same for every worker.
  std::vector<std::string> bodies;
  std::vector<std::unordered_set<uint64_t>> asked(chunks);
  const std::string cluster_hex = toHex(cluster);
  for (size_t c = 0; c < chunks; ++c) {
    json arr = json::array();
    size_t end = std::min(items.size(), (c + 1) * batch);
    for (size_t i = c * batch; i < end; ++i) {
      arr.push_back({{"sn", items[i].sn}, {"hash", toHex(items[i].hash)}});
      asked[c].insert(items[i].sn);
    }
    bodies.push_back(jsonText(json{{"cluster", cluster_hex}, {"items", std::move(arr)}}));
  }

  std::vector<HttpCall> calls;
  std::vector<std::pair<size_t, size_t>> origin;  // call -> (position in workers, chunk)
  for (size_t p = 0; p < workers.size(); ++p) {
    if (workers[p] >= endpoints_.size()) continue;
    for (size_t c = 0; c < chunks; ++c) {
      calls.push_back(call(workers[p], method, bodies[c]));
      origin.emplace_back(p, c);
    }
  }

  std::vector<Result<HttpReply>> replies;
  {
    std::lock_guard lock(sign_mutex_);
    if (options_.transport) {
      for (const auto& c : calls) replies.push_back(options_.transport(c));
    } else {
      // `enough` workers answer every chunk they were sent: enough * chunks calls.
      replies = sign_http_.postAll(calls, enough == SIZE_MAX ? SIZE_MAX : enough * chunks);
    }
  }

  std::vector<Result<core::SignResponse>> out;
  out.reserve(workers.size());
  for (size_t p = 0; p < workers.size(); ++p) {
    if (workers[p] >= endpoints_.size()) {
      out.emplace_back(badWorker(workers[p], endpoints_.size()));
    } else {
      out.emplace_back(core::SignResponse{});
    }
  }
  std::vector<std::chrono::microseconds> slowest(workers.size(), std::chrono::microseconds{0});
  std::vector<bool> answered(workers.size(), false);
  for (size_t k = 0; k < replies.size() && k < origin.size(); ++k) {
    auto [p, c] = origin[k];
    const size_t worker = workers[p];
    if (replies[k].ok()) {
      answered[p] = true;
      slowest[p] = std::max(slowest[p], replies[k]->elapsed);
    }
    if (!out[p].ok()) continue;  // an earlier request of this worker already failed
    if (!replies[k].ok()) {
      out[p] = transportError(names_[worker], method, calls[k], replies[k].error());
      continue;
    }
    const std::string where = "worker " + names_[worker];
    if (!isSuccess(replies[k]->status)) {
      out[p] = httpError(where, method, *replies[k]);
      continue;
    }
    Reader r(where);
    auto part = parseSign(r, *replies[k], asked[c], options_.fast_parse);
    if (!part.ok()) {
      out[p] = part.error();
      continue;
    }
    core::SignResponse& acc = out[p].value();
    if (acc.public_key && part->public_key && *acc.public_key != *part->public_key) {
      out[p] = r.bad("public_key", "differs between the requests of one signing round");
      continue;
    }
    acc.public_key = part->public_key;
    for (auto& res : part->results) acc.results.push_back(std::move(res));
  }
  if (replies.size() != calls.size()) {  // HttpClient broke its contract; never silently succeed
    for (auto& r : out) {
      if (r.ok()) r = makeError("transport", "HttpClient returned too few replies");
    }
  }
  for (size_t p = 0; p < workers.size(); ++p) {
    if (answered[p]) noteLatency(workers[p], slowest[p]);
  }
  return out;
}

}  // namespace hunter::adapters
