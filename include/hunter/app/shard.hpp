#pragma once
// Sharding clusters between several hunters: hunter I of N handles exactly the clusters whose
// shardKey(id) % N == I, where shardKey is twox_64(cluster id) read as a little-endian u64. The
// rule depends on nothing but the id, so every hunter of a fleet agrees on it without talking
// to the others, and a cluster keeps its shard as long as N stays the same. Pure functions.
#include <cstdint>
#include <string>

#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

struct Shard {
  uint32_t index = 0;  // I, 0 <= I < N
  uint32_t count = 1;  // N, 1..65536
};

// "I/N" with decimal I and N, 0 <= I < N <= 65536. Error code "config" saying what is wrong.
Result<Shard> parseShard(const std::string& text);
std::string toString(const Shard& s);

// twox_64(cluster) as a little-endian u64.
uint64_t shardKey(const H256& cluster);
bool inShard(const H256& cluster, const Shard& shard);

}  // namespace hunter::app
