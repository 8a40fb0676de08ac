// The client side of an rc1 RDMA session as the SDK sees it
// (docs/rdma-protocol.md §4, §5, §8): a connected queue pair into whose
// protection domain the caller's registered memory is registered, so the
// gateway can RDMA-WRITE (GET) into it and RDMA-READ (PUT) from it.
//
// The client uses make_verbs_connector() (kvgate::rdma::client_connection:
// librdmacm + libibverbs, loaded with dlopen). Tests inject another
// connector through client_options::rdma_connector, e.g. one over the rdma
// library's fake_transport, to exercise declines, failures and fencing
// without hardware.
//
// Thread safety: a connector is used from any thread; a link is used under
// the client's session lock (never concurrently).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/errc.h"

namespace kvgate::sdk {

// One connected queue pair of a session.
class rdma_link {
 public:
  virtual ~rdma_link() = default;

  // Registers memory for REMOTE_WRITE | REMOTE_READ and returns its rkey.
  // Errors: device_error.
  [[nodiscard]] virtual rdma::result<std::uint32_t> register_memory(
      std::span<std::byte> memory) = 0;
  // Releases the registration of memory that register_memory returned `rkey` for.
  virtual void deregister_memory(std::span<std::byte> memory, std::uint32_t rkey) = 0;
  // Moves the queue pair to error: no later RDMA operation of the gateway
  // lands in (or reads) the client's memory. The link is unusable afterwards.
  virtual void fence() = 0;
  // False once the gateway disconnected or the link was fenced.
  virtual bool connected() = 0;
};

class rdma_connector {
 public:
  virtual ~rdma_connector() = default;

  // Empty when this host can use RDMA, else why not (for stats().transport
  // and errors), e.g. "no RDMA device on this host".
  virtual std::string unavailable_reason() = 0;
  // Connects a queue pair for a session the gateway granted (blocking, up to
  // the connector's timeout). Errors: not_enabled, bad_secret, timeout,
  // device_error.
  [[nodiscard]] virtual rdma::result<std::unique_ptr<rdma_link>> connect(
      const rdma::session_created& grant) = 0;
};

// The real connector (rdma::client_connection). `ack_timeout` is the local
// ACK timeout exponent (4.096 us * 2^n; 18 suits soft-RoCE under emulation).
std::shared_ptr<rdma_connector> make_verbs_connector(std::uint8_t ack_timeout = 18);

}  // namespace kvgate::sdk
