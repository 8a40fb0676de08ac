// Builds the request handler `kvgate serve` installs. The S3 layer replaces
// the placeholder in s3_handler_factory.cc with its router; the HTTP core
// never changes for that.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kvgate/erasure/disk.h"
#include "kvgate/gateway/config.h"
#include "kvgate/gateway/dev_credentials.h"
#include "kvgate/gateway/metrics.h"
#include "kvgate/gateway/request_handler.h"
#include "kvgate/gateway/server_hooks.h"

namespace kvgate::cli {

struct s3_frontend {
  std::unique_ptr<gateway::request_handler> handler;
  gateway::server_hooks hooks;  // error renderer and readiness probe
  // Registers the store, cache and RDMA collectors on the server's /metrics.
  std::function<void(gateway::metrics::registry&)> register_metrics;
  // SIGHUP: loads the credentials file again; the users in force stay on an error.
  std::function<boost::system::result<void, std::string>(const gateway::credentials& root,
                                                         const std::filesystem::path& file)>
      reload_users;
  // SIGHUP, cache settings: check_cache says whether `cache` overlaid on the
  // policy in force is valid (nothing changes); reload_cache installs it
  // (as at start: configuration > kept > default) and returns a summary.
  std::function<boost::system::result<void, std::string>(const gateway::cache_config& cache)>
      check_cache;
  std::function<boost::system::result<std::string, std::string>(const gateway::cache_config& cache)>
      reload_cache;
  // SIGHUP, [cluster]: swaps in `cluster` when check_map_change allows it;
  // the running map stays on an error, which names the problem.
  struct map_reload {
    bool changed = false;
    std::string summary;  // "map version A -> B of cluster ..." or "... unchanged"
  };
  std::function<boost::system::result<map_reload, std::string>(
      const gateway::cluster_config& cluster)>
      reload_cluster;
};

// `blocking_pool` is where storage calls run (async_run_blocking). `root` holds
// the effective root credentials (configured or dev ones).
// `disks`: ready-made disks for the store (test-only fault injection), or
// empty for the data directories.
[[nodiscard]] boost::system::result<s3_frontend, std::string> make_s3_frontend(
    const gateway::server_config& config, const gateway::credentials& root,
    boost::asio::thread_pool& blocking_pool,
    std::vector<std::shared_ptr<erasure::disk>> disks = {});

}  // namespace kvgate::cli
