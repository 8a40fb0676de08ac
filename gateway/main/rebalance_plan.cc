#include "rebalance_plan.h"

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "kvgate/sdk/ketama_ring.h"

namespace kvgate::cli {
namespace {

// The owner's copy is this object: the same ETag, or the same size when the
// ETag is a multipart one ("<md5>-<parts>", which a rebalance copy made with
// one PUT does not keep).
bool same_object(const listed_object& on_owner, const listed_object& o) {
  if (on_owner.etag == o.etag) return true;
  return o.etag.find('-') != std::string::npos && on_owner.size == o.size;
}

}  // namespace

std::uint64_t rebalance_plan::bytes_to_copy() const {
  std::uint64_t total = 0;
  for (const auto& m : moves)
    if (!m.already_there) total += m.object.size;
  return total;
}

std::size_t rebalance_plan::copies() const {
  std::size_t n = 0;
  for (const auto& m : moves) n += m.already_there ? 0 : 1;
  return n;
}

std::optional<std::chrono::system_clock::time_point> parse_last_modified(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s);
}

rebalance_plan plan_rebalance(const agreed_map& map, const inventory& inv,
                              const plan_limits& limits) {
  std::vector<sdk::ring_member> ring_members;
  for (const auto& m : map.members) ring_members.push_back({m.ring_name, m.weight, !m.active});
  const sdk::ketama_ring ring(std::move(ring_members));

  // (member, bucket, key) -> the listed object, to see what an owner already holds.
  using where = std::tuple<std::size_t, std::string_view, std::string_view>;
  std::map<where, const listed_object*> held;
  for (const auto& o : inv.objects)
    held.emplace(where{o.holder, std::string_view(o.bucket), std::string_view(o.key)}, &o);

  rebalance_plan plan;
  for (const auto& o : inv.objects) {
    const auto owner = ring.owner(o.bucket, o.key);
    if (!owner) {
      ++plan.no_owner;
      continue;
    }
    if (*owner == o.holder) {
      ++plan.in_place;
      continue;
    }
    auto there = held.find(where{*owner, std::string_view(o.bucket), std::string_view(o.key)});
    if (there != held.end() && same_object(*there->second, o)) {
      plan.moves.push_back({o, *owner, true});
      continue;
    }
    if (limits.max_age) {
      const auto modified = parse_last_modified(o.last_modified);
      if (modified && *modified < limits.now - *limits.max_age) {
        ++plan.skipped_old;
        plan.skipped_old_bytes += o.size;
        continue;
      }
    }
    if (o.size > limits.max_object_size) {
      plan.too_large.push_back(o);
      continue;
    }
    plan.moves.push_back({o, *owner, false});
  }
  return plan;
}

}  // namespace kvgate::cli
