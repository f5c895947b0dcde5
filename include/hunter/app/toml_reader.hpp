// The one strict TOML reader behind hunter's and the devnet's configuration files (toml++).
// Strict: an unknown key, a wrong type or a value out of range is an error (code "config") that
// names the file, the line and the full key, e.g. "hunter.toml:12: limits.batch_size: must be
// between 1 and 4096, got 0".
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hunter/util/bytes.hpp"
#include "hunter/util/result.hpp"

namespace hunter::app {

// A configuration file is at most this large; a larger one is refused before it is parsed.
inline constexpr size_t kMaxConfigBytes = size_t{1} << 20;

class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  // The whole file, refused when it cannot be opened or is larger than kMaxConfigBytes.
  static Result<std::string> readFile(const std::string& path);
  // The parsed document; a syntax error names the line.
  Result<toml::table> parse(std::string_view text) const;

  Error err(const toml::source_region& at, const std::string& key, const std::string& what) const;

  // Every key of `tbl` must be in `known`; the error lists the known keys.
  Status checkKeys(const toml::table& tbl, const std::string& prefix,
                   const std::set<std::string>& known) const;

  // Each read leaves `out` alone when the key is absent.
  Status readInteger(const toml::table& tbl, const std::string& prefix, const char* key,
                     int64_t& out, int64_t min, int64_t max) const;
  template <class T>
  Status readInt(const toml::table& tbl, const std::string& prefix, const char* key, T& out,
                 int64_t min, int64_t max) const {
    int64_t v = 0;
    if (!tbl.get(key)) return okStatus();
    HUNTER_CHECK(readInteger(tbl, prefix, key, v, min, max));
    out = static_cast<T>(v);
    return okStatus();
  }
  Status readDouble(const toml::table& tbl, const std::string& prefix, const char* key, double& out,
                    double min, double max) const;
  Status readBool(const toml::table& tbl, const std::string& prefix, const char* key,
                  bool& out) const;
  Status readString(const toml::table& tbl, const std::string& prefix, const char* key,
                    std::string& out) const;
  // A string or an array of strings.
  Status readStringList(const toml::table& tbl, const std::string& prefix, const char* key,
                        std::vector<std::string>& out) const;
  // A balance: a non-negative integer or a decimal string (for values above 2^63).
  Status readU128(const toml::table& tbl, const std::string& prefix, const char* key,
                  u128& out) const;
  // A signed amount: an integer, or a decimal string with an optional '-' (within i128).
  Status readI128(const toml::table& tbl, const std::string& prefix, const char* key,
                  std::optional<i128>& out) const;

  // The table under `key`: nullptr when absent, an error when it is not a table.
  Result<const toml::table*> readTable(const toml::table& tbl, const std::string& prefix,
                                       const char* key) const;
  // The array of tables under `key`: nullptr when absent, an error when it is not an array.
  Result<const toml::array*> readArray(const toml::table& tbl, const std::string& prefix,
                                       const char* key) const;
  // Element i of an array of tables; an error when it is not a table.
  Result<const toml::table*> tableAt(const toml::array& arr, const std::string& name,
                                     size_t i) const;

 private:
  std::string source_;
};

}  // namespace hunter::app
