// Timing and reporting shared by the benchmarks in perf/: a time-budgeted
// measurement loop (wall and thread-CPU rates), process CPU time, and a result table that prints as
// aligned text or as JSON (the same rows either way).
//
// Header-only (perf/CMakeLists.txt builds one executable per *_bench.cc).
// Thread safety: measure_rates and the CPU clocks are reentrant; a report_table is
// used by one thread.
#pragma once

#include <fmt/core.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kvgate::perf {

using bench_clock = std::chrono::steady_clock;

// A throughput measured two ways: per wall-clock second (what a user sees;
// drops when the machine is shared) and per second of the measuring thread's
// CPU time (what the work costs; steady under load from other processes).
struct rates {
  double wall_gbps = 0;
  double cpu_gbps = 0;
};

// CPU seconds the calling thread has used.
inline double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Runs `pass` (which processes `bytes_per_pass` bytes) once as a warm-up, then
// until `seconds` have elapsed (at least once); returns GB/s (10^9 bytes/s).
template <class F>
rates measure_rates(double seconds, std::size_t bytes_per_pass, F&& pass) {
  pass();  // warm-up: resolves dispatchers, faults pages in, warms caches
  const auto start = bench_clock::now();
  const double cpu_start = thread_cpu_seconds();
  const auto budget = std::chrono::duration<double>(seconds);
  std::size_t passes = 0;
  std::chrono::duration<double> elapsed{};
  do {
    pass();
    ++passes;
    elapsed = bench_clock::now() - start;
  } while (elapsed < budget);
  const double cpu = thread_cpu_seconds() - cpu_start;
  const double bytes = static_cast<double>(bytes_per_pass) * static_cast<double>(passes);
  return {bytes / elapsed.count() / 1e9, cpu > 0 ? bytes / cpu / 1e9 : 0.0};
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
