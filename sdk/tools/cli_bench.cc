#include "cli_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <vector>

namespace kvgate::sdk::tools {
namespace {

using clock_type = std::chrono::steady_clock;

struct tally {
  std::vector<double> latencies_ms;  // successful operations
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  double seconds = 0;

  double percentile(double q) const {
    if (latencies_ms.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(q * latencies_ms.size()));
    return latencies_ms[std::clamp<std::size_t>(rank, 1, latencies_ms.size()) - 1];
  }
  double mib_per_s() const { return seconds > 0 ? bytes / seconds / 1048576.0 : 0; }
  double ops_per_s() const { return seconds > 0 ? latencies_ms.size() / seconds : 0; }
};

// One operation: worker index, operation index -> bytes moved or the error text.
using operation = std::function<std::optional<std::string>(unsigned, std::uint64_t)>;

// `concurrency` threads run operations 0, 1, ... until `count` have started
// or the time budget is spent.
tally run_operations(unsigned concurrency, std::uint64_t count, double seconds,
                     std::uint64_t bytes_per_op, const operation& op) {
  tally total;
  std::mutex mutex;
  std::atomic<std::uint64_t> next{0};
  const auto start = clock_type::now();
  const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(seconds));
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < concurrency; ++w) {
    workers.emplace_back([&, w] {
      tally mine;
      for (;;) {
        const std::uint64_t i = next++;
        if (i >= count || clock_type::now() >= deadline) break;
        const auto began = clock_type::now();
        auto failed = op(w, i);
        const double ms =
            std::chrono::duration<double, std::milli>(clock_type::now() - began).count();
        if (failed) {
          if (mine.errors++ == 0) mine.first_error = std::move(*failed);
        } else {
          mine.latencies_ms.push_back(ms);
          mine.bytes += bytes_per_op;
        }
      }
      std::lock_guard lock(mutex);
      total.latencies_ms.insert(total.latencies_ms.end(), mine.latencies_ms.begin(),
                                mine.latencies_ms.end());
      total.bytes += mine.bytes;
      if (total.errors == 0 && mine.errors > 0) total.first_error = mine.first_error;
      total.errors += mine.errors;
    });
  }
  for (auto& t : workers) t.join();
  total.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", c);
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else
      out += c;
  }
  return out;
}

std::string tally_json(const tally& t) {
  return fmt::format(
      R"({{"ops":{},"errors":{},"seconds":{:.3f},"mib_per_s":{:.2f},"ops_per_s":{:.2f},)"
      R"("p50_ms":{:.3f},"p99_ms":{:.3f},"first_error":"{}"}})",
      t.latencies_ms.size(), t.errors, t.seconds, t.mib_per_s(), t.ops_per_s(), t.percentile(0.5),
      t.percentile(0.99), json_escape(t.first_error));
}

void print_tally(std::string_view label, const tally& t) {
  fmt::print("{:<14} {:>6} ops {:>9.1f} MiB/s {:>9.1f} op/s  p50 {:>9.3f} ms  p99 {:>9.3f} ms{}\n",
             label, t.latencies_ms.size(), t.mib_per_s(), t.ops_per_s(), t.percentile(0.5),
             t.percentile(0.99),
             t.errors ? fmt::format("  {} errors, first: {}", t.errors, t.first_error) : "");
}

std::vector<std::byte> pattern(std::uint64_t size) {
  std::vector<std::byte> out(size);
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i + 8 <= out.size(); i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

// Writes `names` (unmeasured) with `concurrency` threads; the first error or nullopt.
std::optional<std::string> populate(client& c, const bench_options& o,
                                    const std::vector<std::string>& names,
                                    std::span<const std::byte> data) {
  const tally t = run_operations(std::max(1u, o.concurrency), names.size(), 3600, 0,
                                 [&](unsigned, std::uint64_t i) -> std::optional<std::string> {
                                   auto r = c.put(o.bucket, names[i], data);
                                   if (!r) return r.error().to_string();
                                   return std::nullopt;
                                 });
  if (t.errors) return "populating: " + t.first_error;
  return std::nullopt;
}

int run_exists(client& c, const bench_options& o) {
  const unsigned keys = o.keys ? o.keys : 80;
  std::vector<std::string> names, present;
  for (unsigned i = 0; i < keys; ++i) {
    names.push_back(o.prefix + "e" + std::to_string(i));
    if (i * 100 >= keys * o.miss_percent) present.push_back(names.back());
  }
  const auto data = pattern(o.size);
  if (auto e = populate(c, o, present, data)) {
    fmt::print(stderr, "kvgate-cli bench: {}\n", *e);
    return 1;
  }
  auto check = [&](const std::vector<bool>& found) -> std::optional<std::string> {
    for (unsigned i = 0; i < keys; ++i)
      if (found[i] != (i * 100 >= keys * o.miss_percent))
        return fmt::format("wrong answer for {}", names[i]);
    return std::nullopt;
  };
  const tally batch = run_operations(1, o.count, o.seconds / 2, 0, [&](unsigned, std::uint64_t) {
    auto r = c.exists_batch(o.bucket, names);
    if (!r) return std::optional<std::string>(r.error().to_string());
    return check(*r);
  });
  const tally heads = run_operations(1, o.count, o.seconds / 2, 0, [&](unsigned, std::uint64_t) {
    std::vector<bool> found;
    for (const auto& n : names) {
      auto r = c.exists(o.bucket, n);
      if (!r) return std::optional<std::string>(r.error().to_string());
      found.push_back(*r);
    }
    return check(found);
  });
  if (o.json) {
    fmt::print(R"({{"tool":"kvgate-sdk","op":"exists","keys":{},"batch":{},"heads":{}}})"
               "\n",
               keys, tally_json(batch), tally_json(heads));
  } else {
    print_tally(fmt::format("exists_batch({})", keys), batch);
    print_tally(fmt::format("{} HEADs", keys), heads);
  }
  return batch.errors || heads.errors ? 1 : 0;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  unsigned shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "KiB" || unit == "K")
    shift = 10;
  else if (unit == "MiB" || unit == "M")
    shift = 20;
  else if (unit == "GiB" || unit == "G")
    shift = 30;
  else
    return std::nullopt;
  if (v > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
  return v << shift;
}

int run_bench(client& c, const bench_options& o) {
  if (o.op == "exists") return run_exists(c, o);
  const unsigned concurrency = std::max(1u, o.concurrency);
  const unsigned keys = o.keys ? o.keys : 2 * concurrency;
  std::vector<std::string> names;
  for (unsigned i = 0; i < keys; ++i) names.push_back(o.prefix + "k" + std::to_string(i));
  auto data = pattern(o.size);
  std::vector<std::vector<std::byte>> buffers(concurrency);
  if (o.op != "put")
    for (auto& b : buffers) b.resize(o.size);
  // With --rdma auto|on every buffer is registered, so transfers of RDMA
  // size move over RDMA where the host and the gateway can (else TCP, or
  // rdma=on failing them, as the client decides).
  std::vector<registered_memory> registrations;
  auto register_buffer = [&](std::vector<std::byte>& b) {
    if (b.empty()) return;
    if (auto r = c.register_memory(b)) registrations.push_back(std::move(*r));
  };
  register_buffer(data);
  for (auto& b : buffers) register_buffer(b);
  if (o.op != "put" && o.populate) {
    if (auto e = populate(c, o, names, data)) {
      fmt::print(stderr, "kvgate-cli bench: {}\n", *e);
      return 1;
    }
  }
  const tally t = run_operations(
      concurrency, o.count, o.seconds, o.size,
      [&](unsigned w, std::uint64_t i) -> std::optional<std::string> {
        const std::string& name = names[i % keys];
        const bool write = o.op == "put" || (o.op == "mix" && (i * 37 % 100) < o.write_percent);
        if (write) {
          auto r = c.put(o.bucket, name, data);
          if (!r) return r.error().to_string();
          return std::nullopt;
        }
        auto r = c.get(o.bucket, name, buffers[w]);
        if (!r) return r.error().to_string();
        if (r->bytes != o.size)
          return fmt::format("{}: {} bytes, expected {}", name, r->bytes, o.size);
        if (buffers[w].front() != data.front() || buffers[w].back() != data.back())
          return name + ": bytes differ";
        return std::nullopt;
      });
  if (o.json) {
    std::string body = tally_json(t);
    body.erase(0, 1);  // the tally's fields join the run's
    fmt::print(R"({{"tool":"kvgate-sdk","op":"{}","size":{},"concurrency":{},"keys":{},{})"
               "\n",
               o.op, o.size, concurrency, keys, body);
  } else {
    print_tally(fmt::format("{} c{}", o.op, concurrency), t);
  }
  return t.errors ? 1 : 0;
}

}  // namespace kvgate::sdk::tools
