#include "yaml_section.h"

#include <charconv>
#include <sstream>

#include "errors.h"

namespace segmentd {
namespace {

std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

std::string position(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file + ": ";
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

YamlSection::YamlSection(YAML::Node node, std::string path, std::string file)
    : node_(std::move(node)), path_(std::move(path)), file_(std::move(file)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw ConfigError(position(file_, node_.Mark()) + (path_.empty() ? "top level" : path_) +
                      ": expected a mapping of keys");
  }
  // yaml-cpp keeps both entries of a repeated key and answers lookups with
  // the first, so a second value would be silently ignored.
  if (node_.IsMap()) {
    std::set<std::string> keys;
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && !keys.insert(entry.first.Scalar()).second) {
        fail_at(entry.first.Mark(), entry.first.Scalar(), "duplicate key (it is already set above)");
      }
    }
  }
}

std::string YamlSection::qualified(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void YamlSection::fail_at(const YAML::Mark& mark, const std::string& key, const std::string& reason) const {
  throw ConfigError(position(file_, mark) + qualified(key) + ": " + reason);
}

void YamlSection::fail(const std::string& key, const std::string& reason) const {
  YAML::Node n = node_.IsMap() ? node_[key] : YAML::Node();
  fail_at(n.IsDefined() ? n.Mark() : node_.Mark(), key, reason);
}

bool YamlSection::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node YamlSection::child(const std::string& key) {
  consumed_.insert(key);
  if (!node_.IsMap()) return YAML::Node();
  return node_[key];
}

void YamlSection::read(const std::string& key, std::string& out) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsScalar()) fail_at(n.Mark(), key, "expected a string");
  out = n.Scalar();
}

void YamlSection::read(const std::string& key, bool& out) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  bool value = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
    fail_at(n.Mark(), key, "expected true or false, got \"" + (n.IsScalar() ? n.Scalar() : "") + "\"");
  }
  out = value;
}

void YamlSection::read(const std::string& key, unsigned& out, std::uint64_t min, std::uint64_t max) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!n.IsScalar() || text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    fail_at(n.Mark(), key, "expected a whole number, got \"" + text + "\"");
  }
  if (value < min || value > max) {
    fail_at(n.Mark(), key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
  }
  out = static_cast<unsigned>(value);
}

void YamlSection::read(const std::string& key, double& out, double min, double max) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  const std::string text = n.IsScalar() ? n.Scalar() : "";
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!n.IsScalar() || text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    fail_at(n.Mark(), key, "expected a number, got \"" + text + "\"");
  }
  if (!(value >= min && value <= max)) {
    fail_at(n.Mark(), key, "must be between " + format_number(min) + " and " + format_number(max) + ", got " + text);
  }
  out = value;
}

void YamlSection::read(const std::string& key, std::vector<std::string>& out) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return;
  std::vector<std::string> values;
  if (n.IsScalar()) {
    values.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!item.IsScalar()) fail_at(item.Mark(), key, "expected a list of strings");
      values.push_back(item.Scalar());
    }
  } else {
    fail_at(n.Mark(), key, "expected a list of strings");
  }
  out = std::move(values);
}

std::vector<YamlSection> YamlSection::sections(const std::string& key, bool& present) {
  YAML::Node n = child(key);
  present = n.IsDefined() && !n.IsNull();
  std::vector<YamlSection> out;
  if (!present) return out;
  if (!n.IsSequence()) fail_at(n.Mark(), key, "expected a list");
  std::size_t i = 0;
  for (const auto& item : n) {
    if (!item.IsMap()) fail_at(item.Mark(), key + "[" + std::to_string(i) + "]", "expected a mapping of keys");
    out.emplace_back(item, qualified(key) + "[" + std::to_string(i) + "]", file_);
    ++i;
  }
  return out;
}

const YAML::Mark YamlSection::mark() const {
  return node_.Mark();
}

YamlSection YamlSection::section(const std::string& key) {
  return YamlSection(child(key), qualified(key), file_);
}

void YamlSection::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (!consumed_.count(key)) fail_at(entry.first.Mark(), key, "unknown key");
  }
}

}  // namespace segmentd
