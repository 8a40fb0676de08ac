// The cluster map in force, replaceable while requests run (SIGHUP reload of
// [cluster], docs/scaling.md "Changing the map"): a live_snapshot, so one
// answer never mixes two maps.
#pragma once

#include <boost/system/result.hpp>
#include <string>

#include "kvgate/gateway/cluster_config.h"
#include "kvgate/gateway/live_snapshot.h"

namespace kvgate::gateway {

using live_cluster_map = live_snapshot<cluster_config>;

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
