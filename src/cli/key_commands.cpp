// hunter key generate | inspect: the hunter account's secret key file.
#include <fmt/format.h>

#include "commands.hpp"
#include "hunter/app/keyfile.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::cli {
namespace {

// Public facts about a key; the secret itself is never printed.
void printKey(const std::string& path, const crypto::SecretKey& key, bool json) {
  crypto::PublicKey pk = key.publicKey();
  crypto::AccountId32 account = crypto::accountId(pk);
  std::string ss58 = crypto::ss58Encode(account);
  if (json) {
    printJson({{"key_file", path},
               {"public_key", toHex(pk)},
               {"account_id", toHex(account)},
               {"ss58", ss58}});
    return;
  }
  fmt::print("key file:    {}\n", path);
  fmt::print("public key:  {}\n", toHex(pk));
  fmt::print("account id:  {}\n", toHex(account));
  fmt::print("ss58:        {}\n", ss58);
}

struct KeyOptions {
  std::string path;
  bool json = false;
};

}  // namespace

void registerKeyCommands(CLI::App& app) {
  CLI::App* key = app.add_subcommand("key", "Create or inspect the hunter's secret key file");
  key->require_subcommand(1);
  key->footer(
      "Key file format: one line \"0x\" + 64 hex digits (the secp256k1 secret key) and a "
      "newline (trailing whitespace is accepted).\n"
      "generate creates the file with O_CREAT|O_EXCL and mode 0600 and never overwrites an "
      "existing file.\n"
      "inspect refuses a file that group or others can access or that you do not own, and says "
      "how to fix it.\n"
      "The SS58 address uses Phala's prefix 30. The secret is never printed.");

  auto gen = std::make_shared<KeyOptions>();
  CLI::App* generate = key->add_subcommand(
      "generate",
      "Generate a new secret key file and print its public key, AccountId32 and SS58 address");
  generate->add_option("-o,--out", gen->path, "Path of the key file to create")
      ->required()
      ->type_name("FILE");
  generate->add_flag("--json", gen->json, "Print JSON instead of text");
  setAction(generate, [gen]() -> Status {
    crypto::SecretKey secret = crypto::SecretKey::generate();
    HUNTER_CHECK(app::writeNewKeyFile(gen->path, secret));
    printKey(gen->path, secret, gen->json);
    return okStatus();
  });

  auto ins = std::make_shared<KeyOptions>();
  CLI::App* inspect = key->add_subcommand(
      "inspect", "Print the public key, AccountId32 and SS58 address of a key file");
  inspect->add_option("file", ins->path, "The key file")->required()->type_name("FILE");
  inspect->add_flag("--json", ins->json, "Print JSON instead of text");
  setAction(inspect, [ins]() -> Status {
    HUNTER_TRY(crypto::SecretKey secret, app::readKeyFile(ins->path));
    printKey(ins->path, secret, ins->json);
    return okStatus();
  });
}

}  // namespace hunter::cli
