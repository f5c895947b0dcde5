#include "hunter/adapters/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hunter::adapters {
namespace {

using json = nlohmann::json;

std::string reference(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(JsonText, SameTextAsNlohmannDump) {
  const json cases[] = {
      json::parse(R"({"jsonrpc":"2.0","id":7,"method":"author_submitExtrinsic",
                     "params":["0x2d0284d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"]})"),
      json::parse(R"([{"a":[1,-2,3.5,1e300,true,false,null],"b":{}},[],{},"",0])"),
      json{{"quote", "say \"hi\"\\"}, {"ctrl", std::string("a\x01\n\tb")}, {"del", "x\x7fy"}},
      json{{"utf8", "h\xc3\xa9llo \xe2\x82\xac"}, {"bad utf8", std::string("ok\xff\xfe")}},
      json{{"k\"ey", "v"}, {"", json::array({json::object(), json::array()})}},
      json(18446744073709551615ull),
      json::array({0, 1, -1, 42u, 1000000007, -9223372036854775807ll}),
      json(-9223372036854775807ll - 1),
      json(0.1),
      json(nullptr),
      json("plain"),
  };
  for (const auto& v : cases) EXPECT_EQ(jsonText(v), reference(v)) << reference(v);
}

TEST(JsonText, LongHexStringIsCopiedWhole) {
  std::string hex = "0x" + std::string(200000, 'a');
  json req = {{"params", json::array({hex})}};
  EXPECT_EQ(jsonText(req), R"({"params":[")" + hex + R"("]})");
}

TEST(JsonText, AppendsToWhatIsThere) {
  std::string out = "prefix:";
  appendJsonText(out, json::array({1, "two"}));
  EXPECT_EQ(out, R"(prefix:[1,"two"])");
}

}  // namespace
}  // namespace hunter::adapters
