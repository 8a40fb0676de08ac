// Direct routing of a scaled-out cluster (client_options::cluster_routing,
// cluster_router.h): the map fetch, the route of each request, BatchExists
// grouped by owner and bucket creation on every member.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <map>

#include "client_impl.h"
#include "parallel_workers.h"

namespace kvgate::sdk {

using namespace detail;

namespace {

using steady = std::chrono::steady_clock;

// The map as one line for logs and stats().routing.
std::string map_summary(const route_table& t) {
  return "cluster " + t.map.cluster_id + " map " + t.version + ", " +
         std::to_string(t.map.members.size()) + " members";
}

}  // namespace

bool client::impl::routing_directly() const {
  return router && router->table() != nullptr;
}

std::string client::impl::describe_routing() const {
  if (!router) return "endpoint";
  if (auto table = router->table())
    return "direct (" + map_summary(*table) + ", " +
           std::to_string(router->bypassed_count(steady::now())) + " bypassed)";
  std::lock_guard lock(routing_mutex);
  return "endpoint (" + (routing_note.empty() ? std::string("no cluster map yet") : routing_note) +
         ")";
}

// GET /.kvgate/v1/cluster from the endpoint; installs the map when it is
// usable and newer, otherwise records (and logs once) why routing is off.
asio::awaitable<void> client::impl::async_fetch_cluster_map() {
  request_spec spec;
  spec.method = http::verb::get;
  spec.raw_path = std::string(kClusterMapPath);
  spec.to_endpoint = true;
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  ++counters.map_fetches;
  std::string note;
  if (!r) {
    note = "fetching the cluster map failed: " + r.error().message;
  } else if (r->status != 200) {
    note = "the cluster map request answered HTTP " + std::to_string(r->status);
  } else if (auto parsed = parse_cluster_map(r->text); !parsed) {
    note = parsed.error().message;
  } else if (!*parsed) {
    note = options.endpoint + " is not a member of a cluster";
  } else if (auto table = make_route_table(std::move(**parsed), server.tls, steady::now());
             !table) {
    note = table.error().message;
  } else {
    if (router->install(*table))
      spdlog::info("kvgate sdk: routing object requests directly to the nodes of {}",
                   map_summary(**table));
    // Installed (a map of a lower version is not): the next refetch is due
    // map_refresh from now, not node_bypass after this attempt.
    if (router->table() == *table) next_map_attempt = 0;
  }
  std::lock_guard lock(routing_mutex);
  if (!note.empty() && note != routing_note && !router->table())
    spdlog::warn("kvgate sdk: requests go to {}: {}", options.endpoint, note);
  routing_note = router->table() ? std::string() : note;
}

asio::awaitable<void> client::impl::async_refresh_map_if_due() {
  const auto now = steady::now();
  const auto table = router->table();
  if (table && now - table->fetched < options.map_refresh) co_return;
  // One fetch at a time, and after any attempt (a failed one included) the
  // next waits node_bypass: a dead endpoint is not asked on every request.
  auto due = next_map_attempt.load();
  if (now.time_since_epoch().count() < due ||
      !next_map_attempt.compare_exchange_strong(
          due, (now + options.node_bypass).time_since_epoch().count()))
    co_return;
  if (!table) {
    co_await async_fetch_cluster_map();  // inline: this request is routed by it
  } else {
    // A refetch runs beside the requests, which use the map they have.
    asio::co_spawn(
        io, [this]() -> asio::awaitable<void> { co_await async_fetch_cluster_map(); },
        asio::detached);
  }
}

asio::awaitable<cluster_route> client::impl::async_route(const request_spec& spec) {
  if (spec.route) co_return *spec.route;
  if (!router || spec.to_endpoint || !spec.raw_path.empty()) co_return cluster_route{};
  co_await async_refresh_map_if_due();
  co_return router->route_for(spec.bucket, spec.key, steady::now());
}

result<request_location> client::impl::locate_request(const request_spec& spec,
                                                      const cluster_route& route) const {
  if (!spec.raw_path.empty()) {
    // The endpoint's, or a member's (RDMA discovery and sessions of the
    // node that owns the transfer's key).
    auto where = route.table && route.member
                     ? locate(route.table->endpoints[*route.member], addressing_style::path, {}, {})
                     : locate(server, addressing_style::path, {}, {}, connect_to);
    if (where) where->path = spec.raw_path;
    return where;
  }
  if (route.table && route.member)
    return locate(route.table->endpoints[*route.member], addressing_style::path, spec.bucket,
                  spec.key);
  return locate(server, options.addressing, spec.bucket, spec.key, connect_to);
}

asio::awaitable<result<std::vector<bool>>> client::impl::async_exists_batch_routed(
    std::shared_ptr<const route_table> table, std::string bucket, std::vector<std::string> keys) {
  // Group the keys by the node the routing sends them to; keys whose node
  // is bypassed go to the endpoint, one HEAD each (a proxy routes a HEAD by
  // its key, but a BatchExists by its bucket only).
  std::map<std::size_t, std::vector<std::size_t>> by_member;
  std::vector<std::size_t> via_endpoint;
  const auto now = steady::now();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto r = router->route_for(bucket, keys[i], now);
    if (r.member && r.table == table) {
      by_member[*r.member].push_back(i);
    } else {
      via_endpoint.push_back(i);
    }
  }
  struct group {
    std::optional<cluster_route> route;  // nullopt: HEADs through the endpoint
    std::vector<std::size_t> indexes;
  };
  std::vector<group> groups;
  for (auto& [member, indexes] : by_member)
    groups.push_back({cluster_route{table, member}, std::move(indexes)});
  if (!via_endpoint.empty()) groups.push_back({std::nullopt, std::move(via_endpoint)});

  std::vector<char> found(keys.size(), 0);
  std::optional<error> first_error;
  std::atomic<std::size_t> next{0};
  co_await run_workers(groups.size(), [&]() -> asio::awaitable<void> {
    const group& g = groups[next++];
    std::vector<std::string> group_keys;
    group_keys.reserve(g.indexes.size());
    for (auto i : g.indexes) group_keys.push_back(keys[i]);
    result<std::vector<bool>> answer = std::vector<bool>();
    if (g.route) {
      answer = co_await async_exists_batch_direct(bucket, group_keys, g.route);
    } else {
      answer = co_await async_exists_by_heads(bucket, group_keys);
    }
    if (g.route && !answer && answer.error().http_status == 0) {
      // The node went away meanwhile: ask its keys through the endpoint.
      answer = co_await async_exists_by_heads(bucket, group_keys);
    }
    if (!answer) {
      if (!first_error) first_error = answer.error();
      co_return;
    }
    for (std::size_t j = 0; j < g.indexes.size(); ++j) found[g.indexes[j]] = (*answer)[j] ? 1 : 0;
  });
  if (first_error) co_return *first_error;
  co_return std::vector<bool>(found.begin(), found.end());
}

asio::awaitable<result<void>> client::impl::async_create_bucket(std::string bucket) {
  auto table = router ? router->table() : nullptr;
  if (!table && router) {
    co_await async_refresh_map_if_due();
    table = router->table();
  }
  // Arguments of the co_await calls below are named locals: g++ 12 destroys
  // temporaries in a co_await expression twice.
  if (!table) {
    std::optional<cluster_route> to_endpoint;
    co_return co_await async_create_bucket_on(std::move(bucket), std::move(to_endpoint));
  }
  // Every member holds its own buckets: create it on each active one. A
  // member that cannot be reached is skipped (its keys are served by the
  // next node on the ring meanwhile), unless none can be.
  std::optional<error> failure;
  std::size_t created = 0;
  for (std::size_t m = 0; m < table->map.members.size(); ++m) {
    if (table->map.members[m].down) continue;
    std::optional<cluster_route> to_member = cluster_route{table, m};
    auto r = co_await async_create_bucket_on(bucket, std::move(to_member));
    if (r) {
      ++created;
    } else if (r.error().http_status == 0) {
      spdlog::warn("kvgate sdk: bucket {} not created on member {} ({}): {}", bucket,
                   table->map.members[m].id, table->map.members[m].s3_endpoint, r.error().message);
      if (!failure) failure = r.error();
    } else {
      co_return r.error();
    }
  }
  if (created == 0 && failure) co_return *failure;
  co_return result<void>{};
}

}  // namespace kvgate::sdk
