// The metrics registry's Prometheus text rendering and the /healthz verdict.
#include <gtest/gtest.h>

#include <thread>

#include "hunter/app/health.hpp"
#include "hunter/app/metrics.hpp"

using namespace hunter::app;

TEST(Metrics, RendersCountersGaugesAndLabelsInOrder) {
  MetricsRegistry m;
  m.describe("hunter_b_total", MetricType::kCounter, "B things.");
  m.describe("hunter_a", MetricType::kGauge, "A level.\nSecond line.");
  m.add("hunter_b_total", {{"cluster", "x"}, {"outcome", "accepted"}}, 2);
  m.add("hunter_b_total", {{"cluster", "x"}, {"outcome", "accepted"}});
  m.set("hunter_a", {}, 1.5);
  m.set("hunter_a", {}, 2.25);
  m.add("hunter_unknown", {}, 1);  // not declared: ignored
  EXPECT_EQ(m.render(),
            "# HELP hunter_a A level.\\nSecond line.\n"
            "# TYPE hunter_a gauge\n"
            "hunter_a 2.25\n"
            "# HELP hunter_b_total B things.\n"
            "# TYPE hunter_b_total counter\n"
            "hunter_b_total{cluster=\"x\",outcome=\"accepted\"} 3\n");
  EXPECT_EQ(m.value("hunter_b_total", {{"cluster", "x"}, {"outcome", "accepted"}}), 3);
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry m;
  m.describe("hunter_x_total", MetricType::kCounter, "X.");
  m.add("hunter_x_total", {{"reason", "a\"b\\c\nd"}}, 1);
  EXPECT_NE(m.render().find("hunter_x_total{reason=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos)
      << m.render();
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry m;
  m.describe("hunter_lat_seconds", MetricType::kHistogram, "Latency.", {1, 0.1});
  m.observe("hunter_lat_seconds", {{"w", "a"}}, 0.05);
  m.observe("hunter_lat_seconds", {{"w", "a"}}, 0.5);
  m.observe("hunter_lat_seconds", {{"w", "a"}}, 3);
  m.add("hunter_lat_seconds", {{"w", "a"}}, 1);  // wrong kind: ignored
  EXPECT_EQ(m.render(),
            "# HELP hunter_lat_seconds Latency.\n"
            "# TYPE hunter_lat_seconds histogram\n"
            "hunter_lat_seconds_bucket{w=\"a\",le=\"0.1\"} 1\n"
            "hunter_lat_seconds_bucket{w=\"a\",le=\"1\"} 2\n"
            "hunter_lat_seconds_bucket{w=\"a\",le=\"+Inf\"} 3\n"
            "hunter_lat_seconds_sum{w=\"a\"} 3.55\n"
            "hunter_lat_seconds_count{w=\"a\"} 3\n");
}

TEST(Metrics, ValuesAndConcurrentUpdates) {
  EXPECT_EQ(formatMetricValue(1e20), "1e+20");
  EXPECT_EQ(formatMetricValue(12345678901234.0), "12345678901234");
  EXPECT_EQ(formatMetricValue(-2), "-2");
  MetricsRegistry m;
  m.describe("hunter_n_total", MetricType::kCounter, "N.");
  m.describe("hunter_h_seconds", MetricType::kHistogram, "H.", {1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        m.add("hunter_n_total", {}, 1);
        m.observe("hunter_h_seconds", {}, 0.5);
        if (i % 100 == 0) (void)m.render();
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.value("hunter_n_total", {}), 4000);
  EXPECT_NE(m.render().find("hunter_h_seconds_count 4000\n"), std::string::npos);
  m.clear("hunter_n_total");
  EXPECT_EQ(m.render().find("\nhunter_n_total "), std::string::npos);
}

TEST(Health, ChainFreshnessAndProgress) {
  HealthInput in;
  in.started_ms = 1'000'000;
  in.now_ms = in.started_ms + 1000;
  in.chain_stale_ms = 30'000;
  in.progress_timeout_ms = 300'000;
  auto v = evaluateHealth(in);
  EXPECT_FALSE(v.ok);  // the chain has not answered yet
  EXPECT_NE(v.reason.find("not answered"), std::string::npos);
  in.now_ms = in.started_ms + 31'000;
  EXPECT_NE(evaluateHealth(in).reason.find("chain unreachable since the start"), std::string::npos);
  in.chain_last_ok_ms = in.now_ms - 1000;
  EXPECT_TRUE(evaluateHealth(in).ok);
  in.now_ms = in.chain_last_ok_ms + 31'000;
  v = evaluateHealth(in);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("chain unreachable since"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("(31 s)"), std::string::npos) << v.reason;

  // A backlog is fine while acceptances keep coming.
  in.chain_last_ok_ms = in.now_ms;
  in.backlog = 7;
  in.last_accept_ms = in.now_ms - 299'000;
  EXPECT_TRUE(evaluateHealth(in).ok);
  in.last_accept_ms = in.now_ms - 301'000;
  v = evaluateHealth(in);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("backlog 7 with no acceptance for 301 s"), std::string::npos) << v.reason;
  in.stuck = {"alpha: fewer than threshold workers agree"};
  v = evaluateHealth(in);
  EXPECT_NE(v.reason.find("cluster stuck: alpha: fewer than threshold"), std::string::npos)
      << v.reason;
  in.backlog = 0;  // nothing to do: healthy however long ago the last acceptance was
  EXPECT_TRUE(evaluateHealth(in).ok);
}
