#include "sql_lint.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

namespace segmentd::test {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

int line_of(std::string_view text, std::size_t pos) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n'));
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Text with -- and /* */ comments blanked (newlines kept, so lines count).
std::string without_sql_comments(std::string_view sql) {
  std::string out(sql);
  bool in_quote = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\'') in_quote = !in_quote;
    if (in_quote) continue;
    if (out.compare(i, 2, "--") == 0) {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (out.compare(i, 2, "/*") == 0) {
      while (i < out.size() && out.compare(i, 2, "*/") != 0) {
        if (out[i] != '\n') out[i] = ' ';
        ++i;
      }
      if (i < out.size()) out[i] = out[i + 1] = ' ';
    }
  }
  return out;
}

// Items of a select list, split at commas outside parentheses.
std::vector<std::string> select_items(std::string_view list) {
  std::vector<std::string> items;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] == '(') ++depth;
    if (list[i] == ')') --depth;
    if (list[i] == ',' && depth == 0) {
      items.push_back(trim(list.substr(start, i - start)));
      start = i + 1;
    }
  }
  items.push_back(trim(list.substr(start)));
  return items;
}

bool mentions_json(const std::string& item_upper, const std::set<std::string>& json_columns) {
  static const std::regex json_function(
      R"(\bJSON_(EXTRACT|OBJECT|ARRAY|SET|INSERT|REPLACE|REMOVE|MERGE\w*|ARRAYAGG|OBJECTAGG|QUERY|COMPACT|KEYS)\s*\()");
  if (std::regex_search(item_upper, json_function)) return true;
  if (item_upper.find("->") != std::string::npos && item_upper.find("->>") == std::string::npos) return true;
  for (const auto& c : json_columns) {
    if (std::regex_search(item_upper, std::regex("(^|[^A-Z0-9_])" + upper(c) + "($|[^A-Z0-9_(])"))) return true;
  }
  return false;
}

// A select item whose value is text or a scalar even though it reads JSON.
bool returns_text(const std::string& item_upper) {
  static const std::regex ok(
      R"(^(CAST\s*\(.*\bAS\s+CHAR\b.*\)|JSON_(UNQUOTE|VALUE|LENGTH|VALID|TYPE|CONTAINS|CONTAINS_PATH|DEPTH|SEARCH)\s*\(.*\)|.*\bIS\s+(NOT\s+)?NULL)(\s+(AS\s+)?\w+)?$)");
  return std::regex_match(item_upper, ok);
}

}  // namespace

std::set<std::string> json_columns_of(std::string_view sql) {
  std::set<std::string> out;
  const std::string text = without_sql_comments(sql);
  static const std::regex column(R"((^|[\n,(]|\bADD\s+COLUMN)\s*`?(\w+)`?\s+JSON\b)", std::regex::icase);
  for (std::sregex_iterator it(text.begin(), text.end(), column), end; it != end; ++it) out.insert((*it)[2]);
  return out;
}

std::vector<LintFinding> lint_set_greatest(std::string_view sql, const std::string& name) {
  std::vector<LintFinding> out;
  const std::string text = without_sql_comments(sql);
  const std::string up = upper(text);
  std::set<std::string> locals;
  static const std::regex declare(R"(\bDECLARE\s+(\w+(\s*,\s*\w+)*)\s)");
  for (std::sregex_iterator it(up.begin(), up.end(), declare), end; it != end; ++it) {
    std::stringstream names((*it)[1].str());
    std::string n;
    while (std::getline(names, n, ',')) locals.insert(trim(n));
  }
  static const std::regex set_word(R"(\bSET\b)");
  static const std::regex assignment(R"(([@\w.]+)\s*:?=\s*(GREATEST|LEAST)\s*\()");
  static const std::set<std::string> statement_starts = {"",     "BEGIN",  "THEN", "ELSE",   "DO",
                                                         "LOOP", "REPEAT", "FROM", "PREPARE"};
  for (std::sregex_iterator it(up.begin(), up.end(), set_word), end; it != end; ++it) {
    const std::size_t at = static_cast<std::size_t>(it->position());
    // The word before SET: UPDATE t SET and SIGNAL ... SET assign columns
    // and condition items, not variables.
    std::size_t b = at;
    while (b > 0 && std::isspace(static_cast<unsigned char>(up[b - 1]))) --b;
    std::size_t w = b;
    while (w > 0 && (std::isalnum(static_cast<unsigned char>(up[w - 1])) || up[w - 1] == '_')) --w;
    const std::string before = up.substr(w, b - w);
    if (!before.empty() && !statement_starts.count(before)) continue;
    const std::size_t stop = std::min(up.find(';', at), up.size());
    const std::string region = up.substr(at, stop - at);
    for (std::sregex_iterator a(region.begin(), region.end(), assignment); a != end; ++a) {
      std::string target = (*a)[1];
      if (target.rfind("@@", 0) != 0 && target.rfind('@', 0) == 0) continue;  // a user variable
      for (const char* prefix : {"@@SESSION.", "@@GLOBAL.", "@@LOCAL.", "@@"}) {
        if (target.rfind(prefix, 0) == 0) {
          target = target.substr(std::string(prefix).size());
          break;
        }
      }
      if (locals.count(target)) continue;  // a typed local variable
      out.push_back({name + ":" + std::to_string(line_of(text, at + static_cast<std::size_t>(a->position()))),
                     "set-greatest", trim(text.substr(at + static_cast<std::size_t>(a->position()), 60))});
    }
  }
  return out;
}

std::vector<LintFinding> lint_json_select(std::string_view statement, const std::set<std::string>& json_columns,
                                          const std::string& where) {
  std::vector<LintFinding> out;
  const std::string up = upper(statement);
  static const std::regex select_word(R"(\bSELECT\b)");
  for (std::sregex_iterator it(up.begin(), up.end(), select_word), end; it != end; ++it) {
    const std::size_t begin = static_cast<std::size_t>(it->position()) + 6;
    // The list ends at FROM at this SELECT's depth, or where its parenthesis closes.
    int depth = 0;
    std::size_t stop = up.size();
    for (std::size_t i = begin; i < up.size(); ++i) {
      if (up[i] == '(') ++depth;
      if (up[i] == ')' && --depth < 0) {
        stop = i;
        break;
      }
      const bool word_start = i > 0 && std::isspace(static_cast<unsigned char>(up[i - 1]));
      const bool word_end = i + 4 >= up.size() || std::isspace(static_cast<unsigned char>(up[i + 4]));
      if (depth == 0 && word_start && word_end && up.compare(i, 4, "FROM") == 0) {
        stop = i;
        break;
      }
    }
    for (const auto& item : select_items(std::string_view(up).substr(begin, stop - begin))) {
      if (mentions_json(item, json_columns) && !returns_text(item)) {
        out.push_back({where, "json-select", item});
      }
    }
  }
  return out;
}

std::vector<CppStatement> statements_of_cpp(std::string_view source) {
  std::vector<CppStatement> out;
  std::size_t i = 0;
  CppStatement current;
  bool open = false;
  while (i < source.size()) {
    const char c = source[i];
    if (source.compare(i, 2, "//") == 0) {
      while (i < source.size() && source[i] != '\n') ++i;
      continue;
    }
    if (c == '\'') {  // a character literal ('"' must not open a string)
      i += source[i + 1] == '\\' ? 4 : 3;
      continue;
    }
    if (c == '"') {
      if (!open) {
        current = {"", line_of(source, i)};
        open = true;
      }
      ++i;
      while (i < source.size() && source[i] != '"') {
        if (source[i] == '\\' && i + 1 < source.size()) {
          current.text += source[i + 1] == 'n' ? '\n' : source[i + 1];
          i += 2;
          continue;
        }
        current.text += source[i++];
      }
      ++i;
      continue;
    }
    if (open && !std::isspace(static_cast<unsigned char>(c))) {
      out.push_back(current);
      open = false;
    }
    ++i;
  }
  if (open) out.push_back(current);
  return out;
}

std::vector<LintFinding> lint_source_tree(const std::filesystem::path& root) {
  std::vector<LintFinding> out;
  std::set<std::string> json_columns;
  std::vector<std::filesystem::path> sql_files, cpp_files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root / "sql")) {
    if (e.path().extension() == ".sql") sql_files.push_back(e.path());
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(root / "daemon")) {
    if (e.path().extension() == ".cpp" || e.path().extension() == ".h") cpp_files.push_back(e.path());
  }
  std::sort(sql_files.begin(), sql_files.end());
  std::sort(cpp_files.begin(), cpp_files.end());
  for (const auto& f : sql_files) {
    const std::string text = read_all(f);
    const auto cols = json_columns_of(text);
    json_columns.insert(cols.begin(), cols.end());
    const auto found = lint_set_greatest(text, std::filesystem::relative(f, root).string());
    out.insert(out.end(), found.begin(), found.end());
  }
  for (const auto& f : cpp_files) {
    const std::string name = std::filesystem::relative(f, root).string();
    for (const auto& st : statements_of_cpp(read_all(f))) {
      const std::string where = name + ":" + std::to_string(st.line);
      for (auto found : {lint_set_greatest(st.text, where), lint_json_select(st.text, json_columns, where)}) {
        for (auto& x : found) x.where = where;
        out.insert(out.end(), found.begin(), found.end());
      }
    }
  }
  return out;
}

}  // namespace segmentd::test
