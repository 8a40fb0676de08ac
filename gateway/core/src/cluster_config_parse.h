// Private to config.cc: reading the [cluster] table (cluster_config.h). Its
// fields are flattened into layer keys "cluster.<field>" and
// "cluster.members.<NNNN>.<field>" so they carry an origin like every other
// value; only the TOML file can set them.
#pragma once

#include <toml++/toml.h>

#include <string_view>

#include "kvgate/gateway/cluster_config.h"
#include "kvgate/gateway/config.h"

namespace kvgate::gateway {

inline constexpr std::string_view kClusterTableKey = "cluster";

// Adds the `cluster` table of a TOML file to `layer`. Unknown fields and
// wrong types are errors naming the key.
[[nodiscard]] config_result<void> add_cluster_table(const toml::node& cluster,
                                                    std::string_view origin, config_layer& layer);

// Builds and validates the cluster map from the flattened keys of `file`.
[[nodiscard]] config_result<void> resolve_cluster_config(const config_layer& file,
                                                         cluster_config& c);

}  // namespace kvgate::gateway
