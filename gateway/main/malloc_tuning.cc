// bound_freed_memory_retention (malloc_tuning.h).
#include "malloc_tuning.h"

#include <fmt/format.h>
#include <malloc.h>

#include <cstdlib>
#include <string_view>

namespace kvgate::cli {

std::string bound_freed_memory_retention() {
  const char* env_threshold = std::getenv("MALLOC_MMAP_THRESHOLD_");
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (env_threshold != nullptr ||
      (tunables != nullptr &&
       std::string_view(tunables).find("mmap_threshold") != std::string_view::npos))
    return "malloc: the environment sets the mmap threshold, kept as it is";
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThresholdBytes)) != 1)
    return "malloc: mmap threshold not set (not glibc's allocator)";
  return fmt::format("malloc: buffers of {} KiB and more are mapped and unmapped when freed",
                     kMmapThresholdBytes / 1024);
}

}  // namespace kvgate::cli
