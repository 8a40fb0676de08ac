// The cluster map over HTTP (docs/scaling.md):
//   GET /.kvgate/v1/cluster   signed, any authenticated caller: this node's map
//                             as JSON (cluster id, map version, self, members
//                             with their ring names, the ring's parameters).
// and the check of cluster-routed requests: a request carrying
// x-kvgate-map-version (and optionally x-kvgate-cluster-id) that does not
// match this node's map is refused with 421 ClusterMapMismatch.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <optional>
#include <string>

#include "kvgate/gateway/cluster_config.h"
#include "operations.h"

namespace kvgate::s3 {

// The map as the JSON document the endpoint answers (pure; unit-tested).
std::string cluster_map_json(const gateway::cluster_config& cluster);

// Empty when the request may be served here; otherwise the sentence saying
// why not (the message of the 421).
std::optional<std::string> cluster_map_refusal(const http::request_header<>& header,
                                               const gateway::cluster_config& cluster);

asio::awaitable<void> async_cluster_endpoint(op_context& op);

}  // namespace kvgate::s3
