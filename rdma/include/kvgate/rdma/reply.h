// Reply vocabulary of the RDMA fast path (docs/rdma-protocol.md, "Replies"):
// header names, x-amz-rdma-reason values, x-amz-rdma-fallback modes, and the
// one mapping from rdma_errc to a decline reason.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <system_error>

namespace kvgate::rdma {

namespace header {
// Request headers (all must be in SigV4 SignedHeaders).
inline constexpr std::string_view token = "x-amz-rdma-token";
inline constexpr std::string_view fallback = "x-amz-rdma-fallback";
inline constexpr std::string_view agent = "x-amz-rdma-agent";
inline constexpr std::string_view content_length = "x-amz-rdma-content-length";
// Response headers.
inline constexpr std::string_view reply = "x-amz-rdma-reply";
inline constexpr std::string_view reason = "x-amz-rdma-reason";
inline constexpr std::string_view bytes_transferred = "x-amz-rdma-bytes-transferred";
inline constexpr std::string_view session = "x-amz-rdma-session";
}  // namespace header

// Values of x-amz-rdma-reply.
namespace reply_value {
inline constexpr std::string_view ok = "200";
inline constexpr std::string_view partial = "206";
inline constexpr std::string_view declined = "501";
}  // namespace reply_value

// Control-plane paths (bucket names cannot start with '.').
inline constexpr std::string_view kCapabilitiesPath = "/.rdma/v1/capabilities";
inline constexpr std::string_view kSessionsPath = "/.rdma/v1/sessions";

// S3 error code of a malformed token (HTTP 400).
inline constexpr std::string_view kInvalidTokenCode = "InvalidRdmaToken";

enum class decline_reason {
  not_enabled,
  no_session,
  session_expired,
  window_too_small,
  too_large,
  below_threshold,
  busy,
  transport_unsupported,
  transport_error,
};

inline constexpr std::array<decline_reason, 9> kAllDeclineReasons{
    decline_reason::not_enabled,
    decline_reason::no_session,
    decline_reason::session_expired,
    decline_reason::window_too_small,
    decline_reason::too_large,
    decline_reason::below_threshold,
    decline_reason::busy,
    decline_reason::transport_unsupported,
    decline_reason::transport_error,
};

// The x-amz-rdma-reason spelling, e.g. "window-too-small".
std::string_view to_string(decline_reason r) noexcept;
std::optional<decline_reason> parse_decline_reason(std::string_view s) noexcept;

// True for reasons a client may retry over RDMA soon (busy: 503 + Retry-After
// when no body fallback is sent); the others are permanent for this request.
bool is_transient(decline_reason r) noexcept;

// The decline reason for an rdma_errc error, or nullopt when the error is not
// a decline (malformed_token is a 400, invalid_argument a bug). Errors of
// other categories are nullopt too.
std::optional<decline_reason> decline_reason_for(std::error_code ec) noexcept;

// x-amz-rdma-fallback: "body" (default: a declined GET sends the object in the
// body) or "none" (declined GET answers 501/503 without a body).
enum class fallback_mode { body, none };
// Absent header => body; unknown values => nullopt (the gateway answers 400).
std::optional<fallback_mode> parse_fallback(std::optional<std::string_view> value) noexcept;

}  // namespace kvgate::rdma
