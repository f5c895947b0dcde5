// The monitoring the project ships (config/grafana/hunter.json, config/prometheus/alerts.yml)
// names only metric families hunter exports, so a renamed metric cannot leave an empty panel or
// a silent alert behind. promtool checks and unit-tests the alerts themselves (tests/CMakeLists).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hunter/app/metrics.hpp"
#include "hunter/app/service.hpp"

using namespace hunter::app;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Exported {
  std::set<std::string> names;
  std::set<std::string> histograms;
};

Exported exported() {
  MetricsRegistry m;
  describeServiceMetrics(m);
  Exported e;
  for (const auto& n : m.names()) e.names.insert(n);
  const std::string text = m.render();  // "# TYPE <name> histogram" tells the histograms
  for (const auto& n : e.names) {
    if (text.find("# TYPE " + n + " histogram\n") != std::string::npos) e.histograms.insert(n);
  }
  return e;
}

// The hunter_* names in a PromQL expression that are no exported family (a histogram's
// _bucket, _sum and _count series stand for the family).
std::vector<std::string> unknownMetrics(const std::string& expr, const Exported& e) {
  static const std::regex token("hunter_[a-z0-9_]+");
  std::vector<std::string> bad;
  for (std::sregex_iterator it(expr.begin(), expr.end(), token), end; it != end; ++it) {
    std::string name = it->str();
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          e.histograms.count(name.substr(0, name.size() - suffix.size())) != 0) {
        name.resize(name.size() - suffix.size());
        break;
      }
    }
    if (e.names.count(name) == 0) bad.push_back(it->str());
  }
  return bad;
}

// Every query string of the dashboard: panel targets' expr, templating query and definition.
void collectQueries(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if ((k == "expr" || k == "query" || k == "definition") && v.is_string()) {
        out.push_back(v.get<std::string>());
      } else {
        collectQueries(v, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) collectQueries(v, out);
  }
}

size_t countPanels(const nlohmann::json& panels) {
  size_t n = 0;
  for (const auto& p : panels) {
    if (p.value("type", std::string()) != "row") ++n;
    if (p.contains("panels")) n += countPanels(p["panels"]);
  }
  return n;
}

// The expr of every rule in a rules file: inline, or a block scalar (| or >) whose lines are
// indented deeper than the "expr:" key.
std::vector<std::string> ruleExprs(const std::string& yaml) {
  std::vector<std::string> lines, out;
  std::istringstream in(yaml);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t indent = lines[i].find_first_not_of(' ');
    if (indent == std::string::npos || lines[i].compare(indent, 5, "expr:") != 0) continue;
    std::string expr = lines[i].substr(indent + 5);
    expr.erase(0, expr.find_first_not_of(' '));
    if (!expr.empty() && (expr[0] == '|' || expr[0] == '>')) {
      expr.clear();
      while (i + 1 < lines.size()) {
        const size_t next = lines[i + 1].find_first_not_of(' ');
        if (next != std::string::npos && next <= indent) break;
        expr += lines[++i] + "\n";
      }
    }
    out.push_back(expr);
  }
  return out;
}

}  // namespace

TEST(Monitoring, UnknownMetricNamesAreCaught) {
  const Exported e = exported();
  ASSERT_TRUE(e.histograms.count("hunter_worker_latency_seconds"));
  EXPECT_TRUE(unknownMetrics("rate(hunter_worker_latency_seconds_bucket[5m])", e).empty());
  EXPECT_EQ(unknownMetrics("hunter_backlog_mesages > 0", e),
            std::vector<std::string>{"hunter_backlog_mesages"});
  EXPECT_EQ(unknownMetrics("hunter_backlog_messages_count", e),
            std::vector<std::string>{"hunter_backlog_messages_count"});  // not a histogram
  EXPECT_EQ(ruleExprs("  - alert: A\n    expr: |\n      hunter_a\n        > 1\n    for: 1m\n"
                      "  - record: b\n    expr: hunter_b\n"),
            (std::vector<std::string>{"      hunter_a\n        > 1\n", "hunter_b"}));
}

TEST(Monitoring, DashboardQueriesOnlyExportedMetrics) {
  const std::string text = slurp(HUNTER_SOURCE_DIR "/config/grafana/hunter.json");
  const auto dash = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(dash.is_discarded()) << "config/grafana/hunter.json is not valid JSON";
  ASSERT_TRUE(dash.contains("panels"));
  EXPECT_GE(countPanels(dash["panels"]), 10u);
  std::vector<std::string> queries;
  collectQueries(dash, queries);
  ASSERT_GE(queries.size(), 10u);
  const Exported e = exported();
  size_t named = 0;
  for (const auto& q : queries) {
    if (q.find("hunter_") != std::string::npos) ++named;
    for (const auto& bad : unknownMetrics(q, e)) ADD_FAILURE() << bad << " in: " << q;
  }
  EXPECT_GE(named, 10u);
}

TEST(Monitoring, AlertRulesUseOnlyExportedMetricsAndNameTheAlerts) {
  const std::string text = slurp(HUNTER_SOURCE_DIR "/config/prometheus/alerts.yml");
  ASSERT_FALSE(text.empty()) << "config/prometheus/alerts.yml is missing";
  const auto exprs = ruleExprs(text);
  ASSERT_GE(exprs.size(), 7u);
  const Exported e = exported();
  for (const auto& x : exprs) {
    EXPECT_FALSE(x.empty());
    for (const auto& bad : unknownMetrics(x, e)) ADD_FAILURE() << bad << " in: " << x;
  }
  for (const char* alert :
       {"HunterClusterStuck", "HunterWorkerDiverged", "HunterLowBalance", "HunterNoProgress",
        "HunterRuntimeChanged", "HunterRpcErrors", "HunterChainUnreachable"}) {
    EXPECT_NE(text.find(std::string("- alert: ") + alert + "\n"), std::string::npos) << alert;
  }
}
