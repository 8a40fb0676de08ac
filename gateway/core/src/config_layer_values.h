// Private to gateway_core: reading values back out of a config_layer, shared
// by the readers of the flattened TOML tables ([cluster], [testing]), so an
// error names the key and where its value came from the same way everywhere.
#pragma once

#include <cstdint>
#include <string_view>

#include "kvgate/gateway/config.h"

namespace kvgate::gateway::layer_values {

// "invalid value for <key> (<origin>): <why>".
config_error invalid_value(const config_value& v, std::string_view key, std::string_view why);

// The value of `key`, or null when the layer does not set it.
const config_value* find(const config_layer& file, std::string_view key);

// A decimal integer in [low, high]; `fallback` when the key is not set.
config_result<std::uint64_t> bounded_integer(const config_layer& file, std::string_view key,
                                             std::uint64_t fallback, std::uint64_t low,
                                             std::uint64_t high);

}  // namespace kvgate::gateway::layer_values
