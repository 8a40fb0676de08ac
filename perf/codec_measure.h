// CPU baselines shared by the benchmarks in perf/: memcpy, ISA-L encode and
// decode (through kvgate's codec) and XXH3-64, each streamed over a working set
// laid out as stripes of k data + m parity shard blocks, exactly as the engine
// lays out one stripe (research/erasure-storage.md §6.1: compare ratios).
//
// GB/s is 10^9 DATA bytes per second: parity written by encode and shards
// rebuilt by decode are not counted, matching ISA-L's own anchors.
//
// Header-only. Lifetime: a stripe_set owns its buffer. Thread safety: none
// needed; every function runs on the calling thread only.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <vector>

#include "bench_report.h"
#include "kvgate/erasure/codec.h"

namespace kvgate::perf {

// A 64-byte aligned byte buffer filled with a fixed pattern (so every page is
// faulted in before anything is timed).
class aligned_buffer {
 public:
  explicit aligned_buffer(std::size_t size)
      : size_(size),
        bytes_(static_cast<std::uint8_t*>(std::aligned_alloc(erasure::kShardAlign, size))) {
    if (!bytes_) throw std::bad_alloc();
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

// The working set as stripes of k + m shard blocks of block_size bytes.
class stripe_set {
 public:
  stripe_set(int k, int m, std::size_t block, std::size_t working_set)
      : k_(k),
        m_(m),
        block_(block),
        stripes_(std::max<std::size_t>(1, working_set / (block * static_cast<std::size_t>(k)))),
        buffer_(block * static_cast<std::size_t>(k + m) * stripes_) {
    const auto n = static_cast<std::size_t>(k + m);
    for (std::size_t s = 0; s < stripes_; ++s) {
      for (std::size_t i = 0; i < n; ++i)
        pointers_.push_back(buffer_.data() + (s * n + i) * block_);
    }
  }
  int k() const { return k_; }
  int m() const { return m_; }
  std::size_t block() const { return block_; }
  std::size_t stripes() const { return stripes_; }
  std::size_t data_bytes() const { return stripes_ * block_ * static_cast<std::size_t>(k_); }
  std::span<std::uint8_t* const> shards(std::size_t stripe) const {
    const auto n = static_cast<std::size_t>(k_ + m_);
    return {pointers_.data() + stripe * n, n};
  }

 private:
  int k_;
  int m_;
  std::size_t block_;
  std::size_t stripes_;
  aligned_buffer buffer_;
  std::vector<std::uint8_t*> pointers_;
};

// memcpy rates over two buffers of `working_set` bytes.
inline rates measure_memcpy(double seconds, std::size_t working_set) {
  aligned_buffer src(working_set);
  aligned_buffer dst(working_set);
  return measure_rates(seconds, working_set,
                       [&] { std::memcpy(dst.data(), src.data(), working_set); });
}

// ISA-L encode GB/s of data bytes for every stripe of `set`.
inline rates measure_encode(double seconds, const erasure::codec& c, const stripe_set& set) {
  const auto k = static_cast<std::size_t>(set.k());
  return measure_rates(seconds, set.data_bytes(), [&] {
    for (std::size_t s = 0; s < set.stripes(); ++s) {
      const auto shards = set.shards(s);
      c.encode(std::span<const std::uint8_t* const>(shards.data(), k), shards.subspan(k),
               set.block());
    }
  });
}

// Decode GB/s of data bytes with data shards 0..lost_count-1 lost (the common
// degraded read: data is needed back, parity is only rebuilt by heal).
inline rates measure_decode(double seconds, const erasure::codec& c, const stripe_set& set,
                            int lost_count) {
  const auto n = static_cast<std::size_t>(set.k() + set.m());
  const erasure::shard_mask all =
      (n >= 64) ? ~erasure::shard_mask{0} : (erasure::shard_mask{1} << n) - 1;
  const erasure::shard_mask lost = (erasure::shard_mask{1} << lost_count) - 1;
  return measure_rates(seconds, set.data_bytes(), [&] {
    for (std::size_t s = 0; s < set.stripes(); ++s) {
      if (!c.reconstruct(set.shards(s), all & ~lost, lost, set.block())) {
        throw std::runtime_error("reconstruct failed");
      }
    }
  });
}

// XXH3-64 GB/s over every data block of `set`, one hash per block (as the
// engine checksums blocks).
inline rates measure_xxh3(double seconds, const stripe_set& set) {
  std::uint64_t sink = 0;
  const rates gbps = measure_rates(seconds, set.data_bytes(), [&] {
    for (std::size_t s = 0; s < set.stripes(); ++s) {
      const auto shards = set.shards(s);
      for (int i = 0; i < set.k(); ++i) {
        sink ^= XXH3_64bits(shards[static_cast<std::size_t>(i)], set.block());
      }
    }
  });
  volatile std::uint64_t observed = sink;  // keeps the hashes from being optimized away
  (void)observed;
  return gbps;
}

}  // namespace kvgate::perf
