// JSON documents of the rc1 control plane (docs/rdma-protocol.md,
// "Discovery" and "Sessions"): GET /.rdma/v1/capabilities and the 201 body of
// POST /.rdma/v1/sessions. Rendered by the gateway, parsed by the SDK and the
// test clients; both directions live here so the shapes cannot drift.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"

namespace kvgate::rdma {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kRc1Transport = "rc1";

struct listener_address {
  std::string address;  // numeric IPv4/IPv6 address of the rdma_cm listener
  std::uint16_t port = 0;
  friend bool operator==(const listener_address&, const listener_address&) = default;
};

struct rdma_limits {
  std::uint64_t max_request_bytes = 1ull << 30;
  std::uint64_t min_rdma_bytes = std::uint64_t{256} * 1024;
  std::uint64_t max_sessions_per_key = 64;
  std::uint64_t max_inflight_per_session = 64;
  std::uint64_t session_ttl_seconds = 600;
  std::uint64_t max_work_request_bytes = 1 << 20;
  friend bool operator==(const rdma_limits&, const rdma_limits&) = default;
};

struct capabilities {
  // Empty when RDMA is not enabled on this gateway (then listener is absent).
  std::vector<std::string> transports;
  std::optional<listener_address> listener;
  rdma_limits limits;
  friend bool operator==(const capabilities&, const capabilities&) = default;
};

struct session_created {
  session_id session;
  connect_secret secret;
  listener_address listener;
  rdma_limits limits;
  // Queue pairs the client may connect with this session's secret (1 in v1).
  std::uint32_t max_queue_pairs = 1;
  friend bool operator==(const session_created& a, const session_created& b) {
    return a.session == b.session && secrets_equal(a.secret, b.secret) &&
           a.listener == b.listener && a.limits == b.limits &&
           a.max_queue_pairs == b.max_queue_pairs;
  }
};

std::string render_capabilities(const capabilities& caps);
std::string render_session_created(const session_created& created);

// Errors: invalid_argument when the document is not JSON of the documented
// shape (unknown members are ignored, for forward compatibility).
[[nodiscard]] result<capabilities> parse_capabilities(std::string_view json);
[[nodiscard]] result<session_created> parse_session_created(std::string_view json);

}  // namespace kvgate::rdma
