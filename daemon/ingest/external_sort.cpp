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

// A merge's read buffers: large ones read a run back in few system calls;
// with many runs each gets a share of the budget, down to the smallest that
// still reads efficiently. More runs than that are merged in groups first.
constexpr std::size_t kLargestReadBuffer = 64u << 10;
constexpr std::size_t kSmallestReadBuffer = 16u << 10;

void write_entry(std::ostream& out, std::string_view key, std::string_view record) {
  write_u32(out, static_cast<std::uint32_t>(key.size()));
  write_u32(out, static_cast<std::uint32_t>(record.size()));
  out.write(key.data(), static_cast<std::streamsize>(key.size()));
  out.write(record.data(), static_cast<std::streamsize>(record.size()));
}

// One run file being merged: its current record, and its read buffer.
class RunReader {
 public:
  RunReader(const std::filesystem::path& path, std::size_t buffer_size) : buffer_(buffer_size) {
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
  const auto path = next_run_path();
  runs_.push_back(path);
  ++runs_written_;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& e : entries_) write_entry(out, key_of(e), record_of(e));
  out.close();
  if (!out) throw ExternalSortError("cannot write sort run " + path.string());
  arena_.clear();
  entries_.clear();
}

std::filesystem::path ExternalSorter::next_run_path() {
  std::filesystem::path path = run_prefix_;
  path += "." + std::to_string(runs_written_ + intermediate_merges_);
  try {
    // Created before it is listed anywhere the destructor looks, and private:
    // sort runs hold customer data.
    create_private_file(path);
  } catch (const IoError& e) {
    throw ExternalSortError(e.what());
  }
  return path;
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
  // The batch memory is not needed any more; the read buffers get it.
  std::string().swap(arena_);
  std::vector<Entry>().swap(entries_);
  const std::size_t widest = std::max<std::size_t>(2, budget_ / kSmallestReadBuffer);
  bool distinct = true;
  while (runs_.size() > widest) {
    // Consecutive runs into one, so that equal keys keep their order.
    std::vector<std::filesystem::path> merged;
    for (std::size_t first = 0; first < runs_.size(); first += widest) {
      const std::size_t last = std::min(runs_.size(), first + widest);
      if (last - first == 1) {
        merged.push_back(runs_[first]);
        continue;
      }
      const auto path = next_run_path();
      ++intermediate_merges_;
      std::ofstream run(path, std::ios::binary | std::ios::trunc);
      merged.push_back(path);
      try {
        distinct = merge_group(first, last, run, kSmallestReadBuffer, true) && distinct;
      } catch (...) {
        runs_.insert(runs_.end(), merged.begin(), merged.end());  // still removed by the destructor
        throw;
      }
      run.close();
      if (!run) {
        runs_.insert(runs_.end(), merged.begin(), merged.end());
        throw ExternalSortError("cannot write sort run " + path.string());
      }
      for (std::size_t i = first; i < last; ++i) {
        std::error_code ec;
        std::filesystem::remove(runs_[i], ec);
      }
    }
    runs_ = std::move(merged);
  }
  const std::size_t buffer = std::clamp(budget_ / runs_.size(), kSmallestReadBuffer, kLargestReadBuffer);
  return merge_group(0, runs_.size(), out, buffer, false) && distinct;
}

// Merges runs [first, last) to `out`: as run entries (key and record) for an
// intermediate run, else as the records alone.
bool ExternalSorter::merge_group(std::size_t first, std::size_t last, std::ostream& out, std::size_t read_buffer,
                                 bool as_run_entries) {
  widest_merge_ = std::max(widest_merge_, last - first);
  std::vector<std::unique_ptr<RunReader>> readers;
  for (std::size_t i = first; i < last; ++i) readers.push_back(std::make_unique<RunReader>(runs_[i], read_buffer));
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
  bool first_record = true;
  while (!heap.empty()) {
    const std::size_t i = heap.top();
    heap.pop();
    if (!first_record && readers[i]->key == previous) distinct = false;
    first_record = false;
    previous = readers[i]->key;
    if (as_run_entries) {
      write_entry(out, readers[i]->key, readers[i]->record);
    } else {
      out.write(readers[i]->record.data(), static_cast<std::streamsize>(readers[i]->record.size()));
    }
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
