// DevnetConfig from TOML (toml++). Strict: unknown keys, wrong types and out-of-range values are
// errors naming the source, the line and the key.

#include <cmath>
#include <set>

#include "hunter/app/toml_reader.hpp"
#include "hunter/crypto/hash.hpp"
#include "hunter/crypto/ss58.hpp"
#include "hunter/devnet/devnet.hpp"

namespace hunter::devnet {
namespace {

using Ctx = app::TomlReader;

Status readWorkerFaults(const Ctx& c, const toml::table& t, const std::string& p, WorkerFaults& f) {
  HUNTER_CHECK(c.readBool(t, p, "offline", f.offline));
  HUNTER_CHECK(c.readInt(t, p, "slow_ms", f.slow_ms, 0, 3'600'000));
  HUNTER_CHECK(c.readDouble(t, p, "flaky_rate", f.flaky_rate, 0.0, 1.0));
  HUNTER_CHECK(c.readBool(t, p, "garbage", f.garbage));
  HUNTER_CHECK(c.readBool(t, p, "bad_signatures", f.bad_signatures));
  HUNTER_CHECK(c.readBool(t, p, "empty_messages", f.empty_messages));
  if (t.get("diverge_from")) {
    uint64_t k = 0;
    HUNTER_CHECK(c.readInt(t, p, "diverge_from", k, 0, INT64_MAX));
    f.diverge_from = k;
  }
  return okStatus();
}

Status readCluster(const Ctx& c, const toml::table& t, const std::string& p, ClusterConfig& cl) {
  HUNTER_CHECK(
      c.checkKeys(t, p,
                  {"alias", "seed", "id", "workers", "threshold", "reward_per_message", "rate",
                   "payload_size", "initial_backlog", "max_pending", "destination", "faults"}));
  HUNTER_CHECK(c.readString(t, p, "alias", cl.alias));
  if (cl.alias.empty()) return c.err(t.source(), p + "alias", "required, not empty");
  cl.seed = cl.alias;
  HUNTER_CHECK(c.readString(t, p, "seed", cl.seed));
  cl.id = clusterIdFromSeed(cl.seed);
  if (const toml::node* n = t.get("id")) {
    if (!n->is_string()) return c.err(n->source(), p + "id", "expected a 0x-hex H256 string");
    auto id = fixedFromHex<32>(*n->value<std::string>(), p + "id");
    if (!id.ok()) return c.err(n->source(), p + "id", id.error().message);
    cl.id = *id;
  }
  HUNTER_CHECK(c.readInt(t, p, "workers", cl.workers, 1, 64));
  HUNTER_CHECK(c.readInt(t, p, "threshold", cl.threshold, 1, 64));
  if (cl.threshold > cl.workers) {
    return c.err(t.source(), p + "threshold",
                 "threshold " + std::to_string(cl.threshold) + " is above the worker count " +
                     std::to_string(cl.workers));
  }
  HUNTER_CHECK(c.readU128(t, p, "reward_per_message", cl.reward_per_message));
  HUNTER_CHECK(c.readDouble(t, p, "rate", cl.rate, 0.0, 1e6));
  HUNTER_CHECK(
      c.readInt(t, p, "payload_size", cl.payload_size, 0, static_cast<int64_t>(core::kMaxPayload)));
  HUNTER_CHECK(c.readInt(t, p, "initial_backlog", cl.initial_backlog, 0, 100'000'000));
  HUNTER_CHECK(c.readInt(t, p, "max_pending", cl.max_pending, 1, 100'000'000));
  HUNTER_CHECK(c.readString(t, p, "destination", cl.destination));
  if (!core::isValidDestination(toBytes(cl.destination))) {
    return c.err(t.source(), p + "destination",
                 "not a valid topic (empty, or starts with a reserved character)");
  }
  HUNTER_TRY(const toml::array* faults, c.readArray(t, p, "faults"));
  if (faults) {
    for (size_t i = 0; i < faults->size(); ++i) {
      std::string fp = p + "faults[" + std::to_string(i) + "].";
      HUNTER_TRY(const toml::table* ft, c.tableAt(*faults, p + "faults", i));
      HUNTER_CHECK(c.checkKeys(*ft, fp,
                               {"index", "offline", "slow_ms", "flaky_rate", "garbage",
                                "bad_signatures", "diverge_from", "empty_messages"}));
      if (!ft->get("index")) return c.err(ft->source(), fp + "index", "required");
      size_t index = 0;
      HUNTER_CHECK(c.readInt(*ft, fp, "index", index, 0, cl.workers - 1));
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
  HUNTER_TRY(toml::table root, c.parse(text));
  DevnetConfig cfg;
  HUNTER_CHECK(c.checkKeys(
      root, "",
      {"block_ms", "chain_port", "worker_base_port", "workers_on_one_port", "state_dir",
       "hunter_key_out", "hunter_free", "chain", "fees", "chain_faults", "clusters", "accounts"}));
  HUNTER_CHECK(c.readInt(root, "", "block_ms", cfg.block_ms, 10, 3'600'000));
  HUNTER_CHECK(c.readInt(root, "", "chain_port", cfg.chain_port, 0, 65535));
  HUNTER_CHECK(c.readInt(root, "", "worker_base_port", cfg.worker_base_port, 0, 65535));
  HUNTER_CHECK(c.readBool(root, "", "workers_on_one_port", cfg.workers_on_one_port));
  HUNTER_CHECK(c.readString(root, "", "state_dir", cfg.state_dir));
  HUNTER_CHECK(c.readString(root, "", "hunter_key_out", cfg.hunter_key_out));
  if (cfg.hunter_key_out.empty()) {
    return c.err(root.source(), "hunter_key_out", "must not be empty");
  }
  HUNTER_CHECK(c.readU128(root, "", "hunter_free", cfg.hunter_free));

  HUNTER_TRY(const toml::table* chain, c.readTable(root, "", "chain"));
  HUNTER_TRY(const toml::table* fees, c.readTable(root, "", "fees"));
  HUNTER_TRY(const toml::table* chain_faults, c.readTable(root, "", "chain_faults"));
  if (const toml::table* t = chain) {
    HUNTER_CHECK(c.checkKeys(
        *t, "chain.",
        {"name", "spec_version", "transaction_version", "max_block_extrinsics", "upgrade_at_block",
         "upgrade_spec_version", "upgrade_transaction_version", "finality_lag_blocks"}));
    HUNTER_CHECK(c.readString(*t, "chain.", "name", cfg.chain.chain_name));
    HUNTER_CHECK(c.readInt(*t, "chain.", "spec_version", cfg.chain.spec_version, 0, UINT32_MAX));
    HUNTER_CHECK(c.readInt(*t, "chain.", "transaction_version", cfg.chain.transaction_version, 0,
                           UINT32_MAX));
    HUNTER_CHECK(c.readInt(*t, "chain.", "max_block_extrinsics", cfg.chain.max_block_extrinsics, 1,
                           1'000'000));
    HUNTER_CHECK(
        c.readInt(*t, "chain.", "upgrade_at_block", cfg.chain.upgrade_at_block, 0, UINT32_MAX));
    HUNTER_CHECK(c.readInt(*t, "chain.", "upgrade_spec_version", cfg.chain.upgrade_spec_version, 0,
                           UINT32_MAX));
    HUNTER_CHECK(c.readInt(*t, "chain.", "upgrade_transaction_version",
                           cfg.chain.upgrade_transaction_version, 0, UINT32_MAX));
    HUNTER_CHECK(c.readInt(*t, "chain.", "finality_lag_blocks", cfg.chain.finality_lag_blocks, 0,
                           1'000'000));
    if (cfg.chain.upgrade_at_block != 0 && cfg.chain.upgrade_spec_version == 0) {
      return c.err(t->source(), "chain.upgrade_spec_version",
                   "required with chain.upgrade_at_block");
    }
  }
  if (const toml::table* t = fees) {
    HUNTER_CHECK(c.checkKeys(*t, "fees.", {"base_fee", "byte_fee"}));
    HUNTER_CHECK(c.readU128(*t, "fees.", "base_fee", cfg.chain.base_fee));
    HUNTER_CHECK(c.readU128(*t, "fees.", "byte_fee", cfg.chain.byte_fee));
  }
  if (const toml::table* t = chain_faults) {
    HUNTER_CHECK(c.checkKeys(*t, "chain_faults.",
                             {"latency_ms", "drop_rate", "unavailable", "submit_reply_delay_ms"}));
    HUNTER_CHECK(c.readInt(*t, "chain_faults.", "submit_reply_delay_ms",
                           cfg.chain_faults.submit_reply_delay_ms, 0, 3'600'000));
    HUNTER_CHECK(
        c.readInt(*t, "chain_faults.", "latency_ms", cfg.chain_faults.latency_ms, 0, 3'600'000));
    HUNTER_CHECK(
        c.readDouble(*t, "chain_faults.", "drop_rate", cfg.chain_faults.drop_rate, 0.0, 1.0));
    HUNTER_CHECK(c.readBool(*t, "chain_faults.", "unavailable", cfg.chain_faults.unavailable));
  }

  HUNTER_TRY(const toml::array* clusters, c.readArray(root, "", "clusters"));
  if (clusters) {
    std::set<std::string> aliases;
    std::set<H256> ids;
    for (size_t i = 0; i < clusters->size(); ++i) {
      std::string p = "clusters[" + std::to_string(i) + "].";
      HUNTER_TRY(const toml::table* t, c.tableAt(*clusters, "clusters", i));
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

  HUNTER_TRY(const toml::array* accounts, c.readArray(root, "", "accounts"));
  if (accounts) {
    for (size_t i = 0; i < accounts->size(); ++i) {
      std::string p = "accounts[" + std::to_string(i) + "].";
      HUNTER_TRY(const toml::table* t, c.tableAt(*accounts, "accounts", i));
      HUNTER_CHECK(c.checkKeys(*t, p, {"key_file", "account", "free"}));
      AccountConfig a;
      HUNTER_CHECK(c.readString(*t, p, "key_file", a.key_file));
      std::string account;
      HUNTER_CHECK(c.readString(*t, p, "account", account));
      if (a.key_file.empty() == account.empty()) {
        return c.err(t->source(), p + "account", "give exactly one of key_file and account");
      }
      if (!account.empty()) {
        auto id = crypto::parseAccount(account);
        if (!id.ok()) return c.err(t->get("account")->source(), p + "account", id.error().message);
        a.account = *id;
      }
      HUNTER_CHECK(c.readU128(*t, p, "free", a.free));
      cfg.accounts.push_back(std::move(a));
    }
  }
  return cfg;
}

Result<DevnetConfig> loadDevnetConfig(const std::string& path) {
  HUNTER_TRY(std::string text, app::TomlReader::readFile(path));
  return parseDevnetConfig(text, path);
}

}  // namespace hunter::devnet
