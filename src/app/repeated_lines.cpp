#include "hunter/app/repeated_lines.hpp"

#include <algorithm>

namespace hunter::app {

std::string RepeatedLines::summary(const std::string& text, const Seen& s) const {
  return text + " (repeated " + std::to_string(s.repeats) + " more time" +
         (s.repeats == 1 ? "" : "s") + " in the last " + std::to_string(window_ms_ / 1000) + " s)";
}

void RepeatedLines::forgetOldest() {
  auto oldest = std::min_element(seen_.begin(), seen_.end(), [](const auto& a, const auto& b) {
    return a.second.since_ms < b.second.since_ms;
  });
  if (oldest != seen_.end()) seen_.erase(oldest);
}

std::optional<std::string> RepeatedLines::admit(const std::string& text, int64_t now_ms,
                                                const std::string& level) {
  std::lock_guard lock(mu_);
  auto it = seen_.find(text);
  if (it != seen_.end() && now_ms - it->second.since_ms < window_ms_) {
    ++it->second.repeats;
    return std::nullopt;
  }
  if (it == seen_.end() && seen_.size() >= kMaxTracked) forgetOldest();
  // A window that ended with repeats not yet summarised: the summary stands for this line.
  std::string line = it != seen_.end() && it->second.repeats > 0 ? summary(text, it->second) : text;
  seen_[text] = Seen{now_ms, 0, level};
  return line;
}

std::vector<RepeatedLines::Line> RepeatedLines::due(int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<int64_t, Line>> out;
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (now_ms - it->second.since_ms < window_ms_) {
      ++it;
      continue;
    }
    if (it->second.repeats > 0) {
      out.emplace_back(it->second.since_ms, Line{it->second.level, summary(it->first, it->second)});
    }
    it = seen_.erase(it);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Line> lines;
  for (auto& [at, line] : out) lines.push_back(std::move(line));
  return lines;
}

}  // namespace hunter::app
