#pragma once
// Cluster messages in the JSON form of docs/protocol.md §3 (one item of GetClusterMessages):
//   {"sn": 12, "destination": "0x…", "payload": "0x…", "prev_hash": "0x…",
//    "state_root": "0x…", "hash": "0x…"}
// plus, in the standalone form `hunter message hash` reads, "cluster": "0x…".
//
// Parsing takes untrusted input: it never throws, ignores unknown fields, and every error names
// the field ("field prev_hash: expected 32 bytes, got 31"). `sn` is a JSON unsigned integer or
// a decimal string (for values a JavaScript number cannot hold); negative, fractional or
// out-of-range numbers are refused. Hex accepts upper case and a 0x/0X prefix; output is
// lower-case with 0x.
#include <nlohmann/json.hpp>
#include <string_view>

#include "hunter/core/message.hpp"

namespace hunter::app {

// Parses one message whose sender is Cluster(cluster). `hash` is optional: the result carries
// the claimed hash when present and the recomputed one otherwise. The claim is NOT checked here
// (a worker that lies must be told apart from malformed JSON): check it with
// core::checkHashChain, which reports code "bad_hash". A "cluster" field, when present, must
// equal `cluster`.
// Error codes: "bad_json" (wrong type, missing field, bad number), "bad_hex", "bad_length".
Result<core::HashedMessage> messageFromJson(const nlohmann::json& j, const H256& cluster);
// The same, taking the cluster from the required "cluster" field.
Result<core::HashedMessage> messageFromJson(const nlohmann::json& j);

// Parses text into JSON, turning a syntax error into Error "bad_json" that says where
// (`what` names the input, e.g. the file name).
Result<nlohmann::json> parseJson(std::string_view text, std::string_view what);

// The §3 item form (no "cluster"). `sn` is a number up to 2^53 - 1 and a decimal string above.
nlohmann::json messageToJson(const core::ClusterMessage& m, const H256& hash);
// The standalone form: the §3 item plus "cluster" (the sender's cluster id). The message's
// sender must be Cluster(id); for any other sender "cluster" is null.
nlohmann::json messageToJsonWithCluster(const core::ClusterMessage& m, const H256& hash);

// The §3 rules for JSON numbers that hold a u64: an unsigned integer or a decimal string.
// `field` names it in the error ("field sn: ...").
Result<uint64_t> u64FromJson(const nlohmann::json& v, std::string_view field);
// A u64 as JSON: a number up to 2^53 - 1, a decimal string above (JavaScript-safe).
nlohmann::json u64ToJson(uint64_t v);

}  // namespace hunter::app
