#include "kvgate/sdk/error.h"

#include <fmt/format.h>

namespace kvgate::sdk {
namespace {

class sdk_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.sdk"; }
  std::string message(int value) const override {
    switch (static_cast<sdk_errc>(value)) {
      case sdk_errc::ok:
        return "ok";
      case sdk_errc::invalid_argument:
        return "invalid argument";
      case sdk_errc::invalid_endpoint:
        return "invalid endpoint";
      case sdk_errc::no_credentials:
        return "no credentials";
      case sdk_errc::credentials_file:
        return "credentials file error";
      case sdk_errc::connection_failed:
        return "connection failed";
      case sdk_errc::timeout:
        return "timed out";
      case sdk_errc::tls_failed:
        return "TLS failure";
      case sdk_errc::protocol_error:
        return "malformed response";
      case sdk_errc::server_error:
        return "server error";
      case sdk_errc::buffer_too_small:
        return "buffer too small";
      case sdk_errc::checksum_mismatch:
        return "checksum mismatch";
      case sdk_errc::rdma_unavailable:
        return "RDMA unavailable";
      case sdk_errc::shut_down:
        return "client shut down";
    }
    return "unknown sdk error";
  }
};

}  // namespace

const std::error_category& sdk_category() noexcept {
  static const sdk_category_impl category;
  return category;
}

error make_error(sdk_errc code, std::string message) {
  error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

std::string error::to_string() const {
  std::string out = s3_code.empty() ? code.message() : s3_code;
  if (http_status != 0) out += fmt::format(" ({})", http_status);
  if (!message.empty()) out += ": " + message;
  if (!request_id.empty()) out += " [request id " + request_id + "]";
  if (attempts > 1) out += fmt::format(" after {} attempts", attempts);
  return out;
}

void throw_exception_from_error(const error& e, const boost::source_location&) {
  throw std::system_error(e.code, e.to_string());
}

}  // namespace kvgate::sdk
