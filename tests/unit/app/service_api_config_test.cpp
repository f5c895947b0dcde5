// [api], hunter.shard and limits.progress_timeout_s: defaults and strict validation.
#include <gtest/gtest.h>

#include "hunter/app/config.hpp"

using namespace hunter;
using namespace hunter::app;

namespace {

std::string errorOf(const std::string& text) {
  auto r = parseConfig(text, "h.toml");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(ServiceApiConfig, Defaults) {
  auto r = parseConfig("", "h.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->api_enabled);
  EXPECT_EQ(r->api_listen, "127.0.0.1:9615");
  EXPECT_EQ(r->api_chain_stale_s, 0);
  EXPECT_EQ(r->progress_timeout_s, 300);
  EXPECT_EQ(r->shard, "");
  EXPECT_EQ(chainStaleSeconds(*r), 30);  // max(30 s, 5 x 1000 ms)
  r->poll_interval_ms = 10'000;
  EXPECT_EQ(chainStaleSeconds(*r), 50);
}

TEST(ServiceApiConfig, ParsesTheNewKeys) {
  auto r = parseConfig(
      "[hunter]\nshard = \"1/4\"\n[limits]\nprogress_timeout_s = 20\n"
      "[api]\nenabled = false\nlisten = \"[::1]:0\"\nchain_stale_s = 3\n",
      "h.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->shard, "1/4");
  EXPECT_EQ(r->progress_timeout_s, 20);
  EXPECT_FALSE(r->api_enabled);
  EXPECT_EQ(r->api_listen, "[::1]:0");
  EXPECT_EQ(r->api_chain_stale_s, 3);
  EXPECT_EQ(chainStaleSeconds(*r), 3);
}

TEST(ServiceApiConfig, MistakesNameKeyAndLine) {
  std::string e = errorOf("[api]\nlisten = \"x\"\n");
  EXPECT_NE(e.find("h.toml:2: api.listen:"), std::string::npos) << e;
  e = errorOf("[api]\nlisten = \"127.0.0.1:70000\"\n");
  EXPECT_NE(e.find("api.listen"), std::string::npos) << e;
  e = errorOf("[api]\nlisten = \"::1:80\"\n");
  EXPECT_NE(e.find("brackets"), std::string::npos) << e;
  e = errorOf("[api]\nlisten = 9615\n");
  EXPECT_NE(e.find("api.listen: expected a string"), std::string::npos) << e;
  e = errorOf("[api]\nenabled = \"yes\"\n");
  EXPECT_NE(e.find("api.enabled: expected true or false"), std::string::npos) << e;
  e = errorOf("\n[api]\nport = 1\n");
  EXPECT_NE(e.find("h.toml:3: api.port: unknown key"), std::string::npos) << e;
  e = errorOf("[api]\nchain_stale_s = -1\n");
  EXPECT_NE(e.find("api.chain_stale_s"), std::string::npos) << e;
  e = errorOf("[hunter]\nshard = \"3/2\"\n");
  EXPECT_NE(e.find("h.toml:2: hunter.shard:"), std::string::npos) << e;
  EXPECT_NE(e.find("below N"), std::string::npos) << e;
  for (const char* bad : {"1", "a/2", "0/0", "-1/2", "1/", "/2", "0/70000"}) {
    e = errorOf(std::string("[hunter]\nshard = \"") + bad + "\"\n");
    EXPECT_NE(e.find("hunter.shard"), std::string::npos) << bad << ": " << e;
  }
  e = errorOf("[limits]\nprogress_timeout_s = 0\n");
  EXPECT_NE(e.find("limits.progress_timeout_s"), std::string::npos) << e;
}

TEST(ServiceApiConfig, UrlsAreCheckedBeyondTheScheme) {
  EXPECT_NE(errorOf("[chain]\nendpoints = [\"http://\"]\n").find("chain.endpoints"),
            std::string::npos);
  EXPECT_NE(errorOf("[chain]\nendpoints = [\"http://h:port\"]\n").find("port 'port'"),
            std::string::npos);
  EXPECT_NE(
      errorOf("[[clusters]]\nid = \"0x" + std::string(64, '1') + "\"\nworkers = [\"http://a b\"]\n")
          .find("clusters[0].workers"),
      std::string::npos);
  auto ok = parseConfig("[chain]\nendpoints = [\"https://[::1]:9944/rpc\", \"http://h\"]\n", "h");
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(ServiceApiConfig, ParseListen) {
  auto l = parseListen("0.0.0.0:0");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->host, "0.0.0.0");
  EXPECT_EQ(l->port, 0);
  l = parseListen("[::1]:9615");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->host, "::1");
  EXPECT_EQ(l->port, 9615);
  EXPECT_FALSE(parseListen("x").ok());
  EXPECT_FALSE(parseListen(":80").ok());
  EXPECT_FALSE(parseListen("h:").ok());
}
