#pragma once
// jsonText: the compact JSON text of a value, exactly as
// v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) writes it, faster for the
// long hex strings of requests (extrinsics, hashes): a string with nothing to escape is copied
// whole instead of character by character.
#include <nlohmann/json.hpp>
#include <string>

namespace hunter::adapters {

std::string jsonText(const nlohmann::json& v);
void appendJsonText(std::string& out, const nlohmann::json& v);

}  // namespace hunter::adapters
