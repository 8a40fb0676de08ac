#include "kvgate/gateway/errc.h"

#include <string>

namespace kvgate::gateway {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.gateway"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::ok:
        return "success";
      case errc::body_incomplete:
        return "request body ended before its declared length";
      case errc::body_timeout:
        return "request body stalled";
      case errc::body_malformed:
        return "request body framing is malformed";
      case errc::head_already_sent:
        return "response head already sent";
      case errc::head_not_sent:
        return "response head not sent yet";
      case errc::body_too_long:
        return "response body longer than its Content-Length";
      case errc::body_too_short:
        return "response body shorter than its Content-Length";
      case errc::connection_lost:
        return "connection lost while writing the response";
      case errc::invalid_argument:
        return "invalid argument";
    }
    return "unknown gateway error";
  }
};

}  // namespace

const std::error_category& gateway_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace kvgate::gateway
