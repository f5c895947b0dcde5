// hunter extrinsic decode: a PhalaClusterMq extrinsic as a person (or jq) reads it.
#include <fmt/format.h>

#include <set>

#include "commands.hpp"
#include "hunter/app/message_json.hpp"
#include "hunter/core/extrinsic.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::cli {
namespace {

// 4096 messages of 64 KiB each, as hex, fit; anything larger is not a valid extrinsic anyway.
constexpr size_t kMaxExtrinsicInput = 1u << 30;

struct DecodeOptions {
  std::string input;
  bool json = false;
};

std::string originName(core::OriginKind kind) {
  switch (kind) {
    case core::OriginKind::kPallet:
      return "Pallet";
    case core::OriginKind::kContract:
      return "Contract";
    case core::OriginKind::kWorker:
      return "Worker";
    case core::OriginKind::kAccountId:
      return "AccountId";
    case core::OriginKind::kMultiLocation:
      return "MultiLocation";
    case core::OriginKind::kGatekeeper:
      return "Gatekeeper";
    case core::OriginKind::kCluster:
      return "Cluster";
    case core::OriginKind::kReserved:
      return "Reserved";
  }
  return "Unknown";
}

std::string describeOrigin(const core::MessageOrigin& o) {
  if (o.kind == core::OriginKind::kGatekeeper || o.kind == core::OriginKind::kReserved) {
    return originName(o.kind);
  }
  return originName(o.kind) + "(" + toHex(o.data) + ")";
}

// The topic as text when it is printable ASCII, for people; the hex is printed beside it.
std::string printableTopic(const Bytes& b) {
  if (b.empty()) return {};
  for (uint8_t c : b) {
    if (c < 0x20 || c > 0x7e) return {};
  }
  return " (\"" + std::string(b.begin(), b.end()) + "\")";
}

struct SignatureView {
  crypto::Signature signature;
  Result<crypto::PublicKey> signer;
};

struct MessageView {
  const core::ClusterMessage* msg;
  H256 hash;
  std::vector<SignatureView> signatures;
};

// What the chain would refuse in the call (docs/protocol.md §4.2 custom errors), as warnings: the
// decode still prints everything.
std::vector<std::string> callWarnings(const core::ClusterCall& call,
                                      const std::vector<MessageView>& views) {
  std::vector<std::string> out;
  std::vector<core::HashedMessage> run;
  for (size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    if (auto rules = core::validateMessageRules(*v.msg); !rules.ok()) {
      out.push_back(fmt::format("message {}: breaks a chain rule (custom error 8): {}", i,
                                rules.error().message));
    }
    std::set<crypto::PublicKey> signers;
    for (size_t s = 0; s < v.signatures.size(); ++s) {
      const auto& sig = v.signatures[s];
      if (!sig.signer.ok()) {
        out.push_back(fmt::format("message {}: signature {} is malformed (custom error 2): {}", i,
                                  s, sig.signer.error().message));
      } else if (!signers.insert(*sig.signer).second) {
        out.push_back(fmt::format("message {}: signature {} repeats signer {} (custom error 4)", i,
                                  s, toHex(*sig.signer)));
      }
    }
    run.push_back({*v.msg, v.hash});
  }
  if (call.batch) {
    if (views.empty()) out.push_back("batch is empty (custom error 7)");
    for (size_t i = 1; i < views.size(); ++i) {
      if (views[i].msg->message.sender != views[0].msg->message.sender) {
        out.push_back(fmt::format("message {}: batch mixes senders (custom error 7)", i));
        break;
      }
    }
    if (auto chain = core::checkHashChain(run, std::nullopt); !chain.ok()) {
      out.push_back("batch is not a contiguous hash chain: " + chain.error().message);
    }
  }
  return out;
}

void printText(ByteSpan bytes, const core::DecodedExtrinsic& x,
               const std::vector<MessageView>& views) {
  const auto& era = x.extra.era;
  fmt::print("length:        {} bytes\n", bytes.size());
  fmt::print("tx hash:       {}\n", toHex(core::txHash(bytes)));
  fmt::print("signer:        {}\n", toHex(x.signer));
  fmt::print("signer ss58:   {}\n", crypto::ss58Encode(x.signer));
  fmt::print("signature:     {}\n", toHex(x.signature));
  if (era.isImmortal()) {
    fmt::print("era:           immortal\n");
  } else {
    fmt::print("era:           mortal, period {}, phase {}\n", era.period, era.phase);
  }
  fmt::print("nonce:         {}\n", x.extra.nonce);
  fmt::print("tip:           {}\n", u128ToString(x.extra.tip));
  fmt::print("call:          PhalaClusterMq.{} ({} message{})\n",
             x.call.batch ? "sync_cluster_messages" : "sync_cluster_message", views.size(),
             views.size() == 1 ? "" : "s");
  for (size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    const auto& m = *v.msg;
    fmt::print("message {}:     sn {}\n", i, m.sn);
    fmt::print("  hash:        {}\n", toHex(v.hash));
    fmt::print("  sender:      {}\n", describeOrigin(m.message.sender));
    fmt::print("  destination: {}{}\n", toHex(m.message.destination),
               printableTopic(m.message.destination));
    fmt::print("  payload:     {} bytes{}\n", m.message.payload.size(),
               m.message.payload.size() <= 64 ? ", " + toHex(m.message.payload) : "");
    fmt::print("  prev_hash:   {}\n", toHex(m.prev_hash));
    fmt::print("  state_root:  {}\n", toHex(m.state_root));
    for (size_t s = 0; s < v.signatures.size(); ++s) {
      const auto& sig = v.signatures[s];
      if (sig.signer.ok()) {
        fmt::print("  signature {}: {} recovers to {}\n", s, toHex(sig.signature),
                   toHex(*sig.signer));
      } else {
        fmt::print("  signature {}: {} does not recover: {}\n", s, toHex(sig.signature),
                   sig.signer.error().message);
      }
    }
  }
}

nlohmann::json toJson(ByteSpan bytes, const core::DecodedExtrinsic& x,
                      const std::vector<MessageView>& views,
                      const std::vector<std::string>& warnings) {
  using nlohmann::json;
  const auto& era = x.extra.era;
  json messages = json::array();
  for (const auto& v : views) {
    json m = app::messageToJsonWithCluster(*v.msg, v.hash);
    m["sender"] = describeOrigin(v.msg->message.sender);
    json sigs = json::array();
    for (const auto& sig : v.signatures) {
      json s{{"signature", toHex(sig.signature)}};
      if (sig.signer.ok()) {
        s["public_key"] = toHex(*sig.signer);
      } else {
        s["error"] = sig.signer.error().message;
      }
      sigs.push_back(std::move(s));
    }
    m["signatures"] = std::move(sigs);
    messages.push_back(std::move(m));
  }
  return json{
      {"length", bytes.size()},
      {"tx_hash", toHex(core::txHash(bytes))},
      {"signer", toHex(x.signer)},
      {"signer_ss58", crypto::ss58Encode(x.signer)},
      {"signature", toHex(x.signature)},
      {"era", era.isImmortal()
                  ? json{{"type", "immortal"}}
                  : json{{"type", "mortal"}, {"period", era.period}, {"phase", era.phase}}},
      {"nonce", x.extra.nonce},
      {"tip", u128ToString(x.extra.tip)},
      {"pallet", "PhalaClusterMq"},
      {"call", x.call.batch ? "sync_cluster_messages" : "sync_cluster_message"},
      {"messages", std::move(messages)},
      {"warnings", warnings},
  };
}

Status runDecode(const DecodeOptions& opt) {
  std::string text;
  if (opt.input == "-") {
    HUNTER_TRY(text, readInput("-", kMaxExtrinsicInput));
  } else {
    text = opt.input;
  }
  std::string_view hex = trim(text);
  if (hex.empty()) return makeError("bad_hex", "extrinsic: empty input, expected hex");
  HUNTER_TRY(Bytes bytes, fromHex(hex, "extrinsic"));
  auto decoded = core::decodeExtrinsic(bytes);
  if (!decoded.ok()) return decoded.error().context("extrinsic");
  const core::DecodedExtrinsic& x = *decoded;

  std::vector<MessageView> views;
  for (const auto& item : x.call.items) {
    MessageView v{&item.message, core::messageHash(item.message), {}};
    for (const auto& sig : item.signatures) {
      v.signatures.push_back({sig, core::recoverMessageSigner(sig, v.hash)});
    }
    views.push_back(std::move(v));
  }
  std::vector<std::string> warnings = callWarnings(x.call, views);
  for (const auto& w : warnings) printWarning(w);
  if (opt.json) {
    printJson(toJson(bytes, x, views, warnings));
  } else {
    printText(bytes, x, views);
  }
  return okStatus();
}

}  // namespace

void registerExtrinsicCommands(CLI::App& app) {
  CLI::App* extrinsic = app.add_subcommand("extrinsic", "Work with PhalaClusterMq extrinsics");
  extrinsic->require_subcommand(1);

  auto opt = std::make_shared<DecodeOptions>();
  CLI::App* decode = extrinsic->add_subcommand(
      "decode",
      "Decode a signed PhalaClusterMq extrinsic: signer, era, nonce, tip, messages, signatures");
  decode
      ->add_option("extrinsic", opt->input,
                   "The encoded extrinsic as hex, with its length prefix (as "
                   "author_submitExtrinsic takes it), or - to read the hex from standard input")
      ->required()
      ->type_name("HEX|-");
  decode->add_flag("--json", opt->json, "Print JSON instead of text (tip as a decimal string)");
  decode->footer(
      "Prints the signer (AccountId32 and SS58 address, prefix 30), era (immortal or period and "
      "phase), nonce, tip, call, every message with its sn and hash, and every worker signature "
      "with the public key it recovers to (or why it does not recover).\n"
      "The extrinsic's own signature is printed but not verified: that needs the chain's "
      "genesis hash, versions and era block hash. What the chain would refuse in the call "
      "(message rules, repeated or malformed signatures, a batch that is not a hash chain) is "
      "reported as warnings on stderr.");
  setAction(decode, [opt] { return runDecode(*opt); });
}

}  // namespace hunter::cli
