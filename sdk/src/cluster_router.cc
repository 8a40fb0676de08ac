// cluster_router (cluster_router.h).
#include "cluster_router.h"

#include <algorithm>

namespace kvgate::sdk::detail {

result<std::shared_ptr<const route_table>> make_route_table(
    cluster_map map, bool tls, std::chrono::steady_clock::time_point now) {
  auto table = std::make_shared<route_table>();
  for (const auto& m : map.members) {
    auto ep = parse_endpoint(m.s3_endpoint);
    if (!ep)
      return make_error(sdk_errc::protocol_error, "cluster map: member \"" + m.id +
                                                      "\" has an unusable s3_endpoint \"" +
                                                      m.s3_endpoint + "\": " + ep.error().message);
    if (ep->tls != tls)
      return make_error(sdk_errc::protocol_error,
                        "cluster map: member \"" + m.id + "\" (" + m.s3_endpoint +
                            ") does not use the scheme of the client's endpoint");
    table->endpoints.push_back(*ep);
  }
  table->ring = map.ring();
  table->version = std::to_string(map.version);
  table->map = std::move(map);
  table->fetched = now;
  return std::shared_ptr<const route_table>(std::move(table));
}

std::shared_ptr<const route_table> cluster_router::table() const {
  std::lock_guard lock(mutex_);
  return table_;
}

bool cluster_router::install(std::shared_ptr<const route_table> table) {
  std::lock_guard lock(mutex_);
  if (table_ && table_->map.cluster_id == table->map.cluster_id &&
      table->map.version < table_->map.version)
    return false;
  const bool same_members = table_ && table_->map.version == table->map.version &&
                            table_->map.cluster_id == table->map.cluster_id;
  if (!same_members) bypassed_until_.assign(table->map.members.size(), clock::time_point{});
  table_ = std::move(table);
  return !same_members;
}

cluster_route cluster_router::route_for(std::string_view bucket, std::string_view key,
                                        clock::time_point now) const {
  std::lock_guard lock(mutex_);
  cluster_route r{table_, std::nullopt};
  if (!table_ || key.empty()) return r;
  const auto owner = table_->ring.owner(bucket, key);
  if (owner && bypassed_until_[*owner] <= now) r.member = owner;
  return r;
}

bool cluster_router::bypass(const route_table& table, std::size_t member, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (table_.get() != &table || member >= bypassed_until_.size()) return false;
  const bool was_bypassed = bypassed_until_[member] > now;
  bypassed_until_[member] = now + bypass_for_;
  return !was_bypassed;
}

std::size_t cluster_router::bypassed_count(clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(bypassed_until_.begin(), bypassed_until_.end(),
                                                [&](auto until) { return until > now; }));
}

}  // namespace kvgate::sdk::detail
