// Fuzzes the SDK's reading of GET /.kvgate/v1/cluster (what a node, or
// anything posing as one, answers the client). Invariants: a parsed map has
// members with ring names that are unique and weights in 1..100; its ring
// routes a name to a member that is not down (or to none when all are);
// every failure is protocol_error with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "kvgate/sdk/cluster_map.h"

using namespace kvgate::sdk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_cluster_map(text);
  if (!parsed) {
    if (parsed.error().code != sdk_errc::protocol_error || parsed.error().message.empty())
      std::abort();
    return 0;
  }
  if (!*parsed) return 0;  // not a cluster member
  const cluster_map& map = **parsed;
  if (map.members.empty()) std::abort();
  std::set<std::string_view> names;
  bool any_up = false;
  for (const auto& m : map.members) {
    if (m.weight < 1 || m.weight > 100 || !names.insert(m.ring_name).second) std::abort();
    any_up = any_up || !m.down;
  }
  const auto ring = map.ring();
  const auto owner = ring.owner("bucket", text.substr(0, 64));
  if (owner.has_value() != any_up) std::abort();
  if (owner && (*owner >= map.members.size() || map.members[*owner].down)) std::abort();
  return 0;
}
