#include "external_sort.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <queue>

#include "private_file.h"

namespace segmentd {
namespace {

void write_u32(std::ostream& out, std::uint32_t v) {
  const unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                              static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  out.write(reinterpret_cast<const char*>(b), 4);
}

// One run file being merged: its current record, and a read buffer larger
// than the stream's default so that many runs read back cheaply.
class RunReader {
 public:
  explicit RunReader(const std::filesystem::path& path) : buffer_(1 << 16) {
    in_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    in_.open(path, std::ios::binary);
    if (!in_) throw ExternalSortError("cannot read sort run " + path.string());
  }
  // False at the end of the run.
  bool next() {
    unsigned char sizes[8];
    if (!in_.read(reinterpret_cast<char*>(sizes), 8)) {
      if (in_.gcount() != 0) throw ExternalSortError("sort run ends inside a record");
      return false;
    }
    const auto u32 = [&](int at) {
      return static_cast<std::uint32_t>(sizes[at]) << 24 | static_cast<std::uint32_t>(sizes[at + 1]) << 16 |
             static_cast<std::uint32_t>(sizes[at + 2]) << 8 | static_cast<std::uint32_t>(sizes[at + 3]);
    };
    key.resize(u32(0));
    record.resize(u32(4));
    if (!in_.read(key.data(), static_cast<std::streamsize>(key.size())) ||
        !in_.read(record.data(), static_cast<std::streamsize>(record.size()))) {
      throw ExternalSortError("sort run ends inside a record");
    }
    return true;
  }
  std::string key;
  std::string record;

 private:
  std::vector<char> buffer_;
  std::ifstream in_;
};

}  // namespace

ExternalSorter::ExternalSorter(std::filesystem::path run_prefix, std::size_t memory_budget)
    : run_prefix_(std::move(run_prefix)), budget_(memory_budget) {}

ExternalSorter::~ExternalSorter() {
  remove_runs();
}

void ExternalSorter::add(std::string_view key, std::string_view record) {
  const std::size_t need = key.size() + record.size() + sizeof(Entry);
  if (!entries_.empty() && arena_.size() + entries_.size() * sizeof(Entry) + need > budget_) spill();
  // Reserved once, so the arena never grows by doubling past the budget.
  if (arena_.capacity() < budget_) arena_.reserve(budget_);
  entries_.push_back(
      {arena_.size(), static_cast<std::uint32_t>(key.size()), static_cast<std::uint32_t>(record.size())});
  arena_.append(key);
  arena_.append(record);
}

void ExternalSorter::sort_batch() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [this](const Entry& a, const Entry& b) { return key_of(a) < key_of(b); });
}

void ExternalSorter::spill() {
  sort_batch();
  std::filesystem::path path = run_prefix_;
  path += "." + std::to_string(runs_.size());
  runs_.push_back(path);  // before opening: the destructor removes it whatever happens next
  try {
    create_private_file(path);  // sort runs hold customer data
  } catch (const IoError& e) {
    throw ExternalSortError(e.what());
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& e : entries_) {
    write_u32(out, e.key_size);
    write_u32(out, e.record_size);
    out.write(arena_.data() + e.offset, static_cast<std::streamsize>(e.key_size + e.record_size));
  }
  out.close();
  if (!out) throw ExternalSortError("cannot write sort run " + path.string());
  arena_.clear();
  entries_.clear();
}

bool ExternalSorter::write_sorted(std::ostream& out) {
  bool distinct = true;
  if (runs_.empty()) {
    sort_batch();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (i > 0 && key_of(entries_[i]) == key_of(entries_[i - 1])) distinct = false;
      const auto r = record_of(entries_[i]);
      out.write(r.data(), static_cast<std::streamsize>(r.size()));
    }
  } else {
    if (!entries_.empty()) spill();
    distinct = merge_runs(out);
  }
  arena_.clear();
  entries_.clear();
  remove_runs();
  return distinct;
}

bool ExternalSorter::merge_runs(std::ostream& out) {
  std::vector<std::unique_ptr<RunReader>> readers;
  for (const auto& path : runs_) readers.push_back(std::make_unique<RunReader>(path));
  // Smallest key first; on equal keys the earlier run, which holds the
  // records added earlier.
  const auto later = [&](std::size_t a, std::size_t b) {
    const int c = readers[a]->key.compare(readers[b]->key);
    return c != 0 ? c > 0 : a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < readers.size(); ++i) {
    if (readers[i]->next()) heap.push(i);
  }
  bool distinct = true;
  std::string previous;
  bool first = true;
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    if (!first && readers[i]->key == previous) distinct = false;
    first = false;
    previous = readers[i]->key;
    out.write(readers[i]->record.data(), static_cast<std::streamsize>(readers[i]->record.size()));
    if (readers[i]->next()) heap.push(i);
  }
  return distinct;
}

void ExternalSorter::remove_runs() {
  for (const auto& path : runs_) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  runs_.clear();
}

}  // namespace segmentd
