// Which listed objects `kvgate rebalance` moves (pure; rebalance_command.cc
// carries the plan out). An object is on the wrong node when the ketama ring
// of the agreed map (kvgate::sdk::ketama_ring, hash input "/<bucket>/<key>")
// names another active member. Such a copy is
//   - already there when the owner lists the key with the same ETag (or the
//     same size for a multipart ETag): only the stale copy is removed;
//   - old when --max-age is set and it was last modified before now - max_age
//     (no longer worth a copy: left where it is for LRU/TTL to evict);
//   - too large above --max-object-size (one buffer per worker holds a whole
//     object): reported as failed;
//   - otherwise a move.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "rebalance_inventory.h"

namespace kvgate::cli {

struct plan_limits {
  std::optional<std::chrono::seconds> max_age;
  std::uint64_t max_object_size = 256ull << 20;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

struct planned_move {
  listed_object object;
  std::size_t owner = 0;  // index into agreed_map::members
  bool already_there = false;
};

struct rebalance_plan {
  std::vector<planned_move> moves;  // copies to make or stale copies to drop
  std::vector<listed_object> too_large;
  std::size_t in_place = 0;
  std::size_t skipped_old = 0;
  std::uint64_t skipped_old_bytes = 0;
  std::size_t no_owner = 0;  // no member up
  std::uint64_t bytes_to_copy() const;
  std::size_t copies() const;
};

[[nodiscard]] rebalance_plan plan_rebalance(const agreed_map& map, const inventory& inv,
                                            const plan_limits& limits);

// "2026-11-23T23:58:17.000Z" (S3 LastModified) as a time point; nullopt when
// it does not parse.
std::optional<std::chrono::system_clock::time_point> parse_last_modified(std::string_view text);

}  // namespace kvgate::cli
