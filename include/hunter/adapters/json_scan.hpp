#pragma once
// Scan: a strict reader for the usual shape of the large JSON texts read here (worker
// GetClusterMessages / SignClusterMessages replies and chain state_getStorage batches in the
// hunter, author_submitExtrinsic requests in the devnet): objects, arrays, unsigned integers,
// null, and strings without escapes or bytes above 0x7f, straight from the text. Its users give
// up at anything else and hand the text to nlohmann's parser, which accepts the whole grammar and
// names the problem; so Scan decides how fast a text is read, never whether it is accepted or
// what an error says. For the adapters and the devnet, not the core.
#include <cstdint>
#include <optional>
#include <string_view>

namespace hunter::adapters::detail {

class Scan {
 public:
  explicit Scan(std::string_view s) : s_(s) {}

  bool lit(char c) {
    ws();
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool end() {
    ws();
    return p_ == s_.size();
  }
  // The literal `w` (true, false, null).
  bool word(std::string_view w) {
    ws();
    if (s_.substr(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }
  bool null() { return word("null"); }
  std::optional<std::string_view> str() {
    if (!lit('"')) return std::nullopt;
    const size_t b = p_;
    while (p_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') return s_.substr(b, p_++ - b);
      if (c == '\\' || c < 0x20 || c >= 0x80) return std::nullopt;
      ++p_;
    }
    return std::nullopt;
  }
  // A JSON integer in 0..2^64-1 (no sign, fraction or exponent).
  std::optional<uint64_t> u64() {
    ws();
    const size_t b = p_;
    uint64_t v = 0;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') {
      const auto d = static_cast<uint64_t>(s_[p_] - '0');
      if (v > (UINT64_MAX - d) / 10) return std::nullopt;
      v = v * 10 + d;
      ++p_;
    }
    if (p_ == b || (s_[b] == '0' && p_ - b > 1)) return std::nullopt;
    if (p_ < s_.size() && (s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E')) return std::nullopt;
    return v;
  }
  // Any value this scanner reads (so: no escapes, no bytes above 0x7f), skipped.
  bool skip(int depth = 0) {
    if (depth > 32) return false;
    ws();
    if (p_ >= s_.size()) return false;
    const char c = s_[p_];
    if (c == '"') return str().has_value();
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++p_;
      if (lit(close)) return true;
      do {
        if (c == '{' && (!str() || !lit(':'))) return false;
        if (!skip(depth + 1)) return false;
      } while (lit(','));
      return lit(close);
    }
    return word("true") || word("false") || word("null") || number();
  }

 private:
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\n' || s_[p_] == '\r' || s_[p_] == '\t'))
      ++p_;
  }
  size_t digits() {
    const size_t b = p_;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    return p_ - b;
  }
  // An integer of at most 19 digits. Fractions and exponents are left to the general parser:
  // it refuses some that look valid (1e400 overflows a double), and no reply field has one.
  bool number() {
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    const size_t b = p_;
    const size_t n = digits();
    if (n == 0 || n > 19 || (n > 1 && s_[b] == '0')) return false;
    return p_ == s_.size() || (s_[p_] != '.' && s_[p_] != 'e' && s_[p_] != 'E');
  }

  std::string_view s_;
  size_t p_ = 0;
};

// Reads the members of one object: calls member(key) for each, which reads its value and
// returns false to give up. False at a malformed object.
template <class F>
bool scanObject(Scan& s, F&& member) {
  if (!s.lit('{')) return false;
  if (s.lit('}')) return true;
  do {
    auto key = s.str();
    if (!key || !s.lit(':') || !member(*key)) return false;
  } while (s.lit(','));
  return s.lit('}');
}

// Reads the elements of one array: calls element() for each.
template <class F>
bool scanArray(Scan& s, F&& element) {
  if (!s.lit('[')) return false;
  if (s.lit(']')) return true;
  do {
    if (!element()) return false;
  } while (s.lit(','));
  return s.lit(']');
}

// Marks member `bit` as seen; false if it was already (a duplicate: the general parser decides).
inline bool firstTime(unsigned& seen, unsigned bit) {
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

// Reads member `bit`'s value as an unsigned integer into `out`, the first time it is seen.
inline bool u64Once(Scan& s, unsigned& seen, unsigned bit, uint64_t& out) {
  auto v = s.u64();
  if (!v || !firstTime(seen, bit)) return false;
  out = *v;
  return true;
}

}  // namespace hunter::adapters::detail
