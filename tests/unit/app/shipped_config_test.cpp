// The configuration files the project ships parse with the real loader, so they stay true.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hunter/app/config.hpp"

using namespace hunter::app;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

TEST(ShippedConfig, ExampleTomlLoads) {
  auto c = loadConfig(HUNTER_SOURCE_DIR "/config/hunter.example.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->chain_endpoints.empty());
  EXPECT_FALSE(c->key_files.empty());
  ASSERT_EQ(c->clusters.size(), 1u);
  EXPECT_EQ(c->clusters[0].alias, "alpha");
}

TEST(ShippedConfig, KubernetesConfigMapTomlLoads) {
  std::string yaml = slurp(HUNTER_SOURCE_DIR "/config/k8s/configmap.yaml");
  auto at = yaml.find("hunter.toml: |\n");
  ASSERT_NE(at, std::string::npos);
  std::stringstream in(yaml.substr(at + 15));
  std::string line, toml;
  while (std::getline(in, line)) {
    if (!line.empty() && line.rfind("    ", 0) != 0) break;  // end of the block scalar
    toml += (line.size() >= 4 ? line.substr(4) : line) + "\n";
  }
  auto c = parseConfig(toml, "configmap.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->clusters.size(), 1u);
}
