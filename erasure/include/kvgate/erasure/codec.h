// Reed-Solomon codec over GF(2^8) using ISA-L's Cauchy matrix
// (gf_gen_cauchy1_matrix); see docs/formats/erasure-layout.md, "Codec".
//
// A codec for (k, m) is immutable after creation and shared read-only between
// threads; the decode-table cache inside it is internally synchronized.
// Shards are k data shards followed by m parity shards, all of the same length.
// Lengths must be multiples of kShardAlign (64) so ISA-L never takes its tail
// path; buffers should be 64-byte aligned for speed (not needed for correctness).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

inline constexpr std::size_t kShardAlign = 64;
inline constexpr int kMaxDataShards = 32;

// Bit i set = shard i. k + m <= 64 always holds (k <= 32, m <= k).
using shard_mask = std::uint64_t;

class codec {
 public:
  // Fails with errc::invalid_argument unless 1 <= k <= 32 and 0 <= m <= k.
  [[nodiscard]] static result<std::shared_ptr<const codec>> create(int k, int m);

  virtual ~codec() = default;
  int k() const noexcept { return k_; }
  int m() const noexcept { return m_; }

  // The (k+m) x k encode matrix, row-major; the top k rows are the identity.
  virtual std::span<const std::uint8_t> encode_matrix() const noexcept = 0;

  // Computes the m parity shards from the k data shards.
  // Preconditions: data.size() == k, parity.size() == m, len % kShardAlign == 0.
  virtual void encode(std::span<const std::uint8_t* const> data,
                      std::span<std::uint8_t* const> parity, std::size_t len) const = 0;

  // Rebuilds the shards in `wanted` from the shards in `present`.
  // shards.size() == k + m; shards[i] must be readable for i in present and
  // writable for i in wanted; wanted & present must be empty.
  // Fails with errc::read_quorum_lost when fewer than k shards are present.
  [[nodiscard]] virtual result<void> reconstruct(std::span<std::uint8_t* const> shards,
                                                 shard_mask present, shard_mask wanted,
                                                 std::size_t len) const = 0;

 protected:
  codec(int k, int m) : k_(k), m_(m) {}

 private:
  int k_;
  int m_;
};

// Default parity for a disk count (docs/formats/erasure-layout.md, "Geometry"):
// 1 disk: 0; 2: 1; 3: 1; 4-12: 2 (4+2 for 6, 8+2 for 10); 13 and more: 4.
// Always m <= k.
int default_parity(int disk_count) noexcept;

}  // namespace kvgate::erasure
