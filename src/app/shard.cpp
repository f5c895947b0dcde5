#include "hunter/app/shard.hpp"

#include <algorithm>

#include "hunter/crypto/hash.hpp"

namespace hunter::app {

Result<Shard> parseShard(const std::string& text) {
  auto bad = [&](const std::string& why) -> Error {
    return makeError("config", "'" + text + "' is not a shard I/N (" + why + ")");
  };
  auto slash = text.find('/');
  if (slash == std::string::npos) return bad("expected I/N, e.g. 0/4");
  std::string i = text.substr(0, slash), n = text.substr(slash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), ::isdigit);
  };
  if (!digits(i) || !digits(n)) return bad("I and N must be decimal numbers");
  Shard s;
  s.index = static_cast<uint32_t>(std::stoul(i));
  s.count = static_cast<uint32_t>(std::stoul(n));
  if (s.count < 1 || s.count > 65536) return bad("N must be between 1 and 65536");
  if (s.index >= s.count) return bad("I must be below N");
  return s;
}

std::string toString(const Shard& s) {
  return std::to_string(s.index) + "/" + std::to_string(s.count);
}

uint64_t shardKey(const H256& cluster) {
  auto h = crypto::twox_64(ByteSpan(cluster.data(), cluster.size()));
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(h[i]) << (8 * i);
  return v;
}

bool inShard(const H256& cluster, const Shard& shard) {
  return shardKey(cluster) % shard.count == shard.index;
}

}  // namespace hunter::app
