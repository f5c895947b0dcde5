#include "hunter/adapters/json_text.hpp"

#include <charconv>
#include <cstdint>

namespace hunter::adapters {

namespace {

using json = nlohmann::json;

std::string slowDump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

void appendString(std::string& out, const std::string& s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += slowDump(json(s));  // escapes, UTF-8 (and its replacement): nlohmann's rules
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

// Integers as nlohmann writes them (plain decimal), without building a serializer for each.
template <class T>
void appendInteger(std::string& out, T v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void appendJsonText(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        appendString(out, it.key());
        out += ':';
        appendJsonText(out, it.value());
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v) {
        if (!first) out += ',';
        first = false;
        appendJsonText(out, x);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      appendString(out, v.get_ref<const std::string&>());
      return;
    case json::value_t::number_unsigned:
      appendInteger(out, v.get<uint64_t>());
      return;
    case json::value_t::number_integer:
      appendInteger(out, v.get<int64_t>());
      return;
    default:  // floats, booleans, null, binary, discarded
      out += slowDump(v);
      return;
  }
}

std::string jsonText(const json& v) {
  std::string out;
  appendJsonText(out, v);
  return out;
}

std::string quotePeerText(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace hunter::adapters
