#include "kvgate/rdma/reply.h"

#include "kvgate/rdma/errc.h"

namespace kvgate::rdma {

std::string_view to_string(decline_reason r) noexcept {
  switch (r) {
    case decline_reason::not_enabled:
      return "not-enabled";
    case decline_reason::no_session:
      return "no-session";
    case decline_reason::session_expired:
      return "session-expired";
    case decline_reason::window_too_small:
      return "window-too-small";
    case decline_reason::too_large:
      return "too-large";
    case decline_reason::below_threshold:
      return "below-threshold";
    case decline_reason::busy:
      return "busy";
    case decline_reason::transport_unsupported:
      return "transport-unsupported";
    case decline_reason::transport_error:
      return "transport-error";
  }
  return "transport-error";
}

std::optional<decline_reason> parse_decline_reason(std::string_view s) noexcept {
  for (decline_reason r : kAllDeclineReasons)
    if (to_string(r) == s) return r;
  return std::nullopt;
}

bool is_transient(decline_reason r) noexcept {
  return r == decline_reason::busy;
}

std::optional<decline_reason> decline_reason_for(std::error_code ec) noexcept {
  if (ec.category() != rdma_category()) return std::nullopt;
  switch (static_cast<rdma_errc>(ec.value())) {
    case rdma_errc::unsupported_transport:
      return decline_reason::transport_unsupported;
    case rdma_errc::not_enabled:
    case rdma_errc::library_unavailable:
      return decline_reason::not_enabled;
    case rdma_errc::no_session:
    case rdma_errc::not_connected:
    case rdma_errc::bad_secret:
      return decline_reason::no_session;
    case rdma_errc::session_expired:
      return decline_reason::session_expired;
    case rdma_errc::window_too_small:
    case rdma_errc::out_of_window:
      return decline_reason::window_too_small;
    case rdma_errc::too_large:
      return decline_reason::too_large;
    case rdma_errc::below_threshold:
      return decline_reason::below_threshold;
    case rdma_errc::busy:
    case rdma_errc::session_limit:
      return decline_reason::busy;
    case rdma_errc::session_fenced:
    case rdma_errc::transport_error:
    case rdma_errc::timeout:
    case rdma_errc::device_error:
      return decline_reason::transport_error;
    case rdma_errc::ok:
    case rdma_errc::malformed_token:
    case rdma_errc::bad_private_data:
    case rdma_errc::invalid_argument:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<fallback_mode> parse_fallback(std::optional<std::string_view> value) noexcept {
  if (!value) return fallback_mode::body;
  if (*value == "body") return fallback_mode::body;
  if (*value == "none") return fallback_mode::none;
  return std::nullopt;
}

}  // namespace kvgate::rdma
