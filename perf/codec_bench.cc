// kvgate_codec_bench: Reed-Solomon codec and XXH3 throughput next to memcpy,
// measured in the same run so the ratios hold on any machine
// (research/erasure-storage.md §6.1: assert ratios, never absolute GB/s).
//
// Every measurement streams over the same working set (default 256 MiB, laid
// out as stripes of k data + m parity shard blocks) for at least --seconds.
// GB/s is 10^9 bytes per second of DATA bytes: parity bytes written by encode
// and shards rebuilt by decode are not counted, matching ISA-L's anchors.
#include <fmt/core.h>
#include <xxhash.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <vector>

#include "kvgate/erasure/codec.h"

namespace {

using kvgate::erasure::codec;
using kvgate::erasure::kShardAlign;
using kvgate::erasure::shard_mask;
using bench_clock = std::chrono::steady_clock;

// A 64-byte aligned, zero-filled (so every page is faulted in) byte buffer.
class aligned_buffer {
 public:
  explicit aligned_buffer(std::size_t size)
      : size_(size), bytes_(static_cast<std::uint8_t*>(std::aligned_alloc(kShardAlign, size))) {
    if (!bytes_) {
      throw std::bad_alloc();
    }
    for (std::size_t i = 0; i < size_; ++i) {
      bytes_.get()[i] = static_cast<std::uint8_t>(i * 2654435761U >> 11);
    }
  }
  std::uint8_t* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct free_deleter {
    void operator()(std::uint8_t* p) const noexcept { std::free(p); }
  };
  std::size_t size_;
  std::unique_ptr<std::uint8_t, free_deleter> bytes_;
};

// Runs `pass` (which processes `bytes_per_pass` bytes) until `seconds` have
// elapsed, at least once; returns GB/s.
template <class F>
double measure(double seconds, std::size_t bytes_per_pass, F&& pass) {
  pass();  // warm-up: resolves dispatchers, warms the decode-table cache
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

// The working set as stripes of k + m shard blocks of block_size bytes.
class stripe_set {
 public:
  stripe_set(int k, int m, std::size_t block, std::size_t working_set)
      : n_(k + m),
        block_(block),
        stripes_(std::max<std::size_t>(1, working_set / (block * static_cast<std::size_t>(k)))),
        buffer_(block * static_cast<std::size_t>(n_) * stripes_) {
    for (std::size_t s = 0; s < stripes_; ++s) {
      for (int i = 0; i < n_; ++i) {
        pointers_.push_back(buffer_.data() +
                            (s * static_cast<std::size_t>(n_) + static_cast<std::size_t>(i)) *
                                block_);
      }
    }
  }
  std::size_t stripes() const { return stripes_; }
  std::span<std::uint8_t* const> shards(std::size_t stripe) const {
    return {pointers_.data() + stripe * static_cast<std::size_t>(n_), static_cast<std::size_t>(n_)};
  }

 private:
  int n_;
  std::size_t block_;
  std::size_t stripes_;
  aligned_buffer buffer_;
  std::vector<std::uint8_t*> pointers_;
};

bench_results run(const bench_options& o, const codec& c) {
  bench_results r;
  {
    aligned_buffer src(o.working_set);
    aligned_buffer dst(o.working_set);
    r.memcpy_gbps = measure(o.seconds, o.working_set,
                            [&] { std::memcpy(dst.data(), src.data(), o.working_set); });
  }

  stripe_set set(o.k, o.m, o.block_size, o.working_set);
  r.stripes = set.stripes();
  const std::size_t data_bytes = set.stripes() * o.block_size * static_cast<std::size_t>(o.k);
  const auto n = static_cast<std::size_t>(o.k) + static_cast<std::size_t>(o.m);

  if (o.m > 0) {
    r.encode_gbps = measure(o.seconds, data_bytes, [&] {
      for (std::size_t s = 0; s < set.stripes(); ++s) {
        const auto shards = set.shards(s);
        c.encode(std::span<const std::uint8_t* const>(shards.data(), static_cast<std::size_t>(o.k)),
                 shards.subspan(static_cast<std::size_t>(o.k)), o.block_size);
      }
    });
    // Degraded reads: the lost shards are data shards 0.. (the common case:
    // a read needs the data back, parity is only rebuilt by heal).
    const auto decode = [&](int lost_count) {
      const shard_mask all = (n >= 64) ? ~shard_mask{0} : (shard_mask{1} << n) - 1;
      const shard_mask lost = (shard_mask{1} << lost_count) - 1;
      return measure(o.seconds, data_bytes, [&] {
        for (std::size_t s = 0; s < set.stripes(); ++s) {
          if (!c.reconstruct(set.shards(s), all & ~lost, lost, o.block_size)) {
            throw std::runtime_error("reconstruct failed");
          }
        }
      });
    };
    r.decode_1_gbps = decode(1);
    r.decode_m_gbps = decode(o.m);
  }

  std::uint64_t sink = 0;
  r.xxh3_gbps = measure(o.seconds, data_bytes, [&] {
    for (std::size_t s = 0; s < set.stripes(); ++s) {
      const auto shards = set.shards(s);
      for (int i = 0; i < o.k; ++i) {
        sink ^= XXH3_64bits(shards[static_cast<std::size_t>(i)], o.block_size);
      }
    }
  });
  volatile std::uint64_t observed = sink;  // keeps the hashes from being optimized away
  (void)observed;
  return r;
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
      {"encode_over_memcpy",
       r.encode_gbps ? nlohmann::json(*r.encode_gbps / r.memcpy_gbps) : nlohmann::json(nullptr)},
      {"xxh3_over_memcpy", r.xxh3_gbps / r.memcpy_gbps},
  };
}

void print_table(const bench_options& o, const bench_results& r) {
  const auto cell = [](const std::optional<double>& v) {
    return v ? fmt::format("{:8.2f}", *v) : std::string("     n/a");
  };
  fmt::print("codec {}+{}, block {} B, working set {} MiB ({} stripes), {:.2f} s per measurement\n",
             o.k, o.m, o.block_size, o.working_set >> 20, r.stripes, o.seconds);
  fmt::print("  {:<28} {:8.2f} GB/s\n", "memcpy", r.memcpy_gbps);
  fmt::print("  {:<28} {} GB/s (data bytes)\n", "encode", cell(r.encode_gbps));
  fmt::print("  {:<28} {} GB/s (data bytes)\n", "decode, 1 erasure", cell(r.decode_1_gbps));
  fmt::print("  {:<28} {} GB/s (data bytes)\n", fmt::format("decode, {} erasures", o.m),
             cell(r.decode_m_gbps));
  fmt::print("  {:<28} {:8.2f} GB/s\n", "xxh3-64", r.xxh3_gbps);
  fmt::print("  {:<28} {}\n", "encode / memcpy",
             r.encode_gbps ? fmt::format("{:8.3f}", *r.encode_gbps / r.memcpy_gbps)
                           : std::string("     n/a"));
  fmt::print("  {:<28} {:8.3f}\n", "xxh3 / memcpy", r.xxh3_gbps / r.memcpy_gbps);
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
