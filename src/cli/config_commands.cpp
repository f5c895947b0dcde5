// config check: validates a configuration and everything it points at, without starting.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "hunter/app/config.hpp"
#include "hunter/app/keyfile.hpp"
#include "hunter/app/shard.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::cli {
namespace {

std::string parentDir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void registerConfigCommands(CLI::App& root) {
  auto* config = root.add_subcommand("config", "Work with the configuration file.");
  config->require_subcommand(1);

  static std::string file = "hunter.toml";
  static std::string positional;
  static bool asJson = false;
  auto* check = config->add_subcommand(
      "check",
      "Load and validate the configuration and what it points at, without starting: every key "
      "(unknown keys, types, ranges, URLs, api.listen, hunter.shard), each key file (readable, "
      "0600, owned by you, a valid key; the secret is never printed) and the database's "
      "directory. Environment overrides (HUNTER_CHAIN_ENDPOINTS, HUNTER_KEY_FILE, "
      "HUNTER_DATABASE) are applied first. Prints 'FILE: ok' and a one-line summary (clusters, "
      "accounts as SS58, database), or every problem as 'hunter: error: FILE: key: problem' on "
      "stderr and exits 2.");
  check->add_option("-c,--config", file, "Configuration file (TOML)")
      ->envname("HUNTER_CONFIG")
      ->capture_default_str();
  check
      ->add_option("file", positional,
                   "Configuration file (TOML); given, it wins over --config and HUNTER_CONFIG")
      ->type_name("FILE");
  check->add_flag("--json", asJson,
                  "Machine-readable JSON: {config, ok, errors [{key, problem}], clusters, "
                  "accounts, database, api, shard}; the exit code is the same");
  check->callback([]() {
    if (!positional.empty()) file = positional;
    auto refuse = [](const std::vector<std::pair<std::string, std::string>>& errors) {
      if (asJson) {
        nlohmann::json e = nlohmann::json::array();
        for (auto& [key, what] : errors) e.push_back({{"key", key}, {"problem", what}});
        printJson({{"config", file}, {"ok", false}, {"errors", e}});
      } else {
        for (auto& [key, what] : errors) {
          printError(key.empty() ? what : file + ": " + key + ": " + what);
        }
      }
      throw CLI::RuntimeError(kExitUsage);
    };
    auto loaded = app::loadConfig(file);
    if (!loaded.ok()) refuse({{"", loaded.error().message}});
    app::Config cfg = std::move(loaded).value();
    app::applyEnvironment(cfg);
    std::vector<std::pair<std::string, std::string>> errors;  // key, problem
    auto problem = [&](const std::string& key, const std::string& what) {
      errors.emplace_back(key, what);
    };
    if (cfg.chain_endpoints.empty()) problem("chain.endpoints", "missing (at least one)");
    if (cfg.key_files.empty()) problem("hunter.key_files", "missing (at least one)");
    if (cfg.clusters.empty()) problem("clusters", "no [[clusters]] configured");
    std::vector<std::string> accounts;
    std::vector<std::optional<crypto::PublicKey>> seen;
    for (size_t i = 0; i < cfg.key_files.size(); ++i) {
      auto key = app::readDistinctKey(cfg.key_files, i, seen);
      seen.push_back(key.ok() ? std::optional(key->publicKey()) : std::nullopt);
      if (!key.ok()) {
        problem("hunter.key_files[" + std::to_string(i) + "]", key.error().message);
        continue;
      }
      accounts.push_back(crypto::ss58Encode(crypto::accountId(key->publicKey())));
    }
    if (!cfg.shard.empty()) {
      if (auto s = app::parseShard(cfg.shard); !s.ok()) problem("hunter.shard", s.error().message);
    }
    if (auto l = app::parseListen(cfg.api_listen); !l.ok()) {
      problem("api.listen", l.error().message);
    }
    struct stat st {};
    std::string dir = parentDir(cfg.database);
    if (cfg.database != ":memory:" && (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
      problem("hunter.database", "directory " + dir + " does not exist");
    } else if (cfg.database != ":memory:" && ::access(dir.c_str(), W_OK) != 0) {
      problem("hunter.database", "directory " + dir + " is not writable");
    }
    if (!cfg.ca_file.empty() && ::access(cfg.ca_file.c_str(), R_OK) != 0) {
      problem("hunter.ca_file", "cannot read " + cfg.ca_file);
    }
    if (!errors.empty()) refuse(errors);
    if (asJson) {
      nlohmann::json names = nlohmann::json::array();
      for (auto& c : cfg.clusters) names.push_back(c.name());
      printJson({{"config", file},
                 {"ok", true},
                 {"errors", nlohmann::json::array()},
                 {"clusters", names},
                 {"accounts", accounts},
                 {"database", cfg.database},
                 {"api", cfg.api_enabled ? cfg.api_listen : std::string("disabled")},
                 {"shard", cfg.shard}});
      return;
    }
    std::string names, accs;
    for (auto& c : cfg.clusters) names += (names.empty() ? "" : ", ") + c.name();
    for (auto& a : accounts) accs += (accs.empty() ? "" : ", ") + a;
    std::cout << file << ": ok\n";
    std::cout << cfg.clusters.size() << " cluster(s): " << names << "; account(s): " << accs
              << "; database " << cfg.database << "; api "
              << (cfg.api_enabled ? cfg.api_listen : std::string("disabled"))
              << (cfg.shard.empty() ? "" : "; shard " + cfg.shard) << "\n";
  });
}

}  // namespace hunter::cli
