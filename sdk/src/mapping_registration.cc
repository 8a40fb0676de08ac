// client_options::rdma_register_mappings (client.h): the mapping that holds
// an unregistered RDMA buffer is registered once, so callers that only see
// buffers inside a pool (LMCache's connectors) still get zero-copy RDMA.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "client_impl.h"
#include "process_mappings.h"

namespace kvgate::sdk {

using namespace detail;

namespace {

constexpr std::size_t kMaxRefusedRanges = 256;

}  // namespace

bool client::impl::mapping_refused(const std::byte* data) {
  std::lock_guard lock(mapping_mutex);
  const auto p = reinterpret_cast<std::uintptr_t>(data);
  return std::any_of(mappings_refused.begin(), mappings_refused.end(),
                     [p](const auto& range) { return p >= range.first && p < range.second; });
}

std::optional<memory_region> client::impl::register_mapping_of(const std::byte* data,
                                                               std::uint64_t size) {
  std::lock_guard lock(mapping_mutex);
  if (auto region = rdma_memory->find(data, size)) return region;  // registered meanwhile
  const auto p = reinterpret_cast<std::uintptr_t>(data);
  const auto mapping = mapping_of(data);
  if (!mapping) return std::nullopt;
  if (!mapping->anonymous_rw || size > mapping->end - p) {
    if (mappings_refused.size() < kMaxRefusedRanges)
      mappings_refused.emplace_back(mapping->start, mapping->end);
    spdlog::debug(
        "kvgate sdk: the mapping {:#x}-{:#x} holding an RDMA buffer is not anonymous "
        "read-write memory: not registered, such buffers go TCP",
        mapping->start, mapping->end);
    return std::nullopt;
  }
  const std::span<std::byte> bytes(reinterpret_cast<std::byte*>(mapping->start),
                                   mapping->end - mapping->start);
  rdma_memory->add(bytes);
  spdlog::info(
      "kvgate sdk: registered the mapping {:#x}-{:#x} ({} MiB) holding an RDMA buffer "
      "(rdma_register_mappings)",
      mapping->start, mapping->end, bytes.size() >> 20);
  return rdma_memory->find(data, size);
}

}  // namespace kvgate::sdk
