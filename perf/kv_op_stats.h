// Per-operation tallies of the KV workload generator: attempts, errors, bytes,
// verified bytes and every latency sample, keyed by an operation name
// ("put", "upload-part", "get-range", "lmcache-get", "prompt", ...).
//
// Wire operations (one HTTP request each) carry the bytes the server moved;
// object-level operations (a whole LMCache PUT or GET, an 80-HEAD prompt, a
// chat read) aggregate several requests and are reported beside them but not
// counted again in the moved bytes.
//
// One op_stats per connection thread (no locking); merged after the threads
// have joined.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kvgate::perf {

enum class op_level { wire, object };

struct op_tally {
  op_level level = op_level::wire;
  std::size_t count = 0;   // attempts
  std::size_t errors = 0;  // failed attempts (no latency sample)
  std::size_t bytes = 0;   // body bytes sent or received by successful attempts
  std::size_t verified_bytes = 0;
  std::vector<double> latency_ms;
  std::string first_error;
};

// Nearest-rank percentile of an ascending vector (0 when empty).
inline double percentile_of(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

class op_stats {
 public:
  void ok(std::string_view op, op_level level, double ms, std::size_t bytes,
          std::size_t verified = 0) {
    auto& t = tally(op, level);
    ++t.count;
    t.bytes += bytes;
    t.verified_bytes += verified;
    t.latency_ms.push_back(ms);
  }

  void fail(std::string_view op, op_level level, std::string message) {
    auto& t = tally(op, level);
    ++t.count;
    ++t.errors;
    if (t.first_error.empty()) t.first_error = std::move(message);
  }

  void merge(op_stats&& other) {
    for (auto& [name, o] : other.ops_) {
      auto& t = tally(name, o.level);
      t.count += o.count;
      t.errors += o.errors;
      t.bytes += o.bytes;
      t.verified_bytes += o.verified_bytes;
      t.latency_ms.insert(t.latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
      if (t.first_error.empty()) t.first_error = std::move(o.first_error);
    }
    other.ops_.clear();
  }

  void clear() { ops_.clear(); }

  // Failed requests (wire level), or failed operations of any level.
  std::size_t errors(bool wire_only = true) const {
    std::size_t e = 0;
    for (const auto& [name, t] : ops_)
      if (!wire_only || t.level == op_level::wire) e += t.errors;
    return e;
  }
  std::size_t wire_requests() const {
    std::size_t n = 0;
    for (const auto& [name, t] : ops_)
      if (t.level == op_level::wire) n += t.count;
    return n;
  }
  std::size_t wire_bytes() const {
    std::size_t n = 0;
    for (const auto& [name, t] : ops_)
      if (t.level == op_level::wire) n += t.bytes;
    return n;
  }
  std::string first_error() const {
    for (const auto& [name, t] : ops_)
      if (!t.first_error.empty()) return name + ": " + t.first_error;
    return {};
  }

  // Sorts every latency vector (call once, before the reports).
  void sort() {
    for (auto& [name, t] : ops_) std::sort(t.latency_ms.begin(), t.latency_ms.end());
  }

  // {"<op>": {count, errors, bytes, mib_per_s, requests_per_s, p50_ms, ...}}
  nlohmann::json to_json(double seconds) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [name, t] : ops_) {
      const auto& l = t.latency_ms;
      const double done = static_cast<double>(t.count - t.errors);
      j[name] = {{"level", t.level == op_level::wire ? "wire" : "object"},
                 {"count", t.count},
                 {"errors", t.errors},
                 {"bytes", t.bytes},
                 {"verified_bytes", t.verified_bytes},
                 {"mib_per_s", seconds > 0 ? static_cast<double>(t.bytes) / seconds / 1048576 : 0},
                 {"requests_per_s", seconds > 0 ? done / seconds : 0},
                 {"p50_ms", percentile_of(l, 0.50)},
                 {"p90_ms", percentile_of(l, 0.90)},
                 {"p99_ms", percentile_of(l, 0.99)},
                 {"p999_ms", percentile_of(l, 0.999)},
                 {"max_ms", l.empty() ? 0.0 : l.back()},
                 {"first_error", t.first_error}};
    }
    return j;
  }

  void print_table(double seconds, std::FILE* out = stdout) const {
    fmt::print(out, "{:<14} {:>7} {:>6} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "op", "count",
               "errors", "MiB/s", "req/s", "p50 ms", "p90 ms", "p99 ms", "p999 ms", "max ms");
    for (const auto& [name, t] : ops_) {
      const auto& l = t.latency_ms;
      const double done = static_cast<double>(t.count - t.errors);
      fmt::print(out,
                 "{:<14} {:>7} {:>6} {:>9.1f} {:>9.1f} {:>8.3f} {:>8.3f} {:>8.3f} {:>8.3f} "
                 "{:>8.3f}\n",
                 (t.level == op_level::object ? "*" : "") + name, t.count, t.errors,
                 seconds > 0 ? static_cast<double>(t.bytes) / seconds / 1048576 : 0,
                 seconds > 0 ? done / seconds : 0, percentile_of(l, 0.50), percentile_of(l, 0.90),
                 percentile_of(l, 0.99), percentile_of(l, 0.999), l.empty() ? 0.0 : l.back());
    }
    for (const auto& [name, t] : ops_)
      if (!t.first_error.empty()) fmt::print(out, "first {} error: {}\n", name, t.first_error);
  }

  // One "op<TAB>latency_ms" line per sample.
  void dump_latencies(std::FILE* out) const {
    for (const auto& [name, t] : ops_)
      for (const double ms : t.latency_ms) fmt::print(out, "{}\t{:.4f}\n", name, ms);
  }

 private:
  op_tally& tally(std::string_view op, op_level level) {
    auto it = ops_.find(op);
    if (it == ops_.end()) it = ops_.emplace(std::string(op), op_tally{}).first;
    it->second.level = level;
    return it->second;
  }

  std::map<std::string, op_tally, std::less<>> ops_;
};

}  // namespace kvgate::perf
