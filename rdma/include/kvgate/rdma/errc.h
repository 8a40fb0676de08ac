// Error-as-value vocabulary of the RDMA library.
//
// Every fallible call in kvgate::rdma returns result<T> whose error is a
// std::error_code in rdma_category() ("kvgate.rdma"). The S3 layer turns
// these into HTTP answers in one place: malformed_token is the 400
// InvalidRdmaToken, and decline_reason_for() (reply.h) maps the rest onto the
// x-amz-rdma-reason vocabulary of docs/rdma-protocol.md.
#pragma once

#include <boost/system/result.hpp>
#include <system_error>

namespace kvgate::rdma {

template <class T>
using result = boost::system::result<T, std::error_code>;

enum class rdma_errc {
  ok = 0,
  malformed_token,        // x-amz-rdma-token is not a token we can parse
  unsupported_transport,  // a well-formed token of a transport we do not speak
  not_enabled,            // RDMA is off or the verbs libraries/devices are absent
  no_session,             // unknown session, or one owned by another access key
  session_expired,        // idle longer than the TTL
  session_fenced,         // the session is in error: no transfer may run on it
  session_limit,          // the access key holds the maximum number of sessions
  not_connected,          // the session has no connected queue pair yet
  window_too_small,       // the client window cannot hold the bytes to move
  too_large,              // more bytes than max_request_bytes
  below_threshold,        // fewer bytes than min_rdma_bytes
  busy,                   // in-flight limit of the session or staging pool exhausted
  out_of_window,          // a work request would touch bytes outside the window
  transport_error,        // a work request failed or the queue pair went to error
  timeout,                // completions did not arrive within the transfer deadline
  bad_secret,             // connect secret wrong, already redeemed, or session unknown
  bad_private_data,       // CM private data is not a kvgate connect request
  invalid_argument,       // a caller broke a documented precondition
  library_unavailable,    // dlopen/dlsym of libibverbs or librdmacm failed
  device_error,           // a verbs or rdma_cm call failed
};

const std::error_category& rdma_category() noexcept;

inline std::error_code make_error_code(rdma_errc e) noexcept {
  return {static_cast<int>(e), rdma_category()};
}

}  // namespace kvgate::rdma

template <>
struct std::is_error_code_enum<kvgate::rdma::rdma_errc> : std::true_type {};
