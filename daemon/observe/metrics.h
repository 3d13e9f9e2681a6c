#pragma once
// A small Prometheus registry: counter, gauge and histogram families with
// labels, rendered in the text exposition format (version 0.0.4). Debian
// ships no C++ Prometheus client, and what segmentd needs is this much.
// Not thread-safe: the daemon touches it from its loop only.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace segmentd {

enum class MetricType { Counter, Gauge, Histogram };

using Labels = std::vector<std::string>;  // values, in the family's label order

class Metrics {
 public:
  // Declares a family. Histograms take their upper bounds (ascending, +Inf
  // is implied). Declaring twice is a programming error (throws).
  void define(const std::string& name, MetricType type, const std::string& help,
              std::vector<std::string> label_names = {}, std::vector<double> buckets = {});
  // Creates the series with value 0 if it does not exist yet, so alerts
  // work before the first event.
  void touch(const std::string& name, const Labels& labels = {});
  void set(const std::string& name, const Labels& labels, double value);
  void add(const std::string& name, const Labels& labels, double delta = 1);
  void observe(const std::string& name, const Labels& labels, double value);
  double value(const std::string& name, const Labels& labels = {}) const;  // 0 when absent

  std::string render() const;

 private:
  struct Series {
    double value = 0;
    std::vector<std::uint64_t> bucket_counts;  // histogram: per upper bound, not cumulative
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    MetricType type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Family& family(const std::string& name, const Labels& labels);
  Series& series(const std::string& name, const Labels& labels);

  std::map<std::string, Family> families_;
};

// A label value or help text escaped for the exposition format.
std::string escape_label_value(const std::string& value);
// A sample value: whole numbers without a fraction, +Inf / -Inf / NaN spelled out.
std::string format_sample(double value);

}  // namespace segmentd
