#include "hunter/app/status.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <map>

#include "hunter/adapters/chain_client.hpp"
#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/adapters/worker_client.hpp"
#include "hunter/app/service.hpp"
#include "hunter/core/worker_answer.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::app {
namespace {

using nlohmann::json;

constexpr size_t kListedMessages = 50;
constexpr size_t kRecentOutcomes = 10;

bool fileExists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace

Result<std::unique_ptr<adapters::SqliteStore>> openExisting(const Config& cfg) {
  if (!fileExists(cfg.database)) {
    return makeError("no_database", "no database at " + cfg.database +
                                        " yet (it is created by 'hunter run' or 'hunter submit')");
  }
  return adapters::SqliteStore::open(cfg.database, adapters::SqliteStore::Access::kReader);
}

namespace {

std::string nameOf(const Config& cfg, const H256& id) {
  for (auto& c : cfg.clusters) {
    if (c.id == id) return c.name();
  }
  return toHex(id);
}

std::string age(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h";
}

std::string signedU128(u128 plus, u128 minus) {
  return plus >= minus ? u128ToString(plus - minus) : "-" + u128ToString(minus - plus);
}

}  // namespace

Result<json> statusJson(const Config& cfg, const std::vector<ClusterConfig>& clusters, bool probe) {
  SystemClock clock;
  int64_t now = clock.nowMs();
  json out;
  out["database"] = cfg.database;
  std::unique_ptr<adapters::SqliteStore> store;
  {
    auto s = openExisting(cfg);
    if (s.ok()) {
      store = std::move(s).value();
    } else if (s.error().code == "no_database") {
      out["database_note"] = s.error().message;
    } else {
      return s.error();
    }
  }

  std::unique_ptr<adapters::JsonRpcChainClient> chain;
  json chainJ;
  chainJ["endpoints"] = json::array();
  for (const auto& e : cfg.chain_endpoints) chainJ["endpoints"].push_back(adapters::redactUrl(e));
  if (probe && !cfg.chain_endpoints.empty()) {
    adapters::ChainClientOptions o;
    o.timeout = std::chrono::milliseconds(std::min<int64_t>(cfg.request_timeout_ms, 5000));
    o.max_response = cfg.max_response_bytes;
    o.ca_file = cfg.ca_file;
    chain = std::make_unique<adapters::JsonRpcChainClient>(cfg.chain_endpoints, o);
    auto best = chain->bestBlock();
    chainJ["reachable"] = best.ok();
    if (best.ok()) {
      chainJ["best_block"] = best->number;
    } else {
      chainJ["error"] = best.error().message;
      chain.reset();
    }
  } else {
    chainJ["reachable"] = nullptr;
  }
  out["chain"] = chainJ;

  out["clusters"] = json::array();
  for (const auto& cc : clusters) {
    json c;
    c["cluster"] = toHex(cc.id);
    c["alias"] = cc.alias;
    std::optional<uint64_t> chainNext;
    if (chain) {
      auto q = chain->queue(cc.id);
      auto n = chain->nextSn(cc.id);
      auto info = chain->clusterInfo(cc.id);
      if (q.ok()) {
        c["chain_next_sn"] = q->next_sn;
        chainNext = q->next_sn;
      }
      if (n.ok()) c["chain_next_sn_with_pool"] = *n;
      if (info.ok() && *info) {
        c["threshold"] = (*info)->threshold;
        c["registered_workers"] = (*info)->workers.size();
      } else if (info.ok()) {
        c["chain_error"] = "cluster is not registered on the chain";
      }
    }
    // Workers: each one's next sn (GetClusterMessages with limit 1) and whether it stopped.
    c["workers"] = json::array();
    if (probe) {
      adapters::WorkerClientOptions wo;
      wo.timeout = std::chrono::milliseconds(std::min<int64_t>(cfg.request_timeout_ms, 3000));
      wo.max_response = cfg.max_response_bytes;
      wo.ca_file = cfg.ca_file;
      adapters::HttpWorkerClient wc(cc.workers, wo);
      for (size_t i = 0; i < cc.workers.size(); ++i) {
        json w;
        w["endpoint"] = wc.endpoints()[i];
        auto r = wc.fetch(i, cc.id, chainNext.value_or(0), 1);
        if (r.ok()) {
          w["reachable"] = true;
          w["next_sn"] = r->next_sn;
        } else {
          w["reachable"] = r.error().code != "timeout" && r.error().code != "unreachable";
          w["error"] = r.error().message;
          if (core::workerFailureOf(r.error()) == core::WorkerFailure::kStopped) {
            w["stopped"] = true;
          }
        }
        c["workers"].push_back(w);
      }
    }
    if (store) {
      auto counts = store->messageCounts(cc.id);
      json cj = json::object();
      uint64_t pending = 0;
      if (counts.ok()) {
        for (auto& [state, n] : *counts) {
          cj[core::toString(state)] = n;
          if (!core::isFinal(state)) pending += n;
        }
      }
      c["counts"] = cj;
      c["pending"] = pending;
      auto open = store->messages(
          cc.id, {core::MsgState::kPending, core::MsgState::kSigned, core::MsgState::kSubmitted}, 0,
          kListedMessages);
      c["messages"] = json::array();
      if (open.ok()) {
        int64_t oldest = 0;
        for (auto& m : *open) {
          oldest = oldest == 0 ? m.created_ms : std::min(oldest, m.created_ms);
          c["messages"].push_back({{"sn", m.sn},
                                   {"hash", toHex(m.hash)},
                                   {"state", core::toString(m.state)},
                                   {"attempts", m.attempts},
                                   {"age_s", (now - m.created_ms) / 1000},
                                   {"last_error", m.last_error},
                                   {"source", m.source}});
        }
        if (oldest) c["oldest_pending_age_s"] = (now - oldest) / 1000;
      }
      auto cs = store->clusterStatus(cc.id);
      if (cs.ok() && *cs) {
        c["state"] = (*cs)->state;
        c["reason"] = std::string(core::label((*cs)->reason));
        c["reason_text"] = std::string(core::describe((*cs)->reason));
        c["detail"] = (*cs)->detail;
        c["worker_next_sn"] = (*cs)->worker_next_sn;
        c["backlog"] = (*cs)->worker_next_sn > (*cs)->chain_next_sn
                           ? (*cs)->worker_next_sn - (*cs)->chain_next_sn
                           : 0;
        c["state_age_s"] = (now - (*cs)->updated_ms) / 1000;
        if (!c.contains("chain_next_sn")) c["last_known_chain_next_sn"] = (*cs)->chain_next_sn;
      }
      c["recent_outcomes"] = json::array();
      if (auto recent = store->recentOutcomes(cc.id, kRecentOutcomes); recent.ok()) {
        for (const auto& o : *recent) {
          c["recent_outcomes"].push_back({{"sn", o.sn},
                                          {"kind", core::toString(o.kind)},
                                          {"reason", o.reason},
                                          {"account", crypto::ss58Encode(o.account)},
                                          {"reward", u128ToString(o.reward)},
                                          {"fee", u128ToString(o.fee)},
                                          {"block", o.block},
                                          {"age_s", (now - o.at_ms) / 1000}});
        }
      }
      c["divergent_workers"] = json::array();
      auto ws = store->workers(cc.id);
      if (ws.ok()) {
        for (auto& w : *ws) {
          if (w.divergences == 0 && w.faulty_chain == 0) continue;
          json d{{"endpoint", w.endpoint},
                 {"divergences", w.divergences},
                 {"faulty_hash_chain", w.faulty_chain},
                 {"last_error", w.last_error}};
          if (w.diverged_hash) {
            d["sn"] = w.diverged_sn;
            d["hash"] = toHex(*w.diverged_hash);
          }
          c["divergent_workers"].push_back(d);
        }
      }
      // Workers that refused because their own hash differs (the hash each one holds).
      if (open.ok() && !open->empty()) {
        auto answers = store->signatureAnswers(cc.id, open->front().sn);
        if (answers.ok()) {
          json ev = json::array();
          for (auto& a : *answers) {
            json e{{"worker", a.worker}, {"code", a.code}, {"valid", a.valid}};
            if (a.local_hash) e["local_hash"] = toHex(*a.local_hash);
            ev.push_back(e);
          }
          if (!ev.empty()) c["first_pending_answers"] = ev;
        }
      }
    }
    out["clusters"].push_back(c);
  }
  return out;
}

std::string renderStatus(const json& s) {
  std::string o;
  o += "database: " + s["database"].get<std::string>() + "\n";
  if (s.contains("database_note")) o += "  " + s["database_note"].get<std::string>() + "\n";
  const auto& ch = s["chain"];
  if (ch["reachable"].is_null()) {
    o += "chain: not asked\n";
  } else if (ch["reachable"].get<bool>()) {
    o += fmt::format("chain: reachable, best block {}\n", ch["best_block"].get<uint64_t>());
  } else {
    o += "chain: UNREACHABLE: " + ch.value("error", std::string()) + "\n";
  }
  for (const auto& c : s["clusters"]) {
    std::string alias = c.value("alias", std::string());
    o += "\ncluster " + (alias.empty() ? "" : alias + " ") + c["cluster"].get<std::string>() + "\n";
    if (c.contains("state")) {
      o += "  state: " + c["state"].get<std::string>();
      std::string why = c.value("reason", std::string());
      if (!why.empty() && why != "moving")
        o += " (" + why + ": " + c.value("reason_text", "") + ")";
      std::string d = c.value("detail", std::string());
      o += d.empty() ? "\n" : " - " + d + "\n";
      o += fmt::format("  backlog: {}\n", c.value("backlog", uint64_t{0}));
    }
    if (c.contains("chain_error")) o += "  chain: " + c["chain_error"].get<std::string>() + "\n";
    if (c.contains("chain_next_sn")) {
      o += fmt::format("  chain next sn: {} (with pool: {})", c["chain_next_sn"].get<uint64_t>(),
                       c.value("chain_next_sn_with_pool", uint64_t{0}));
      if (c.contains("threshold")) {
        o += fmt::format(", threshold {} of {}", c["threshold"].get<uint64_t>(),
                         c["registered_workers"].get<uint64_t>());
      }
      o += "\n";
    } else if (c.contains("last_known_chain_next_sn")) {
      o += fmt::format("  chain next sn: unknown (last seen {})\n",
                       c["last_known_chain_next_sn"].get<uint64_t>());
    }
    for (const auto& w : c["workers"]) {
      o += "  worker " + w["endpoint"].get<std::string>() + ": ";
      if (w.contains("next_sn")) {
        o += fmt::format("next sn {}\n", w["next_sn"].get<uint64_t>());
      } else {
        o += (w.value("stopped", false) ? "STOPPED: " : "UNREACHABLE: ") +
             w.value("error", std::string()) + "\n";
      }
    }
    if (c.contains("pending")) {
      o += fmt::format("  pending: {}", c["pending"].get<uint64_t>());
      if (c.contains("oldest_pending_age_s")) {
        o += ", oldest " + age(c["oldest_pending_age_s"].get<int64_t>() * 1000);
      }
      o += "\n";
    }
    for (const auto& m : c.value("messages", json::array())) {
      o += fmt::format("    sn {} {} attempts {} age {}{}\n", m["sn"].get<uint64_t>(),
                       m["state"].get<std::string>(), m["attempts"].get<uint64_t>(),
                       age(m["age_s"].get<int64_t>() * 1000),
                       m["last_error"].get<std::string>().empty()
                           ? ""
                           : " - " + m["last_error"].get<std::string>());
    }
    for (const auto& d : c.value("divergent_workers", json::array())) {
      o += "  divergent worker " + d["endpoint"].get<std::string>();
      if (d.contains("hash")) {
        o += fmt::format(": at sn {} it gave hash {}", d["sn"].get<uint64_t>(),
                         d["hash"].get<std::string>());
      }
      o += fmt::format(" ({} divergence(s), {} bad hash chain(s))\n",
                       d["divergences"].get<uint64_t>(), d["faulty_hash_chain"].get<uint64_t>());
    }
    for (const auto& a : c.value("first_pending_answers", json::array())) {
      o +=
          "    answer from " + a["worker"].get<std::string>() + ": " + a["code"].get<std::string>();
      if (a.contains("local_hash")) o += " (its hash " + a["local_hash"].get<std::string>() + ")";
      o += "\n";
    }
  }
  return o;
}

Result<json> rewardsJson(const Config& cfg, const std::vector<ClusterConfig>& clusters,
                         bool only_selected) {
  json out;
  out["rows"] = json::array();
  auto store = openExisting(cfg);
  if (!store.ok()) {
    if (store.error().code == "no_database") {
      out["note"] = store.error().message;
      return out;
    }
    return store.error();
  }
  std::vector<std::optional<H256>> which;
  if (only_selected) {
    for (auto& c : clusters) which.push_back(c.id);
  } else {
    which.push_back(std::nullopt);
  }
  u128 totalReward = 0, totalFee = 0;
  uint64_t totalAccepted = 0;
  for (auto& w : which) {
    auto rows = (*store)->rewardsSummary(w);
    if (!rows.ok()) return rows.error();
    for (auto& r : *rows) {
      out["rows"].push_back({{"cluster", toHex(r.cluster)},
                             {"cluster_name", nameOf(cfg, r.cluster)},
                             {"account", toHex(r.account)},
                             {"ss58", crypto::ss58Encode(r.account)},
                             {"accepted", r.accepted},
                             {"superseded", r.superseded},
                             {"diverged", r.diverged},
                             {"rejected", r.rejected},
                             {"dead", r.dead},
                             {"reward", u128ToString(r.reward)},
                             {"fees", u128ToString(r.fee)},
                             {"net", signedU128(r.reward, r.fee)}});
      totalReward += r.reward;
      totalFee += r.fee;
      totalAccepted += r.accepted;
    }
  }
  out["total"] = {{"accepted", totalAccepted},
                  {"reward", u128ToString(totalReward)},
                  {"fees", u128ToString(totalFee)},
                  {"net", signedU128(totalReward, totalFee)}};
  return out;
}

std::string renderRewards(const json& r) {
  std::string o;
  if (r.contains("note")) return r["note"].get<std::string>() + "\n";
  o += fmt::format("{:<20} {:<50} {:>9} {:>22} {:>22} {:>23}\n", "cluster", "account", "accepted",
                   "reward", "fees", "net");
  for (const auto& row : r["rows"]) {
    std::string name = row["cluster_name"].get<std::string>();
    if (name.size() > 20) name = name.substr(0, 19) + "…";
    o += fmt::format("{:<20} {:<50} {:>9} {:>22} {:>22} {:>23}\n", name,
                     row["ss58"].get<std::string>(), row["accepted"].get<uint64_t>(),
                     row["reward"].get<std::string>(), row["fees"].get<std::string>(),
                     row["net"].get<std::string>());
  }
  const auto& t = r["total"];
  o += fmt::format("{:<20} {:<50} {:>9} {:>22} {:>22} {:>23}\n", "total", "",
                   t["accepted"].get<uint64_t>(), t["reward"].get<std::string>(),
                   t["fees"].get<std::string>(), t["net"].get<std::string>());
  return o;
}

Result<json> workersJson(const Config& cfg, const std::vector<ClusterConfig>& clusters) {
  json out;
  out["workers"] = json::array();
  auto store = openExisting(cfg);
  if (!store.ok()) {
    if (store.error().code == "no_database") {
      out["note"] = store.error().message;
      return out;
    }
    return store.error();
  }
  SystemClock clock;
  int64_t now = clock.nowMs();
  for (auto& cc : clusters) {
    auto ws = (*store)->workers(cc.id);
    if (!ws.ok()) return ws.error();
    for (auto& w : *ws) {
      json j{
          {"cluster", toHex(cc.id)},
          {"cluster_name", cc.name()},
          {"endpoint", w.endpoint},
          {"public_key", w.public_key ? toHex(*w.public_key) : ""},
          {"version", w.version},
          {"last_seen_s_ago", w.last_seen_ms ? json((now - w.last_seen_ms) / 1000) : json(nullptr)},
          {"signatures_valid", w.signatures_valid},
          {"signatures_invalid", w.signatures_invalid},
          {"refused", w.refused},
          {"errors", w.errors},
          {"divergences", w.divergences},
          {"faulty_hash_chain", w.faulty_chain},
          {"latency_ms", w.latency_ms_ewma},
          {"last_error", w.last_error}};
      if (w.diverged_hash) {
        j["diverged_sn"] = w.diverged_sn;
        j["diverged_hash"] = toHex(*w.diverged_hash);
      }
      out["workers"].push_back(j);
    }
  }
  return out;
}

std::string renderWorkers(const json& r) {
  if (r.contains("note")) return r["note"].get<std::string>() + "\n";
  std::string o = fmt::format("{:<12} {:<28} {:>9} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9}  {}\n",
                              "cluster", "endpoint", "last seen", "signed", "refused", "invalid",
                              "errors", "diverg", "latency", "last error");
  for (const auto& w : r["workers"]) {
    std::string name = w["cluster_name"].get<std::string>();
    if (name.size() > 12) name = name.substr(0, 11) + "…";
    std::string seen = w["last_seen_s_ago"].is_null()
                           ? "never"
                           : age(w["last_seen_s_ago"].get<int64_t>() * 1000) + " ago";
    o += fmt::format("{:<12} {:<28} {:>9} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7.1f}ms  {}\n", name,
                     w["endpoint"].get<std::string>(), seen, w["signatures_valid"].get<uint64_t>(),
                     w["refused"].get<uint64_t>(), w["signatures_invalid"].get<uint64_t>(),
                     w["errors"].get<uint64_t>(), w["divergences"].get<uint64_t>(),
                     w["latency_ms"].get<double>(), w["last_error"].get<std::string>());
  }
  return o;
}

}  // namespace hunter::app
