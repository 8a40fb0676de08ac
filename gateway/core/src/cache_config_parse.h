// Private to config.cc: reading the cache-tier keys (cache_config.h) from the
// configuration layers. Bucket tables `[buckets.<name>]` of the TOML file are
// flattened into layer keys "buckets.<name>.<field>" so they carry an origin
// like every other value.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <string_view>

#include "kvgate/gateway/config.h"

namespace kvgate::gateway {

inline constexpr std::string_view kBucketTablesKey = "buckets";

// Adds the `buckets` table of a TOML file to `layer`. Unknown fields, wrong
// types and invalid bucket names are errors naming the key.
[[nodiscard]] config_result<void> add_bucket_tables(const toml::node& buckets,
                                                    std::string_view origin, config_layer& layer);

// Parses the cache_* / lifecycle_* keys and the bucket tables into c.
// `get(key)` is the effective value by precedence; bucket keys are read from
// `file` (the only source that can set them).
[[nodiscard]] config_result<void> resolve_cache_config(
    const std::function<const config_value*(std::string_view)>& get, const config_layer& file,
    cache_config& c);

}  // namespace kvgate::gateway
