// How the server's C allocator hands freed memory back (docs/reliability.md
// "Soak"). Uploads and reads allocate body and stripe buffers of 64 KiB to a
// few MiB per request; glibc's default raises its mmap threshold after the
// first such buffer is freed, serves the next ones from the heap, and keeps
// the freed heap: under a 256-connection soak RSS grew from 305 to 752 MiB in
// 30 minutes with ~190 MiB live. A fixed threshold maps every buffer of at
// least kMmapThresholdBytes and unmaps it when freed.
#pragma once

#include <cstddef>
#include <string>

namespace kvgate::cli {

inline constexpr std::size_t kMmapThresholdBytes = 128 * 1024;

// Fixes glibc's mmap threshold at kMmapThresholdBytes unless the operator set
// one (MALLOC_MMAP_THRESHOLD_ or glibc.malloc.mmap_threshold in
// GLIBC_TUNABLES). Returns what was done, for the start-up log.
std::string bound_freed_memory_retention();

}  // namespace kvgate::cli
