// The configuration loader: every mistake names the key and its line.
#include <gtest/gtest.h>

#include <cstdlib>

#include "hunter/app/config.hpp"

using namespace hunter;
using namespace hunter::app;

namespace {

const char* kGood = R"([chain]
endpoints = ["http://127.0.0.1:9944/"]

[hunter]
key_files = ["/k/a.key", "/k/b.key"]
database = "/var/lib/hunter/h.db"
poll_interval_ms = 250
era_period = 128
tip = "340282366920938463463374607431768211455"
log_format = "json"

[limits]
batch_size = 32
max_in_flight = 4

[[clusters]]
id = "0xBB6D204D45821E67BEFFE424FC1D71453C47FE14EC7BDCA0F68D7E6AF27F8A24"
alias = "alpha"
workers = ["http://127.0.0.1:8001", "https://w2.example:443/"]

[[clusters]]
id = "0x0000000000000000000000000000000000000000000000000000000000000001"
workers = "http://127.0.0.1:9001"
)";

std::string errorOf(const std::string& text) {
  auto r = parseConfig(text, "h.toml");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

}  // namespace

TEST(Config, ParsesEveryKindOfValue) {
  auto r = parseConfig(kGood, "h.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = *r;
  ASSERT_EQ(c.chain_endpoints.size(), 1u);
  EXPECT_EQ(c.chain_endpoints[0], "http://127.0.0.1:9944");  // trailing slash dropped
  EXPECT_EQ(c.key_files.size(), 2u);
  EXPECT_EQ(c.database, "/var/lib/hunter/h.db");
  EXPECT_EQ(c.poll_interval_ms, 250);
  EXPECT_EQ(c.era_period, 128u);
  EXPECT_TRUE(c.tip == ~static_cast<u128>(0));
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.batch_size, 32u);
  EXPECT_EQ(c.max_in_flight, 4u);
  EXPECT_EQ(c.max_pending, 8192u);  // default kept
  ASSERT_EQ(c.clusters.size(), 2u);
  EXPECT_EQ(c.clusters[0].alias, "alpha");
  EXPECT_EQ(toHex(c.clusters[0].id),
            "0xbb6d204d45821e67beffe424fc1d71453c47fe14ec7bdca0f68d7e6af27f8a24");
  EXPECT_EQ(c.clusters[0].workers[1], "https://w2.example:443");
  EXPECT_EQ(c.clusters[1].workers.size(), 1u);  // a single string is a list of one
  EXPECT_EQ(c.clusters[1].name(), toHex(c.clusters[1].id));
}

TEST(Config, UnknownKeysNameKeyLineAndTheKnownOnes) {
  std::string e = errorOf("[hunter]\ndatabse = \"x\"\n");
  EXPECT_NE(e.find("h.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("hunter.databse"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("database"), std::string::npos) << e;
  e = errorOf("[chains]\nendpoints = []\n");
  EXPECT_NE(e.find("h.toml:1: chains: unknown key"), std::string::npos) << e;
  e = errorOf("[[clusters]]\nid = \"0x01\"\nworker = []\n");
  EXPECT_NE(e.find("clusters[0].worker"), std::string::npos) << e;
}

TEST(Config, WrongTypesAndValuesNameTheKey) {
  EXPECT_NE(errorOf("[limits]\nbatch_size = \"64\"\n")
                .find("h.toml:2: limits.batch_size: expected an integer"),
            std::string::npos);
  EXPECT_NE(errorOf("[limits]\nbatch_size = 0\n").find("between 1 and 4096"), std::string::npos);
  // A float is not an integer, however large (found by fuzz_config: 3e28 used to be converted
  // to int64 by toml++, which is undefined behaviour).
  EXPECT_NE(errorOf("[limits]\nlost_after_s = 3.01e28\n")
                .find("h.toml:2: limits.lost_after_s: expected an integer"),
            std::string::npos);
  EXPECT_NE(errorOf("[limits]\nbatch_size = 64.0\n").find("limits.batch_size: expected an integer"),
            std::string::npos);
  EXPECT_NE(errorOf("[hunter]\nera_period = 100\n").find("power of two"), std::string::npos);
  EXPECT_NE(errorOf("[hunter]\ntip = -1\n").find("hunter.tip"), std::string::npos);
  EXPECT_NE(errorOf("[hunter]\nlog_level = \"loud\"\n").find("hunter.log_level"),
            std::string::npos);
  EXPECT_NE(errorOf("[chain]\nendpoints = [\"ws://x\"]\n").find("not an http:// or https:// URL"),
            std::string::npos);
  EXPECT_NE(errorOf("[chain]\nendpoints = [1]\n").find("chain.endpoints[0]: expected a string"),
            std::string::npos);
  EXPECT_NE(errorOf("chain = 3\n").find("chain: expected a table"), std::string::npos);
}

TEST(Config, PollingAndThreadsHaveDefaultsAndBounds) {
  auto c = parseConfig(kGood, "h.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_poll_interval_ms, 5000);
  EXPECT_EQ(c->idle_after_s, 60);
  EXPECT_EQ(c->cluster_threads, 8u);
  auto slow = parseConfig("[hunter]\npoll_interval_ms = 8000\n", "h.toml");
  ASSERT_TRUE(slow.ok()) << slow.error().message;
  EXPECT_EQ(slow->max_poll_interval_ms, 8000) << "unset, never below the fast interval";
  EXPECT_NE(errorOf("[hunter]\npoll_interval_ms = 500\nmax_poll_interval_ms = 100\n")
                .find("h.toml:3: hunter.max_poll_interval_ms: must be between 500 and"),
            std::string::npos);
  EXPECT_NE(errorOf("[limits]\ncluster_threads = 0\n").find("limits.cluster_threads"),
            std::string::npos);
  EXPECT_EQ(c->head_check_ms, 100);
  auto fast = parseConfig("[hunter]\npoll_interval_ms = 20\n", "h.toml");
  ASSERT_TRUE(fast.ok()) << fast.error().message;
  EXPECT_EQ(fast->head_check_ms, 20) << "unset: never slower than the poll";
  auto check = parseConfig("[chain]\nhead_check_ms = 1000\n", "h.toml");
  ASSERT_TRUE(check.ok()) << check.error().message;
  EXPECT_EQ(check->head_check_ms, 1000);
  EXPECT_NE(errorOf("[chain]\nhead_check_ms = 5\n").find("chain.head_check_ms: must be between"),
            std::string::npos);
}

TEST(Config, AckConfirmationsAreBlocksOrFinalized) {
  auto c = parseConfig(kGood, "h.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ack_depth, core::AckDepth::kBest) << "the default: ACKs at the best block";
  auto blocks = parseConfig("[chain]\nack_confirmations = 3\n", "h.toml");
  ASSERT_TRUE(blocks.ok()) << blocks.error().message;
  EXPECT_EQ(blocks->ack_depth, core::AckDepth::kBlocks);
  EXPECT_EQ(blocks->ack_confirmations, 3u);
  auto zero = parseConfig("[chain]\nack_confirmations = 0\n", "h.toml");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->ack_depth, core::AckDepth::kBest);
  auto fin = parseConfig("[chain]\nack_confirmations = \"finalized\"\n", "h.toml");
  ASSERT_TRUE(fin.ok()) << fin.error().message;
  EXPECT_EQ(fin->ack_depth, core::AckDepth::kFinalized);
  EXPECT_NE(errorOf("[chain]\nack_confirmations = \"finalised\"\n")
                .find("h.toml:2: chain.ack_confirmations: must be a number of blocks (0 .. 4096) "
                      "or \"finalized\", not \"finalised\""),
            std::string::npos);
  EXPECT_NE(errorOf("[chain]\nack_confirmations = -1\n").find("chain.ack_confirmations"),
            std::string::npos);
  EXPECT_NE(errorOf("[chain]\nack_confirmations = true\n").find("chain.ack_confirmations"),
            std::string::npos);
}

TEST(Config, ClusterMistakes) {
  std::string base = "[[clusters]]\nworkers = [\"http://w\"]\n";
  EXPECT_NE(errorOf(base).find("clusters[0].id: missing"), std::string::npos);
  EXPECT_NE(errorOf(base + "id = \"0x1234\"\n").find("expected 32 bytes"), std::string::npos);
  EXPECT_NE(errorOf(base + "id = \"0xzz\"\n").find("invalid hex"), std::string::npos);
  std::string id = "id = \"0x" + std::string(64, 'a') + "\"\n";
  EXPECT_NE(errorOf("[[clusters]]\n" + id + "workers = []\n").find("at least one worker"),
            std::string::npos);
  std::string twice = "[[clusters]]\n" + id + "workers = \"http://a\"\n[[clusters]]\n" + id +
                      "workers = \"http://b\"\n";
  EXPECT_NE(errorOf(twice).find("listed twice"), std::string::npos);
}

TEST(Config, SyntaxErrorsNameTheLine) {
  std::string e = errorOf("[hunter]\ndatabase = \"unterminated\n");
  EXPECT_NE(e.find("h.toml:2"), std::string::npos) << e;
}

TEST(Config, MissingFileIsAClearError) {
  auto r = loadConfig("/nonexistent/hunter.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/hunter.toml: cannot open"), std::string::npos);
}

TEST(Config, SelectByAliasOrIdAndUnknownNamesTheConfigured) {
  auto c = parseConfig(kGood, "h.toml").value();
  auto all = c.select({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto one = c.select({"alpha"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->at(0).alias, "alpha");
  auto byId = c.select({"0x0000000000000000000000000000000000000000000000000000000000000001"});
  ASSERT_TRUE(byId.ok());
  EXPECT_EQ(byId->size(), 1u);
  auto bad = c.select({"beta"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--cluster beta"), std::string::npos);
  EXPECT_NE(bad.error().message.find("alpha"), std::string::npos);
}

TEST(Config, EnvironmentOverridesPerDeploymentValues) {
  auto c = parseConfig(kGood, "h.toml").value();
  setenv("HUNTER_CHAIN_ENDPOINTS", "http://a:1/, http://b:2", 1);
  setenv("HUNTER_KEY_FILE", "/run/secrets/hunter.key", 1);
  setenv("HUNTER_DATABASE", "/data/h.db", 1);
  applyEnvironment(c);
  unsetenv("HUNTER_CHAIN_ENDPOINTS");
  unsetenv("HUNTER_KEY_FILE");
  unsetenv("HUNTER_DATABASE");
  ASSERT_EQ(c.chain_endpoints.size(), 2u);
  EXPECT_EQ(c.chain_endpoints[0], "http://a:1");
  EXPECT_EQ(c.chain_endpoints[1], "http://b:2");
  ASSERT_EQ(c.key_files.size(), 1u);
  EXPECT_EQ(c.key_files[0], "/run/secrets/hunter.key");
  EXPECT_EQ(c.database, "/data/h.db");
}

TEST(Config, EndpointCredentialsAreAcceptedAndNeverEchoed) {
  std::string good = kGood;
  good.replace(good.find("http://127.0.0.1:9944/"), 22, "https://op:s3cret@rpc.example:443/");
  auto c = parseConfig(good, "h.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->chain_endpoints[0], "https://op:s3cret@rpc.example:443") << "used as given";

  std::string bad = kGood;
  bad.replace(bad.find("http://127.0.0.1:9944/"), 22, "https://op:s3cret@rpc.example:99999/");
  std::string e = errorOf(bad);
  EXPECT_NE(e.find("chain.endpoints"), std::string::npos) << e;
  EXPECT_NE(e.find("https://***@rpc.example:99999"), std::string::npos) << e;
  EXPECT_EQ(e.find("s3cret"), std::string::npos) << e;
  bad.replace(bad.find("https://"), 8, "ftp://");
  e = errorOf(bad);
  EXPECT_EQ(e.find("s3cret"), std::string::npos) << e;
}

TEST(Config, TheApiLineSaysWhatWasBound) {
  EXPECT_EQ(apiListeningLine("127.0.0.1:0", "http://127.0.0.1:41234"),
            "api listening on http://127.0.0.1:41234");
  EXPECT_EQ(apiListeningLine("0.0.0.0:9615", "http://127.0.0.1:9615"),
            "api listening on 0.0.0.0:9615, every interface (http://127.0.0.1:9615 from this "
            "host)");
  EXPECT_EQ(apiListeningLine("0.0.0.0:0", "http://127.0.0.1:40001"),
            "api listening on 0.0.0.0:40001, every interface (http://127.0.0.1:40001 from this "
            "host)")
      << "port 0: the port actually bound";
}
