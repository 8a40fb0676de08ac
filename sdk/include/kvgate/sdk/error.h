// Errors of the kvgate client SDK, returned as values.
//
// Every fallible call returns sdk::result<T>: either the value or an
// sdk::error carrying what the caller needs to act and to report — the SDK
// condition (sdk_errc, a std::error_code), and when a server answered, its
// HTTP status, S3 error Code, Message and request id (x-amz-request-id).
// No exception crosses the SDK's public API; result<T>::value() throws only
// when the caller asks for a value that is not there.
#pragma once

#include <boost/system/result.hpp>
#include <string>
#include <system_error>

namespace kvgate::sdk {

enum class sdk_errc {
  ok = 0,
  invalid_argument,   // bad bucket/key/range/option
  invalid_endpoint,   // endpoint URL not http(s)://host[:port]
  no_credentials,     // nothing found in options, environment or credentials file
  credentials_file,   // credentials file unreadable or profile missing
  connection_failed,  // resolve/connect/reset/EOF before a complete response
  timeout,            // connect or request timeout
  tls_failed,         // TLS handshake or certificate verification failed
  protocol_error,     // malformed HTTP or S3 response
  server_error,       // the server answered with an error status (see http_status, s3_code)
  buffer_too_small,   // the object (or range) does not fit in the caller's buffer
  checksum_mismatch,  // CRC32C of the received bytes differs from the server's
  rdma_unavailable,   // rdma=on but the RDMA path cannot be used for this request
  shut_down,          // the client is being destroyed
};

const std::error_category& sdk_category() noexcept;
inline std::error_code make_error_code(sdk_errc e) noexcept {
  return {static_cast<int>(e), sdk_category()};
}

// One failed operation. http_status is 0 when no response was received.
struct error {
  std::error_code code;
  unsigned http_status = 0;
  std::string s3_code;     // e.g. "NoSuchKey", "PreconditionFailed"
  std::string message;     // server Message, or a description of the local failure
  std::string request_id;  // x-amz-request-id of the failing response
  unsigned attempts = 0;   // HTTP attempts made (retries + 1), 0 for local failures

  // "NoSuchKey (404): The specified key does not exist. [request id ...]"
  std::string to_string() const;
};

error make_error(sdk_errc code, std::string message);

template <class T>
using result = boost::system::result<T, error>;

// Called by result<T>::value() on an error (ADL): throws std::system_error.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

}  // namespace kvgate::sdk

template <>
struct std::is_error_code_enum<kvgate::sdk::sdk_errc> : std::true_type {};
