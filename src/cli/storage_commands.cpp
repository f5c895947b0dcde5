// hunter storage-key: the storage key of a docs/protocol.md §4.4 item, for state_getStorage.
#include <fmt/format.h>

#include <array>

#include "commands.hpp"
#include "hunter/core/storage.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::cli {
namespace {

using Args = std::vector<std::string>;

struct StorageItem {
  std::string_view name;       // short name
  std::string_view full_name;  // Pallet.Item
  std::string_view args;       // for help and errors
  size_t arg_count;
  Result<Bytes> (*key)(const Args&);
};

Result<H256> clusterArg(const std::string& s) { return fixedFromHex<32>(s, "CLUSTER"); }

Result<crypto::AccountId32> accountArg(const std::string& s) {
  auto a = crypto::parseAccount(s);
  if (!a.ok()) return a.error().context("ACCOUNT");
  return a;
}

const std::array<StorageItem, 5> kItems{{
    {"Clusters", "PhalaClusterMq.Clusters", "CLUSTER", 1,
     [](const Args& a) -> Result<Bytes> {
       HUNTER_TRY(H256 cluster, clusterArg(a[0]));
       return core::clustersKey(cluster);
     }},
    {"Queues", "PhalaClusterMq.Queues", "CLUSTER", 1,
     [](const Args& a) -> Result<Bytes> {
       HUNTER_TRY(H256 cluster, clusterArg(a[0]));
       return core::queuesKey(cluster);
     }},
    {"Acks", "PhalaClusterMq.Acks", "CLUSTER SN", 2,
     [](const Args& a) -> Result<Bytes> {
       HUNTER_TRY(H256 cluster, clusterArg(a[0]));
       HUNTER_TRY(uint64_t sn, u64FromString(a[1], "SN"));
       return core::acksKey(cluster, sn);
     }},
    {"HunterRewards", "PhalaClusterMq.HunterRewards", "ACCOUNT", 1,
     [](const Args& a) -> Result<Bytes> {
       HUNTER_TRY(crypto::AccountId32 account, accountArg(a[0]));
       return core::hunterRewardsKey(account);
     }},
    {"System.Account", "System.Account", "ACCOUNT", 1,
     [](const Args& a) -> Result<Bytes> {
       HUNTER_TRY(crypto::AccountId32 account, accountArg(a[0]));
       return core::systemAccountKey(account);
     }},
}};

std::string itemList() {
  std::string out;
  for (const auto& item : kItems) {
    if (!out.empty()) out += ", ";
    out += item.name;
  }
  return out;
}

struct StorageOptions {
  std::string item;
  Args args;
  bool json = false;
};

Status runStorageKey(const StorageOptions& opt) {
  for (const auto& item : kItems) {
    if (opt.item != item.name && opt.item != item.full_name) continue;
    if (opt.args.size() != item.arg_count) {
      return makeError(
          "usage",
          fmt::format("storage-key {}: expected {} argument{} ({}), got {}", item.name,
                      item.arg_count, item.arg_count == 1 ? "" : "s", item.args, opt.args.size()));
    }
    auto key = item.key(opt.args);
    if (!key.ok()) return key.error().context(fmt::format("storage-key {}", item.name));
    if (opt.json) {
      printJson({{"item", item.full_name}, {"args", opt.args}, {"key", toHex(*key)}});
    } else {
      fmt::print("{}\n", toHex(*key));
    }
    return okStatus();
  }
  return makeError("usage", fmt::format("storage-key: unknown item '{}' (expected one of {})",
                                        opt.item, itemList()));
}

}  // namespace

void registerStorageCommands(CLI::App& app) {
  auto opt = std::make_shared<StorageOptions>();
  CLI::App* cmd = app.add_subcommand(
      "storage-key",
      "Print the storage key (hex) of a docs/protocol.md §4.4 item, for state_getStorage");
  cmd->add_option("item", opt->item,
                  "Clusters, Queues, Acks, HunterRewards (also as PhalaClusterMq.<Item>) or "
                  "System.Account")
      ->required()
      ->type_name("ITEM");
  cmd->add_option("args", opt->args, "The item's keys, see below")->type_name("ARG");
  cmd->add_flag("--json", opt->json, "Machine-readable JSON: {item, args, key}");
  cmd->footer(
      "Items and their keys:\n"
      "  Clusters CLUSTER         PhalaClusterMq.Clusters\n"
      "  Queues CLUSTER           PhalaClusterMq.Queues\n"
      "  Acks CLUSTER SN          PhalaClusterMq.Acks\n"
      "  HunterRewards ACCOUNT    PhalaClusterMq.HunterRewards\n"
      "  System.Account ACCOUNT   System.Account\n"
      "CLUSTER is 0x + 64 hex digits; SN a decimal u64; ACCOUNT an AccountId32 as 0x + 64 hex "
      "digits or an SS58 address of any prefix.");
  setAction(cmd, [opt] { return runStorageKey(*opt); });
}

}  // namespace hunter::cli
