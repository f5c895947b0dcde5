#pragma once
// Repeated identical warnings and errors, summarised instead of repeated. The first line of a
// text is logged; the same text again within `window_ms` of it is counted, not logged; once the
// window is over, the count is logged as one line ("<text> (repeated N more times in the last
// S s)") and the next occurrence opens a new window. No I/O: the caller logs what it returns.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hunter::app {

class RepeatedLines {
 public:
  static constexpr int64_t kDefaultWindowMs = 60'000;
  static constexpr size_t kMaxTracked = 1024;  // distinct texts remembered at once

  explicit RepeatedLines(int64_t window_ms = kDefaultWindowMs) : window_ms_(window_ms) {}

  struct Line {
    std::string level;  // as admitted ("warn", "error")
    std::string text;
  };

  // `text` to log now, or nullopt when it repeats a line logged within the window.
  std::optional<std::string> admit(const std::string& text, int64_t now_ms,
                                   const std::string& level = "warn");
  // The summaries of windows that ended with counted repeats (each once), oldest first.
  std::vector<Line> due(int64_t now_ms);

 private:
  struct Seen {
    int64_t since_ms = 0;  // when the window opened (the line was logged)
    size_t repeats = 0;    // swallowed since
    std::string level;
  };
  std::string summary(const std::string& text, const Seen& s) const;
  void forgetOldest();

  int64_t window_ms_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;
};

}  // namespace hunter::app
