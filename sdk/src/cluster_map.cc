// parse_cluster_map (cluster_map.h).
#include "kvgate/sdk/cluster_map.h"

#include <nlohmann/json.hpp>
#include <set>

namespace kvgate::sdk {
namespace {

using json = nlohmann::json;

error map_error(const std::string& why) {
  return make_error(sdk_errc::protocol_error, "cluster map: " + why);
}

// The string member `name` of `object`, or an error naming it.
result<std::string> string_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string())
    return map_error(std::string("\"") + name + "\" is missing or not a string");
  return it->get<std::string>();
}

result<cluster_member> parse_member(const json& m) {
  if (!m.is_object()) return map_error("a member is not an object");
  cluster_member member;
  auto id = string_field(m, "id");
  auto endpoint = string_field(m, "s3_endpoint");
  auto ring_name = string_field(m, "ring_name");
  auto state = string_field(m, "state");
  for (auto* r : {&id, &endpoint, &ring_name, &state})
    if (!r->has_value()) return r->error();
  member.id = std::move(*id);
  member.s3_endpoint = std::move(*endpoint);
  member.ring_name = std::move(*ring_name);
  if (*state != "active" && *state != "down")
    return map_error("member \"" + member.id + "\" has state \"" + *state + "\"");
  member.down = *state == "down";
  auto weight = m.find("weight");
  if (weight == m.end() || !weight->is_number_unsigned() || weight->get<std::uint64_t>() == 0 ||
      weight->get<std::uint64_t>() > 100)
    return map_error("member \"" + member.id + "\" has no weight in 1..100");
  member.weight = weight->get<std::uint32_t>();
  if (auto rdma = m.find("rdma_listener"); rdma != m.end() && rdma->is_string())
    member.rdma_listener = rdma->get<std::string>();
  return member;
}

// True when `object` has the string member `name` equal to `want`. (json's
// value() throws on a member of another type: never used on server input.)
bool string_is(const json& object, const char* name, std::string_view want) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() && it->get<std::string>() == want;
}

result<void> check_ring(const json& doc) {
  auto ring = doc.find("ring");
  if (ring == doc.end() || !ring->is_object()) return map_error("\"ring\" is missing");
  auto points = ring->find("points_per_weight");
  const bool ours = string_is(*ring, "algorithm", "ketama-crc32") &&
                    string_is(*ring, "hash_input", "/<bucket>/<key>") && points != ring->end() &&
                    points->is_number_unsigned() &&
                    points->get<std::uint64_t>() == ketama_ring::kPointsPerWeight;
  if (!ours)
    return map_error("the ring is not ketama-crc32, 160 points per weight, /<bucket>/<key>");
  return {};
}

}  // namespace

ketama_ring cluster_map::ring() const {
  std::vector<ring_member> ring_members;
  ring_members.reserve(members.size());
  for (const auto& m : members) ring_members.push_back({m.ring_name, m.weight, m.down});
  return ketama_ring(std::move(ring_members));
}

result<std::optional<cluster_map>> parse_cluster_map(std::string_view json_text) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return map_error("the answer is not a JSON object");
  auto id = doc.find("cluster_id");
  if (id == doc.end()) return map_error("\"cluster_id\" is missing");
  if (id->is_null()) return std::optional<cluster_map>();
  if (!id->is_string() || id->get<std::string>().empty())
    return map_error("\"cluster_id\" is not a string");
  cluster_map map;
  map.cluster_id = id->get<std::string>();
  auto version = doc.find("map_version");
  if (version == doc.end() || !version->is_number_unsigned())
    return map_error("\"map_version\" is missing or not a number");
  map.version = version->get<std::uint64_t>();
  if (auto ring = check_ring(doc); !ring) return ring.error();
  auto members = doc.find("members");
  if (members == doc.end() || !members->is_array() || members->empty())
    return map_error("\"members\" is missing or empty");
  std::set<std::string> names;
  for (const auto& m : *members) {
    auto member = parse_member(m);
    if (!member) return member.error();
    if (!names.insert(member->ring_name).second)
      return map_error("two members are named " + member->ring_name);
    map.members.push_back(std::move(*member));
  }
  return std::optional<cluster_map>(std::move(map));
}

}  // namespace kvgate::sdk
