#include "hunter/app/message_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace hunter::app {
namespace {

using nlohmann::json;

// 2^53 - 1: the largest integer every JSON reader (JavaScript included) holds exactly.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

std::string fieldName(std::string_view field) { return "field " + std::string(field); }

Error jsonError(std::string message) { return makeError("bad_json", std::move(message)); }

// The value of a required field, or an error naming it.
Result<const json*> required(const json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  if (it == obj.end()) return jsonError("missing field " + std::string(name));
  return &*it;
}

// The value of an optional field; null counts as absent.
const json* optional(const json& obj, std::string_view name) {
  auto it = obj.find(std::string(name));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<Bytes> hexValue(const json& v, std::string_view field) {
  if (!v.is_string()) {
    return jsonError(fmt::format("field {}: expected a hex string, got {}", field, v.type_name()));
  }
  return fromHex(v.get_ref<const std::string&>(), fieldName(field));
}

template <size_t N>
Result<FixedBytes<N>> fixedValue(const json& v, std::string_view field) {
  if (!v.is_string()) {
    return jsonError(fmt::format("field {}: expected a hex string of {} bytes, got {}", field, N,
                                 v.type_name()));
  }
  return fixedFromHex<N>(v.get_ref<const std::string&>(), fieldName(field));
}

Result<Bytes> hexField(const json& obj, std::string_view field) {
  HUNTER_TRY(const json* v, required(obj, field));
  return hexValue(*v, field);
}

template <size_t N>
Result<FixedBytes<N>> fixedField(const json& obj, std::string_view field) {
  HUNTER_TRY(const json* v, required(obj, field));
  return fixedValue<N>(*v, field);
}

}  // namespace

Result<uint64_t> u64FromJson(const json& v, std::string_view field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<int64_t>();
    if (i < 0) {
      return jsonError(
          fmt::format("field {}: {} is negative, expected an unsigned integer", field, i));
    }
    return static_cast<uint64_t>(i);
  }
  if (v.is_number_float()) {
    // The parser stores integers above u64 as floating point, so this is also where they land.
    double d = v.get<double>();
    if (d < 0)
      return jsonError(fmt::format("field {}: negative, expected an unsigned integer", field));
    if (d == std::floor(d) && d >= 18446744073709551616.0) {
      return jsonError(fmt::format("field {}: number exceeds u64 (at most {})", field, UINT64_MAX));
    }
    return jsonError(fmt::format(
        "field {}: expected an unsigned integer, got a number with a fraction or exponent", field));
  }
  if (v.is_string()) return u64FromString(v.get_ref<const std::string&>(), fieldName(field));
  return jsonError(fmt::format("field {}: expected an unsigned integer or a decimal string, got {}",
                               field, v.type_name()));
}

json u64ToJson(uint64_t v) {
  if (v <= kMaxSafeInteger) return json(v);
  return json(std::to_string(v));
}

Result<json> parseJson(std::string_view text, std::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    std::string msg = e.what();
    if (auto pos = msg.find("] "); msg.rfind("[json.exception.", 0) == 0 && pos != msg.npos) {
      msg.erase(0, pos + 2);
    }
    return jsonError(fmt::format("{}: malformed JSON: {}", what, msg));
  } catch (const json::exception& e) {
    return jsonError(fmt::format("{}: malformed JSON: {}", what, e.what()));
  }
}

Result<core::HashedMessage> messageFromJson(const json& j, const H256& cluster) {
  if (!j.is_object()) {
    return jsonError(fmt::format("expected a JSON object for a message, got {}", j.type_name()));
  }
  if (const json* c = optional(j, "cluster")) {
    HUNTER_TRY(H256 given, fixedValue<32>(*c, "cluster"));
    if (given != cluster) {
      return jsonError(fmt::format("field cluster: {} differs from the expected cluster {}",
                                   toHex(given), toHex(cluster)));
    }
  }
  core::HashedMessage out;
  core::ClusterMessage& m = out.msg;
  m.message.sender = core::MessageOrigin::cluster(cluster);
  HUNTER_TRY(const json* sn, required(j, "sn"));
  HUNTER_TRY(m.sn, u64FromJson(*sn, "sn"));
  HUNTER_TRY(m.message.destination, hexField(j, "destination"));
  HUNTER_TRY(m.message.payload, hexField(j, "payload"));
  HUNTER_TRY(m.prev_hash, fixedField<32>(j, "prev_hash"));
  HUNTER_TRY(m.state_root, fixedField<32>(j, "state_root"));
  if (const json* h = optional(j, "hash")) {
    HUNTER_TRY(out.hash, fixedValue<32>(*h, "hash"));
  } else {
    out.hash = core::messageHash(m);
  }
  return out;
}

Result<core::HashedMessage> messageFromJson(const json& j) {
  if (!j.is_object()) {
    return jsonError(fmt::format("expected a JSON object for a message, got {}", j.type_name()));
  }
  HUNTER_TRY(H256 cluster, fixedField<32>(j, "cluster"));
  return messageFromJson(j, cluster);
}

json messageToJson(const core::ClusterMessage& m, const H256& hash) {
  return json{{"sn", u64ToJson(m.sn)},
              {"destination", toHex(m.message.destination)},
              {"payload", toHex(m.message.payload)},
              {"prev_hash", toHex(m.prev_hash)},
              {"state_root", toHex(m.state_root)},
              {"hash", toHex(hash)}};
}

json messageToJsonWithCluster(const core::ClusterMessage& m, const H256& hash) {
  json j = messageToJson(m, hash);
  auto cluster = m.clusterId();
  j["cluster"] = cluster ? json(toHex(*cluster)) : json(nullptr);
  return j;
}

}  // namespace hunter::app
