// libFuzzer target: the CSV reader, header recognition and field validation,
// the path every dropped file takes before it reaches a table.
//
// Oracles (a failure aborts, so libFuzzer keeps the input):
// - each record's raw bytes, read again on their own, give the same fields;
// - the fields written back as CSV (every field quoted) read back the same;
// - a field that validation accepts is what its column promises (valid
//   UTF-8 within the size for text, a real calendar moment for a time).
// Only CsvError, UserError and IoError may leave the reader: anything else
// escapes LLVMFuzzerTestOneInput and libFuzzer reports it as a crash.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.h"
#include "datasets.h"
#include "errors.h"
#include "field_validation.h"

namespace {

using namespace segmentd;

// A file descriptor over bytes in memory, as the reader reads a real file.
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view bytes) : fd_(memfd_create("fuzz-csv", 0)) {
    if (fd_ < 0) std::abort();
    for (std::size_t written = 0; written < bytes.size();) {
      const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
      if (n <= 0) std::abort();
      written += static_cast<std::size_t>(n);
    }
    if (::lseek(fd_, 0, SEEK_SET) != 0) std::abort();
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Small enough that the fuzzer reaches the record limit with short inputs;
// a small first buffer puts records across its edges and grows it.
constexpr std::size_t kRecordLimit = 512;
constexpr std::size_t kBuffer = 64;

std::vector<std::vector<std::string>> read_all(std::string_view bytes, std::size_t limit) {
  MemoryFile file(bytes);
  CsvReader reader(file.fd(), limit, kBuffer);
  std::vector<std::vector<std::string>> records;
  CsvRecord record;
  while (reader.next(record)) records.push_back(record.fields);
  return records;
}

std::string quoted_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : fields[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

void check_record_round_trips(const CsvRecord& record) {
  const std::string_view bom = "\xEF\xBB\xBF";
  // An empty line is one empty field; read alone it is no record at all.
  if (record.raw.empty()) {
    if (record.fields.size() != 1 || !record.fields[0].empty()) std::abort();
  } else if (record.raw.substr(0, 3) != bom) {  // a second BOM would be stripped
    const auto again = read_all(record.raw, record.raw.size() + 1);
    if (again.size() != 1 || again[0] != record.fields) std::abort();
  }
  const std::string line = quoted_line(record.fields);
  const auto rejoined = read_all(line, line.size() + 1);
  if (rejoined.size() != 1 || rejoined[0] != record.fields) std::abort();
}

void check_fields(const HeaderMatch& match, const CsvRecord& record) {
  if (record.fields.size() < match.field_of_column.size()) return;
  for (std::size_t c = 0; c < match.dataset->columns.size(); ++c) {
    const ColumnSpec& column = match.dataset->columns[c];
    const std::size_t index = match.field_of_column[c];
    if (index >= record.fields.size()) continue;
    const std::string& value = record.fields[index];
    const FieldCheck check = check_field(column, value);
    if (!check.ok) {
      if (check.error.empty()) std::abort();  // a refusal always says why
      continue;
    }
    if (check.is_null) {
      if (!column.nullable) std::abort();
      continue;
    }
    switch (column.type) {
      case ColumnType::Id:
      case ColumnType::Text:
        if (!valid_utf8(value) || utf8_length(value) > column.size) std::abort();
        break;
      case ColumnType::DateTime:
        if (!valid_datetime(value)) std::abort();
        break;
      default:
        break;
    }
  }
}

std::string header_of(const Dataset& dataset) {
  std::string header;
  for (const ColumnSpec& column : dataset.columns) {
    if (!header.empty()) header += ',';
    header += column.header;
  }
  return header + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // A first byte below the dataset count puts that dataset's real header in
  // front, so most inputs reach field validation instead of stopping at an
  // unknown header.
  const auto& datasets = olist_datasets();
  if (!bytes.empty() && static_cast<unsigned char>(bytes[0]) < datasets.size()) {
    bytes = header_of(datasets[static_cast<unsigned char>(bytes[0])]) + bytes.substr(1);
  }
  try {
    MemoryFile file(bytes);
    CsvReader reader(file.fd(), kRecordLimit, kBuffer);
    CsvRecord record;
    std::optional<HeaderMatch> match;
    bool header_seen = false;
    while (reader.next(record)) {
      check_record_round_trips(record);
      if (!header_seen) {
        header_seen = true;
        try {
          match = recognise_header(record.fields);
        } catch (const UserError&) {
        }
        continue;
      }
      if (match) check_fields(*match, record);
    }
  } catch (const CsvError& e) {
    if (e.line() == 0) std::abort();  // a refusal names its line
  }
  return 0;
}
