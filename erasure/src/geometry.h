// Stripe geometry of one part (docs/formats/erasure-layout.md, "Geometry").
//
// A part of P bytes is cut into stripes of k * S bytes (S = shard block size).
// Stripe s holds object bytes [s*k*S, min(P, (s+1)*k*S)); within it, data shard
// j holds the j-th block of L bytes where L = S for full stripes and, for the
// last stripe, L = round_up(ceil(tail / k), 64). Parity blocks have the same L.
// Shard file j is the concatenation of its blocks: block s at offset s * S.
// Object byte o therefore lives in stripe o / (k*S), shard (o % (k*S)) / L(s),
// at offset s*S + (o % (k*S)) % L(s) in that shard's file.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kvgate/erasure/codec.h"

namespace kvgate::erasure {

struct part_geometry {
  std::uint64_t size = 0;  // part payload bytes
  std::uint32_t k = 0;
  std::uint32_t block_size = 0;  // S

  std::uint64_t stripe_bytes() const noexcept { return std::uint64_t{k} * block_size; }
  std::uint64_t stripes() const noexcept {
    return size == 0 ? 0 : (size + stripe_bytes() - 1) / stripe_bytes();
  }
  // Payload bytes in stripe s.
  std::uint64_t stripe_payload(std::uint64_t s) const noexcept {
    return std::min(stripe_bytes(), size - s * stripe_bytes());
  }
  // Shard block length L of stripe s (same for all k + m shards of the stripe).
  std::uint32_t block_length(std::uint64_t s) const noexcept {
    const std::uint64_t payload = stripe_payload(s);
    if (payload == stripe_bytes()) return block_size;
    const std::uint64_t per_shard = (payload + k - 1) / k;
    return static_cast<std::uint32_t>((per_shard + kShardAlign - 1) / kShardAlign * kShardAlign);
  }
  // Payload bytes of data shard j in stripe s (the rest of the block is padding).
  std::uint64_t shard_payload(std::uint64_t s, std::uint32_t j) const noexcept {
    const std::uint64_t payload = stripe_payload(s);
    const std::uint64_t l = block_length(s);
    const std::uint64_t start = std::uint64_t{j} * l;
    return start >= payload ? 0 : std::min<std::uint64_t>(l, payload - start);
  }
  // Length of every shard file of this part.
  std::uint64_t shard_file_size() const noexcept {
    const std::uint64_t n = stripes();
    return n == 0 ? 0 : (n - 1) * block_size + block_length(n - 1);
  }
};

}  // namespace kvgate::erasure
