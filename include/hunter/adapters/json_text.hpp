#pragma once
// jsonText: the compact JSON text of a value, exactly as
// v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) writes it, faster for the
// long hex strings of requests (extrinsics, hashes): a string with nothing to escape is copied
// whole instead of character by character.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hunter::adapters {

std::string jsonText(const nlohmann::json& v);
// A peer's own text (a worker's or a node's) quoted in our errors: at most `max` bytes, control
// characters as '?', "..." when cut, so that it can neither flood nor forge a log line.
std::string quotePeerText(std::string_view s, size_t max = 200);
void appendJsonText(std::string& out, const nlohmann::json& v);

}  // namespace hunter::adapters
