#pragma once
// Strict reading of one YAML mapping: typed getters that remember which keys
// were consumed, and finish() that rejects whatever was not. Every error is
// "file:line:column: key.path: reason".

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace segmentd {

class YamlSection {
 public:
  // `node` must be a map (or null, read as empty); `path` is its dotted name.
  YamlSection(YAML::Node node, std::string path, std::string file);

  bool has(const std::string& key) const;
  void read(const std::string& key, std::string& out);
  void read(const std::string& key, bool& out);
  void read(const std::string& key, unsigned& out, std::uint64_t min, std::uint64_t max);
  void read(const std::string& key, double& out, double min, double max);
  // A list of strings; a single scalar is read as a one-element list.
  void read(const std::string& key, std::vector<std::string>& out);
  // A nested mapping; marks the key consumed.
  YamlSection section(const std::string& key);
  // A list of mappings, each as its own section named "key[i]". Returns
  // nullopt-like empty vector when the key is absent; `present` tells which.
  std::vector<YamlSection> sections(const std::string& key, bool& present);
  // Rejects keys nobody read. Call after all reads.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const;
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& key, const std::string& reason) const;
  const std::string& path() const { return path_; }
  const YAML::Mark mark() const;
  const std::string& file() const { return file_; }

 private:
  YAML::Node child(const std::string& key);
  std::string qualified(const std::string& key) const;

  YAML::Node node_;
  std::string path_;
  std::string file_;
  std::set<std::string> consumed_;
};

// "file:line:column: " for a mark (1-based, as editors count).
std::string position(const std::string& file, const YAML::Mark& mark);

}  // namespace segmentd
