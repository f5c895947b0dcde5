// hunter-devnet's TOML config (DevnetConfig).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hunter/app/config.hpp"
#include "hunter/crypto/ss58.hpp"
#include "hunter/devnet/devnet.hpp"

namespace hunter::devnet {
namespace {

Result<DevnetConfig> parse(const std::string& text) { return parseDevnetConfig(text, "t.toml"); }

std::string errorOf(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? std::string() : r.error().message;
}

TEST(DevnetConfig, RepositoryExampleParses) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../../config/devnet.toml";
  auto cfg = loadDevnetConfig(path.lexically_normal().string());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->clusters.size(), 2u);
  EXPECT_EQ(cfg->clusters[0].alias, "alpha");
  EXPECT_EQ(toHex(cfg->clusters[0].id),
            "0xbb6d204d45821e67beffe424fc1d71453c47fe14ec7bdca0f68d7e6af27f8a24");
  EXPECT_EQ(cfg->clusters[0].workers, 4u);
  EXPECT_EQ(cfg->clusters[0].threshold, 3u);
  EXPECT_EQ(cfg->clusters[1].id, clusterIdFromSeed("beta"));
  EXPECT_EQ(cfg->clusters[1].payload_size, 1024u);
  EXPECT_EQ(cfg->chain_port, 9944);
  EXPECT_EQ(cfg->worker_base_port, 8001);
  EXPECT_EQ(cfg->block_ms, 1000u);
  EXPECT_EQ(cfg->chain.base_fee, static_cast<u128>(1'000'000));
  EXPECT_EQ(cfg->hunter_free, static_cast<u128>(1'000'000'000'000'000'000ull));
}

TEST(DevnetConfig, EmptyGivesOneDefaultCluster) {
  auto cfg = parse("");
  ASSERT_TRUE(cfg.ok());
  ASSERT_EQ(cfg->clusters.size(), 1u);
  EXPECT_EQ(cfg->clusters[0].alias, "alpha");
  EXPECT_EQ(cfg->clusters[0].id, clusterIdFromSeed("alpha"));
  EXPECT_EQ(cfg->block_ms, 1000u);
  EXPECT_EQ(cfg->chain_port, 0);
}

TEST(DevnetConfig, FullCluster) {
  auto cfg = parse(R"(
block_ms = 200
[[clusters]]
alias = "x"
seed = "s"
workers = 5
threshold = 4
reward_per_message = 7
rate = 2.5
payload_size = 10
initial_backlog = 100
max_pending = 1000
[[clusters.faults]]
index = 4
diverge_from = 9
slow_ms = 10
flaky_rate = 0.5
[[accounts]]
account = "0x0101010101010101010101010101010101010101010101010101010101010101"
free = "123456789012345678901234567890"
)");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const ClusterConfig& c = cfg->clusters.at(0);
  EXPECT_EQ(c.id, clusterIdFromSeed("s"));
  EXPECT_EQ(c.reward_per_message, static_cast<u128>(7));
  EXPECT_DOUBLE_EQ(c.rate, 2.5);
  EXPECT_EQ(c.initial_backlog, 100u);
  ASSERT_EQ(c.faults.size(), 1u);
  EXPECT_EQ(c.faults[0].first, 4u);
  EXPECT_EQ(c.faults[0].second.diverge_from, std::optional<uint64_t>(9));
  EXPECT_EQ(c.faults[0].second.slow_ms, 10u);
  ASSERT_EQ(cfg->accounts.size(), 1u);
  EXPECT_EQ(u128ToString(cfg->accounts[0].free), "123456789012345678901234567890");

  crypto::AccountId32 acc{};
  acc.fill(2);
  auto ss58 = parse("[[accounts]]\naccount = \"" + crypto::ss58Encode(acc) + "\"\nfree = 1\n");
  ASSERT_TRUE(ss58.ok()) << ss58.error().message;
  EXPECT_EQ(*ss58->accounts[0].account, acc);
}

TEST(DevnetConfig, ErrorsNameTheKeyAndLine) {
  std::string e = errorOf("block_ms = 100\nbogus = 1\n");
  EXPECT_NE(e.find("t.toml:2"), std::string::npos) << e;
  EXPECT_NE(e.find("bogus"), std::string::npos) << e;

  e = errorOf("block_ms = \"fast\"\n");
  EXPECT_NE(e.find("t.toml:1: block_ms: expected an integer"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\nworkerz = 3\n");
  EXPECT_NE(e.find("t.toml:3: clusters[0].workerz: unknown key"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\nworkers = 2\nthreshold = 3\n");
  EXPECT_NE(e.find("threshold"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\nreward_per_message = \"12x\"\n");
  EXPECT_NE(e.find("clusters[0].reward_per_message"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\n[[clusters.faults]]\nindex = 4\n");
  EXPECT_NE(e.find("clusters[0].faults[0].index"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\n[[clusters]]\nalias = \"a\"\n");
  EXPECT_NE(e.find("duplicate alias"), std::string::npos) << e;

  e = errorOf("[[clusters]]\nalias = \"a\"\ndestination = \"/bad\"\n");
  EXPECT_NE(e.find("destination"), std::string::npos) << e;

  e = errorOf("[[accounts]]\nfree = 1\n");
  EXPECT_NE(e.find("accounts[0]"), std::string::npos) << e;

  e = errorOf("[fees]\nbase_fee = -1\n");
  EXPECT_NE(e.find("fees.base_fee"), std::string::npos) << e;

  e = errorOf("[chain_faults]\ndrop_rate = 2.0\n");
  EXPECT_NE(e.find("chain_faults.drop_rate"), std::string::npos) << e;

  e = errorOf("chain = 5\n");
  EXPECT_NE(e.find("chain: expected a table"), std::string::npos) << e;

  e = errorOf("block_ms = \n");  // TOML syntax error
  EXPECT_NE(e.find("t.toml:1"), std::string::npos) << e;
}

// workers_on_one_port: off unless asked for, so every existing config keeps a port per worker.
TEST(DevnetConfig, WorkersOnOnePortIsATopLevelBooleanOffByDefault) {
  auto cfg = parse("");
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->workers_on_one_port);
  cfg = parse("workers_on_one_port = true\nworker_base_port = 8100\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->workers_on_one_port);
  EXPECT_EQ(cfg->worker_base_port, 8100);
  std::string e = errorOf("workers_on_one_port = 1\n");
  EXPECT_NE(e.find("t.toml:1: workers_on_one_port"), std::string::npos) << e;
}

// The devnet and hunter read their files with one reader: the same checks, the same words.
TEST(DevnetConfig, ReadsFilesWithHuntersReader) {
  std::string missing = testing::TempDir() + "/no-such-devnet.toml";
  auto d = loadDevnetConfig(missing);
  auto h = app::loadConfig(missing);
  ASSERT_FALSE(d.ok());
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(d.error().code, "config");
  EXPECT_EQ(d.error().message, h.error().message);

  std::string big = testing::TempDir() + "/big-devnet.toml";
  {
    std::ofstream f(big, std::ios::binary);
    f << "# " << std::string(size_t{2} << 20, 'x') << "\n";
  }
  d = loadDevnetConfig(big);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, big + ": configuration file is larger than 1 MiB");
  std::filesystem::remove(big);

  std::string e = errorOf("chain = 5\n");
  auto hc = app::parseConfig("chain = 5\n", "t.toml");
  ASSERT_FALSE(hc.ok());
  EXPECT_EQ(e, hc.error().message);
  EXPECT_EQ(e, "t.toml:1: chain: expected a table ([chain])");
}

TEST(DevnetProducer, WakesWhenTheNextMessageIsDueAtMostTenMillisecondsApart) {
  using std::chrono::microseconds;
  ClusterConfig fast;
  fast.rate = 1000;  // sn k at (k + 1) ms
  ClusterConfig slow;
  slow.rate = 50;  // one every 20 ms
  ClusterConfig idle;
  idle.rate = 0;
  EXPECT_EQ(untilNextProduction({fast}, 0.0105), microseconds(500));
  EXPECT_EQ(untilNextProduction({slow}, 0.0199), microseconds(100));
  EXPECT_EQ(untilNextProduction({slow}, 0.0010), microseconds(10'000));  // due at 20 ms
  EXPECT_EQ(untilNextProduction({idle}, 3.0), microseconds(10'000));
  EXPECT_EQ(untilNextProduction({}, 3.0), microseconds(10'000));
  EXPECT_EQ(untilNextProduction({idle, slow, fast}, 0.0199), microseconds(100));
  EXPECT_EQ(untilNextProduction({slow, fast}, 0.0102), microseconds(800));
}

}  // namespace
}  // namespace hunter::devnet
