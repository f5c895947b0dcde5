#pragma once
// The workers' votes on the messages of one gathering: which registered keys signed our hash,
// who claims another hash for the sn, who does not have it yet, whose request failed. From
// them: a quorum (the first `threshold` distinct registered signers), the sign that our source
// diverged (another hash that `threshold` workers claim), and a line that says why an sn has no
// quorum. Pure: no I/O, no clock; signatures come in already recovered. item() and indexOf()
// read only what the constructor set, so other threads may call them while the counting methods
// run (the signing pipeline does).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hunter/core/model.hpp"
#include "hunter/core/ports.hpp"
#include "hunter/crypto/keys.hpp"

namespace hunter::core {

class VoteCount {
 public:
  // What one answer for one item was worth.
  enum class Verdict {
    kValid,    // a signature by a registered key over our hash (counted once per key)
    kInvalid,  // a signature that recovers to no key, or to one not registered
    kRefused,  // no signature: the worker's item code says why
  };

  VoteCount(const H256& cluster, std::vector<SignItem> items, uint32_t threshold,
            std::vector<crypto::PublicKey> registered);

  size_t size() const { return items_.size(); }
  const SignItem& item(size_t k) const { return items_[k]; }
  std::optional<size_t> indexOf(uint64_t sn) const;

  // `workers` more workers were asked for each item of `which`.
  void asked(const std::vector<size_t>& which, size_t workers);
  // The request of `worker` for the items `which` failed with the error `code`.
  void failed(const std::vector<size_t>& which, const std::string& worker, const std::string& code);
  // `worker` signed item k; `signer` is the key the signature recovers to (nullopt: none).
  // `audit` gets the answer's record.
  Verdict signature(size_t k, const std::string& worker,
                    const std::optional<crypto::PublicKey>& signer, const crypto::Signature& sig,
                    SignatureRecord& audit);
  // `worker` refused item k (no signature).
  Verdict refusal(size_t k, const std::string& worker, const SignItemResult& answer,
                  SignatureRecord& audit);

  bool hasQuorum(size_t k) const;
  std::vector<crypto::Signature> quorum(size_t k) const;  // the first `threshold` signatures
  std::vector<size_t> lacking(const std::vector<size_t>& which) const;  // items without quorum
  // Another hash for item k that `threshold` workers claim: the first of them (our source
  // diverged from the others).
  std::optional<std::string> divergedTo(size_t k) const;
  bool othersClaimAnotherHash(size_t k) const;
  // The only reason for no quorum: some workers do not have the message yet (all answered).
  bool onlyNotYet(size_t k) const;
  // "sn 7: 2 of 3 signatures for 0xab…cd (w1, w2); 0x12…34 claimed by w3; no answer from …".
  std::string why(size_t k) const;

 private:
  struct Votes {
    std::vector<std::pair<crypto::PublicKey, crypto::Signature>> valid;  // distinct signers
    std::map<H256, std::vector<std::string>> other;  // another hash -> workers that claim it
    std::vector<std::string> signers;                // workers that gave the valid signatures
    size_t unknown = 0;                              // workers that do not have it yet
    size_t asked = 0;
    size_t answered = 0;
    std::vector<std::string> failed;  // "worker (code)": whose request for it failed
  };
  SignatureRecord recordOf(size_t k, const std::string& worker) const;

  H256 cluster_;
  std::vector<SignItem> items_;
  uint32_t threshold_;
  std::vector<crypto::PublicKey> registered_;
  std::vector<Votes> votes_;
  std::map<uint64_t, size_t> index_;
};

}  // namespace hunter::core
