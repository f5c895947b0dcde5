#include "hunter/core/memory_store.hpp"

#include <algorithm>
#include <limits>

namespace hunter::core {
namespace {

constexpr uint64_t kMaxSn = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool wanted(const std::vector<MsgState>& states, MsgState s) {
  return states.empty() || std::find(states.begin(), states.end(), s) != states.end();
}

}  // namespace

Status MemoryStore::addMessages(const std::vector<StoredMessage>& msgs) {
  std::lock_guard lock(mu_);
  // Checked completely before anything is written, so a refused batch leaves no trace.
  std::map<MsgKey, const StoredMessage*> fresh;
  for (const auto& m : msgs) {
    if (m.sn > kMaxSn) {
      return makeError("bad_value", "addMessages: sn " + std::to_string(m.sn) + " is too large");
    }
    MsgKey key{m.cluster, m.sn};
    const H256* have = nullptr;
    if (auto it = messages_.find(key); it != messages_.end()) {
      have = &it->second.hash;
    } else if (auto f = fresh.find(key); f != fresh.end()) {
      have = &f->second->hash;
    }
    if (have == nullptr) {
      fresh.emplace(key, &m);
    } else if (*have != m.hash) {
      return conflictError(m.cluster, m.sn, *have, m.hash);
    }
  }
  for (const auto& [key, m] : fresh) messages_.emplace(key, *m);
  return okStatus();
}

Result<std::optional<std::pair<uint64_t, H256>>> MemoryStore::tip(const H256& cluster) {
  std::lock_guard lock(mu_);
  auto it = messages_.upper_bound(MsgKey{cluster, std::numeric_limits<uint64_t>::max()});
  if (it == messages_.begin()) return std::optional<std::pair<uint64_t, H256>>();
  --it;
  if (it->first.first != cluster) return std::optional<std::pair<uint64_t, H256>>();
  return std::optional(std::make_pair(it->second.sn, it->second.hash));
}

Result<std::optional<StoredMessage>> MemoryStore::message(const H256& cluster, uint64_t sn) {
  std::lock_guard lock(mu_);
  auto it = messages_.find(MsgKey{cluster, sn});
  if (it == messages_.end()) return std::optional<StoredMessage>();
  return std::optional(it->second);
}

Result<std::vector<StoredMessage>> MemoryStore::messages(const H256& cluster,
                                                         const std::vector<MsgState>& states,
                                                         uint64_t from_sn, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<StoredMessage> out;
  for (auto it = messages_.lower_bound(MsgKey{cluster, from_sn});
       it != messages_.end() && it->first.first == cluster && out.size() < limit; ++it) {
    if (wanted(states, it->second.state)) out.push_back(it->second);
  }
  return out;
}

Result<uint64_t> MemoryStore::countMessages(const H256& cluster,
                                            const std::vector<MsgState>& states) {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (auto it = messages_.lower_bound(MsgKey{cluster, 0});
       it != messages_.end() && it->first.first == cluster; ++it) {
    if (wanted(states, it->second.state)) ++n;
  }
  return n;
}

Status MemoryStore::dropFrom(const H256& cluster, uint64_t from_sn) {
  std::lock_guard lock(mu_);
  for (auto it = messages_.lower_bound(MsgKey{cluster, from_sn});
       it != messages_.end() && it->first.first == cluster;) {
    if (isFinal(it->second.state)) {
      ++it;
    } else {
      it = messages_.erase(it);
    }
  }
  return okStatus();
}

Status MemoryStore::markSigned(const H256& cluster, const std::vector<SignedUpdate>& updates,
                               const std::vector<SignatureRecord>& answers, int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (const auto& u : updates) {
    auto it = messages_.find(MsgKey{cluster, u.sn});
    if (it == messages_.end() || it->second.state != MsgState::kPending) continue;
    it->second.state = MsgState::kSigned;
    it->second.signatures = u.signatures;
    it->second.updated_ms = now_ms;
  }
  answers_.insert(answers_.end(), answers.begin(), answers.end());
  return okStatus();
}

Status MemoryStore::setRetry(const H256& cluster, const std::vector<RetryUpdate>& updates,
                             int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (const auto& u : updates) {
    auto it = messages_.find(MsgKey{cluster, u.sn});
    if (it == messages_.end()) continue;
    auto& m = it->second;
    m.state = u.state;
    m.attempts = u.attempts;
    m.next_attempt_ms = u.next_attempt_ms;
    m.last_error = u.last_error;
    m.updated_ms = now_ms;
  }
  return okStatus();
}

Status MemoryStore::retryNow(const H256& cluster) {
  std::lock_guard lock(mu_);
  for (auto it = messages_.lower_bound(MsgKey{cluster, 0});
       it != messages_.end() && it->first.first == cluster; ++it) {
    auto& m = it->second;
    if (m.state == MsgState::kPending || m.state == MsgState::kSigned) m.next_attempt_ms = 0;
  }
  return okStatus();
}

Status MemoryStore::recordSignatureAnswers(const std::vector<SignatureRecord>& answers) {
  std::lock_guard lock(mu_);
  answers_.insert(answers_.end(), answers.begin(), answers.end());
  return okStatus();
}

Result<std::vector<SignatureRecord>> MemoryStore::signatureAnswers(const H256& cluster,
                                                                   uint64_t sn) {
  std::lock_guard lock(mu_);
  std::vector<SignatureRecord> out;
  for (const auto& a : answers_) {
    if (a.cluster == cluster && a.sn == sn) out.push_back(a);
  }
  return out;
}

Result<int64_t> MemoryStore::addSubmission(const SubmissionRecord& s) {
  std::lock_guard lock(mu_);
  if (s.first_sn > s.last_sn) {
    return makeError("bad_value", "addSubmission: first_sn " + std::to_string(s.first_sn) +
                                      " > last_sn " + std::to_string(s.last_sn));
  }
  SubmissionRecord rec = s;
  rec.id = next_submission_id_++;
  rec.status = SubmissionStatus::kSending;
  submissions_.emplace(rec.id, rec);
  for (auto it = messages_.lower_bound(MsgKey{s.cluster, s.first_sn});
       it != messages_.end() && it->first.first == s.cluster && it->first.second <= s.last_sn;
       ++it) {
    auto& m = it->second;
    if (isFinal(m.state)) continue;
    m.state = MsgState::kSubmitted;
    m.submission_id = rec.id;
    m.updated_ms = s.created_ms;
  }
  return rec.id;
}

Status MemoryStore::updateSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                     int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = submissions_.find(id);
  if (it == submissions_.end()) {
    return makeError("not_found", "updateSubmission: no submission " + std::to_string(id));
  }
  it->second.status = status;
  it->second.error = error;
  it->second.updated_ms = now_ms;
  return okStatus();
}

Status MemoryStore::releaseSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                      const RetryUpdate& retry, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = submissions_.find(id);
  if (it == submissions_.end()) {
    return makeError("not_found", "releaseSubmission: no submission " + std::to_string(id));
  }
  auto& sub = it->second;
  sub.status = status;
  sub.error = error;
  sub.updated_ms = now_ms;
  for (auto m = messages_.lower_bound(MsgKey{sub.cluster, sub.first_sn});
       m != messages_.end() && m->first.first == sub.cluster && m->first.second <= sub.last_sn;
       ++m) {
    auto& msg = m->second;
    if (msg.submission_id != id || msg.state != MsgState::kSubmitted) continue;
    msg.state = retry.state;
    msg.attempts += 1;
    msg.next_attempt_ms = retry.next_attempt_ms;
    msg.last_error = retry.last_error;
    msg.submission_id = 0;
    msg.updated_ms = now_ms;
  }
  return okStatus();
}

Result<std::vector<SubmissionRecord>> MemoryStore::openSubmissions(const H256& cluster) {
  std::lock_guard lock(mu_);
  std::vector<SubmissionRecord> out;
  for (const auto& [id, s] : submissions_) {
    if (s.cluster == cluster &&
        (s.status == SubmissionStatus::kSending || s.status == SubmissionStatus::kInPool)) {
      out.push_back(s);
    }
  }
  return out;
}

Result<std::optional<SubmissionRecord>> MemoryStore::submission(int64_t id) {
  std::lock_guard lock(mu_);
  auto it = submissions_.find(id);
  if (it == submissions_.end()) return std::optional<SubmissionRecord>();
  return std::optional(it->second);
}

Result<std::optional<SubmissionRecord>> MemoryStore::lostSubmissionCovering(
    const H256& cluster, uint64_t sn, const crypto::AccountId32& account) {
  std::lock_guard lock(mu_);
  for (auto it = submissions_.rbegin(); it != submissions_.rend(); ++it) {
    const auto& s = it->second;
    if (s.cluster == cluster && s.status == SubmissionStatus::kLost && s.account == account &&
        s.first_sn <= sn && sn <= s.last_sn) {
      SubmissionRecord head = s;
      head.extrinsic.clear();
      return std::optional(std::move(head));
    }
  }
  return std::optional<SubmissionRecord>();
}

Result<std::vector<SubmissionRecord>> MemoryStore::submissionsCovering(const H256& cluster,
                                                                       uint64_t sn) {
  std::lock_guard lock(mu_);
  std::vector<SubmissionRecord> out;
  for (const auto& [id, s] : submissions_) {
    if (s.cluster != cluster || sn < s.first_sn || s.last_sn < sn) continue;
    out.push_back(s);
    out.back().extrinsic.clear();
  }
  return out;
}

Status MemoryStore::recordOutcomes(const std::vector<OutcomeRecord>& outcomes) {
  std::lock_guard lock(mu_);
  for (const auto& o : outcomes) {
    std::optional<MsgState> state;
    switch (o.kind) {
      case OutcomeKind::kAccepted:
        state = MsgState::kAccepted;
        break;
      case OutcomeKind::kSuperseded:
        state = MsgState::kSuperseded;
        break;
      case OutcomeKind::kDiverged:
        state = MsgState::kDiverged;
        break;
      case OutcomeKind::kDead:
      case OutcomeKind::kRejected:
        break;  // reports: the message stays where it is and is retried
    }
    if (state) {
      if (auto it = messages_.find(MsgKey{o.cluster, o.sn}); it != messages_.end()) {
        it->second.state = *state;
        it->second.updated_ms = o.at_ms;
      }
    }
    outcomes_.push_back(o);
  }
  return okStatus();
}

Status MemoryStore::replaceOutcome(const OutcomeRecord& o) {
  if (o.kind == OutcomeKind::kRejected || o.kind == OutcomeKind::kDead) {
    return makeError("bad_value",
                     "replaceOutcome: " + std::string(toString(o.kind)) + " settles nothing");
  }
  {
    std::lock_guard lock(mu_);
    std::erase_if(outcomes_, [&](const OutcomeRecord& x) {
      return x.cluster == o.cluster && x.sn == o.sn && x.kind != OutcomeKind::kRejected &&
             x.kind != OutcomeKind::kDead;
    });
  }
  return recordOutcomes({o});
}

Result<std::vector<OutcomeRecord>> MemoryStore::outcomes(const std::optional<H256>& cluster) {
  std::lock_guard lock(mu_);
  std::vector<OutcomeRecord> out;
  for (const auto& o : outcomes_) {
    if (!cluster || o.cluster == *cluster) out.push_back(o);
  }
  return out;
}

Result<std::vector<OutcomeRecord>> MemoryStore::outcomesOf(const H256& cluster, uint64_t sn) {
  std::lock_guard lock(mu_);
  std::vector<OutcomeRecord> out;
  for (const auto& o : outcomes_) {
    if (o.cluster == cluster && o.sn == sn) out.push_back(o);
  }
  return out;
}

Status MemoryStore::upsertWorker(const WorkerRecord& w) {
  std::lock_guard lock(mu_);
  workers_.insert_or_assign(std::make_pair(w.cluster, w.endpoint), w);
  return okStatus();
}

Result<std::vector<WorkerRecord>> MemoryStore::workers(const std::optional<H256>& cluster) {
  std::lock_guard lock(mu_);
  std::vector<WorkerRecord> out;
  for (const auto& [key, w] : workers_) {
    if (!cluster || key.first == *cluster) out.push_back(w);
  }
  return out;
}

Status MemoryStore::setClusterStatus(const ClusterStatusRecord& s) {
  std::lock_guard lock(mu_);
  cluster_status_.insert_or_assign(s.cluster, s);
  return okStatus();
}

Result<std::optional<ClusterStatusRecord>> MemoryStore::clusterStatus(const H256& cluster) {
  std::lock_guard lock(mu_);
  auto it = cluster_status_.find(cluster);
  if (it == cluster_status_.end()) return std::optional<ClusterStatusRecord>();
  return std::optional(it->second);
}

Result<std::optional<std::string>> MemoryStore::meta(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::optional<std::string>();
  return std::optional(it->second);
}

Status MemoryStore::setMeta(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  meta_[key] = value;
  return okStatus();
}

}  // namespace hunter::core
