#pragma once
// Process-wide logging on spdlog: plain lines or JSON lines on stderr. Callers pass finished
// human text; nothing secret is ever passed in (keys are only named by their account).
#include <string>

#include "hunter/util/result.hpp"

namespace hunter::app {

// level: trace, debug, info, warn, error; format: plain, json.
Status initLogging(const std::string& level, const std::string& format);
void logAt(const std::string& level, const std::string& text);
inline void logInfo(const std::string& t) { logAt("info", t); }
inline void logWarn(const std::string& t) { logAt("warn", t); }
inline void logError(const std::string& t) { logAt("error", t); }

}  // namespace hunter::app
