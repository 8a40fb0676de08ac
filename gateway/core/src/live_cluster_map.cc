// check_map_change (live_cluster_map.h): what a SIGHUP may change in [cluster].
#include "kvgate/gateway/live_cluster_map.h"

#include <fmt/format.h>

namespace kvgate::gateway {

boost::system::result<bool, std::string> check_map_change(const cluster_config& running,
                                                          const cluster_config& next) {
  using boost::system::in_place_error;
  if (next == running) return false;
  auto name = [](const cluster_config& c) {
    return c.enabled() ? fmt::format("\"{}\"", c.id) : std::string("(none)");
  };
  if (next.id != running.id)
    return {in_place_error,
            fmt::format("[cluster] id changed from {} to {}: joining, leaving or renaming a "
                        "cluster needs a restart",
                        name(running), name(next))};
  if (next.self != running.self)
    return {in_place_error,
            fmt::format("[cluster] self changed from \"{}\" to \"{}\": a node's identity needs a "
                        "restart",
                        running.self, next.self)};
  if (next.map_version < running.map_version)
    return {in_place_error,
            fmt::format("[cluster] map_version went back from {} to {}: a changed map needs a "
                        "higher version",
                        running.map_version, next.map_version)};
  if (next.map_version == running.map_version)
    return {in_place_error,
            fmt::format("[cluster] members changed but map_version stayed {}: bump it on every "
                        "node",
                        running.map_version)};
  return true;
}

}  // namespace kvgate::gateway
