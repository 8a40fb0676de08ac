// The cluster map in force, replaceable while requests run (SIGHUP reload of
// [cluster], docs/scaling.md "Changing the map"). A request takes a snapshot
// with current() and keeps it until it ends, so one answer never mixes two
// maps; the next request sees the new map. Thread-safe: the snapshot pointer
// is copied under a mutex held for that copy only. (Not
// std::atomic<std::shared_ptr>: libstdc++ 12's load() releases its internal
// lock with a relaxed store, GCC PR 111077, which TSan reports as a race.)
#pragma once

#include <boost/system/result.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "kvgate/gateway/cluster_config.h"

namespace kvgate::gateway {

class live_cluster_map {
 public:
  explicit live_cluster_map(cluster_config initial)
      : current_(std::make_shared<const cluster_config>(std::move(initial))) {}

  std::shared_ptr<const cluster_config> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(cluster_config next) {
    auto fresh = std::make_shared<const cluster_config>(std::move(next));
    std::lock_guard lock(mutex_);
    current_.swap(fresh);  // the old map is released after the lock, by `fresh`
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const cluster_config> current_;
};

// What a reload may change (both maps already validated by load_config):
// the members, weights, states and endpoints, with a higher map_version.
// Refused, naming the problem: another cluster id (joining, leaving or
// renaming a cluster needs a restart), another `self`, a lower version, or
// the same version with a different map (two nodes would serve different
// maps under one version). An identical map is no change (the value is
// false); a valid change is true.
[[nodiscard]] boost::system::result<bool, std::string> check_map_change(
    const cluster_config& running, const cluster_config& next);

}  // namespace kvgate::gateway
