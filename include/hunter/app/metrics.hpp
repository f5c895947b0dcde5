#pragma once
// A small metrics registry rendered in the Prometheus text exposition format 0.0.4.
//
// A family is declared once with describe() (name, type, help; histogram buckets in base
// units); its series are addressed by label sets. Updates to a family that was not declared,
// or of the wrong kind, are ignored. Rendering lists families by name and series by labels,
// each family with its # HELP and # TYPE lines; a histogram gets _bucket{le=...} (cumulative,
// ending with +Inf), _sum and _count series. Label values are escaped (\\, \", \n).
//
// Thread-safe: every member may be called from any thread (one internal mutex).
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hunter::app {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

class MetricsRegistry {
 public:
  void describe(const std::string& name, MetricType type, const std::string& help,
                std::vector<double> buckets = {});
  // Counter or gauge += v.
  void add(const std::string& name, const MetricLabels& labels, double v = 1);
  // Gauge = v, or a counter mirrored from a source that counts itself (v never decreases).
  void set(const std::string& name, const MetricLabels& labels, double v);
  // Histogram: one observation.
  void observe(const std::string& name, const MetricLabels& labels, double v);
  // Removes every series of a family (for gauges whose label sets come and go).
  void clear(const std::string& name);
  // Removes one series.
  void remove(const std::string& name, const MetricLabels& labels);
  // The value of a counter or gauge series (0 when absent). For tests and health checks.
  double value(const std::string& name, const MetricLabels& labels) const;

  std::string render() const;
  // The names of the described families, sorted.
  std::vector<std::string> names() const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> buckets;  // per bucket, not cumulative
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    MetricType type = MetricType::kGauge;
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // rendered label set -> series
  };
  static std::string labelText(const MetricLabels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// A number as Prometheus writes it: integers without exponent, +Inf/-Inf/NaN.
std::string formatMetricValue(double v);

}  // namespace hunter::app
