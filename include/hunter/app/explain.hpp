#pragma once
// `hunter explain --cluster X [SN]`: everything the database knows about one sn of one cluster
// (the message, who gave it, who signed what, its submissions, its outcomes, the cluster's
// state and reason) and what happens to it next. Reads the store only; the running service
// keeps it current.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "hunter/app/config.hpp"
#include "hunter/core/ports.hpp"

namespace hunter::app {

// sn: std::nullopt = the chain's next sn as the service last saw it. now_ms: for ages and
// "in N s".
Result<nlohmann::json> explainJson(core::Store& store, const ClusterConfig& cluster,
                                   std::optional<uint64_t> sn, int64_t now_ms);
// The same from the configured database (refused, with its path, when there is none yet).
Result<nlohmann::json> explainJson(const Config& cfg, const ClusterConfig& cluster,
                                   std::optional<uint64_t> sn);
std::string renderExplain(const nlohmann::json& explained);

}  // namespace hunter::app
