#include "kvgate/rdma/capabilities.h"

#include <nlohmann/json.hpp>

namespace kvgate::rdma {
namespace {

using json = nlohmann::json;

json limits_json(const rdma_limits& l) {
  return json{{"max_request_bytes", l.max_request_bytes},
              {"min_rdma_bytes", l.min_rdma_bytes},
              {"max_sessions_per_key", l.max_sessions_per_key},
              {"max_inflight_per_session", l.max_inflight_per_session},
              {"session_ttl_seconds", l.session_ttl_seconds},
              {"max_work_request_bytes", l.max_work_request_bytes}};
}

json listener_json(const listener_address& l) {
  return json{{"address", l.address}, {"port", l.port}};
}

// The from-JSON readers throw json exceptions on shape errors; the public
// parse functions turn them into invalid_argument.
rdma_limits limits_from(const json& j) {
  rdma_limits l;
  l.max_request_bytes = j.at("max_request_bytes").get<std::uint64_t>();
  l.min_rdma_bytes = j.at("min_rdma_bytes").get<std::uint64_t>();
  l.max_sessions_per_key = j.at("max_sessions_per_key").get<std::uint64_t>();
  l.max_inflight_per_session = j.at("max_inflight_per_session").get<std::uint64_t>();
  l.session_ttl_seconds = j.at("session_ttl_seconds").get<std::uint64_t>();
  l.max_work_request_bytes = j.at("max_work_request_bytes").get<std::uint64_t>();
  return l;
}

listener_address listener_from(const json& j) {
  return {j.at("address").get<std::string>(), j.at("port").get<std::uint16_t>()};
}

}  // namespace

std::string render_capabilities(const capabilities& caps) {
  json j{{"version", kProtocolVersion},
         {"transports", caps.transports},
         {"limits", limits_json(caps.limits)}};
  if (caps.listener) j["listener"] = listener_json(*caps.listener);
  return j.dump();
}

std::string render_session_created(const session_created& c) {
  const json j{{"version", kProtocolVersion},           {"transport", kRc1Transport},
               {"session", to_string(c.session)},       {"secret", to_string(c.secret)},
               {"listener", listener_json(c.listener)}, {"max_queue_pairs", c.max_queue_pairs},
               {"limits", limits_json(c.limits)}};
  return j.dump();
}

result<capabilities> parse_capabilities(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (j.at("version").get<int>() != kProtocolVersion) return rdma_errc::invalid_argument;
    capabilities caps;
    caps.transports = j.at("transports").get<std::vector<std::string>>();
    caps.limits = limits_from(j.at("limits"));
    if (j.contains("listener")) caps.listener = listener_from(j.at("listener"));
    return caps;
  } catch (const json::exception&) {
    return rdma_errc::invalid_argument;
  }
}

result<session_created> parse_session_created(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (j.at("version").get<int>() != kProtocolVersion ||
        j.at("transport").get<std::string>() != kRc1Transport)
      return rdma_errc::invalid_argument;
    const auto id = parse_session_id(j.at("session").get<std::string>());
    const auto secret = parse_connect_secret(j.at("secret").get<std::string>());
    if (!id || !secret) return rdma_errc::invalid_argument;
    session_created c;
    c.session = *id;
    c.secret = *secret;
    c.listener = listener_from(j.at("listener"));
    c.max_queue_pairs = j.at("max_queue_pairs").get<std::uint32_t>();
    c.limits = limits_from(j.at("limits"));
    return c;
  } catch (const json::exception&) {
    return rdma_errc::invalid_argument;
  }
}

}  // namespace kvgate::rdma
