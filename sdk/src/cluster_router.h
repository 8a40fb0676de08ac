// Direct routing of a scaled-out cluster (client_options::cluster_routing,
// docs/scaling.md "SDK direct"): which node a request goes to.
//
// A route_table is built once per cluster map and never changes; the router
// holds the current one and which members are bypassed because they could
// not be reached (their keys then go to the client's endpoint, the proxy,
// until the bypass ends). Thread-safe: one mutex around the table pointer and
// the bypass times; routing a request copies the table's shared_ptr.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/sdk/cluster_map.h"
#include "kvgate/sdk/endpoint.h"
#include "kvgate/sdk/ketama_ring.h"

namespace kvgate::sdk::detail {

struct route_table {
  cluster_map map;
  ketama_ring ring;
  std::vector<endpoint> endpoints;  // the members' s3_endpoint, in map order
  std::string version;              // x-kvgate-map-version
  std::chrono::steady_clock::time_point fetched;
};

// Errors (protocol_error): a member endpoint that does not parse, or whose
// scheme differs from the client's endpoint (one connection pool, one TLS
// setting).
[[nodiscard]] result<std::shared_ptr<const route_table>> make_route_table(
    cluster_map map, bool tls, std::chrono::steady_clock::time_point now);

struct cluster_route {
  std::shared_ptr<const route_table> table;  // null: no map (everything to the endpoint)
  std::optional<std::size_t> member;         // the owner it is sent to; nullopt: the endpoint
};

class cluster_router {
 public:
  using clock = std::chrono::steady_clock;
  explicit cluster_router(std::chrono::milliseconds bypass_for) : bypass_for_(bypass_for) {}

  std::shared_ptr<const route_table> table() const;
  // Installs a newer table (a map with a lower version, or the same version
  // of the same cluster, changes nothing). True when installed.
  bool install(std::shared_ptr<const route_table> table);

  // Where (bucket, key) goes now: its owner unless that member is bypassed
  // or there is no table; an empty key (bucket requests) goes to the endpoint.
  cluster_route route_for(std::string_view bucket, std::string_view key,
                          clock::time_point now) const;

  // The member of `table` could not be reached: bypass it for bypass_for.
  // True when it was not bypassed already (the caller logs the change).
  bool bypass(const route_table& table, std::size_t member, clock::time_point now);
  std::size_t bypassed_count(clock::time_point now) const;

 private:
  std::chrono::milliseconds bypass_for_;
  mutable std::mutex mutex_;
  std::shared_ptr<const route_table> table_;
  std::vector<clock::time_point> bypassed_until_;  // per member of table_
};

}  // namespace kvgate::sdk::detail
