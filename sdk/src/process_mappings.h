// The process's memory mappings (/proc/self/maps), for
// client_options::rdma_register_mappings: the anonymous read-write mapping
// that holds a buffer, which the client then registers for RDMA once.
// Private to the SDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kvgate::sdk::detail {

struct process_mapping {
  std::uintptr_t start = 0;
  std::uintptr_t end = 0;     // one past the last byte
  bool anonymous_rw = false;  // read-write, no file, not [heap] / [stack] / [vdso]...
};

// The mapping of one /proc/self/maps line ("start-end perms offset dev
// inode [path]"); nullopt when the line does not parse.
std::optional<process_mapping> parse_maps_line(std::string_view line);

// The mapping that holds `data`; nullopt when none does or /proc is not
// readable.
std::optional<process_mapping> mapping_of(const std::byte* data);

}  // namespace kvgate::sdk::detail
