// Runs N benchmark streams (one thread each) released together, and times the
// whole batch from the release to the last stream's end. An exception thrown by
// any stream is rethrown on the caller's thread after every stream has ended.
//
// Header-only. Thread safety: run_streams is reentrant; `stream` is called
// concurrently with different indexes and must synchronize its own shared state.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_report.h"

namespace kvgate::perf {

// Returns the wall seconds the batch took.
inline double run_streams(std::size_t n, const std::function<void(std::size_t)>& stream) {
  std::latch ready(static_cast<std::ptrdiff_t>(n) + 1);
  std::mutex error_mutex;
  std::exception_ptr error;
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      try {
        stream(i);
      } catch (...) {
        const std::lock_guard guard(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  ready.arrive_and_wait();
  const auto start = bench_clock::now();
  for (auto& t : threads) t.join();
  const std::chrono::duration<double> elapsed = bench_clock::now() - start;
  if (error) std::rethrow_exception(error);
  return elapsed.count();
}

// Throughput of a repeated I/O pass: `prepare` (untimed, e.g. evicting the
// page cache) then `pass` (timed, returns its wall seconds), repeated until the
// timed seconds reach `budget` (at least once). CPU seconds of the process are
// counted over the passes only.
struct pass_totals {
  double bytes = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  int passes = 0;
  double mib_per_s() const { return seconds > 0 ? bytes / seconds / (1 << 20) : 0; }
  double cpu_s_per_gib() const { return bytes > 0 ? cpu_seconds / (bytes / (1 << 30)) : 0; }
};

inline pass_totals repeat_passes(double budget, double bytes_per_pass,
                                 const std::function<void()>& prepare,
                                 const std::function<double()>& pass) {
  pass_totals t;
  do {
    if (prepare) prepare();
    const double cpu0 = cpu_seconds();
    t.seconds += pass();
    t.cpu_seconds += cpu_seconds() - cpu0;
    t.bytes += bytes_per_pass;
    ++t.passes;
  } while (t.seconds < budget);
  return t;
}

}  // namespace kvgate::perf
