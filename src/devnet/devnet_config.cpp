// DevnetConfig from TOML (toml++). Strict: unknown keys, wrong types and out-of-range values are
// errors naming the source, the line and the key.
#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/ss58.hpp"
#include "hunter/devnet/devnet.hpp"

namespace hunter::devnet {
namespace {

struct Ctx {
  std::string source;
  Error err(const toml::source_region& at, const std::string& key, const std::string& what) const {
    return makeError("config",
                     source + ":" + std::to_string(at.begin.line) + ": " + key + ": " + what);
  }
};

Status checkKeys(const Ctx& c, const toml::table& tbl, const std::string& prefix,
                 const std::set<std::string>& known) {
  for (auto&& [k, v] : tbl) {
    std::string key(k.str());
    if (!known.count(key)) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      return c.err(k.source(), prefix + key, "unknown key (expected one of: " + list + ")");
    }
  }
  return okStatus();
}

template <class T>
Status readInt(const Ctx& c, const toml::table& tbl, const std::string& prefix, const char* key,
               T& out, int64_t min, int64_t max) {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_integer()) return c.err(n->source(), prefix + key, "expected an integer");
  int64_t v = *n->value<int64_t>();
  if (v < min || v > max) {
    return c.err(n->source(), prefix + key,
                 "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got " + std::to_string(v));
  }
  out = static_cast<T>(v);
  return okStatus();
}

Status readDouble(const Ctx& c, const toml::table& tbl, const std::string& prefix, const char* key,
                  double& out, double min, double max) {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_number()) return c.err(n->source(), prefix + key, "expected a number");
  double v = *n->value<double>();
  if (!(v >= min && v <= max)) {
    std::ostringstream os;
    os << "must be between " << min << " and " << max << ", got " << v;
    return c.err(n->source(), prefix + key, os.str());
  }
  out = v;
  return okStatus();
}

Status readBool(const Ctx& c, const toml::table& tbl, const std::string& prefix, const char* key,
                bool& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_boolean()) return c.err(n->source(), prefix + key, "expected true or false");
  out = *n->value<bool>();
  return okStatus();
}

Status readString(const Ctx& c, const toml::table& tbl, const std::string& prefix, const char* key,
                  std::string& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_string()) return c.err(n->source(), prefix + key, "expected a string");
  out = *n->value<std::string>();
  return okStatus();
}

// A balance: a decimal string ("1000000000000") or a non-negative integer.
Status readU128(const Ctx& c, const toml::table& tbl, const std::string& prefix, const char* key,
                u128& out) {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (n->is_integer()) {
    int64_t v = *n->value<int64_t>();
    if (v < 0) return c.err(n->source(), prefix + key, "must not be negative");
    out = static_cast<u128>(v);
    return okStatus();
  }
  if (!n->is_string()) {
    return c.err(n->source(), prefix + key, "expected a decimal string or an integer");
  }
  auto v = u128FromString(*n->value<std::string>(), prefix + key);
  if (!v.ok()) return c.err(n->source(), prefix + key, v.error().message);
  out = *v;
  return okStatus();
}

const toml::table* subTable(const toml::table& tbl, const char* key) {
  const toml::node* n = tbl.get(key);
  return n ? n->as_table() : nullptr;
}

Result<const toml::array*> readArray(const Ctx& c, const toml::table& tbl,
                                     const std::string& prefix, const char* key) {
  const toml::node* n = tbl.get(key);
  if (!n) return static_cast<const toml::array*>(nullptr);
  if (!n->is_array()) {
    return c.err(n->source(), prefix + key,
                 "expected an array of tables ([[" + prefix + key + "]])");
  }
  return n->as_array();
}

Status readWorkerFaults(const Ctx& c, const toml::table& t, const std::string& p, WorkerFaults& f) {
  HUNTER_CHECK(readBool(c, t, p, "offline", f.offline));
  HUNTER_CHECK(readInt(c, t, p, "slow_ms", f.slow_ms, 0, 3'600'000));
  HUNTER_CHECK(readDouble(c, t, p, "flaky_rate", f.flaky_rate, 0.0, 1.0));
  HUNTER_CHECK(readBool(c, t, p, "garbage", f.garbage));
  HUNTER_CHECK(readBool(c, t, p, "bad_signatures", f.bad_signatures));
  HUNTER_CHECK(readBool(c, t, p, "empty_messages", f.empty_messages));
  if (t.get("diverge_from")) {
    uint64_t k = 0;
    HUNTER_CHECK(readInt(c, t, p, "diverge_from", k, 0, INT64_MAX));
    f.diverge_from = k;
  }
  return okStatus();
}

Status readCluster(const Ctx& c, const toml::table& t, const std::string& p, ClusterConfig& cl) {
  HUNTER_CHECK(
      checkKeys(c, t, p,
                {"alias", "seed", "id", "workers", "threshold", "reward_per_message", "rate",
                 "payload_size", "initial_backlog", "max_pending", "destination", "faults"}));
  HUNTER_CHECK(readString(c, t, p, "alias", cl.alias));
  if (cl.alias.empty()) return c.err(t.source(), p + "alias", "required, not empty");
  cl.seed = cl.alias;
  HUNTER_CHECK(readString(c, t, p, "seed", cl.seed));
  cl.id = clusterIdFromSeed(cl.seed);
  if (const toml::node* n = t.get("id")) {
    if (!n->is_string()) return c.err(n->source(), p + "id", "expected a 0x-hex H256 string");
    auto id = fixedFromHex<32>(*n->value<std::string>(), p + "id");
    if (!id.ok()) return c.err(n->source(), p + "id", id.error().message);
    cl.id = *id;
  }
  HUNTER_CHECK(readInt(c, t, p, "workers", cl.workers, 1, 64));
  HUNTER_CHECK(readInt(c, t, p, "threshold", cl.threshold, 1, 64));
  if (cl.threshold > cl.workers) {
    return c.err(t.source(), p + "threshold",
                 "threshold " + std::to_string(cl.threshold) + " is above the worker count " +
                     std::to_string(cl.workers));
  }
  HUNTER_CHECK(readU128(c, t, p, "reward_per_message", cl.reward_per_message));
  HUNTER_CHECK(readDouble(c, t, p, "rate", cl.rate, 0.0, 1e6));
  HUNTER_CHECK(readInt(c, t, p, "payload_size", cl.payload_size, 0,
                       static_cast<int64_t>(core::kMaxPayload)));
  HUNTER_CHECK(readInt(c, t, p, "initial_backlog", cl.initial_backlog, 0, 100'000'000));
  HUNTER_CHECK(readInt(c, t, p, "max_pending", cl.max_pending, 1, 100'000'000));
  HUNTER_CHECK(readString(c, t, p, "destination", cl.destination));
  if (!core::isValidDestination(toBytes(cl.destination))) {
    return c.err(t.source(), p + "destination",
                 "not a valid topic (empty, or starts with a reserved character)");
  }
  HUNTER_TRY(const toml::array* faults, readArray(c, t, p, "faults"));
  if (faults) {
    for (size_t i = 0; i < faults->size(); ++i) {
      std::string fp = p + "faults[" + std::to_string(i) + "].";
      const toml::table* ft = (*faults)[i].as_table();
      if (!ft) return c.err((*faults)[i].source(), fp, "expected a table");
      HUNTER_CHECK(checkKeys(c, *ft, fp,
                             {"index", "offline", "slow_ms", "flaky_rate", "garbage",
                              "bad_signatures", "diverge_from", "empty_messages"}));
      if (!ft->get("index")) return c.err(ft->source(), fp + "index", "required");
      size_t index = 0;
      HUNTER_CHECK(readInt(c, *ft, fp, "index", index, 0, cl.workers - 1));
      WorkerFaults f;
      HUNTER_CHECK(readWorkerFaults(c, *ft, fp, f));
      cl.faults.emplace_back(index, f);
    }
  }
  return okStatus();
}

}  // namespace

std::chrono::microseconds untilNextProduction(const std::vector<ClusterConfig>& clusters,
                                              double elapsed_s) {
  double wait_s = 0.010;
  for (const ClusterConfig& cc : clusters) {
    if (cc.rate <= 0) continue;
    double due = (std::floor(cc.rate * elapsed_s) + 1) / cc.rate;
    wait_s = std::min(wait_s, std::max(0.0, due - elapsed_s));
  }
  return std::chrono::microseconds(std::llround(wait_s * 1e6));  // early by < 1 µs: woken again
}

H256 clusterIdFromSeed(const std::string& seed) {
  return crypto::blake2_256("hunter-devnet/cluster/" + seed);
}

DevnetConfig defaultDevnetConfig() {
  DevnetConfig cfg;
  ClusterConfig alpha;
  alpha.alias = "alpha";
  alpha.seed = "alpha";
  alpha.id = clusterIdFromSeed(alpha.seed);
  cfg.clusters.push_back(alpha);
  return cfg;
}

Result<DevnetConfig> parseDevnetConfig(std::string_view text, const std::string& source) {
  Ctx c{source};
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return makeError("config", source + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  DevnetConfig cfg;
  HUNTER_CHECK(
      checkKeys(c, root, "",
                {"block_ms", "chain_port", "worker_base_port", "state_dir", "hunter_key_out",
                 "hunter_free", "chain", "fees", "chain_faults", "clusters", "accounts"}));
  HUNTER_CHECK(readInt(c, root, "", "block_ms", cfg.block_ms, 10, 3'600'000));
  HUNTER_CHECK(readInt(c, root, "", "chain_port", cfg.chain_port, 0, 65535));
  HUNTER_CHECK(readInt(c, root, "", "worker_base_port", cfg.worker_base_port, 0, 65535));
  HUNTER_CHECK(readString(c, root, "", "state_dir", cfg.state_dir));
  HUNTER_CHECK(readString(c, root, "", "hunter_key_out", cfg.hunter_key_out));
  if (cfg.hunter_key_out.empty()) {
    return c.err(root.source(), "hunter_key_out", "must not be empty");
  }
  HUNTER_CHECK(readU128(c, root, "", "hunter_free", cfg.hunter_free));

  for (const char* name : {"chain", "fees", "chain_faults"}) {
    const toml::node* n = root.get(name);
    if (n && !n->is_table()) return c.err(n->source(), name, "expected a table");
  }
  if (const toml::table* t = subTable(root, "chain")) {
    HUNTER_CHECK(checkKeys(
        c, *t, "chain.", {"name", "spec_version", "transaction_version", "max_block_extrinsics"}));
    HUNTER_CHECK(readString(c, *t, "chain.", "name", cfg.chain.chain_name));
    HUNTER_CHECK(readInt(c, *t, "chain.", "spec_version", cfg.chain.spec_version, 0, UINT32_MAX));
    HUNTER_CHECK(readInt(c, *t, "chain.", "transaction_version", cfg.chain.transaction_version, 0,
                         UINT32_MAX));
    HUNTER_CHECK(readInt(c, *t, "chain.", "max_block_extrinsics", cfg.chain.max_block_extrinsics, 1,
                         1'000'000));
  }
  if (const toml::table* t = subTable(root, "fees")) {
    HUNTER_CHECK(checkKeys(c, *t, "fees.", {"base_fee", "byte_fee"}));
    HUNTER_CHECK(readU128(c, *t, "fees.", "base_fee", cfg.chain.base_fee));
    HUNTER_CHECK(readU128(c, *t, "fees.", "byte_fee", cfg.chain.byte_fee));
  }
  if (const toml::table* t = subTable(root, "chain_faults")) {
    HUNTER_CHECK(checkKeys(c, *t, "chain_faults.",
                           {"latency_ms", "drop_rate", "unavailable", "submit_reply_delay_ms"}));
    HUNTER_CHECK(readInt(c, *t, "chain_faults.", "submit_reply_delay_ms",
                         cfg.chain_faults.submit_reply_delay_ms, 0, 3'600'000));
    HUNTER_CHECK(
        readInt(c, *t, "chain_faults.", "latency_ms", cfg.chain_faults.latency_ms, 0, 3'600'000));
    HUNTER_CHECK(
        readDouble(c, *t, "chain_faults.", "drop_rate", cfg.chain_faults.drop_rate, 0.0, 1.0));
    HUNTER_CHECK(readBool(c, *t, "chain_faults.", "unavailable", cfg.chain_faults.unavailable));
  }

  HUNTER_TRY(const toml::array* clusters, readArray(c, root, "", "clusters"));
  if (clusters) {
    std::set<std::string> aliases;
    std::set<H256> ids;
    for (size_t i = 0; i < clusters->size(); ++i) {
      std::string p = "clusters[" + std::to_string(i) + "].";
      const toml::table* t = (*clusters)[i].as_table();
      if (!t) return c.err((*clusters)[i].source(), p, "expected a table");
      ClusterConfig cl;
      HUNTER_CHECK(readCluster(c, *t, p, cl));
      if (!aliases.insert(cl.alias).second) {
        return c.err(t->source(), p + "alias", "duplicate alias '" + cl.alias + "'");
      }
      if (!ids.insert(cl.id).second) {
        return c.err(t->source(), p + "id", "duplicate cluster id " + toHex(cl.id));
      }
      cfg.clusters.push_back(std::move(cl));
    }
  }
  if (cfg.clusters.empty()) cfg.clusters = defaultDevnetConfig().clusters;

  HUNTER_TRY(const toml::array* accounts, readArray(c, root, "", "accounts"));
  if (accounts) {
    for (size_t i = 0; i < accounts->size(); ++i) {
      std::string p = "accounts[" + std::to_string(i) + "].";
      const toml::table* t = (*accounts)[i].as_table();
      if (!t) return c.err((*accounts)[i].source(), p, "expected a table");
      HUNTER_CHECK(checkKeys(c, *t, p, {"key_file", "account", "free"}));
      AccountConfig a;
      HUNTER_CHECK(readString(c, *t, p, "key_file", a.key_file));
      std::string account;
      HUNTER_CHECK(readString(c, *t, p, "account", account));
      if (a.key_file.empty() == account.empty()) {
        return c.err(t->source(), p + "account", "give exactly one of key_file and account");
      }
      if (!account.empty()) {
        auto id = crypto::parseAccount(account);
        if (!id.ok()) return c.err(t->get("account")->source(), p + "account", id.error().message);
        a.account = *id;
      }
      HUNTER_CHECK(readU128(c, *t, p, "free", a.free));
      cfg.accounts.push_back(std::move(a));
    }
  }
  return cfg;
}

Result<DevnetConfig> loadDevnetConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError("io", "cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parseDevnetConfig(ss.str(), path);
}

}  // namespace hunter::devnet
