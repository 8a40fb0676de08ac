// The real RDMA transport: librdmacm listener, RC queue pairs, one-sided
// RDMA WRITE/READ, completions integrated with Asio.
//
// libibverbs and librdmacm are loaded with dlopen when the transport is
// created; without them (or without an RDMA device for listen_address, or
// without /dev/infiniband/rdma_cm) create() answers not_enabled and the
// gateway declines every token with `not-enabled`.
//
// Connections (docs/rdma-protocol.md §4): a CONNECT_REQUEST whose private
// data redeems a session's connect secret gets an RC QP on the listener's
// device and protection domain, the configured ACK timeout and retry counts,
// and rdma_accept; anything else is rejected without a reason. A
// DISCONNECTED/error event, a failed work completion or end_session() moves
// the QP to error and fences the session; the QP and cm_id are destroyed
// once their outstanding work requests have flushed.
//
// Work requests: one signalled RDMA WRITE/READ per call (<= 1 MiB); at most
// max_send_wr outstanding per QP, more (and any posted before the server
// side saw ESTABLISHED) wait in a per-QP FIFO. One completion queue with a
// completion channel whose fd is awaited with
// posix::stream_descriptor::async_wait: no thread polls or blocks while idle.
//
// Threading: the CM and CQ loops and all connection state live on one strand
// of the given executor; public members are safe from any thread.
// Lifetime: memory registrations keep the device objects alive; call stop()
// before the io_context is destroyed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/transport.h"

namespace kvgate::rdma {

class session_registry;

struct verbs_config {
  // Numeric IPv4/IPv6 address of an RDMA-capable netdev (rxe0's, a ConnectX
  // port's); selects the device, port and GID. Wildcards are refused.
  std::string listen_address;
  std::uint16_t port = 7471;
  // Local ACK timeout exponent: 4.096 us * 2^n. 18 (~1.07 s) suits soft-RoCE
  // under emulation; 14 (~67 ms) is typical on hardware.
  std::uint8_t ack_timeout = 18;
  std::uint8_t retry_count = 7;
  std::uint8_t rnr_retry_count = 7;
  // Outstanding work requests per queue pair; more wait in a FIFO.
  std::uint32_t max_send_wr = 64;
  // RDMA READs in flight per queue pair (initiator depth), capped by what the
  // client offers as responder resources.
  std::uint8_t max_rd_atomic = 16;
  std::uint32_t cq_entries = 4096;
  int listen_backlog = 64;
  std::string ibverbs_library = "libibverbs.so.1";
  std::string rdmacm_library = "librdmacm.so.1";
};

class verbs_transport final : public transport {
 public:
  // Loads the libraries and starts listening. Errors: not_enabled (libraries,
  // rdma_cm device node or an RDMA device for the address missing),
  // invalid_argument (address not numeric or a wildcard), device_error.
  [[nodiscard]] static result<std::shared_ptr<verbs_transport>> create(
      const verbs_config& config, session_registry& sessions,
      const asio::any_io_executor& executor);
  ~verbs_transport() override;

  listener_address listener() const;
  // Closes the listener and every connection; outstanding work requests
  // complete with transport_error. Idempotent.
  void stop();

  [[nodiscard]] result<std::unique_ptr<memory_registration>> register_memory(
      std::span<std::byte> bytes) override;
  [[nodiscard]] asio::awaitable<result<void>> async_write_to_client(
      const rdma_session& session, remote_target remote, std::span<const std::byte> local,
      const memory_registration& registration) override;
  [[nodiscard]] asio::awaitable<result<void>> async_read_from_client(
      const rdma_session& session, remote_target remote, std::span<std::byte> local,
      const memory_registration& registration) override;
  void end_session(const session_id& id) override;

  struct impl;

 private:
  explicit verbs_transport(std::shared_ptr<impl> i) : impl_(std::move(i)) {}
  asio::awaitable<result<void>> async_post(const rdma_session& session, bool write,
                                           remote_target remote, std::span<std::byte> local,
                                           const memory_registration& registration);
  std::shared_ptr<impl> impl_;
};

}  // namespace kvgate::rdma
