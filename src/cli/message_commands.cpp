// hunter message hash: the SCALE form, hash and signing bytes of a cluster message.
#include <fmt/format.h>

#include "commands.hpp"
#include "hunter/app/message_json.hpp"

namespace hunter::cli {
namespace {

// A message file holds one message: at most 64 KiB of payload (as hex) and a few small fields;
// 16 MiB leaves room for oversized payloads, which are reported as a rule violation.
constexpr size_t kMaxMessageFile = 16u << 20;

struct HashOptions {
  std::string input;
  bool json = false;
};

Status runHash(const HashOptions& opt) {
  HUNTER_TRY(std::string text, readInput(opt.input, kMaxMessageFile));
  HUNTER_TRY(nlohmann::json j, app::parseJson(text, "message"));
  auto parsed = app::messageFromJson(j);
  if (!parsed.ok()) return parsed.error().context("message");
  const core::ClusterMessage& m = parsed->msg;
  H256 hash = core::messageHash(m);
  if (parsed->hash != hash) {
    return makeError("bad_hash", fmt::format("message: field hash: {} differs from the "
                                             "recomputed hash {}",
                                             toHex(parsed->hash), toHex(hash)));
  }
  std::vector<std::string> warnings;
  if (auto rules = core::validateMessageRules(m); !rules.ok()) {
    warnings.push_back("message breaks a chain rule (custom error 8): " + rules.error().message);
  }
  for (const auto& w : warnings) printWarning(w);

  Bytes scale = core::encode(m);
  Bytes signing = core::signingBytes(hash);
  if (opt.json) {
    printJson({{"cluster", toHex(*m.clusterId())},
               {"sn", app::u64ToJson(m.sn)},
               {"hash", toHex(hash)},
               {"signing_bytes", toHex(signing)},
               {"scale", toHex(scale)},
               {"warnings", warnings}});
    return okStatus();
  }
  fmt::print("cluster:        {}\n", toHex(*m.clusterId()));
  fmt::print("sn:             {}\n", m.sn);
  fmt::print("hash:           {}\n", toHex(hash));
  fmt::print("signing bytes:  {}\n", toHex(signing));
  fmt::print("scale:          {}\n", toHex(scale));
  return okStatus();
}

}  // namespace

void registerMessageCommands(CLI::App& app) {
  CLI::App* message = app.add_subcommand("message", "Work with cluster messages");
  message->require_subcommand(1);

  auto opt = std::make_shared<HashOptions>();
  CLI::App* hash = message->add_subcommand(
      "hash",
      "Print the SCALE encoding, hash and signing bytes of a cluster message given as JSON");
  hash->add_option("file", opt->input, "JSON file with the message, or - for standard input")
      ->required()
      ->type_name("FILE|-");
  hash->add_flag("--json", opt->json, "Print JSON instead of text");
  hash->footer(
      "Input: one JSON object with the fields of a docs/protocol.md §3 GetClusterMessages item "
      "plus "
      "the cluster:\n"
      "  {\"cluster\": \"0x<32 bytes>\", \"sn\": 12, \"destination\": \"0x…\", "
      "\"payload\": \"0x…\",\n"
      "   \"prev_hash\": \"0x<32 bytes>\", \"state_root\": \"0x<32 bytes>\", "
      "\"hash\": \"0x<32 bytes>\"}\n"
      "sn is a number or a decimal string. hash is optional; when present it must equal the "
      "recomputed hash.\n"
      "Output: the hash is blake2_256 of the SCALE encoding; a worker signs the bytes 0xff 0x10 "
      "++ hash.\nA message that breaks a chain rule (sender, destination, payload size) "
      "gives a warning on stderr and is still printed.");
  setAction(hash, [opt] { return runHash(*opt); });
}

}  // namespace hunter::cli
