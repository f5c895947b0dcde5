#include "hunter/app/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace hunter::app {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string o;
  o.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      o += "\\\\";
    } else if (c == '"') {
      o += "\\\"";
    } else if (c == '\n') {
      o += "\\n";
    } else {
      o += c;
    }
  }
  return o;
}

std::string escapeHelp(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\') {
      o += "\\\\";
    } else if (c == '\n') {
      o += "\\n";
    } else {
      o += c;
    }
  }
  return o;
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `labels` ("a=\"x\"" pairs joined by ','), plus one more pair, in braces.
std::string withLabel(const std::string& labels, const std::string& extra) {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? "" : "{" + all + "}";
}

}  // namespace

std::string formatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

std::string MetricsRegistry::labelText(const MetricLabels& labels) {
  std::string o;
  for (const auto& [k, v] : labels) {
    o += (o.empty() ? "" : ",") + k + "=\"" + escapeLabel(v) + "\"";
  }
  return o;
}

std::vector<std::string> MetricsRegistry::names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, f] : families_) out.push_back(name);
  return out;
}

void MetricsRegistry::describe(const std::string& name, MetricType type, const std::string& help,
                               std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  std::sort(buckets.begin(), buckets.end());
  f.bounds = std::move(buckets);
}

void MetricsRegistry::add(const std::string& name, const MetricLabels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type == MetricType::kHistogram) return;
  it->second.series[labelText(labels)].value += v;
}

void MetricsRegistry::set(const std::string& name, const MetricLabels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type == MetricType::kHistogram) return;
  it->second.series[labelText(labels)].value = v;
}

void MetricsRegistry::observe(const std::string& name, const MetricLabels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end() || it->second.type != MetricType::kHistogram) return;
  auto& f = it->second;
  auto& s = f.series[labelText(labels)];
  if (s.buckets.size() != f.bounds.size()) s.buckets.assign(f.bounds.size(), 0);
  for (size_t i = 0; i < f.bounds.size(); ++i) {
    if (v <= f.bounds[i]) {
      s.buckets[i]++;
      break;
    }
  }
  s.sum += v;
  s.count++;
}

void MetricsRegistry::clear(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.clear();
}

void MetricsRegistry::remove(const std::string& name, const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.erase(labelText(labels));
}

double MetricsRegistry::value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labelText(labels));
  return s == it->second.series.end() ? 0 : s->second.value;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escapeHelp(f.help) + "\n";
    out += "# TYPE " + name + " " + typeName(f.type) + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != MetricType::kHistogram) {
        out += name + withLabel(labels, "") + " " + formatMetricValue(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += i < s.buckets.size() ? s.buckets[i] : 0;
        out += name + "_bucket" +
               withLabel(labels, "le=\"" + formatMetricValue(f.bounds[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + withLabel(labels, "le=\"+Inf\"") + " " + std::to_string(s.count) +
             "\n";
      out += name + "_sum" + withLabel(labels, "") + " " + formatMetricValue(s.sum) + "\n";
      out += name + "_count" + withLabel(labels, "") + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace hunter::app
