#include "hunter/core/vote_count.hpp"

#include <algorithm>
#include <sstream>

#include "hunter/core/worker_answer.hpp"

namespace hunter::core {
namespace {

std::string shortHash(const H256& h) { return toHex(h).substr(0, 18) + "…"; }

void joinTo(std::ostringstream& out, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) out << (i ? ", " : "") << names[i];
}

}  // namespace

VoteCount::VoteCount(const H256& cluster, std::vector<SignItem> items, uint32_t threshold,
                     std::vector<crypto::PublicKey> registered)
    : cluster_(cluster),
      items_(std::move(items)),
      threshold_(threshold),
      registered_(std::move(registered)),
      votes_(items_.size()) {
  for (size_t k = 0; k < items_.size(); ++k) index_[items_[k].sn] = k;
}

std::optional<size_t> VoteCount::indexOf(uint64_t sn) const {
  auto it = index_.find(sn);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void VoteCount::asked(const std::vector<size_t>& which, size_t workers) {
  for (size_t k : which) votes_[k].asked += workers;
}

void VoteCount::failed(const std::vector<size_t>& which, const std::string& worker,
                       const std::string& code) {
  for (size_t k : which) votes_[k].failed.push_back(worker + " (" + code + ")");
}

SignatureRecord VoteCount::recordOf(size_t k, const std::string& worker) const {
  SignatureRecord a;
  a.cluster = cluster_;
  a.sn = items_[k].sn;
  a.hash = items_[k].hash;
  a.worker = worker;
  return a;
}

VoteCount::Verdict VoteCount::signature(size_t k, const std::string& worker,
                                        const std::optional<crypto::PublicKey>& signer,
                                        const crypto::Signature& sig, SignatureRecord& audit) {
  audit = recordOf(k, worker);
  auto& v = votes_[k];
  v.answered++;
  if (!signer) {
    audit.code = toString(SignatureFault::kUnrecoverable);
    return Verdict::kInvalid;
  }
  if (std::find(registered_.begin(), registered_.end(), *signer) == registered_.end()) {
    // A signature over another hash recovers to a random key.
    audit.code = toString(SignatureFault::kNotRegistered);
    return Verdict::kInvalid;
  }
  audit.valid = true;
  const bool again =
      std::any_of(v.valid.begin(), v.valid.end(), [&](auto& p) { return p.first == *signer; });
  if (!again) {
    v.valid.emplace_back(*signer, sig);
    v.signers.push_back(worker);
  }
  return Verdict::kValid;
}

VoteCount::Verdict VoteCount::refusal(size_t k, const std::string& worker,
                                      const SignItemResult& answer, SignatureRecord& audit) {
  audit = recordOf(k, worker);
  auto& v = votes_[k];
  v.answered++;
  audit.code = answer.code.empty() ? "refused" : answer.code;
  audit.local_hash = answer.local_hash;
  switch (itemRefusalOf(answer.code)) {
    case ItemRefusal::kDiverged:
      if (answer.local_hash) v.other[*answer.local_hash].push_back(worker);
      break;
    case ItemRefusal::kUnknownSn:
      v.unknown++;
      break;
    case ItemRefusal::kOther:
      break;
  }
  return Verdict::kRefused;
}

bool VoteCount::hasQuorum(size_t k) const {
  return threshold_ > 0 && votes_[k].valid.size() >= threshold_;
}

std::vector<crypto::Signature> VoteCount::quorum(size_t k) const {
  std::vector<crypto::Signature> out;
  if (!hasQuorum(k)) return out;
  for (size_t i = 0; i < threshold_; ++i) out.push_back(votes_[k].valid[i].second);
  return out;
}

std::vector<size_t> VoteCount::lacking(const std::vector<size_t>& which) const {
  std::vector<size_t> out;
  for (size_t k : which) {
    if (!hasQuorum(k)) out.push_back(k);
  }
  return out;
}

std::optional<std::string> VoteCount::divergedTo(size_t k) const {
  const std::vector<std::string>* most = nullptr;
  for (const auto& [hash, workers] : votes_[k].other) {
    if (!most || workers.size() > most->size()) most = &workers;
  }
  if (!most || threshold_ == 0 || most->size() < threshold_) return std::nullopt;
  return most->front();
}

bool VoteCount::othersClaimAnotherHash(size_t k) const { return !votes_[k].other.empty(); }

bool VoteCount::onlyNotYet(size_t k) const {
  const auto& v = votes_[k];
  return v.other.empty() && v.unknown > 0 && v.answered >= v.asked;
}

std::string VoteCount::why(size_t k) const {
  const auto& v = votes_[k];
  std::ostringstream out;
  out << "sn " << items_[k].sn << ": " << v.valid.size() << " of " << threshold_
      << " signatures for " << shortHash(items_[k].hash);
  if (!v.signers.empty()) {
    out << " (";
    joinTo(out, v.signers);
    out << ")";
  }
  for (const auto& [hash, workers] : v.other) {
    out << "; " << shortHash(hash) << " claimed by ";
    joinTo(out, workers);
  }
  if (v.unknown) out << "; " << v.unknown << " worker(s) do not have it yet";
  const size_t silent = v.asked - std::min(v.asked, v.answered);
  if (!v.failed.empty()) {
    out << "; no answer from ";
    joinTo(out, v.failed);
  }
  if (silent > v.failed.size()) {
    out << "; " << silent - v.failed.size() << " worker(s) left it unanswered";
  }
  return out.str();
}

}  // namespace hunter::core
