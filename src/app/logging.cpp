#include "hunter/app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace hunter::app {
namespace {
bool g_json = false;

spdlog::level::level_enum parseLevel(const std::string& s) {
  return spdlog::level::from_str(s == "warn" ? "warning" : s);
}
}  // namespace

Status initLogging(const std::string& level, const std::string& format) {
  if (format != "plain" && format != "json") {
    return makeError("config", "log format '" + format + "' is not plain or json");
  }
  auto lvl = parseLevel(level);
  if (lvl == spdlog::level::off && level != "off") {
    return makeError("config",
                     "log level '" + level + "' is not trace, debug, info, warn or error");
  }
  g_json = format == "json";
  auto logger = spdlog::stderr_logger_mt("hunter");
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  if (g_json) {
    // The message is already a JSON string literal (escaped in logAt).
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::flush_on(spdlog::level::info);
  return okStatus();
}

void logAt(const std::string& level, const std::string& text) {
  auto lvl = parseLevel(level);
  if (!spdlog::should_log(lvl)) return;
  if (g_json) {
    spdlog::log(
        lvl, "{}",
        nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    spdlog::log(lvl, "{}", text);
  }
}

}  // namespace hunter::app
