// Fuzzes request-target splitting, query parsing and percent-decoding, and
// checks that uri_encode/percent_decode round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/uri.h"

using namespace kvgate::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto target = split_target(input);
  if (target.path.size() + target.query.size() + (target.has_query ? 1 : 0) != input.size())
    std::abort();

  if (auto decoded = percent_decode(target.path)) {
    for (auto slash : {slash_encoding::keep, slash_encoding::encode}) {
      auto again = percent_decode(uri_encode(*decoded, slash));
      if (!again || *again != *decoded) std::abort();
    }
  }
  if (auto query = parse_query(target.query)) {
    for (const auto& p : *query) {
      if (p.name.empty() && !p.has_value) std::abort();  // empty pieces are skipped
    }
    auto reparsed = parse_query(canonical_query_string(*query));
    if (!reparsed || reparsed->size() != query->size()) std::abort();
  }
  return 0;
}
