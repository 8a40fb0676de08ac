// The cache tier's error category and names (capacity.h).
#include "kvgate/erasure/capacity.h"

#include <string>

namespace kvgate::erasure {

namespace {

class capacity_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.capacity"; }
  std::string message(int value) const override {
    switch (static_cast<capacity_errc>(value)) {
      case capacity_errc::insufficient_capacity:
        return "node capacity exhausted: nothing evictable is left";
    }
    return "unknown kvgate.capacity error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& capacity_category() noexcept {
  static const capacity_error_category category;
  return category;
}

std::string_view to_string(eviction_reason r) noexcept {
  switch (r) {
    case eviction_reason::node_bytes:
      return "node_bytes";
    case eviction_reason::node_objects:
      return "node_objects";
    case eviction_reason::bucket_bytes:
      return "bucket_bytes";
    case eviction_reason::bucket_objects:
      return "bucket_objects";
  }
  return "unknown";
}

}  // namespace kvgate::erasure
