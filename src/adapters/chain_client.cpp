#include "hunter/adapters/chain_client.hpp"
#include "hunter/adapters/json_scan.hpp"
#include "hunter/adapters/json_text.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "hunter/core/storage.hpp"

namespace hunter::adapters {
namespace {

using json = nlohmann::json;

std::string dump(const json& v) { return jsonText(v); }
// A value named in an error. Structures are only described: dump() recurses, and a hostile
// node can nest a megabyte deep.
std::string brief(const json& v) {
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " members";
  if (v.is_array()) return "an array of " + std::to_string(v.size());
  return quotePeerText(dump(v));
}

// Nesting depth, without recursion.
size_t depth(const json& root) {
  size_t deepest = 0;
  std::vector<std::pair<const json*, size_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, d);
    if (v->is_structured()) {
      for (const auto& child : *v) stack.emplace_back(&child, d + 1);
    }
  }
  return deepest;
}
constexpr size_t kMaxRawDepth = 256;

bool isFailover(const Error& e) { return e.code != "response_too_large"; }

// "0x1a" (Substrate's hex quantity, no padding required) up to `max`.
std::optional<u128> hexQuantity(std::string_view s, u128 max) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return std::nullopt;
  u128 v = 0;
  for (char c : s.substr(2)) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0 || v > (max - static_cast<unsigned>(d)) / 16) return std::nullopt;
    v = v * 16 + static_cast<unsigned>(d);
  }
  return v;
}

// A non-negative integer up to `max`: a JSON integer, a decimal string, or a 0x hex quantity.
std::optional<u128> integer(const json& v, u128 max) {
  if (v.is_number_unsigned()) {
    u128 n = v.get<uint64_t>();
    return n <= max ? std::optional<u128>(n) : std::nullopt;
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > 2 && (s[1] == 'x' || s[1] == 'X')) return hexQuantity(s, max);
  auto n = u128FromString(s);
  if (!n.ok() || *n > max) return std::nullopt;
  return *n;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The JSON-facing half of the client, kept out of the header.
struct JsonRpcChainClient::Impl {
  struct Answer {
    size_t endpoint = 0;
    std::string body;
  };
  // A parsed `result` and the endpoint that gave it.
  struct Got {
    size_t endpoint = 0;
    json v;
  };

  enum class Kind { kFailure, kRpcError, kBadResponse };

  static int64_t now(const JsonRpcChainClient& c) {
    return c.options_.now_ms ? c.options_.now_ms() : steadyMs();
  }

  static void count(JsonRpcChainClient& c, size_t i, const std::string& method, Kind kind) {
    std::lock_guard lock(c.state_mutex_);
    auto& s = c.stats_[i];
    if (kind == Kind::kFailure) ++s.failures;
    if (kind == Kind::kRpcError) ++s.rpc_errors;
    if (kind == Kind::kBadResponse) ++s.bad_responses;
    ++s.errors_by_method[method];
  }

  // Endpoints to try, in order: those not backing off, else the one whose backoff ends first.
  // An endpoint on another chain is never tried.
  static std::vector<size_t> order(JsonRpcChainClient& c) {
    std::lock_guard lock(c.state_mutex_);
    const int64_t t = now(c);
    std::vector<size_t> out;
    std::optional<size_t> best;
    for (size_t i = 0; i < c.state_.size(); ++i) {
      if (c.state_[i].wrong_chain) continue;
      if (c.state_[i].retry_at_ms <= t) out.push_back(i);
      if (!best || c.state_[i].retry_at_ms < c.state_[*best].retry_at_ms) best = i;
    }
    if (out.empty() && best) out.push_back(*best);
    return out;
  }

  // Whether endpoint i may be used: nothing pinned, or its genesis was checked. A transport
  // failure of the check is that endpoint's failure (nullopt: try the next one).
  static std::optional<Error> checkGenesis(JsonRpcChainClient& c, size_t i) {
    H256 want{};
    {
      std::lock_guard lock(c.state_mutex_);
      if (!c.genesis_ || c.state_[i].verified) return std::nullopt;
      want = *c.genesis_;
    }
    auto got = genesisAt(c, i);
    if (!got.ok()) return got.error();
    std::lock_guard lock(c.state_mutex_);
    if (*got == want) {
      c.state_[i].verified = true;
      return std::nullopt;
    }
    c.state_[i].wrong_chain = true;
    std::string detail = "chain endpoint " + redactUrl(c.endpoints_[i]) +
                         " belongs to another chain: genesis " + toHex(*got) + ", expected " +
                         toHex(want) + "; it is not used";
    c.stats_[i].wrong_chain = true;
    c.stats_[i].wrong_chain_detail = detail;
    return makeError("wrong_chain", detail);
  }

  static void succeeded(JsonRpcChainClient& c, size_t i) {
    std::lock_guard lock(c.state_mutex_);
    c.state_[i].consecutive_failures = 0;
    c.state_[i].retry_at_ms = 0;
    c.current_ = i;
  }

  static void failed(JsonRpcChainClient& c, size_t i) {
    std::lock_guard lock(c.state_mutex_);
    auto& st = c.state_[i];
    st.verified = false;  // it may come back as another chain
    st.consecutive_failures = std::min<uint32_t>(st.consecutive_failures + 1, 1000);
    const int64_t initial = std::max<int64_t>(c.options_.backoff_initial.count(), 0);
    const int64_t cap = std::max<int64_t>(c.options_.backoff_max.count(), initial);
    int64_t delay = initial;
    for (uint32_t k = 1; k < st.consecutive_failures && delay < cap; ++k) delay *= 2;
    st.retry_at_ms = now(c) + std::min(delay, cap);
  }

  // POSTs `body` with failover; the first 2xx answer.
  static Result<Answer> send(JsonRpcChainClient& c, const std::string& method,
                             const std::string& body) {
    std::string failures;
    size_t tried = 0;
    Error last{"unreachable", "no chain endpoint configured"};
    for (size_t i : order(c)) {
      if (auto bad = checkGenesis(c, i)) {
        last = *bad;
        if (bad->code != "wrong_chain") failed(c, i);
        failures += (failures.empty() ? "" : "; ") + last.message;
        ++tried;
        continue;
      }
      HttpCall call;
      call.url = c.endpoints_[i];
      call.body = body;
      call.timeout = c.options_.timeout;
      call.max_response = c.options_.max_response;
      {
        std::lock_guard lock(c.state_mutex_);
        ++c.stats_[i].requests;
      }
      auto reply = c.options_.transport ? c.options_.transport(call) : c.http_.post(call);
      if (reply.ok() && reply->status >= 200 && reply->status < 300) {
        succeeded(c, i);
        return Answer{i, std::move(reply->body)};
      }
      count(c, i, method, Kind::kFailure);
      if (!reply.ok()) {
        last = reply.error();
        if (!isFailover(last)) return last;
      } else {
        last = makeError("http_" + std::to_string(reply->status),
                         "chain " + redactUrl(c.endpoints_[i]) + ": " + method + ": HTTP " +
                             std::to_string(reply->status) +
                             (reply->body.empty() ? "" : ": " + quotePeerText(reply->body)));
      }
      failed(c, i);
      failures += (failures.empty() ? "" : "; ") + last.message;
      ++tried;
    }
    if (tried == 0) {
      std::lock_guard lock(c.state_mutex_);
      std::string wrong;
      for (const auto& s : c.stats_) {
        if (s.wrong_chain) wrong += (wrong.empty() ? "" : "; ") + s.wrong_chain_detail;
      }
      if (!wrong.empty()) return makeError("wrong_chain", "every chain endpoint: " + wrong);
    }
    if (tried <= 1) return last;
    return makeError(last.code, "every chain endpoint failed for " + method + ": " + failures);
  }

  static Error bad(JsonRpcChainClient& c, size_t i, const std::string& method,
                   const std::string& problem) {
    count(c, i, method, Kind::kBadResponse);
    return makeError("bad_response",
                     "chain " + redactUrl(c.endpoints_[i]) + ": " + method + ": " + problem);
  }

  // A JSON-RPC error object -> Error{code, data or message}.
  static Error rpcError(JsonRpcChainClient& c, size_t i, const std::string& method,
                        const json& err) {
    if (!err.is_object()) return bad(c, i, method, "error is not an object: " + brief(err));
    auto code = err.find("code");
    if (code == err.end() || !code->is_number_integer()) {
      return bad(c, i, method, "error without an integer code: " + brief(err));
    }
    std::string text;
    if (auto d = err.find("data"); d != err.end() && d->is_string()) {
      text = d->get<std::string>();
    } else if (auto m = err.find("message"); m != err.end() && m->is_string()) {
      text = m->get<std::string>();
    }
    count(c, i, method, Kind::kRpcError);
    // Found by fuzz_chain_response: an error object with neither gave an empty message.
    if (text.empty()) {
      return makeError(std::to_string(code->get<int64_t>()),
                       "chain " + redactUrl(c.endpoints_[i]) + ": " + method +
                           ": JSON-RPC error without a message: " + brief(err));
    }
    return makeError(std::to_string(code->get<int64_t>()), quotePeerText(text));
  }

  static Result<json> parseBody(JsonRpcChainClient& c, const Answer& a, const std::string& method) {
    json doc;
    try {
      doc = json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    } catch (const std::exception& e) {
      return bad(c, a.endpoint, method, std::string("invalid JSON: ") + e.what());
    }
    if (doc.is_discarded()) {
      return bad(c, a.endpoint, method,
                 "invalid JSON (" + std::to_string(a.body.size()) + " bytes)");
    }
    return doc;
  }

  // The `result` of one response object with id `id` (may be null).
  static Result<json> result(JsonRpcChainClient& c, size_t i, const std::string& method, json& resp,
                             uint64_t id) {
    if (!resp.is_object()) return bad(c, i, method, "response is not an object: " + brief(resp));
    auto rid = resp.find("id");
    if (rid == resp.end() || !rid->is_number_unsigned() || rid->get<uint64_t>() != id) {
      // Some servers answer an unparseable request with id null and an error: still an error.
      if (auto e = resp.find("error");
          e != resp.end() && !e->is_null() && (rid == resp.end() || rid->is_null())) {
        return rpcError(c, i, method, *e);
      }
      return bad(c, i, method,
                 "response id " + (rid == resp.end() ? std::string("missing") : brief(*rid)) +
                     ", expected " + std::to_string(id));
    }
    if (auto e = resp.find("error"); e != resp.end() && !e->is_null()) {
      return rpcError(c, i, method, *e);
    }
    auto r = resp.find("result");
    if (r == resp.end()) return bad(c, i, method, "response has neither result nor error");
    return std::move(*r);
  }

  // chain_getBlockHash([0]) of endpoint i alone (call_mutex_ held by the caller).
  static Result<H256> genesisAt(JsonRpcChainClient& c, size_t i) {
    const std::string method = "chain_getBlockHash";
    const uint64_t id = c.next_id_++;
    json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", json::array({0})}};
    HttpCall call;
    call.url = c.endpoints_[i];
    call.body = dump(req);
    call.timeout = c.options_.timeout;
    call.max_response = c.options_.max_response;
    {
      std::lock_guard lock(c.state_mutex_);
      ++c.stats_[i].requests;
    }
    auto reply = c.options_.transport ? c.options_.transport(call) : c.http_.post(call);
    if (!reply.ok()) return reply.error();
    if (reply->status < 200 || reply->status >= 300) {
      return makeError("http_" + std::to_string(reply->status),
                       "chain " + redactUrl(c.endpoints_[i]) + ": " + method + ": HTTP " +
                           std::to_string(reply->status));
    }
    Answer a{i, std::move(reply->body)};
    HUNTER_TRY(json doc, parseBody(c, a, method));
    HUNTER_TRY(json r, result(c, i, method, doc, id));
    return hash(c, method, Got{i, std::move(r)});
  }

  static Result<Got> call(JsonRpcChainClient& c, const std::string& method, json params) {
    std::lock_guard lock(c.call_mutex_);
    const uint64_t id = c.next_id_++;
    json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    HUNTER_TRY(Answer a, send(c, method, dump(req)));
    HUNTER_TRY(json doc, parseBody(c, a, method));
    HUNTER_TRY(json r, result(c, a.endpoint, method, doc, id));
    return Got{a.endpoint, std::move(r)};
  }

  // The usual answer to a batch (the ACK reads: thousands of state_getStorage a round) read
  // with detail::Scan: an array of objects with an id in [first, first + n) and a result that is
  // a string or null, each id once. Anything else (an error member, another result type,
  // escapes, a missing or repeated id) gives nullopt, and the general parser below answers; so
  // this changes how fast a batch is read, never what it yields (fuzz_chain_response compares).
  static std::optional<std::vector<json>> fastBatch(std::string_view body, uint64_t first,
                                                    size_t n) {
    detail::Scan s(body);
    std::vector<json> out(n);
    std::vector<bool> got(n, false);
    size_t count = 0;
    bool ok = detail::scanArray(s, [&] {
      unsigned seen = 0;
      uint64_t id = 0;
      std::optional<std::string_view> result;
      bool m = detail::scanObject(s, [&](std::string_view k) {
        if (k == "id") return detail::u64Once(s, seen, 1, id);
        if (k == "result") {
          if (!detail::firstTime(seen, 2)) return false;
          if (s.null()) return true;
          result = s.str();
          return result.has_value();
        }
        if (k == "error") return false;
        return s.skip();
      });
      if (!m || seen != 3 || id < first || id - first >= n || got[id - first]) return false;
      got[id - first] = true;
      ++count;
      if (result) out[id - first] = std::string(*result);
      return true;
    });
    if (!ok || !s.end() || count != n) return std::nullopt;
    return out;
  }

  // One HTTP request carrying a batch of `method` calls; results in the order of `params`.
  static Result<std::pair<size_t, std::vector<json>>> batch(JsonRpcChainClient& c,
                                                            const std::string& method,
                                                            const std::vector<json>& params) {
    return batchOf(c, method, {method}, params);
  }

  // One HTTP request carrying calls of `methods[k]` (or methods[0] for every k when there is one)
  // with `params[k]`; results in the order of `params`. `label` names the whole batch in errors
  // about the batch itself; an item's error names its own method.
  static Result<std::pair<size_t, std::vector<json>>> batchOf(
      JsonRpcChainClient& c, const std::string& label, const std::vector<std::string>& methods,
      const std::vector<json>& params) {
    if (params.empty()) return std::pair<size_t, std::vector<json>>{};
    auto which = [&](size_t k) { return methods.size() == 1 ? 0 : k; };  // index into methods
    std::lock_guard lock(c.call_mutex_);
    const uint64_t first = c.next_id_;
    c.next_id_ += params.size();
    // The text dump() of [{"jsonrpc", "id", "method", "params"}, ...] gives, written directly
    // (no tree of thousands of objects per round).
    std::vector<std::string> quoted;
    for (const auto& m : methods) quoted.push_back(dump(json(m)));
    std::string req = "[";
    for (size_t k = 0; k < params.size(); ++k) {
      req += k == 0 ? "{\"id\":" : ",{\"id\":";
      req += std::to_string(first + k);
      req += ",\"jsonrpc\":\"2.0\",\"method\":";
      req += quoted[which(k)];
      req += ",\"params\":";
      appendJsonText(req, params[k]);
      req += '}';
    }
    req += ']';
    HUNTER_TRY(Answer a, send(c, label, req));
    const size_t i = a.endpoint;
    if (c.options_.fast_parse) {
      if (auto fast = fastBatch(a.body, first, params.size())) {
        return std::pair{i, std::move(*fast)};
      }
    }
    HUNTER_TRY(json doc, parseBody(c, a, label));
    if (doc.is_object()) {  // the whole batch refused (e.g. too large)
      if (auto e = doc.find("error"); e != doc.end() && !e->is_null()) {
        return rpcError(c, i, label, *e);
      }
      return bad(c, i, label, "batch answered with a single object: " + brief(doc));
    }
    if (!doc.is_array()) return bad(c, i, label, "batch answer is not an array");
    if (doc.size() != params.size()) {
      return bad(c, i, label,
                 "batch of " + std::to_string(params.size()) + " answered with " +
                     std::to_string(doc.size()) + " responses");
    }
    std::vector<json*> by_pos(params.size(), nullptr);
    for (auto& resp : doc) {
      if (!resp.is_object()) return bad(c, i, label, "batch item is not an object");
      auto rid = resp.find("id");
      if (rid == resp.end() || !rid->is_number_unsigned() || rid->get<uint64_t>() < first ||
          rid->get<uint64_t>() - first >= params.size()) {
        return bad(c, i, label,
                   "batch item with unexpected id " +
                       (rid == resp.end() ? std::string("(missing)") : brief(*rid)));
      }
      auto& slot = by_pos[rid->get<uint64_t>() - first];
      if (slot) return bad(c, i, label, "batch id " + brief(*rid) + " answered twice");
      slot = &resp;
    }
    std::vector<json> out;
    out.reserve(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      HUNTER_TRY(json r, result(c, i, methods[which(k)], *by_pos[k], first + k));
      out.push_back(std::move(r));
    }
    return std::pair{i, std::move(out)};
  }

  // ---- typed results -------------------------------------------------------------------
  static Result<H256> hash(JsonRpcChainClient& c, const std::string& method, const Got& g) {
    if (!g.v.is_string()) return bad(c, g.endpoint, method, "expected a hash, got " + brief(g.v));
    auto h = fixedFromHex<32>(g.v.get<std::string>(), "hash");
    if (!h.ok()) return bad(c, g.endpoint, method, h.error().message);
    return *h;
  }

  static Result<u128> number(JsonRpcChainClient& c, const std::string& method, size_t i,
                             const json& v, u128 max, const char* what) {
    auto n = integer(v, max);
    if (!n) return bad(c, i, method, std::string(what) + ": expected an integer, got " + brief(v));
    return *n;
  }

  // A member of an object result.
  static Result<const json*> field(JsonRpcChainClient& c, const std::string& method, const Got& g,
                                   const char* name) {
    if (!g.v.is_object()) {
      return bad(c, g.endpoint, method, "expected an object, got " + brief(g.v));
    }
    auto it = g.v.find(name);
    if (it == g.v.end()) return bad(c, g.endpoint, method, std::string(name) + " missing");
    return &*it;
  }

  // state_getStorage value: nullopt for null.
  static Result<std::optional<Bytes>> storageValue(JsonRpcChainClient& c, size_t i, const json& v) {
    if (v.is_null()) return std::optional<Bytes>();
    if (!v.is_string())
      return bad(c, i, "state_getStorage", "expected hex or null, got " + brief(v));
    auto b = fromHex(v.get<std::string>(), "value");
    if (!b.ok()) return bad(c, i, "state_getStorage", b.error().message);
    return std::optional<Bytes>(std::move(b).value());
  }

  // A storage value decoded with `decode`; nullopt when absent.
  template <class T>
  static Result<std::optional<T>> storage(JsonRpcChainClient& c, const Bytes& key,
                                          Result<T> (*decode)(ByteSpan), const std::string& what) {
    HUNTER_TRY(Got g, call(c, "state_getStorage", json::array({toHex(key)})));
    return storageOf(c, g, decode, what);
  }
  // (specVersion, transactionVersion) of a state_getRuntimeVersion answer.
  static Result<std::pair<uint32_t, uint32_t>> runtimeOf(JsonRpcChainClient& c, const Got& v) {
    const std::string m = "state_getRuntimeVersion";
    const u128 max32 = std::numeric_limits<uint32_t>::max();
    HUNTER_TRY(const json* spec, field(c, m, v, "specVersion"));
    HUNTER_TRY(const json* tx, field(c, m, v, "transactionVersion"));
    HUNTER_TRY(u128 s, number(c, m, v.endpoint, *spec, max32, "specVersion"));
    HUNTER_TRY(u128 t, number(c, m, v.endpoint, *tx, max32, "transactionVersion"));
    return std::make_pair(static_cast<uint32_t>(s), static_cast<uint32_t>(t));
  }

  // The block `at` from its header (chain_getHeader [at]); null: the node does not know it.
  static Result<core::BlockRef> blockAt(JsonRpcChainClient& c, const Got& header, const H256& at) {
    if (header.v.is_null()) {
      return makeError("not_found", "chain " + redactUrl(c.endpoints_[header.endpoint]) +
                                        ": no block " + toHex(at) +
                                        " (its best block a moment ago)");
    }
    HUNTER_TRY(const json* num, field(c, "chain_getHeader", header, "number"));
    HUNTER_TRY(u128 n, number(c, "chain_getHeader", header.endpoint, *num,
                              std::numeric_limits<uint32_t>::max(), "number"));
    return core::BlockRef{static_cast<uint32_t>(n), at};
  }

  // The best block from a chain_getHeader result: its number, and its hash by number.
  static Result<core::BlockRef> bestFromHeader(JsonRpcChainClient& c, const Got& header) {
    const std::string m = "chain_getHeader";
    HUNTER_TRY(const json* num, field(c, m, header, "number"));
    HUNTER_TRY(u128 n,
               number(c, m, header.endpoint, *num, std::numeric_limits<uint32_t>::max(), "number"));
    core::BlockRef ref;
    ref.number = static_cast<uint32_t>(n);
    HUNTER_TRY(ref.hash, c.blockHash(ref.number));
    return ref;
  }

  template <class T>
  static Result<std::optional<T>> storageOf(JsonRpcChainClient& c, const Got& g,
                                            Result<T> (*decode)(ByteSpan),
                                            const std::string& what) {
    HUNTER_TRY(auto v, storageValue(c, g.endpoint, g.v));
    if (!v) return std::optional<T>();
    auto r = decode(span(*v));
    if (!r.ok()) return bad(c, g.endpoint, "state_getStorage", what + ": " + r.error().message);
    return std::optional<T>(std::move(r).value());
  }
};

JsonRpcChainClient::JsonRpcChainClient(std::vector<std::string> endpoints,
                                       ChainClientOptions options)
    : endpoints_(std::move(endpoints)),
      options_(std::move(options)),
      state_(endpoints_.size()),
      stats_(endpoints_.size()),
      view_(ChainView::Reads{[this] { return bestHash(); },
                             [this](const H256& at, const std::vector<H256>& clusters) {
                               return headsAt(at, clusters);
                             }},
            options_.head_check_ms, [this] { return Impl::now(*this); }) {
  options_.acks_chunk = std::max<size_t>(options_.acks_chunk, 1);
  http_.setCaFile(options_.ca_file);
  for (size_t i = 0; i < endpoints_.size(); ++i) stats_[i].url = redactUrl(endpoints_[i]);
}

JsonRpcChainClient::~JsonRpcChainClient() = default;

size_t JsonRpcChainClient::currentEndpoint() const {
  std::lock_guard lock(state_mutex_);
  return current_;
}

ChainClientStats JsonRpcChainClient::stats() const {
  std::lock_guard lock(state_mutex_);
  ChainClientStats out;
  out.current = current_;
  out.endpoints = stats_;
  const int64_t t = Impl::now(*this);
  for (size_t i = 0; i < state_.size(); ++i) {
    out.endpoints[i].consecutive_failures = state_[i].consecutive_failures;
    out.endpoints[i].backing_off = state_[i].retry_at_ms > t;
  }
  return out;
}

Result<H256> JsonRpcChainClient::genesisOf(size_t endpoint) {
  if (endpoint >= endpoints_.size()) return makeError("bad_value", "no such chain endpoint");
  std::lock_guard lock(call_mutex_);
  return Impl::genesisAt(*this, endpoint);
}

void JsonRpcChainClient::pinGenesis(const H256& g) {
  std::lock_guard lock(state_mutex_);
  if (genesis_ == g) return;
  genesis_ = g;
  for (auto& s : state_) s.verified = false;
}

Result<core::ChainParams> JsonRpcChainClient::params() {
  core::ChainParams p;
  HUNTER_TRY(Impl::Got genesis, Impl::call(*this, "chain_getBlockHash", json::array({0})));
  HUNTER_TRY(p.genesis_hash, Impl::hash(*this, "chain_getBlockHash", genesis));
  HUNTER_TRY(Impl::Got v, Impl::call(*this, "state_getRuntimeVersion", json::array()));
  HUNTER_TRY(auto runtime, Impl::runtimeOf(*this, v));
  p.spec_version = runtime.first;
  p.transaction_version = runtime.second;
  return p;
}

Result<core::BlockRef> JsonRpcChainClient::bestBlock() {
  HUNTER_TRY(Impl::Got header, Impl::call(*this, "chain_getHeader", json::array()));
  return Impl::bestFromHeader(*this, header);
}

Result<core::ChainHead> JsonRpcChainClient::head(const H256& cluster) {
  return view_.head(cluster);
}

Result<H256> JsonRpcChainClient::bestHash() {
  HUNTER_TRY(Impl::Got g, Impl::call(*this, "chain_getBlockHash", json::array()));
  return Impl::hash(*this, "chain_getBlockHash", g);
}

std::vector<Result<core::ChainHead>> JsonRpcChainClient::headsAt(
    const H256& at, const std::vector<H256>& clusters) {
  using Heads = std::vector<Result<core::ChainHead>>;
  const std::string atHex = toHex(at);
  std::vector<std::string> methods = {"chain_getHeader", "state_getRuntimeVersion"};
  std::vector<json> params = {json::array({atHex}), json::array({atHex})};
  for (const auto& cluster : clusters) {
    methods.insert(methods.end(), {"state_getStorage", "pha_clusterMqNextSn"});
    params.push_back(json::array({toHex(core::queuesKey(cluster)), atHex}));
    params.push_back(json::array({toHex(cluster)}));
  }
  auto answer = Impl::batchOf(*this, "chain head batch", methods, params);
  if (!answer.ok()) return Heads(clusters.size(), answer.error());
  const size_t i = answer->first;
  auto& r = answer->second;
  auto best = Impl::blockAt(*this, Impl::Got{i, std::move(r[0])}, at);
  if (!best.ok()) return Heads(clusters.size(), best.error());
  auto runtime = Impl::runtimeOf(*this, Impl::Got{i, std::move(r[1])});
  if (!runtime.ok()) return Heads(clusters.size(), runtime.error());
  auto settled = settledBlock(*best);
  if (!settled.ok()) return Heads(clusters.size(), settled.error());
  {
    std::lock_guard lock(ahead_mutex_);
    ahead_.blocks[settled->hash] = settled->number;  // acks() may be asked at it
  }
  Heads out;
  for (size_t k = 0; k < clusters.size(); ++k) {
    auto q = Impl::storageOf(*this, Impl::Got{i, std::move(r[2 + 2 * k])}, &core::decodeQueueState,
                             "Queues");
    auto n = Impl::number(*this, methods[3 + 2 * k], i, r[3 + 2 * k],
                          std::numeric_limits<uint64_t>::max(), "next sn");
    if (!q.ok()) {
      out.emplace_back(q.error());
      continue;
    }
    if (!n.ok()) {
      out.emplace_back(n.error());
      continue;
    }
    core::ChainHead h;
    h.best = *best;
    h.queue = q->value_or(core::QueueState{});
    h.next_sn = static_cast<uint64_t>(*n);
    h.spec_version = runtime->first;
    h.transaction_version = runtime->second;
    h.settled = *settled;
    out.emplace_back(std::move(h));
  }
  readAcksAhead(*best, clusters, out);
  return out;
}

Result<core::BlockRef> JsonRpcChainClient::settledBlock(const core::BlockRef& best) {
  switch (options_.ack_depth) {
    case core::AckDepth::kBest:
      return best;
    case core::AckDepth::kBlocks: {
      const uint32_t n = best.number - std::min(options_.ack_confirmations, best.number);
      HUNTER_TRY(H256 h, blockHash(n));
      return core::BlockRef{n, h};
    }
    case core::AckDepth::kFinalized:
      break;
  }
  HUNTER_TRY(Impl::Got g, Impl::call(*this, "chain_getFinalizedHead", json::array()));
  HUNTER_TRY(H256 f, Impl::hash(*this, "chain_getFinalizedHead", g));
  {
    std::lock_guard lock(state_mutex_);
    if (finalized_ && finalized_->hash == f)
      return finalized_->number <= best.number ? *finalized_ : best;
  }
  HUNTER_TRY(Impl::Got header, Impl::call(*this, "chain_getHeader", json::array({toHex(f)})));
  HUNTER_TRY(core::BlockRef ref, Impl::blockAt(*this, header, f));
  std::lock_guard lock(state_mutex_);
  finalized_ = ref;
  return ref.number <= best.number ? ref : best;  // a node finalizing past the block we read
}

Result<H256> JsonRpcChainClient::blockHash(uint32_t number) {
  const std::string m = "chain_getBlockHash";
  HUNTER_TRY(Impl::Got g, Impl::call(*this, m, json::array({number})));
  if (g.v.is_null()) {
    return makeError("not_found", "chain " + redactUrl(endpoints_[g.endpoint]) +
                                      ": no block number " + std::to_string(number));
  }
  return Impl::hash(*this, m, g);
}

Result<std::optional<core::ClusterInfo>> JsonRpcChainClient::clusterInfo(const H256& cluster) {
  return Impl::storage(*this, core::clustersKey(cluster), &core::decodeClusterInfo, "Clusters");
}

Result<core::QueueState> JsonRpcChainClient::queue(const H256& cluster) {
  HUNTER_TRY(auto q,
             Impl::storage(*this, core::queuesKey(cluster), &core::decodeQueueState, "Queues"));
  return q.value_or(core::QueueState{});
}

Result<uint64_t> JsonRpcChainClient::nextSn(const H256& cluster) {
  const std::string m = "pha_clusterMqNextSn";
  HUNTER_TRY(Impl::Got g, Impl::call(*this, m, json::array({toHex(cluster)})));
  HUNTER_TRY(u128 n, Impl::number(*this, m, g.endpoint, g.v, std::numeric_limits<uint64_t>::max(),
                                  "next sn"));
  return static_cast<uint64_t>(n);
}

Result<std::vector<std::optional<core::AckRecord>>> JsonRpcChainClient::acks(
    const H256& cluster, const std::vector<uint64_t>& sns, const std::optional<H256>& at) {
  if (auto ahead = readAhead(cluster, sns, at)) return std::move(*ahead);
  std::vector<std::pair<H256, uint64_t>> keys;
  keys.reserve(sns.size());
  for (uint64_t sn : sns) keys.emplace_back(cluster, sn);
  return readAcks(keys, at);
}

Result<std::vector<std::optional<core::AckRecord>>> JsonRpcChainClient::readAcks(
    const std::vector<std::pair<H256, uint64_t>>& keys, const std::optional<H256>& at) {
  std::vector<std::optional<core::AckRecord>> out;
  out.reserve(keys.size());
  for (size_t start = 0; start < keys.size(); start += options_.acks_chunk) {
    const size_t end = std::min(keys.size(), start + options_.acks_chunk);
    std::vector<json> params;
    params.reserve(end - start);
    for (size_t k = start; k < end; ++k) {
      json p = json::array({toHex(core::acksKey(keys[k].first, keys[k].second))});
      if (at) p.push_back(toHex(*at));
      params.push_back(std::move(p));
    }
    HUNTER_TRY(auto answer, Impl::batch(*this, "state_getStorage", params));
    const size_t i = answer.first;
    for (size_t k = 0; k < answer.second.size(); ++k) {
      HUNTER_TRY(auto v, Impl::storageValue(*this, i, answer.second[k]));
      if (!v) {
        out.emplace_back();
        continue;
      }
      auto ack = core::decodeAckRecord(*v);
      if (!ack.ok()) {
        return Impl::bad(
            *this, i, "state_getStorage",
            "Acks sn " + std::to_string(keys[start + k].second) + ": " + ack.error().message);
      }
      out.emplace_back(*ack);
    }
  }
  return out;
}

// The sns each cluster's queue passed since the view's previous block (at most kMaxPerCluster of
// them, none at the first block), their ACKs read at `block` in one batch for every cluster. A
// failed read is left to acks().
void JsonRpcChainClient::readAcksAhead(const core::BlockRef& block,
                                       const std::vector<H256>& clusters,
                                       const std::vector<Result<core::ChainHead>>& heads) {
  constexpr uint64_t kMaxPerCluster = 4096;
  constexpr size_t kMaxKept = 1 << 16;
  std::vector<std::pair<H256, uint64_t>> keys;
  {
    std::lock_guard lock(ahead_mutex_);
    if (ahead_.blocks.size() >= 256) ahead_.blocks.clear();
    ahead_.blocks[block.hash] = block.number;
    for (size_t k = 0; k < clusters.size() && k < heads.size(); ++k) {
      if (!heads[k].ok()) continue;
      const uint64_t next = heads[k]->queue.next_sn;
      auto it = ahead_.queue_next.find(clusters[k]);
      if (it != ahead_.queue_next.end() && next > it->second) {
        for (uint64_t sn = std::max(it->second, next - std::min(next, kMaxPerCluster)); sn < next;
             ++sn) {
          keys.emplace_back(clusters[k], sn);
        }
      }
      ahead_.queue_next[clusters[k]] = next;
    }
    if (ahead_.kept + keys.size() > kMaxKept) {  // relays that never asked: start over
      ahead_.acks.clear();
      ahead_.kept = 0;
    }
  }
  if (keys.empty()) return;
  auto got = readAcks(keys, block.hash);
  if (!got.ok()) return;
  std::lock_guard lock(ahead_mutex_);
  for (size_t k = 0; k < keys.size() && k < got->size(); ++k) {
    if (!(*got)[k]) continue;
    if (ahead_.acks[keys[k].first].insert_or_assign(keys[k].second, *(*got)[k]).second) {
      ahead_.kept++;
    }
  }
}

// Every sn's ACK from what the view read ahead, when all are there and were in block `at` (a
// block the view read); then they are handed over (removed). Else none: acks() reads them.
std::optional<std::vector<std::optional<core::AckRecord>>> JsonRpcChainClient::readAhead(
    const H256& cluster, const std::vector<uint64_t>& sns, const std::optional<H256>& at) {
  std::lock_guard lock(ahead_mutex_);
  if (sns.empty() || !at) return std::nullopt;
  auto number = ahead_.blocks.find(*at);
  auto kept = ahead_.acks.find(cluster);
  if (number == ahead_.blocks.end() || kept == ahead_.acks.end()) return std::nullopt;
  std::vector<std::optional<core::AckRecord>> out;
  out.reserve(sns.size());
  for (uint64_t sn : sns) {
    auto it = kept->second.find(sn);
    if (it == kept->second.end() || it->second.block > number->second) return std::nullopt;
    out.emplace_back(it->second);
  }
  for (uint64_t sn : sns) ahead_.kept -= kept->second.erase(sn);
  return out;
}

Result<uint32_t> JsonRpcChainClient::accountNextIndex(const crypto::AccountId32& account) {
  const std::string m = "system_accountNextIndex";
  HUNTER_TRY(Impl::Got g, Impl::call(*this, m, json::array({toHex(account)})));
  HUNTER_TRY(u128 n, Impl::number(*this, m, g.endpoint, g.v, std::numeric_limits<uint32_t>::max(),
                                  "index"));
  return static_cast<uint32_t>(n);
}

Result<std::optional<core::AccountInfo>> JsonRpcChainClient::account(
    const crypto::AccountId32& account) {
  return Impl::storage(*this, core::systemAccountKey(account), &core::decodeAccountInfo,
                       "System.Account");
}

Result<u128> JsonRpcChainClient::hunterRewards(const crypto::AccountId32& account) {
  HUNTER_TRY(auto r, Impl::storage(*this, core::hunterRewardsKey(account), &core::decodeU128,
                                   "HunterRewards"));
  return r.value_or(u128{0});
}

Result<u128> JsonRpcChainClient::queryFee(const Bytes& extrinsic) {
  const std::string m = "payment_queryInfo";
  HUNTER_TRY(Impl::Got g, Impl::call(*this, m, json::array({toHex(extrinsic)})));
  HUNTER_TRY(const json* fee, Impl::field(*this, m, g, "partialFee"));
  return Impl::number(*this, m, g.endpoint, *fee, ~u128{0}, "partialFee");
}

Result<H256> JsonRpcChainClient::submit(const Bytes& extrinsic) {
  const std::string m = "author_submitExtrinsic";
  HUNTER_TRY(Impl::Got g, Impl::call(*this, m, json::array({toHex(extrinsic)})));
  return Impl::hash(*this, m, g);
}

Result<std::string> JsonRpcChainClient::rawCall(const std::string& method,
                                                const std::string& params_json) {
  json params = json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded() || !(params.is_array() || params.is_object())) {
    return makeError("bad_request", method + ": params must be a JSON array or object");
  }
  HUNTER_TRY(Impl::Got g, Impl::call(*this, method, std::move(params)));
  if (depth(g.v) > kMaxRawDepth) {
    return Impl::bad(*this, g.endpoint, method,
                     "result nested deeper than " + std::to_string(kMaxRawDepth));
  }
  return dump(g.v);
}

}  // namespace hunter::adapters
