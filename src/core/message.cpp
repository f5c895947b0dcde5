#include "hunter/core/message.hpp"

#include "hunter/crypto/hash.hpp"

namespace hunter::core {

std::optional<H256> ClusterMessage::clusterId() const {
  if (message.sender.kind != OriginKind::kCluster || message.sender.data.size() != 32) {
    return std::nullopt;
  }
  return toFixed<32>(message.sender.data);
}

void encode(codec::Encoder& e, const MessageOrigin& o) {
  e.u8(static_cast<uint8_t>(o.kind));
  switch (o.kind) {
    case OriginKind::kPallet:
    case OriginKind::kMultiLocation:
      e.bytes(o.data);
      break;
    case OriginKind::kContract:
    case OriginKind::kWorker:
    case OriginKind::kAccountId:
    case OriginKind::kCluster:
      e.raw(o.data);  // 32 bytes by construction
      break;
    case OriginKind::kGatekeeper:
    case OriginKind::kReserved:
      break;
  }
}

void encode(codec::Encoder& e, const ClusterMessage& m) {
  encode(e, m.message.sender);
  e.bytes(m.message.destination);
  e.bytes(m.message.payload);
  e.u64(m.sn);
  e.fixed(m.prev_hash);
  e.fixed(m.state_root);
}

Bytes encode(const ClusterMessage& m) {
  codec::Encoder e(128 + m.message.payload.size() + m.message.destination.size());
  encode(e, m);
  return e.take();
}

Result<MessageOrigin> decodeOrigin(codec::Decoder& d) {
  size_t at = d.position();
  HUNTER_TRY(uint8_t tag, d.u8());
  MessageOrigin o;
  o.kind = static_cast<OriginKind>(tag);
  switch (tag) {
    case 0:
    case 4: {
      HUNTER_TRY(o.data, d.bytes(kMaxOriginBytes));
      return o;
    }
    case 1:
    case 2:
    case 3:
    case 6: {
      HUNTER_TRY(auto s, d.raw(32));
      o.data.assign(s.begin(), s.end());
      return o;
    }
    case 5:
    case 255:
      return o;
    default:
      return makeError("bad_value", "unknown MessageOrigin variant " + std::to_string(tag) +
                                        " at offset " + std::to_string(at));
  }
}

Result<ClusterMessage> decodeClusterMessage(codec::Decoder& d) {
  ClusterMessage m;
  HUNTER_TRY(m.message.sender, decodeOrigin(d));
  HUNTER_TRY(m.message.destination, d.bytes(kMaxDestination));
  HUNTER_TRY(m.message.payload, d.bytes(kMaxPayload + (1u << 20)));
  HUNTER_TRY(m.sn, d.u64());
  HUNTER_TRY(m.prev_hash, d.fixed<32>());
  HUNTER_TRY(m.state_root, d.fixed<32>());
  return m;
}

Result<ClusterMessage> decodeClusterMessage(ByteSpan bytes) {
  codec::Decoder d(bytes);
  HUNTER_TRY(auto m, decodeClusterMessage(d));
  HUNTER_CHECK(d.finish());
  return m;
}

H256 messageHash(const ClusterMessage& m) { return crypto::blake2_256(encode(m)); }

Bytes signingBytes(const H256& hash) {
  Bytes out(2 + hash.size());
  out[0] = 0xff;
  out[1] = 0x10;
  std::copy(hash.begin(), hash.end(), out.begin() + 2);
  return out;
}

crypto::Signature signMessageHash(const crypto::SecretKey& key, const H256& hash) {
  return crypto::sign(key, signingBytes(hash));
}

Result<crypto::PublicKey> recoverMessageSigner(const crypto::Signature& sig, const H256& hash) {
  return crypto::recover(sig, signingBytes(hash));
}

bool isValidDestination(ByteSpan destination) {
  if (destination.empty()) return false;
  static constexpr std::string_view kReserved = "~!@#$%&*_+-=|<>?,./;:'";
  return kReserved.find(static_cast<char>(destination[0])) == std::string_view::npos;
}

Status validateMessageRules(const ClusterMessage& m) {
  if (!m.clusterId()) {
    return makeError("bad_message", "sn " + std::to_string(m.sn) + ": sender is not Cluster(id)");
  }
  if (!isValidDestination(m.message.destination)) {
    return makeError("bad_message", "sn " + std::to_string(m.sn) +
                                        ": destination is empty or starts with a reserved "
                                        "character");
  }
  if (m.message.payload.size() > kMaxPayload) {
    return makeError("bad_message", "sn " + std::to_string(m.sn) + ": payload of " +
                                        std::to_string(m.message.payload.size()) +
                                        " bytes exceeds 65536");
  }
  return okStatus();
}

Status checkHashChain(const std::vector<HashedMessage>& run, const std::optional<H256>& prev) {
  for (size_t i = 0; i < run.size(); ++i) {
    const auto& cur = run[i];
    const std::string at = "sn " + std::to_string(cur.msg.sn);
    if (messageHash(cur.msg) != cur.hash) {
      return makeError("bad_hash", at + ": claimed hash " + toHex(cur.hash) +
                                       " differs from the recomputed " +
                                       toHex(messageHash(cur.msg)));
    }
    if (i > 0) {
      const auto& before = run[i - 1];
      if (before.msg.sn == UINT64_MAX || cur.msg.sn != before.msg.sn + 1) {
        return makeError("not_contiguous", at + " follows sn " + std::to_string(before.msg.sn));
      }
      if (cur.msg.prev_hash != before.hash) {
        return makeError("bad_link", at + ": prev_hash does not match the hash of sn " +
                                         std::to_string(before.msg.sn));
      }
    } else if (prev && cur.msg.prev_hash != *prev) {
      return makeError("bad_link",
                       at + (cur.msg.sn == 0 ? std::string(": prev_hash of sn 0 is not zero")
                                             : ": prev_hash does not match the known hash of sn " +
                                                   std::to_string(cur.msg.sn - 1)));
    }
  }
  return okStatus();
}

}  // namespace hunter::core
