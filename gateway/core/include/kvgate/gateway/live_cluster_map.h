// The cluster map in force, replaceable while requests run (SIGHUP reload of
// [cluster], docs/scaling.md "Changing the map"). A request takes a snapshot
// with current() and keeps it until it ends, so one answer never mixes two
// maps; the next request sees the new map. Thread-safe: lock-free loads of an
// atomic shared_ptr, as live_users.
#pragma once

#include <atomic>
#include <boost/system/result.hpp>
#include <memory>
#include <string>

#include "kvgate/gateway/cluster_config.h"

namespace kvgate::gateway {

class live_cluster_map {
 public:
  explicit live_cluster_map(cluster_config initial)
      : current_(std::make_shared<const cluster_config>(std::move(initial))) {}

  std::shared_ptr<const cluster_config> current() const noexcept {
    return current_.load(std::memory_order_acquire);
  }
  void replace(cluster_config next) {
    current_.store(std::make_shared<const cluster_config>(std::move(next)),
                   std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const cluster_config>> current_;
};

// What a reload may change (both maps already validated by load_config):
// the members, weights, states and endpoints, with a higher map_version.
// Refused, naming the problem: another cluster id (joining, leaving or
// renaming a cluster needs a restart), another `self`, a lower version, or
// the same version with a different map (two nodes would serve different
// maps under one version). An identical map is no change (nullopt-like: the
// value is false); a valid change is true.
[[nodiscard]] boost::system::result<bool, std::string> check_map_change(
    const cluster_config& running, const cluster_config& next);

}  // namespace kvgate::gateway
