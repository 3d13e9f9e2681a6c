#include "sql_script.h"

#include <cctype>
#include <regex>

#include "errors.h"

namespace segmentd {
namespace {

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// "DELIMITER $$" at the start of a line (case-insensitive) -> "$$".
bool delimiter_command(std::string_view line, std::string& delimiter) {
  std::string t = trim(line);
  if (t.size() < 10) return false;
  for (std::size_t i = 0; i < 9; ++i) {
    if (std::toupper(static_cast<unsigned char>(t[i])) != "DELIMITER"[i]) return false;
  }
  if (!std::isspace(static_cast<unsigned char>(t[9]))) return false;
  delimiter = trim(std::string_view(t).substr(10));
  return !delimiter.empty();
}

}  // namespace

std::vector<SqlStatement> split_sql_script(std::string_view script, const std::string& name) {
  std::vector<SqlStatement> out;
  std::string delimiter = ";";
  std::string current;
  unsigned line = 1;
  unsigned start_line = 0;
  bool at_line_start = true;
  std::size_t i = 0;

  auto flush = [&]() {
    if (!is_blank(current)) out.push_back({trim(current), start_line});
    current.clear();
    start_line = 0;
  };

  while (i < script.size()) {
    if (at_line_start && is_blank(current)) {
      std::size_t eol = script.find('\n', i);
      std::string_view text = script.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i);
      std::string new_delimiter;
      if (delimiter_command(text, new_delimiter)) {
        delimiter = new_delimiter;
        current.clear();
        i = eol == std::string_view::npos ? script.size() : eol + 1;
        ++line;
        continue;
      }
    }
    at_line_start = false;
    const char c = script[i];
    if (c == '\n') {
      ++line;
      at_line_start = true;
      current += c;
      ++i;
      continue;
    }
    if (start_line == 0 && !std::isspace(static_cast<unsigned char>(c))) start_line = line;

    if (c == '\'' || c == '"' || c == '`') {
      const unsigned quote_line = line;
      current += c;
      ++i;
      while (true) {
        if (i >= script.size()) {
          throw UserError(name + ":" + std::to_string(quote_line) + ": unterminated quote " + std::string(1, c));
        }
        const char q = script[i];
        current += q;
        ++i;
        if (q == '\n') ++line;
        if (q == '\\' && c != '`' && i < script.size()) {
          current += script[i];
          if (script[i] == '\n') ++line;
          ++i;
        } else if (q == c) {
          if (i < script.size() && script[i] == c) {  // doubled quote
            current += c;
            ++i;
          } else {
            break;
          }
        }
      }
      continue;
    }
    const bool dash_comment = c == '-' && i + 2 <= script.size() && script.substr(i, 2) == "--" &&
                              (i + 2 == script.size() || std::isspace(static_cast<unsigned char>(script[i + 2])));
    if (dash_comment || c == '#') {
      std::size_t eol = script.find('\n', i);
      if (start_line == line && is_blank(current)) start_line = 0;
      i = eol == std::string_view::npos ? script.size() : eol;
      continue;
    }
    if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
      const unsigned comment_line = line;
      std::size_t end = script.find("*/", i + 2);
      if (end == std::string_view::npos) {
        throw UserError(name + ":" + std::to_string(comment_line) + ": unterminated /* comment");
      }
      for (std::size_t k = i; k < end; ++k) {
        if (script[k] == '\n') ++line;
      }
      if (start_line == comment_line && is_blank(current)) start_line = 0;
      current += ' ';
      i = end + 2;
      continue;
    }
    if (script.substr(i, delimiter.size()) == delimiter) {
      flush();
      i += delimiter.size();
      continue;
    }
    current += c;
    ++i;
  }
  flush();
  return out;
}

static std::string upper(const std::string& text) {
  std::string out = text;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<SqlStatement> replace_in_place(std::vector<SqlStatement> statements, bool or_replace) {
  if (!or_replace) return statements;
  static const std::regex drop(R"(^DROP\s+(PROCEDURE|FUNCTION|TRIGGER|EVENT)\s+IF\s+EXISTS\s+`?(\w+)`?\s*$)",
                               std::regex::icase);
  static const std::regex create(R"(^CREATE\s+(PROCEDURE|FUNCTION|TRIGGER|EVENT)\s+`?(\w+)`?[\s(])", std::regex::icase);
  std::vector<SqlStatement> out;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    std::smatch d, c;
    if (i + 1 < statements.size() && std::regex_match(statements[i].text, d, drop) &&
        std::regex_search(statements[i + 1].text, c, create) && upper(d[1]) == upper(c[1]) && d[2] == c[2]) {
      SqlStatement replaced = statements[i + 1];
      replaced.text = "CREATE OR REPLACE " + replaced.text.substr(std::string_view("CREATE ").size());
      out.push_back(std::move(replaced));
      ++i;
      continue;
    }
    out.push_back(std::move(statements[i]));
  }
  return out;
}

}  // namespace segmentd
