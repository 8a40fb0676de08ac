// The consistent-hash ring of a scaled-out kvgate cluster, bit-for-bit the
// one nginx builds for `hash $kvgate_object consistent` (its
// ngx_http_upstream_hash_module; docker/proxy/, docs/scaling.md):
//   - every member is named "host:port" exactly as the proxy's `server` line
//     spells it (the cluster map's ring_name);
//   - it gets 160 x weight points: point j is CRC32(host "\0" port prev),
//     prev being point j-1's value as 4 little-endian bytes (0 for j = 0);
//   - points are sorted by value (ties keep the earlier member), duplicates
//     dropped;
//   - an object belongs to the first point >= CRC32(object name), wrapping;
//     a member that is down is skipped for the next point's member.
// The object name is "/<bucket>/<key>" with the key not percent-encoded, what
// the proxies hash for both path-style and virtual-hosted requests.
// Immutable after construction; thread-safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvgate::sdk {

struct ring_member {
  std::string name;  // "host:port", as in the proxy's `server` line
  std::uint32_t weight = 1;
  bool down = false;  // keeps its points, owns nothing (nginx `down`)
};

class ketama_ring {
 public:
  static constexpr std::uint32_t kPointsPerWeight = 160;

  ketama_ring() = default;  // no members: owner() is always empty
  explicit ketama_ring(std::vector<ring_member> members);

  // Index into members() of the owner of `object_name`; empty when no member
  // is up.
  std::optional<std::size_t> owner(std::string_view object_name) const;
  std::optional<std::size_t> owner(std::string_view bucket, std::string_view key) const {
    return owner(object_name(bucket, key));
  }

  // "/<bucket>/<key>".
  static std::string object_name(std::string_view bucket, std::string_view key);

  const std::vector<ring_member>& members() const noexcept { return members_; }
  std::size_t point_count() const noexcept { return points_.size(); }

 private:
  struct point {
    std::uint32_t hash;
    std::uint32_t member;
  };
  std::vector<ring_member> members_;
  std::vector<point> points_;
};

}  // namespace kvgate::sdk
