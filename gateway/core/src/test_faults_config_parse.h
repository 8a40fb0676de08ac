// Private to config.cc: reading the TEST ONLY [testing] table
// (test_faults_config.h). Rules are flattened into layer keys
// "testing.disk_faults.<NNNN>.<field>" so each value carries its origin; only
// the TOML file can set them.
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <string_view>

#include "kvgate/gateway/config.h"
#include "kvgate/gateway/test_faults_config.h"

namespace kvgate::gateway {

inline constexpr std::string_view kTestingTableKey = "testing";

// Adds the `testing` table of a TOML file to `layer`. Unknown fields and wrong
// types are errors naming the key.
[[nodiscard]] config_result<void> add_testing_table(const toml::node& testing,
                                                    std::string_view origin, config_layer& layer);

// Builds and validates the rules from the flattened keys of `file`; `disks`
// is the number of data directories (a rule's disk must be one of them).
[[nodiscard]] config_result<void> resolve_testing_config(const config_layer& file,
                                                         std::size_t disks, test_faults_config& c);

}  // namespace kvgate::gateway
