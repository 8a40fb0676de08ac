// The [cluster] table: flattening into a config layer and validation
// (cluster_config.h, cluster_config_parse.h, docs/scaling.md).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "cluster_config_parse.h"
#include "config_layer_values.h"

namespace kvgate::gateway {
namespace {

using layer_values::bounded_integer;
using layer_values::find;
using layer_values::invalid_value;

constexpr std::string_view kTableFields[] = {"id", "map_version", "self", "members"};
constexpr std::string_view kMemberFields[] = {"id", "s3_endpoint", "rdma_listener", "weight",
                                              "state"};
constexpr std::string_view kMembersPrefix = "cluster.members.";

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A name used in headers, JSON and proxy configurations: [A-Za-z0-9._-], 1-64.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
  });
}

bool valid_host_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  unsigned port = 0;
  const auto digits = s.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && end == digits.data() + digits.size() && port > 0 && port < 65536 &&
         s.find_first_of(" \t/") == std::string_view::npos;
}

config_result<void> add_scalar(const toml::node& value, std::string key, std::string_view origin,
                               config_layer& layer) {
  config_value v{{}, fmt::format("{}: {}", origin, key)};
  if (auto s = value.value<std::string>(); s && value.is_string()) {
    v.values.push_back(*s);
  } else if (auto i = value.value<std::int64_t>(); i && value.is_integer()) {
    if (*i < 0) return invalid_value(v, key, "must not be negative");
    v.values.push_back(std::to_string(*i));
  } else {
    return invalid_value(v, key, "wrong type");
  }
  layer.insert_or_assign(std::move(key), std::move(v));
  return {};
}

config_result<void> add_members(const toml::node& node, std::string_view origin,
                                config_layer& layer) {
  const toml::array* members = node.as_array();
  if (members == nullptr || !members->is_array_of_tables()) {
    return config_error{"cluster.members",
                        fmt::format("invalid value for cluster.members ({}): expected "
                                    "[[cluster.members]] tables",
                                    origin)};
  }
  if (members->size() > 9999) {
    return config_error{"cluster.members",
                        fmt::format("too many cluster.members in {} (at most 9999)", origin)};
  }
  for (std::size_t i = 0; i < members->size(); ++i) {
    const std::string prefix = fmt::format("{}{:04}", kMembersPrefix, i);
    for (const auto& [field_key, value] : *(*members)[i].as_table()) {
      const std::string_view field = field_key.str();
      const std::string key = fmt::format("{}.{}", prefix, field);
      if (!contains(kMemberFields, field)) {
        return config_error{key, fmt::format("unknown configuration key cluster.members[{}].{} in "
                                             "{}",
                                             i, field, origin)};
      }
      if (auto r = add_scalar(value, key, origin, layer); !r) return r.error();
    }
    // Even an empty table is a member (and then an error naming its id).
    layer.try_emplace(prefix + ".present",
                      config_value{{"1"}, fmt::format("{}: {}", origin, prefix)});
  }
  return {};
}

config_result<std::string> text(const config_layer& file, std::string_view key, bool required,
                                std::string_view where) {
  const config_value* v = find(file, key);
  if (v == nullptr) {
    if (!required) return std::string();
    return config_error{std::string(key), fmt::format("{} needs {}", where, key)};
  }
  return v->values.front();
}

config_result<cluster_member> member_at(const config_layer& file, const std::string& prefix,
                                        std::string_view where) {
  cluster_member m;
  auto field = [&](std::string_view name) { return fmt::format("{}.{}", prefix, name); };
  auto id = text(file, field("id"), true, where);
  if (!id) return id.error();
  if (!valid_name(*id))
    return invalid_value(*find(file, field("id")), field("id"),
                         "use 1-64 letters, digits, '.', '_' or '-'");
  m.id = std::move(*id);
  auto endpoint = text(file, field("s3_endpoint"), true, fmt::format("member {}", m.id));
  if (!endpoint) return endpoint.error();
  const bool http = endpoint->starts_with("http://") || endpoint->starts_with("https://");
  if (!http || !valid_host_port(ring_name(*endpoint)))
    return invalid_value(*find(file, field("s3_endpoint")), field("s3_endpoint"),
                         "expected http://host:port or https://host:port");
  m.s3_endpoint = std::move(*endpoint);
  auto rdma = text(file, field("rdma_listener"), false, where);
  if (!rdma) return rdma.error();
  if (!rdma->empty() && !valid_host_port(*rdma))
    return invalid_value(*find(file, field("rdma_listener")), field("rdma_listener"),
                         "expected host:port");
  m.rdma_listener = std::move(*rdma);
  auto weight = bounded_integer(file, field("weight"), 1, 1, 100);
  if (!weight) return weight.error();
  m.weight = static_cast<std::uint32_t>(*weight);
  auto state = text(file, field("state"), false, where);
  if (!state) return state.error();
  if (state->empty() || *state == "active") {
    m.state = member_state::active;
  } else if (*state == "down") {
    m.state = member_state::down;
  } else {
    return invalid_value(*find(file, field("state")), field("state"),
                         fmt::format("\"{}\" is not active or down", *state));
  }
  return m;
}

}  // namespace

std::string_view member_state_name(member_state s) noexcept {
  return s == member_state::down ? "down" : "active";
}

std::string ring_name(std::string_view s3_endpoint) {
  if (auto scheme = s3_endpoint.find("://"); scheme != std::string_view::npos)
    s3_endpoint.remove_prefix(scheme + 3);
  if (auto slash = s3_endpoint.find('/'); slash != std::string_view::npos)
    s3_endpoint = s3_endpoint.substr(0, slash);
  return std::string(s3_endpoint);
}

config_result<void> add_cluster_table(const toml::node& cluster, std::string_view origin,
                                      config_layer& layer) {
  const toml::table* table = cluster.as_table();
  if (table == nullptr) {
    return config_error{
        "cluster",
        fmt::format("invalid value for cluster ({}): expected a [cluster] table", origin)};
  }
  for (const auto& [field_key, value] : *table) {
    const std::string_view field = field_key.str();
    const std::string key = fmt::format("cluster.{}", field);
    if (!contains(kTableFields, field))
      return config_error{key, fmt::format("unknown configuration key {} in {}", key, origin)};
    if (field == "members") {
      if (auto r = add_members(value, origin, layer); !r) return r.error();
    } else if (auto r = add_scalar(value, key, origin, layer); !r) {
      return r.error();
    }
  }
  layer.try_emplace("cluster.present", config_value{{"1"}, fmt::format("{}: cluster", origin)});
  return {};
}

config_result<void> resolve_cluster_config(const config_layer& file, cluster_config& c) {
  if (find(file, "cluster.present") == nullptr) return {};
  constexpr std::string_view where = "[cluster]";
  auto id = text(file, "cluster.id", true, where);
  if (!id) return id.error();
  if (!valid_name(*id))
    return invalid_value(*find(file, "cluster.id"), "cluster.id",
                         "use 1-64 letters, digits, '.', '_' or '-'");
  auto version = bounded_integer(file, "cluster.map_version", 0, 1, UINT64_MAX);
  if (!version) return version.error();
  if (find(file, "cluster.map_version") == nullptr)
    return config_error{"cluster.map_version", "[cluster] needs cluster.map_version (1 or more)"};
  auto self = text(file, "cluster.self", true, where);
  if (!self) return self.error();

  cluster_config out;
  out.id = std::move(*id);
  out.map_version = *version;
  out.self = std::move(*self);
  std::set<std::string, std::less<>> ids;
  std::set<std::string, std::less<>> endpoints;
  for (auto it = file.lower_bound(kMembersPrefix);
       it != file.end() && it->first.starts_with(kMembersPrefix); ++it) {
    if (!it->first.ends_with(".present")) continue;
    const std::string prefix = it->first.substr(0, it->first.size() - 8);
    auto m = member_at(file, prefix, fmt::format("cluster.members[{}]", out.members.size()));
    if (!m) return m.error();
    if (!ids.insert(m->id).second)
      return config_error{prefix + ".id", fmt::format("cluster member id \"{}\" appears twice in "
                                                      "{}",
                                                      m->id, it->second.origin)};
    if (!endpoints.insert(ring_name(m->s3_endpoint)).second)
      return config_error{prefix + ".s3_endpoint",
                          fmt::format("cluster member s3_endpoint {} appears twice in {}",
                                      m->s3_endpoint, it->second.origin)};
    out.members.push_back(std::move(*m));
  }
  if (out.members.empty())
    return config_error{"cluster.members", "[cluster] needs at least one [[cluster.members]]"};
  if (!ids.contains(out.self))
    return invalid_value(*find(file, "cluster.self"), "cluster.self",
                         fmt::format("\"{}\" is not the id of a [[cluster.members]]", out.self));
  c = std::move(out);
  return {};
}

}  // namespace kvgate::gateway
