// GET /.kvgate/v1/cluster and the map-version check (cluster_endpoint.h).
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of coroutines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "cluster_endpoint.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kvgate/s3/response.h"

namespace kvgate::s3 {
namespace {

using json = nlohmann::json;
using protocol::s3_error;

// The ring every router uses: nginx's `hash $kvgate_object consistent`
// (ketama points CRC32(host \0 port prev_hash), 160 per weight unit) over the
// object name "/<bucket>/<key>"; kvgate::sdk::ketama_ring implements it.
json ring_json() {
  return {
      {"algorithm", "ketama-crc32"}, {"points_per_weight", 160}, {"hash_input", "/<bucket>/<key>"}};
}

std::string_view field(const http::request_header<>& header, std::string_view name) {
  auto it = header.find(name);
  return it == header.end() ? std::string_view() : std::string_view(it->value());
}

}  // namespace

std::string cluster_map_json(const gateway::cluster_config& cluster) {
  if (!cluster.enabled()) return json{{"cluster_id", nullptr}, {"members", json::array()}}.dump(2);
  json members = json::array();
  for (const auto& m : cluster.members) {
    members.push_back(
        {{"id", m.id},
         {"s3_endpoint", m.s3_endpoint},
         {"ring_name", gateway::ring_name(m.s3_endpoint)},
         {"rdma_listener", m.rdma_listener.empty() ? json(nullptr) : json(m.rdma_listener)},
         {"weight", m.weight},
         {"state", gateway::member_state_name(m.state)}});
  }
  return json{{"cluster_id", cluster.id},
              {"map_version", cluster.map_version},
              {"self", cluster.self},
              {"ring", ring_json()},
              {"members", std::move(members)}}
      .dump(2);
}

std::optional<std::string> cluster_map_refusal(const http::request_header<>& header,
                                               const gateway::cluster_config& cluster) {
  const std::string_view version = field(header, "x-kvgate-map-version");
  const std::string_view cluster_id = field(header, "x-kvgate-cluster-id");
  if (version.empty() && cluster_id.empty()) return std::nullopt;
  if (!cluster.enabled()) {
    return fmt::format(
        "This node is not a member of a cluster, but the request was routed with cluster map {} "
        "of cluster \"{}\" (x-kvgate-map-version, x-kvgate-cluster-id).",
        version, cluster_id);
  }
  const bool other_cluster = !cluster_id.empty() && cluster_id != cluster.id;
  const bool other_version = !version.empty() && version != std::to_string(cluster.map_version);
  if (!other_cluster && !other_version) return std::nullopt;
  return fmt::format(
      "Node \"{}\" serves map version {} of cluster \"{}\"; the request was routed with map "
      "version {} of cluster \"{}\". Fetch GET /.kvgate/v1/cluster and retry.",
      cluster.self, cluster.map_version, cluster.id, version.empty() ? "(none)" : version,
      cluster_id.empty() ? cluster.id : cluster_id);
}

asio::awaitable<void> async_cluster_endpoint(op_context& op) {
  if (op.req.method != "GET") co_return co_await op.async_fail(s3_error::method_not_allowed);
  co_await async_send_json(op.ctx, http::status::ok,
                           cluster_map_json(*op.service.cluster->current()));
}

}  // namespace kvgate::s3
