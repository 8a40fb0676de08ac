// Timing and reporting shared by the benchmarks in perf/: a time-budgeted
// measurement loop, process CPU time, and a result table that prints as
// aligned text or as JSON (the same rows either way).
//
// Header-only (perf/CMakeLists.txt builds one executable per *_bench.cc).
// Thread safety: measure_gbps and cpu_seconds are reentrant; a report_table is
// used by one thread.
#pragma once

#include <fmt/core.h>
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kvgate::perf {

using bench_clock = std::chrono::steady_clock;

// Runs `pass` (which processes `bytes_per_pass` bytes) once as a warm-up, then
// until `seconds` have elapsed (at least once); returns GB/s (10^9 bytes/s).
template <class F>
double measure_gbps(double seconds, std::size_t bytes_per_pass, F&& pass) {
  pass();  // warm-up: resolves dispatchers, faults pages in, warms caches
  const auto start = bench_clock::now();
  const auto budget = std::chrono::duration<double>(seconds);
  std::size_t passes = 0;
  std::chrono::duration<double> elapsed{};
  do {
    pass();
    ++passes;
    elapsed = bench_clock::now() - start;
  } while (elapsed < budget);
  return static_cast<double>(bytes_per_pass) * static_cast<double>(passes) / elapsed.count() / 1e9;
}

// User + system CPU seconds consumed so far by the whole process (all threads).
inline double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// Rows of (name, value, unit, note) grouped under section headings, printed as
// a text table or as a JSON array. A row without a value prints "n/a".
class report_table {
 public:
  struct row {
    std::string section;
    std::string name;
    std::optional<double> value;
    std::string unit;
    std::string note;
  };

  void section(std::string title) { section_ = std::move(title); }
  void add(std::string name, std::optional<double> value, std::string unit, std::string note = {}) {
    rows_.push_back({section_, std::move(name), value, std::move(unit), std::move(note)});
  }
  const std::vector<row>& rows() const noexcept { return rows_; }

  void print(std::FILE* out = stdout) const {
    std::size_t width = 0;
    for (const auto& r : rows_) width = std::max(width, r.name.size());
    std::string current;
    bool first = true;
    for (const auto& r : rows_) {
      if (first || r.section != current) {
        if (!r.section.empty()) fmt::print(out, "{}\n", r.section);
        current = r.section;
        first = false;
      }
      const std::string value = r.value ? fmt::format("{:10.3f}", *r.value) : "       n/a";
      fmt::print(out, "  {:<{}} {} {:<8} {}\n", r.name, width, value, r.unit, r.note);
    }
  }

  nlohmann::json to_json() const {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : rows_) {
      rows.push_back({{"section", r.section},
                      {"name", r.name},
                      {"value", r.value ? nlohmann::json(*r.value) : nlohmann::json(nullptr)},
                      {"unit", r.unit},
                      {"note", r.note}});
    }
    return rows;
  }

 private:
  std::string section_;
  std::vector<row> rows_;
};

}  // namespace kvgate::perf
