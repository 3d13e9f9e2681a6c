#include "metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace segmentd {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

void Metrics::define(const std::string& name, MetricType type, const std::string& help,
                     std::vector<std::string> label_names, std::vector<double> buckets) {
  if (families_.count(name)) throw std::logic_error("metric defined twice: " + name);
  families_[name] = Family{type, help, std::move(label_names), std::move(buckets), {}};
}

Metrics::Family& Metrics::family(const std::string& name, const Labels& labels) {
  const auto it = families_.find(name);
  if (it == families_.end()) throw std::logic_error("undefined metric: " + name);
  if (labels.size() != it->second.label_names.size()) throw std::logic_error("wrong label count for " + name);
  return it->second;
}

Metrics::Series& Metrics::series(const std::string& name, const Labels& labels) {
  Family& f = family(name, labels);
  auto [it, inserted] = f.series.try_emplace(labels);
  if (inserted && f.type == MetricType::Histogram) it->second.bucket_counts.assign(f.buckets.size(), 0);
  return it->second;
}

void Metrics::touch(const std::string& name, const Labels& labels) {
  series(name, labels);
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  series(name, labels).value = value;
}

void Metrics::add(const std::string& name, const Labels& labels, double delta) {
  series(name, labels).value += delta;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  const Family& f = family(name, labels);
  Series& s = series(name, labels);
  for (std::size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) {
      ++s.bucket_counts[i];
      break;
    }
  }
  s.sum += value;
  ++s.count;
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  const auto it = families_.find(name);
  if (it == families_.end()) return 0;
  const auto s = it->second.series.find(labels);
  if (s == it->second.series.end()) return 0;
  return it->second.type == MetricType::Histogram ? static_cast<double>(s->second.count) : s->second.value;
}

namespace {

std::string label_text(const std::vector<std::string>& names, const Labels& values, const std::string& extra = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string Metrics::render() const {
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    std::string help;
    for (char c : f.help) help += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type_name(f.type) << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != MetricType::Histogram) {
        out << name << label_text(f.label_names, labels) << " " << format_sample(s.value) << "\n";
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += s.bucket_counts[i];
        out << name << "_bucket" << label_text(f.label_names, labels, "le=\"" + format_sample(f.buckets[i]) + "\"")
            << " " << cumulative << "\n";
      }
      out << name << "_bucket" << label_text(f.label_names, labels, "le=\"+Inf\"") << " " << s.count << "\n";
      out << name << "_sum" << label_text(f.label_names, labels) << " " << format_sample(s.sum) << "\n";
      out << name << "_count" << label_text(f.label_names, labels) << " " << s.count << "\n";
    }
  }
  return out.str();
}

}  // namespace segmentd
