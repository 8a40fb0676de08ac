// kvgate_codec_bench: Reed-Solomon codec and XXH3 throughput next to memcpy,
// measured in the same run so the ratios hold on any machine
// (research/erasure-storage.md §6.1: assert ratios, never absolute GB/s).
//
// Every measurement streams over the same working set (default 256 MiB, laid
// out as stripes of k data + m parity shard blocks) for at least --seconds.
// GB/s is 10^9 bytes per second of DATA bytes: parity bytes written by encode
// and shards rebuilt by decode are not counted, matching ISA-L's anchors.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "bench_report.h"
#include "codec_measure.h"
#include "kvgate/erasure/codec.h"

namespace {

using kvgate::erasure::codec;
using kvgate::erasure::kShardAlign;
namespace perf = kvgate::perf;

struct bench_options {
  int k = 4;
  int m = 2;
  std::size_t block_size = std::size_t{128} * 1024;
  std::size_t working_set = std::size_t{256} * 1024 * 1024;
  double seconds = 0.5;
  bool json = false;
};

struct bench_results {
  double memcpy_gbps = 0;
  std::optional<double> encode_gbps;
  std::optional<double> decode_1_gbps;
  std::optional<double> decode_m_gbps;
  double xxh3_gbps = 0;
  std::size_t stripes = 0;
};

bench_results run(const bench_options& o, const codec& c) {
  bench_results r;
  r.memcpy_gbps = perf::measure_memcpy(o.seconds, o.working_set).wall_gbps;
  const perf::stripe_set set(o.k, o.m, o.block_size, o.working_set);
  r.stripes = set.stripes();
  if (o.m > 0) {
    r.encode_gbps = perf::measure_encode(o.seconds, c, set).wall_gbps;
    r.decode_1_gbps = perf::measure_decode(o.seconds, c, set, 1).wall_gbps;
    r.decode_m_gbps = perf::measure_decode(o.seconds, c, set, o.m).wall_gbps;
  }
  r.xxh3_gbps = perf::measure_xxh3(o.seconds, set).wall_gbps;
  return r;
}

std::optional<double> ratio(const std::optional<double>& v, double base) {
  return v ? std::optional<double>(*v / base) : std::nullopt;
}

nlohmann::json to_json(const bench_options& o, const bench_results& r) {
  const auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {
      {"k", o.k},
      {"m", o.m},
      {"block_size_bytes", o.block_size},
      {"working_set_bytes", o.working_set},
      {"stripes", r.stripes},
      {"seconds_per_measurement", o.seconds},
      {"memcpy_gbps", r.memcpy_gbps},
      {"encode_gbps", opt(r.encode_gbps)},
      {"decode_1_erasure_gbps", opt(r.decode_1_gbps)},
      {"decode_m_erasures_gbps", opt(r.decode_m_gbps)},
      {"xxh3_gbps", r.xxh3_gbps},
      {"encode_over_memcpy", opt(ratio(r.encode_gbps, r.memcpy_gbps))},
      {"xxh3_over_memcpy", r.xxh3_gbps / r.memcpy_gbps},
  };
}

void print_table(const bench_options& o, const bench_results& r) {
  perf::report_table t;
  t.section(
      fmt::format("codec {}+{}, block {} B, working set {} MiB ({} stripes), {:.2f} s per "
                  "measurement",
                  o.k, o.m, o.block_size, o.working_set >> 20, r.stripes, o.seconds));
  t.add("memcpy", r.memcpy_gbps, "GB/s");
  t.add("encode", r.encode_gbps, "GB/s", "data bytes");
  t.add("decode, 1 erasure", r.decode_1_gbps, "GB/s", "data bytes");
  t.add(fmt::format("decode, {} erasures", o.m), r.decode_m_gbps, "GB/s", "data bytes");
  t.add("xxh3-64", r.xxh3_gbps, "GB/s");
  t.add("encode / memcpy", ratio(r.encode_gbps, r.memcpy_gbps), "x");
  t.add("xxh3 / memcpy", r.xxh3_gbps / r.memcpy_gbps, "x");
  t.print();
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  CLI::App app{"Reed-Solomon codec and XXH3 throughput relative to memcpy"};
  app.add_option("-k,--data-shards", o.k, "data shards")->check(CLI::Range(1, 32));
  app.add_option("-m,--parity-shards", o.m, "parity shards (0..k)")->check(CLI::Range(0, 32));
  app.add_option("--block-size", o.block_size, "shard block size in bytes (multiple of 64)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30));
  app.add_option("--working-set", o.working_set, "bytes streamed per pass")
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 34));
  app.add_option("--seconds", o.seconds, "time budget per measurement")
      ->check(CLI::Range(0.01, 60.0));
  app.add_flag("--json", o.json, "print JSON instead of a table");
  CLI11_PARSE(app, argc, argv);

  if (o.block_size % kShardAlign != 0) {
    fmt::print(stderr, "--block-size must be a multiple of {}\n", kShardAlign);
    return 2;
  }
  const auto c = codec::create(o.k, o.m);
  if (!c) {
    fmt::print(stderr, "cannot create a {}+{} codec: {}\n", o.k, o.m, c.error().message());
    return 2;
  }
  const auto results = run(o, **c);
  if (o.json) {
    fmt::print("{}\n", to_json(o, results).dump(2));
  } else {
    print_table(o, results);
  }
  return 0;
}
