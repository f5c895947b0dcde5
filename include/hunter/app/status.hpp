#pragma once
// `status`, `rewards` and `workers`: JSON built from the database (and, for status, the chain
// and the workers when reachable), plus the plain-text rendering of the same JSON.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hunter/adapters/sqlite_store.hpp"
#include "hunter/app/config.hpp"

namespace hunter::app {

// The configured database as a reader (no lock, no check, the journal left alone), refused with
// code "no_database" and its path when it does not exist yet.
Result<std::unique_ptr<adapters::SqliteStore>> openExisting(const Config& cfg);

// probe: also ask the chain and every worker (each with the configured timeout); what cannot
// be reached is reported as such, never as an error.
Result<nlohmann::json> statusJson(const Config& cfg, const std::vector<ClusterConfig>& clusters,
                                  bool probe);
std::string renderStatus(const nlohmann::json& status);

// only_selected: list only `clusters`; otherwise every cluster in the database.
Result<nlohmann::json> rewardsJson(const Config& cfg, const std::vector<ClusterConfig>& clusters,
                                   bool only_selected);
std::string renderRewards(const nlohmann::json& rewards);

// The web status page served at GET / (src/app/status_page.html, embedded at build time).
std::string_view statusPageHtml();

Result<nlohmann::json> workersJson(const Config& cfg, const std::vector<ClusterConfig>& clusters);
std::string renderWorkers(const nlohmann::json& workers);

}  // namespace hunter::app
