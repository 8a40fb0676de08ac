// The cluster map of a scaled-out deployment (docs/scaling.md): which kvgate
// nodes share the key space, how the ring weighs them, and which one this is.
// Every node of a cluster carries the same map (cluster id + map version);
// only `self` differs. Set in the TOML file only:
//   [cluster]
//   id = "kv-east-1"
//   map_version = 7
//   self = "n1"
//   [[cluster.members]]
//   id = "n1"
//   s3_endpoint = "http://10.0.0.1:9000"
//   rdma_listener = "10.0.1.1:7471"   # optional
//   weight = 1                        # ring points = 160 x weight
//   state = "active"                  # active | down
// Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvgate::gateway {

// `down` keeps the member's points on the ring but routes nothing to it: its
// keys go to the next point, as nginx's `server ... down` does.
enum class member_state { active, down };

std::string_view member_state_name(member_state s) noexcept;

struct cluster_member {
  std::string id;
  std::string s3_endpoint;    // http[s]://host:port
  std::string rdma_listener;  // host:port, empty = no RDMA
  std::uint32_t weight = 1;
  member_state state = member_state::active;
  friend bool operator==(const cluster_member&, const cluster_member&) = default;
};

struct cluster_config {
  std::string id;  // empty = not part of a cluster
  std::uint64_t map_version = 0;
  std::string self;  // this node's member id
  std::vector<cluster_member> members;
  bool enabled() const noexcept { return !id.empty(); }
  friend bool operator==(const cluster_config&, const cluster_config&) = default;
};

// The ring name of an S3 endpoint: "host:port" without the scheme, the string
// nginx hashes for `server host:port` (and kvgate::sdk::ketama_ring too).
std::string ring_name(std::string_view s3_endpoint);

}  // namespace kvgate::gateway
