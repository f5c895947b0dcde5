#include "hunter/app/explain.hpp"

#include <fmt/format.h>

#include "hunter/app/service.hpp"
#include "hunter/app/status.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::app {
namespace {

using core::MsgState;
using nlohmann::json;

// "in 3 s", "now" (a time already passed is due now).
std::string inSeconds(int64_t at_ms, int64_t now_ms) {
  if (at_ms <= now_ms) return "now";
  return fmt::format("in {} s", (at_ms - now_ms + 999) / 1000);
}

json messageJson(const core::StoredMessage& m, int64_t now) {
  return {{"hash", toHex(m.hash)},
          {"source", m.source},
          {"state", core::toString(m.state)},
          {"attempts", m.attempts},
          {"last_error", m.last_error},
          {"age_s", (now - m.created_ms) / 1000},
          {"next_attempt_in_ms", std::max<int64_t>(0, m.next_attempt_ms - now)},
          {"quorum_signatures", m.signatures.size()},
          {"submission_id", m.submission_id}};
}

json answersJson(const std::vector<core::SignatureRecord>& answers) {
  json out = json::array();
  for (const auto& a : answers) {
    json e{{"worker", a.worker}, {"hash", toHex(a.hash)}, {"valid", a.valid}, {"code", a.code}};
    if (a.local_hash) e["its_hash"] = toHex(*a.local_hash);
    out.push_back(e);
  }
  return out;
}

json submissionsJson(const std::vector<core::SubmissionRecord>& subs, int64_t now) {
  json out = json::array();
  for (const auto& s : subs) {
    out.push_back({{"id", s.id},
                   {"tx_hash", toHex(s.tx_hash)},
                   {"account", crypto::ss58Encode(s.account)},
                   {"nonce", s.nonce},
                   {"era_birth", s.era_birth},
                   {"era_death", s.era_death},
                   {"sns", fmt::format("{}..{}", s.first_sn, s.last_sn)},
                   {"status", core::toString(s.status)},
                   {"error", s.error},
                   {"fee", s.fee_known ? json(u128ToString(s.fee)) : json(nullptr)},
                   {"age_s", (now - s.created_ms) / 1000}});
  }
  return out;
}

json outcomesJson(const std::vector<core::OutcomeRecord>& outcomes) {
  json out = json::array();
  for (const auto& o : outcomes) {
    json e{{"kind", core::toString(o.kind)},
           {"reason", o.reason},
           {"block", o.block},
           {"reward", u128ToString(o.reward)},
           {"fee", u128ToString(o.fee)},
           {"account", crypto::ss58Encode(o.account)},
           {"submission_id", o.submission_id}};
    if (o.ack_hash) e["ack_hash"] = toHex(*o.ack_hash);
    out.push_back(e);
  }
  return out;
}

json clusterJson(const core::ClusterStatusRecord& cs, int64_t now) {
  return {{"state", cs.state},
          {"reason", std::string(core::label(cs.reason))},
          {"reason_text", std::string(core::describe(cs.reason))},
          {"detail", cs.detail},
          {"chain_next_sn", cs.chain_next_sn},
          {"worker_next_sn", cs.worker_next_sn},
          {"seen_s_ago", (now - cs.updated_ms) / 1000}};
}

// What happens to an sn the database has no message for.
std::string nextForUnknown(uint64_t sn, const std::optional<core::ClusterStatusRecord>& cs) {
  if (!cs) return "nothing yet: the service has not run a round for this cluster";
  if (sn < cs->chain_next_sn) {
    return fmt::format(
        "nothing: the chain's next sn is {}, so sn {} is settled on the chain; this database "
        "holds no message for it (another hunter relayed it, or it predates this database)",
        cs->chain_next_sn, sn);
  }
  if (sn >= cs->worker_next_sn) {
    return fmt::format("nothing yet: the workers have not produced it (their next sn is {})",
                       cs->worker_next_sn);
  }
  return fmt::format("it is fetched by a coming round (the chain's next sn is {})",
                     cs->chain_next_sn);
}

// Why the cluster's head waits, when `sn` is its head and it is not moving.
std::string headWait(uint64_t sn, const std::optional<core::ClusterStatusRecord>& cs) {
  if (!cs || cs->reason == core::WaitReason::kMoving || sn != cs->chain_next_sn) return "";
  std::string why = std::string(core::describe(cs->reason));
  return cs->detail.empty() ? why : why + ": " + cs->detail;
}

std::string nextForMessage(const core::StoredMessage& m, uint64_t sn,
                           const std::optional<core::ClusterStatusRecord>& cs,
                           const std::vector<core::SubmissionRecord>& subs, int64_t now) {
  std::string wait = headWait(sn, cs);
  std::string when = inSeconds(m.next_attempt_ms, now);
  switch (m.state) {
    case MsgState::kPending:
    case MsgState::kDead:
      return fmt::format("its signatures are asked for again {}{}", when,
                         wait.empty() ? "" : " (it waits: " + wait + ")");
    case MsgState::kSigned:
      return fmt::format("a quorum is stored; it is submitted {}{}", when,
                         wait.empty() ? "" : " (it waits: " + wait + ")");
    case MsgState::kSubmitted: {
      if (subs.empty()) return "it waits for the chain's ACK";
      const auto& s = subs.back();
      return fmt::format(
          "it waits for the chain's ACK of submission {} ({}, nonce {}); the transaction is "
          "sent again while the pool does not hold it, and signed again once its era ends at "
          "block {}",
          s.id, core::toString(s.status), s.nonce, s.era_death);
    }
    case MsgState::kAccepted:
    case MsgState::kSuperseded:
    case MsgState::kDiverged:
      return "nothing: it is settled";
  }
  return "";
}

}  // namespace

Result<json> explainJson(core::Store& store, const ClusterConfig& cluster,
                         std::optional<uint64_t> sn, int64_t now_ms) {
  HUNTER_TRY(auto cs, store.clusterStatus(cluster.id));
  json out{{"cluster", toHex(cluster.id)}, {"alias", cluster.alias}};
  if (!sn) {
    if (!cs) {
      return makeError("no_status", cluster.name() +
                                        ": the service has not run a round for this cluster yet; "
                                        "give an sn to look one up");
    }
    sn = cs->chain_next_sn;
  }
  out["sn"] = *sn;
  out["cluster_state"] = cs ? clusterJson(*cs, now_ms) : json(nullptr);
  HUNTER_TRY(auto msg, store.message(cluster.id, *sn));
  HUNTER_TRY(auto answers, store.signatureAnswers(cluster.id, *sn));
  HUNTER_TRY(auto subs, store.submissionsCovering(cluster.id, *sn));
  HUNTER_TRY(auto outcomes, store.outcomesOf(cluster.id, *sn));
  out["message"] = msg ? messageJson(*msg, now_ms) : json(nullptr);
  out["signature_answers"] = answersJson(answers);
  out["submissions"] = submissionsJson(subs, now_ms);
  out["outcomes"] = outcomesJson(outcomes);
  out["next"] = msg ? nextForMessage(*msg, *sn, cs, subs, now_ms) : nextForUnknown(*sn, cs);
  return out;
}

Result<json> explainJson(const Config& cfg, const ClusterConfig& cluster,
                         std::optional<uint64_t> sn) {
  HUNTER_TRY(auto store, openExisting(cfg));
  SystemClock clock;
  return explainJson(*store, cluster, sn, clock.nowMs());
}

namespace {

void renderAnswers(const json& e, std::string& o) {
  if (e["signature_answers"].empty()) return;
  o += "signature answers:\n";
  for (const auto& a : e["signature_answers"]) {
    o += "  " + a["worker"].get<std::string>() + ": " +
         (a["valid"].get<bool>() ? std::string("signed ") + a["hash"].get<std::string>()
                                 : "refused (" + a["code"].get<std::string>() + ")");
    if (a.contains("its_hash")) o += ", its hash " + a["its_hash"].get<std::string>();
    o += "\n";
  }
}

void renderSubmissions(const json& e, std::string& o) {
  for (const auto& s : e["submissions"]) {
    o += fmt::format(
        "submission {}: {} tx {} from {} nonce {}, era {}..{}, sns {}, fee {}{}\n",
        s["id"].get<int64_t>(), s["status"].get<std::string>(), s["tx_hash"].get<std::string>(),
        s["account"].get<std::string>(), s["nonce"].get<uint64_t>(), s["era_birth"].get<uint64_t>(),
        s["era_death"].get<uint64_t>(), s["sns"].get<std::string>(),
        s["fee"].is_null() ? std::string("unknown") : s["fee"].get<std::string>(),
        s["error"].get<std::string>().empty() ? "" : " - " + s["error"].get<std::string>());
  }
}

void renderOutcomes(const json& e, std::string& o) {
  for (const auto& x : e["outcomes"]) {
    o += fmt::format(
        "outcome: {} at block {} for {}, reward {}, fee {}{}\n", x["kind"].get<std::string>(),
        x["block"].get<uint64_t>(), x["account"].get<std::string>(), x["reward"].get<std::string>(),
        x["fee"].get<std::string>(),
        x["reason"].get<std::string>().empty() ? "" : " - " + x["reason"].get<std::string>());
  }
}

}  // namespace

std::string renderExplain(const json& e) {
  std::string alias = e.value("alias", std::string());
  std::string o = fmt::format("cluster {}{} sn {}\n", alias.empty() ? "" : alias + " ",
                              e["cluster"].get<std::string>(), e["sn"].get<uint64_t>());
  if (const auto& cs = e["cluster_state"]; !cs.is_null()) {
    o += fmt::format("cluster: {} ({}: {}), chain next sn {}, workers' next sn {}, seen {} s ago\n",
                     cs["state"].get<std::string>(), cs["reason"].get<std::string>(),
                     cs["reason_text"].get<std::string>(), cs["chain_next_sn"].get<uint64_t>(),
                     cs["worker_next_sn"].get<uint64_t>(), cs["seen_s_ago"].get<int64_t>());
    if (!cs["detail"].get<std::string>().empty())
      o += "  " + cs["detail"].get<std::string>() + "\n";
  }
  if (const auto& m = e["message"]; m.is_null()) {
    o += "message: not in the database\n";
  } else {
    o += fmt::format("message: {} hash {}, from {}, {} attempt(s), {} s old\n",
                     m["state"].get<std::string>(), m["hash"].get<std::string>(),
                     m["source"].get<std::string>(), m["attempts"].get<uint64_t>(),
                     m["age_s"].get<int64_t>());
    if (!m["last_error"].get<std::string>().empty())
      o += "  last error: " + m["last_error"].get<std::string>() + "\n";
  }
  renderAnswers(e, o);
  renderSubmissions(e, o);
  renderOutcomes(e, o);
  o += "next: " + e["next"].get<std::string>() + "\n";
  return o;
}

}  // namespace hunter::app
