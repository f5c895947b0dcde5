// libFuzzer target: the configuration loader (TOML text -> Config) and the listen-address
// parser. Properties: no crash and no exception escaping, whatever the text; an error is
// "config" with a message naming the source.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "hunter/app/config.hpp"

using namespace hunter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = app::parseConfig(text, "fuzz.toml");
  if (!cfg.ok()) {
    FUZZ_CHECK(cfg.error().code == "config");
    FUZZ_CHECK(cfg.error().message.find("fuzz.toml") != std::string::npos);
  } else {
    (void)app::chainStaleSeconds(*cfg);
  }
  if (size < 256) (void)app::parseListen(text);
  return 0;
}
