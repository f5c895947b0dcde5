// The devnet chain's JSON-RPC 2.0 surface (docs/protocol.md §4). Parameters are positional arrays.
// state_getStorage / state_queryStorageAt accept an `at` block hash but always answer from the
// latest state (the devnet keeps no historical state); `at` must still be a known block hash.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include "chain_impl.hpp"
#include "hunter/adapters/json_scan.hpp"
#include "hunter/adapters/json_text.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::devnet {
namespace {

using detail::Impl;
using nlohmann::json;

// Thrown inside the dispatcher only, caught in handleRpc: never crosses the public API.
struct RpcError {
  int code;
  std::string message;
  json data;
};

RpcError invalidParams(const std::string& detail) {
  return RpcError{-32602, "Invalid params: " + detail, detail};
}

json errorResponse(const json& id, int code, const std::string& message,
                   const json& data = nullptr) {
  json err = {{"code", code}, {"message", message}};
  if (!data.is_null()) err["data"] = data;
  return json{{"jsonrpc", "2.0"}, {"error", std::move(err)}, {"id", id}};
}

void expectCount(const json& params, size_t min, size_t max) {
  if (params.size() < min || params.size() > max) {
    std::string want =
        min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    throw invalidParams("expected " + want + " parameter(s), got " + std::to_string(params.size()));
  }
}

bool present(const json& params, size_t i) { return i < params.size() && !params[i].is_null(); }

const std::string& stringParam(const json& params, size_t i, const std::string& name) {
  if (i >= params.size() || !params[i].is_string()) {
    throw invalidParams(name + " must be a string");
  }
  return params[i].get_ref<const std::string&>();
}

Bytes hexParam(const json& params, size_t i, const std::string& name, size_t max_bytes) {
  const std::string& s = stringParam(params, i, name);
  if (s.size() > 2 * max_bytes + 2) {
    throw invalidParams(name + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  auto b = fromHex(s, name);
  if (!b.ok()) throw invalidParams(b.error().message);
  return std::move(b).value();
}

H256 hashParam(const json& params, size_t i, const std::string& name) {
  const std::string& s = stringParam(params, i, name);
  if (s.size() > 66) throw invalidParams(name + ": expected 32 bytes of hex");
  auto h = fixedFromHex<32>(s, name);
  if (!h.ok()) throw invalidParams(h.error().message);
  return *h;
}

// Substrate's NumberOrHex: a non-negative integer or a "0x" hex string.
uint64_t blockNumber(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    if (v.get<int64_t>() < 0) throw invalidParams("block number must not be negative");
    return static_cast<uint64_t>(v.get<int64_t>());
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s.size() <= 18) {
      uint64_t n = 0;
      for (size_t i = 2; i < s.size(); ++i) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) throw invalidParams("block number: invalid hex '" + s + "'");
        n = n << 4 | static_cast<uint64_t>(d);
      }
      return n;
    }
    throw invalidParams("block number must be an integer or a 0x-hex string of at most 8 bytes");
  }
  throw invalidParams("block number must be an integer or a 0x-hex string");
}

std::string hexNumber(uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return "0x" + s;
}

class Dispatcher {
 public:
  Dispatcher(DevChain& chain, Impl& impl, uint32_t lag) : chain_(chain), impl_(impl), lag_(lag) {}

  json call(const std::string& method, const json& params) {
    using Handler = json (Dispatcher::*)(const json&);
    static const std::unordered_map<std::string, Handler> kMethods = {
        {"system_chain", &Dispatcher::systemChain},
        {"system_name", &Dispatcher::systemName},
        {"system_version", &Dispatcher::systemVersion},
        {"system_health", &Dispatcher::systemHealth},
        {"system_properties", &Dispatcher::systemProperties},
        {"system_accountNextIndex", &Dispatcher::accountNextIndex},
        {"account_nextIndex", &Dispatcher::accountNextIndex},
        {"chain_getBlockHash", &Dispatcher::getBlockHash},
        {"chain_getHead", &Dispatcher::getBlockHash},
        {"chain_getHeader", &Dispatcher::getHeader},
        {"chain_getFinalizedHead", &Dispatcher::getFinalizedHead},
        {"chain_getFinalisedHead", &Dispatcher::getFinalizedHead},
        {"state_getRuntimeVersion", &Dispatcher::runtimeVersion},
        {"chain_getRuntimeVersion", &Dispatcher::runtimeVersion},
        {"state_getStorage", &Dispatcher::getStorage},
        {"state_getStorageAt", &Dispatcher::getStorage},
        {"state_queryStorageAt", &Dispatcher::queryStorageAt},
        {"author_submitExtrinsic", &Dispatcher::submitExtrinsic},
        {"author_pendingExtrinsics", &Dispatcher::pendingExtrinsics},
        {"payment_queryInfo", &Dispatcher::queryInfo},
        {"pha_clusterMqNextSn", &Dispatcher::clusterMqNextSn},
        {"rpc_methods", &Dispatcher::rpcMethods},
    };
    auto it = kMethods.find(method);
    if (it == kMethods.end()) {
      throw RpcError{-32601, "Method not found", "unknown method '" + method + "'"};
    }
    if (method == "rpc_methods") {
      json names = json::array();
      for (const auto& [name, h] : kMethods) names.push_back(name);
      std::sort(names.begin(), names.end());
      return json{{"version", 1}, {"methods", std::move(names)}};
    }
    return (this->*(it->second))(params);
  }

 private:
  json systemChain(const json& p) {
    expectCount(p, 0, 0);
    return impl_.config.chain_name;
  }
  json systemName(const json& p) {
    expectCount(p, 0, 0);
    return "hunter-devnet";
  }
  json systemVersion(const json& p) {
    expectCount(p, 0, 0);
    return "1.0.0";
  }
  json systemHealth(const json& p) {
    expectCount(p, 0, 0);
    return json{{"peers", 0}, {"isSyncing", false}, {"shouldHavePeers", false}};
  }
  json systemProperties(const json& p) {
    expectCount(p, 0, 0);
    return json{
        {"ss58Format", crypto::kPhalaSs58Prefix}, {"tokenDecimals", 12}, {"tokenSymbol", "PHA"}};
  }
  json accountNextIndex(const json& p) {
    expectCount(p, 1, 1);
    auto a = crypto::parseAccount(stringParam(p, 0, "account"));
    if (!a.ok()) throw invalidParams(a.error().message);
    return chain_.accountNextIndex(*a);
  }
  json getBlockHash(const json& p) {
    expectCount(p, 0, 1);
    auto one = [&](const json& v) -> json {
      uint64_t n = blockNumber(v);
      auto h = n <= viewBest() ? chain_.blockHash(n) : std::nullopt;
      return h ? json(toHex(*h)) : json(nullptr);
    };
    if (!present(p, 0)) return toHex(*chain_.blockHash(viewBest()));
    if (p[0].is_array()) {
      if (p[0].size() > 4096) throw invalidParams("at most 4096 block numbers");
      json out = json::array();
      for (const auto& v : p[0]) out.push_back(one(v));
      return out;
    }
    return one(p[0]);
  }
  json getHeader(const json& p) {
    expectCount(p, 0, 1);
    std::lock_guard lock(impl_.mu);
    uint32_t n = viewBestLocked();
    if (present(p, 0)) {
      H256 h = hashParam(p, 0, "block hash");
      auto it = impl_.number_by_hash.find(h);
      if (it == impl_.number_by_hash.end() || it->second > n) return nullptr;
      n = it->second;
    }
    const auto& hd = impl_.headers[n];
    return json{{"parentHash", toHex(hd.parent)},
                {"number", hexNumber(hd.number)},
                {"stateRoot", toHex(hd.state_root)},
                {"extrinsicsRoot", toHex(hd.extrinsics_root)},
                {"digest", {{"logs", json::array()}}}};
  }
  json getFinalizedHead(const json& p) {
    expectCount(p, 0, 0);
    std::lock_guard lock(impl_.mu);
    const uint32_t lag = impl_.config.finality_lag_blocks;
    const uint32_t finalized = impl_.best() - std::min(lag, impl_.best());
    return toHex(impl_.headers[std::min(finalized, viewBestLocked())].hash);
  }
  json runtimeVersion(const json& p) {
    expectCount(p, 0, 1);
    // Without `at`: the runtime submissions are validated with (the real best block's), also on
    // a lagging view, whose submissions go to the same pool.
    const auto [spec, tx] = present(p, 0) ? chain_.runtimeAt(requireKnownBlock(p, 0))
                                          : chain_.runtimeAt(chain_.bestNumber());
    return json{{"specName", "phala-devnet"}, {"implName", "hunter-devnet"},
                {"authoringVersion", 1},      {"specVersion", spec},
                {"implVersion", 0},           {"apis", json::array()},
                {"transactionVersion", tx},   {"stateVersion", 1}};
  }
  // The number of a block this view knows (a lagging view does not know the newest ones).
  uint32_t requireKnownBlock(const json& p, size_t i) {
    H256 h = hashParam(p, i, "block hash");
    std::lock_guard lock(impl_.mu);
    auto it = impl_.number_by_hash.find(h);
    if (it == impl_.number_by_hash.end() || it->second > viewBestLocked()) {
      throw invalidParams("unknown block " + toHex(h));
    }
    return it->second;
  }
  uint32_t viewBestLocked() const { return impl_.best() - std::min(lag_, impl_.best()); }
  uint32_t viewBest() const {
    std::lock_guard lock(impl_.mu);
    return viewBestLocked();
  }
  // A value as of block `at`: Acks and Queues entries are rebuilt from the ACKs' blocks (the
  // devnet keeps no other history); every other key answers from the latest state.
  std::optional<Bytes> storageAt(const Bytes& key, uint32_t at) {
    static const Bytes acks = core::storagePrefix("PhalaClusterMq", "Acks");
    static const Bytes queues = core::storagePrefix("PhalaClusterMq", "Queues");
    auto v = chain_.storage(key);
    if (at >= chain_.bestNumber()) return v;
    auto startsWith = [&](const Bytes& prefix) {
      return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
    };
    if (startsWith(acks) && key.size() == acks.size() + 16 + 32 + 8 + 8) {
      if (!v) return v;
      auto ack = core::decodeAckRecord(*v);
      return ack.ok() && ack->block > at ? std::nullopt : v;
    }
    if (startsWith(queues) && key.size() == queues.size() + 16 + 32) {
      H256 cluster{};
      std::copy_n(key.begin() + static_cast<long>(queues.size() + 16), 32, cluster.begin());
      core::QueueState q = queueAt(cluster, at);
      return q.next_sn == 0 ? std::nullopt : std::optional(core::encode(q));
    }
    return v;
  }
  core::QueueState queueAt(const H256& cluster, uint32_t at) {
    core::QueueState q = chain_.queue(cluster);
    while (q.next_sn > 0) {
      auto ack = chain_.ack(cluster, q.next_sn - 1);
      if (ack && ack->block <= at) return core::QueueState{q.next_sn, ack->hash};
      q.next_sn--;
      q.last_hash = H256{};
    }
    return q;
  }
  json getStorage(const json& p) {
    expectCount(p, 1, 2);
    Bytes key = hexParam(p, 0, "storage key", 4096);
    uint32_t at = present(p, 1) ? requireKnownBlock(p, 1) : viewBest();
    auto v = storageAt(key, at);
    return v ? json(toHex(*v)) : json(nullptr);
  }
  json queryStorageAt(const json& p) {
    expectCount(p, 1, 2);
    if (!p[0].is_array()) throw invalidParams("keys must be an array of hex strings");
    if (p[0].size() > 65536) throw invalidParams("at most 65536 keys");
    std::vector<Bytes> keys;
    keys.reserve(p[0].size());
    for (size_t i = 0; i < p[0].size(); ++i) {
      keys.push_back(hexParam(p[0], i, "storage key " + std::to_string(i), 4096));
    }
    if (present(p, 1)) requireKnownBlock(p, 1);
    std::lock_guard lock(impl_.mu);
    json changes = json::array();
    for (const auto& k : keys) {
      auto it = impl_.storage.find(std::string(k.begin(), k.end()));
      json value = it == impl_.storage.end() ? json(nullptr) : json(toHex(it->second));
      changes.push_back(json::array({json(toHex(k)), std::move(value)}));
    }
    return json::array(
        {json{{"block", toHex(impl_.headers.back().hash)}, {"changes", std::move(changes)}}});
  }
  json submitExtrinsic(const json& p) {
    expectCount(p, 1, 1);
    Bytes x = hexParam(p, 0, "extrinsic", kMaxExtrinsicBytes);
    auto r = chain_.submit(x);
    if (!r.tx_hash) {
      throw RpcError{r.error.value("code", -32603), r.error.value("message", "error"),
                     r.error.contains("data") ? r.error["data"] : json(nullptr)};
    }
    return toHex(*r.tx_hash);
  }
  json pendingExtrinsics(const json& p) {
    expectCount(p, 0, 0);
    std::lock_guard lock(impl_.mu);
    json out = json::array();
    for (const auto& [seq, id] : impl_.ready) out.push_back(toHex(impl_.txs.at(id).bytes));
    return out;
  }
  json queryInfo(const json& p) {
    expectCount(p, 1, 2);
    if (chain_.faults().query_info_fails) {
      throw RpcError{-32603, "Internal error", "payment_queryInfo failed (injected fault)"};
    }
    Bytes x = hexParam(p, 0, "extrinsic", kMaxExtrinsicBytes);
    if (present(p, 1)) requireKnownBlock(p, 1);
    auto decoded = core::decodeExtrinsic(x);
    if (!decoded.ok())
      throw RpcError{1001, "Extrinsic has invalid format", decoded.error().message};
    // A nominal weight: the devnet's fee depends on the length only.
    uint64_t weight = 100'000'000 + 50'000'000 * static_cast<uint64_t>(decoded->call.items.size());
    return json{{"weight", {{"refTime", weight}, {"proofSize", 0}}},
                {"class", "normal"},
                {"partialFee", u128ToString(chain_.feeFor(x.size()))}};
  }
  json clusterMqNextSn(const json& p) {
    expectCount(p, 1, 1);
    H256 cluster = hashParam(p, 0, "cluster");
    if (lag_ > 0) return queueAt(cluster, viewBest()).next_sn;  // a lagging node's pool is not ours
    return chain_.nextSn(cluster);
  }
  json rpcMethods(const json&) { return nullptr; }  // answered in call()

  DevChain& chain_;
  Impl& impl_;
  uint32_t lag_ = 0;  // blocks this view lags the chain (the /lagging path)
};

}  // namespace

json DevChain::handleRpc(const json& request) { return handleRpc(request, 0); }

json DevChain::handleRpc(const json& request, uint32_t lag_blocks) {
  if (!request.is_object()) return errorResponse(nullptr, -32600, "Invalid request");
  json id = nullptr;
  if (auto it = request.find("id"); it != request.end()) {
    if (!it->is_string() && !it->is_number() && !it->is_null()) {
      return errorResponse(nullptr, -32600, "Invalid request", "id must be a string or number");
    }
    id = *it;
  }
  auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0") {
    return errorResponse(id, -32600, "Invalid request", "jsonrpc must be \"2.0\"");
  }
  auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return errorResponse(id, -32600, "Invalid request", "method must be a string");
  }
  json params = json::array();
  if (auto it = request.find("params"); it != request.end() && !it->is_null()) {
    if (!it->is_array()) {
      return errorResponse(id, -32602, "Invalid params: params must be an array",
                           "params must be an array");
    }
    params = *it;
  }
  try {
    Dispatcher d(*this, *impl_, lag_blocks);
    json result = d.call(method->get<std::string>(), params);
    return json{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", id}};
  } catch (const RpcError& e) {
    return errorResponse(id, e.code, e.message, e.data);
  } catch (const std::exception& e) {
    return errorResponse(id, -32603, "Internal error", e.what());
  }
}

namespace {
// The shape the hunter sends author_submitExtrinsic in, read without nlohmann's parser, which
// copies the megabytes of hex one character at a time: {"jsonrpc": "2.0", "id": N, "method":
// "author_submitExtrinsic", "params": ["0x…"]} with its members in any order. The request built
// from it is the one json::parse would give; anything else goes to json::parse.
std::optional<json> scanSubmit(std::string_view body) {
  namespace sc = adapters::detail;
  sc::Scan s(body);
  unsigned seen = 0;
  uint64_t id = 0;
  std::string_view hex;
  bool ok = sc::scanObject(s, [&](std::string_view k) {
    if (k == "jsonrpc") {
      auto v = s.str();
      return v && *v == "2.0" && sc::firstTime(seen, 1);
    }
    if (k == "id") return sc::u64Once(s, seen, 2, id);
    if (k == "method") {
      auto v = s.str();
      return v && *v == "author_submitExtrinsic" && sc::firstTime(seen, 4);
    }
    if (k == "params") {
      if (!s.lit('[')) return false;
      auto v = s.str();
      if (!v || !s.lit(']')) return false;
      hex = *v;
      return sc::firstTime(seen, 8);
    }
    return false;
  });
  if (!ok || seen != 15 || !s.end()) return std::nullopt;
  json r = json::object();
  r["jsonrpc"] = "2.0";
  r["id"] = id;
  r["method"] = "author_submitExtrinsic";
  r["params"] = json::array({std::string(hex)});
  return r;
}
}  // namespace

std::string DevChain::handleRpcBody(const std::string& body) { return handleRpcBody(body, 0); }

std::string DevChain::handleRpcBody(const std::string& body, uint32_t lag_blocks) {
  json out;
  std::optional<json> fast = scanSubmit(body);
  json request = fast ? std::move(*fast) : json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    out = errorResponse(nullptr, -32700, "Parse error");
  } else if (request.is_array()) {
    if (request.empty()) {
      out = errorResponse(nullptr, -32600, "Invalid request", "empty batch");
    } else {
      out = json::array();
      for (const auto& r : request) out.push_back(handleRpc(r, lag_blocks));
    }
  } else {
    out = handleRpc(request, lag_blocks);
  }
  return adapters::jsonText(out);
}

}  // namespace hunter::devnet
