#include "kvgate/rdma/errc.h"

#include <string>

namespace kvgate::rdma {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.rdma"; }
  std::string message(int v) const override {
    switch (static_cast<rdma_errc>(v)) {
      case rdma_errc::ok:
        return "success";
      case rdma_errc::malformed_token:
        return "malformed x-amz-rdma-token";
      case rdma_errc::unsupported_transport:
        return "RDMA token names a transport this gateway does not support";
      case rdma_errc::not_enabled:
        return "RDMA is not enabled on this gateway";
      case rdma_errc::no_session:
        return "no such RDMA session";
      case rdma_errc::session_expired:
        return "RDMA session expired";
      case rdma_errc::session_fenced:
        return "RDMA session is in error";
      case rdma_errc::session_limit:
        return "too many RDMA sessions for this access key";
      case rdma_errc::not_connected:
        return "RDMA session has no connected queue pair";
      case rdma_errc::window_too_small:
        return "RDMA window too small for the transfer";
      case rdma_errc::too_large:
        return "transfer larger than the RDMA request limit";
      case rdma_errc::below_threshold:
        return "transfer smaller than the RDMA threshold";
      case rdma_errc::busy:
        return "RDMA resources busy";
      case rdma_errc::out_of_window:
        return "work request outside the RDMA window";
      case rdma_errc::transport_error:
        return "RDMA transfer failed";
      case rdma_errc::timeout:
        return "RDMA transfer timed out";
      case rdma_errc::bad_secret:
        return "RDMA connect secret rejected";
      case rdma_errc::bad_private_data:
        return "malformed RDMA connect private data";
      case rdma_errc::invalid_argument:
        return "invalid argument";
      case rdma_errc::library_unavailable:
        return "libibverbs or librdmacm not available";
      case rdma_errc::device_error:
        return "RDMA device call failed";
    }
    return "unknown RDMA error";
  }
};

}  // namespace

const std::error_category& rdma_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace kvgate::rdma
