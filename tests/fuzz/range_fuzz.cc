// Fuzzes Range parsing and resolution. The first 8 bytes give the object size;
// the rest is the header. Invariant: a resolved range lies inside the object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kvgate/protocol/range.h"

using namespace kvgate::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t object_size = 0;
  std::size_t i = 0;
  for (; i < 8 && i < size; ++i) object_size = object_size << 8 | data[i];
  const std::string_view header(reinterpret_cast<const char*>(data) + i, size - i);
  const auto spec = parse_range(header);
  const auto r = resolve(spec, object_size);
  if (!r) return 0;
  if (r->partial) {
    if (r->length == 0 || r->offset >= object_size || r->length > object_size - r->offset)
      std::abort();
    (void)content_range(*r, object_size);
  } else if (r->offset != 0 || r->length != object_size) {
    std::abort();
  }
  return 0;
}
