#include "hunter/app/toml_reader.hpp"

#include <fstream>
#include <sstream>

namespace hunter::app {

Result<std::string> TomlReader::readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return makeError("config", path + ": cannot open the configuration file");
  std::string text;
  char buf[65536];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > kMaxConfigBytes) {
      return makeError("config", path + ": configuration file is larger than 1 MiB");
    }
  }
  return text;
}

Result<toml::table> TomlReader::parse(std::string_view text) const {
  try {
    return toml::parse(text, source_);
  } catch (const toml::parse_error& e) {
    return makeError("config", source_ + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
}

Error TomlReader::err(const toml::source_region& at, const std::string& key,
                      const std::string& what) const {
  return makeError("config",
                   source_ + ":" + std::to_string(at.begin.line) + ": " + key + ": " + what);
}

Status TomlReader::checkKeys(const toml::table& tbl, const std::string& prefix,
                             const std::set<std::string>& known) const {
  for (auto&& [k, v] : tbl) {
    std::string key(k.str());
    if (known.count(key)) continue;
    std::string list;
    for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
    return err(k.source(), prefix + key, "unknown key (expected one of: " + list + ")");
  }
  return okStatus();
}

Status TomlReader::readInteger(const toml::table& tbl, const std::string& prefix, const char* key,
                               int64_t& out, int64_t min, int64_t max) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  // Type first: toml++ converts a float node to an integer without a range check (UB).
  if (!n->is_integer()) return err(n->source(), prefix + key, "expected an integer");
  int64_t v = *n->value<int64_t>();
  if (v < min || v > max) {
    return err(n->source(), prefix + key,
               "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                   std::to_string(v));
  }
  out = v;
  return okStatus();
}

Status TomlReader::readDouble(const toml::table& tbl, const std::string& prefix, const char* key,
                              double& out, double min, double max) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_number()) return err(n->source(), prefix + key, "expected a number");
  double v = *n->value<double>();
  if (!(v >= min && v <= max)) {
    std::ostringstream os;
    os << "must be between " << min << " and " << max << ", got " << v;
    return err(n->source(), prefix + key, os.str());
  }
  out = v;
  return okStatus();
}

Status TomlReader::readBool(const toml::table& tbl, const std::string& prefix, const char* key,
                            bool& out) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_boolean()) return err(n->source(), prefix + key, "expected true or false");
  out = *n->value<bool>();
  return okStatus();
}

Status TomlReader::readString(const toml::table& tbl, const std::string& prefix, const char* key,
                              std::string& out) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (!n->is_string()) return err(n->source(), prefix + key, "expected a string");
  out = *n->value<std::string>();
  return okStatus();
}

Status TomlReader::readStringList(const toml::table& tbl, const std::string& prefix,
                                  const char* key, std::vector<std::string>& out) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  out.clear();
  if (n->is_string()) {
    out.push_back(*n->value<std::string>());
    return okStatus();
  }
  const toml::array* arr = n->as_array();
  if (!arr) return err(n->source(), prefix + key, "expected a string or an array of strings");
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    if (!e.is_string()) {
      return err(e.source(), prefix + key + "[" + std::to_string(i) + "]", "expected a string");
    }
    out.push_back(*e.value<std::string>());
  }
  return okStatus();
}

Status TomlReader::readU128(const toml::table& tbl, const std::string& prefix, const char* key,
                            u128& out) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (n->is_integer()) {
    int64_t v = *n->value<int64_t>();
    if (v < 0) return err(n->source(), prefix + key, "must not be negative");
    out = static_cast<u128>(v);
    return okStatus();
  }
  if (!n->is_string()) {
    return err(n->source(), prefix + key, "expected an integer or a decimal string");
  }
  auto v = u128FromString(*n->value<std::string>(), prefix + key);
  if (!v.ok()) return err(n->source(), prefix + key, v.error().message);
  out = *v;
  return okStatus();
}

Status TomlReader::readI128(const toml::table& tbl, const std::string& prefix, const char* key,
                            std::optional<i128>& out) const {
  const toml::node* n = tbl.get(key);
  if (!n) return okStatus();
  if (n->is_integer()) {
    out = static_cast<i128>(*n->value<int64_t>());
    return okStatus();
  }
  if (!n->is_string()) {
    return err(n->source(), prefix + key, "expected an integer or a decimal string");
  }
  auto v = i128FromString(*n->value<std::string>(), prefix + key);
  if (!v.ok()) return err(n->source(), prefix + key, v.error().message);
  out = *v;
  return okStatus();
}

Result<const toml::table*> TomlReader::readTable(const toml::table& tbl, const std::string& prefix,
                                                 const char* key) const {
  const toml::node* n = tbl.get(key);
  if (!n) return static_cast<const toml::table*>(nullptr);
  if (!n->is_table()) {
    return err(n->source(), prefix + key, "expected a table ([" + prefix + key + "])");
  }
  return n->as_table();
}

Result<const toml::array*> TomlReader::readArray(const toml::table& tbl, const std::string& prefix,
                                                 const char* key) const {
  const toml::node* n = tbl.get(key);
  if (!n) return static_cast<const toml::array*>(nullptr);
  if (!n->is_array()) {
    return err(n->source(), prefix + key, "expected an array of tables ([[" + prefix + key + "]])");
  }
  return n->as_array();
}

Result<const toml::table*> TomlReader::tableAt(const toml::array& arr, const std::string& name,
                                               size_t i) const {
  const toml::table* t = arr[i].as_table();
  if (!t) return err(arr[i].source(), name + "[" + std::to_string(i) + "]", "expected a table");
  return t;
}

}  // namespace hunter::app
