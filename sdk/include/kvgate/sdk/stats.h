// Counters of one client since it was created (client::stats()).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "kvgate/sdk/rdma_fallback.h"

namespace kvgate::sdk {

struct client_stats {
  // HTTP (TCP/TLS) path.
  std::uint64_t requests = 0;        // HTTP attempts sent (retries included)
  std::uint64_t operations = 0;      // API operations finished (a multipart PUT is one)
  std::uint64_t errors = 0;          // operations that returned an error
  std::uint64_t retries = 0;         // attempts repeated after a retryable failure
  std::uint64_t bytes_sent = 0;      // request body bytes
  std::uint64_t bytes_received = 0;  // response body bytes
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
  std::uint64_t checksums_verified = 0;  // GETs whose CRC32C matched the server's
  std::uint64_t checksum_mismatches = 0;
  std::uint64_t multipart_uploads = 0;
  std::uint64_t ranged_gets = 0;  // GETs split into parallel ranges

  // RDMA path: one per node the client sent RDMA-eligible transfers to (its
  // endpoint, or with direct routing each owning member); counters summed
  // over them.
  rdma_mode mode = rdma_mode::automatic;
  path_state rdma_state = path_state::unknown;  // supported when any node's path is
  std::string transport;  // "tcp" / "tls", and why RDMA is not used, e.g. "tcp (no-device)";
                          // with direct routing each node's
  rdma_path_counters rdma;
  std::uint64_t rdma_nodes = 0;  // nodes with an RDMA path (state machine) so far

  // Direct routing (client_options::cluster_routing).
  std::string routing;  // "endpoint", or "direct (cluster C map V, N members, B bypassed)"
  std::uint64_t routed_direct = 0;   // requests sent to the key's owning node
  std::uint64_t rerouted = 0;        // sent to the endpoint instead: the owner was unreachable
  std::uint64_t node_bypasses = 0;   // times a node was found unreachable and bypassed
  std::uint64_t map_fetches = 0;     // GET /.kvgate/v1/cluster requests
  std::uint64_t map_mismatches = 0;  // 421 ClusterMapMismatch answers (each refetched the map)
};

}  // namespace kvgate::sdk
