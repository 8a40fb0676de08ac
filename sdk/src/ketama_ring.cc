// kvgate::sdk::ketama_ring (ketama_ring.h): nginx's consistent hash.
#include "kvgate/sdk/ketama_ring.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/encoding.h"

namespace kvgate::sdk {
namespace {

std::uint32_t crc32_of(std::uint32_t crc, std::string_view text) {
  return protocol::crc32_update(
      crc, protocol::byte_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// nginx splits "host:port" at the last ':' when only digits follow it;
// anything else is all host and no port ("unix:" paths too, minus the prefix).
std::pair<std::string_view, std::string_view> split_host_port(std::string_view name) {
  if (name.size() >= 5 && (name.substr(0, 5) == "unix:" || name.substr(0, 5) == "UNIX:"))
    return {name.substr(5), {}};
  for (std::size_t j = 0; j < name.size(); ++j) {
    const char c = name[name.size() - j - 1];
    if (c == ':') return {name.substr(0, name.size() - j - 1), name.substr(name.size() - j)};
    if (c < '0' || c > '9') break;
  }
  return {name, {}};
}

}  // namespace

ketama_ring::ketama_ring(std::vector<ring_member> members) : members_(std::move(members)) {
  std::size_t total = 0;
  for (const auto& m : members_) total += std::size_t{m.weight} * kPointsPerWeight;
  points_.reserve(total);
  for (std::uint32_t i = 0; i < members_.size(); ++i) {
    const auto [host, port] = split_host_port(members_[i].name);
    std::uint32_t base = crc32_of(0, host);
    base = crc32_of(base, std::string_view("\0", 1));
    base = crc32_of(base, port);
    std::uint32_t prev = 0;
    const std::uint32_t count = members_[i].weight * kPointsPerWeight;
    for (std::uint32_t j = 0; j < count; ++j) {
      const std::array<char, 4> le{
          static_cast<char>(prev & 0xff), static_cast<char>((prev >> 8) & 0xff),
          static_cast<char>((prev >> 16) & 0xff), static_cast<char>((prev >> 24) & 0xff)};
      const std::uint32_t hash = crc32_of(base, std::string_view(le.data(), le.size()));
      points_.push_back({hash, i});
      prev = hash;
    }
  }
  // glibc's qsort (nginx's ngx_qsort) merge-sorts: equal values keep their
  // order, and nginx keeps the first of each run.
  std::stable_sort(points_.begin(), points_.end(),
                   [](const point& a, const point& b) { return a.hash < b.hash; });
  points_.erase(std::unique(points_.begin(), points_.end(),
                            [](const point& a, const point& b) { return a.hash == b.hash; }),
                points_.end());
}

std::optional<std::size_t> ketama_ring::owner(std::string_view object_name) const {
  if (points_.empty()) return std::nullopt;
  const std::uint32_t hash = crc32_of(0, object_name);
  const auto first = std::lower_bound(points_.begin(), points_.end(), hash,
                                      [](const point& p, std::uint32_t h) { return p.hash < h; });
  std::size_t index = static_cast<std::size_t>(first - points_.begin());
  for (std::size_t tries = 0; tries < points_.size(); ++tries, ++index) {
    const point& p = points_[index % points_.size()];
    if (!members_[p.member].down) return p.member;
  }
  return std::nullopt;
}

std::string ketama_ring::object_name(std::string_view bucket, std::string_view key) {
  std::string name;
  name.reserve(bucket.size() + key.size() + 2);
  name += '/';
  name += bucket;
  name += '/';
  name += key;
  return name;
}

}  // namespace kvgate::sdk
