// The cluster map a kvgate node serves at GET /.kvgate/v1/cluster
// (docs/scaling.md "Cluster map"), as the SDK reads it for direct routing.
// Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/sdk/error.h"
#include "kvgate/sdk/ketama_ring.h"

namespace kvgate::sdk {

inline constexpr std::string_view kClusterMapPath = "/.kvgate/v1/cluster";

struct cluster_member {
  std::string id;
  std::string s3_endpoint;  // "http(s)://host:port": where the SDK sends the member's keys
  std::string ring_name;    // "host:port" as the proxy's server line names it (the ring input)
  std::string rdma_listener;
  std::uint32_t weight = 1;
  bool down = false;  // state "down": keeps its ring points, owns nothing
};

struct cluster_map {
  std::string cluster_id;
  std::uint64_t version = 0;
  std::vector<cluster_member> members;

  // The ring over the members in map order (the order the proxies list them).
  ketama_ring ring() const;
};

// Parses the map endpoint's JSON. nullopt: the node is not a member of a
// cluster ({"cluster_id": null}). Errors (protocol_error): not JSON, missing
// or mistyped fields, a ring other than ketama-crc32 with 160 points per
// weight over "/<bucket>/<key>", no members, duplicate ring names.
[[nodiscard]] result<std::optional<cluster_map>> parse_cluster_map(std::string_view json_text);

}  // namespace kvgate::sdk
