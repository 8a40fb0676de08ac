// Everything an S3 operation needs besides its request: the store, the
// blocking pool to run storage calls on, the users, the configured limits.
// Created once by make_s3_handler() and shared (read-only) by all requests;
// thread-safe because every member is immutable or itself thread-safe.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/erasure/store.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/live_cluster_map.h"
#include "kvgate/protocol/signing_key_cache.h"
#include "kvgate/s3/cache_policy.h"
#include "kvgate/s3/lifecycle_worker.h"
#include "kvgate/s3/live_users.h"
#include "kvgate/s3/lookup_counters.h"
#include "kvgate/s3/maintenance_jobs.h"
#include "kvgate/s3/rdma_counters.h"
#include "kvgate/s3/rdma_gateway.h"
#include "kvgate/s3/upload_etag.h"
#include "kvgate/s3/user_directory.h"

namespace kvgate::s3 {

// Largest single PUT (S3: 5 GiB).
inline constexpr std::uint64_t kMaxSinglePutBytes = 5ull << 30;

struct s3_service {
  std::shared_ptr<erasure::store> store;
  boost::asio::thread_pool* blocking_pool = nullptr;
  // Replaced by a SIGHUP reload (s3_handler::reload_users).
  mutable live_users users;
  std::vector<std::string> domains;         // virtual-hosted base domains
  std::size_t body_buffer_bytes = 1 << 20;  // per-request body / GET buffer
  etag_policy etags;                        // MD5 or XXH3 ETags, per bucket
  mutable protocol::signing_key_cache key_cache;
  // The RDMA fast path; null when disabled or unavailable on this host.
  std::shared_ptr<rdma_gateway> rdma;
  mutable rdma_counters rdma_stats;
  // Hits and misses of HeadObject and GetObject (counted by s3_handler).
  mutable lookup_counters lookups;
  // Cache tier: the kept capacity policy (admin API) and the lifecycle/TTL
  // worker (its counters are in the admin report); null in bare test setups.
  std::shared_ptr<cache_policy_keeper> cache_policy;
  std::shared_ptr<lifecycle_worker> lifecycle;
  // Heal, scrub and verify jobs started through the admin API (null in bare
  // test setups); stopped and joined when the service goes.
  std::shared_ptr<maintenance_jobs> jobs;
  // Scale-out: this node's cluster map (disabled when not in a cluster);
  // served at /.kvgate/v1/cluster and checked against x-kvgate-map-version.
  // Replaced by a SIGHUP reload (check_map_change, s3_frontend::reload_cluster).
  std::shared_ptr<gateway::live_cluster_map> cluster =
      std::make_shared<gateway::live_cluster_map>(gateway::cluster_config{});
  // Injected clock for authentication (tests); empty = system clock.
  std::function<std::chrono::sys_seconds()> now;

  std::chrono::sys_seconds current_time() const;
};

}  // namespace kvgate::s3
