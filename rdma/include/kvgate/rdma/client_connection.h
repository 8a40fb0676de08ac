// Client side of an rc1 session (docs/rdma-protocol.md §4): connects one RC
// queue pair to the gateway's rdma_cm listener presenting the session id and
// connect secret, registers client memory for remote access, and builds the
// x-amz-rdma-token of a window. Used by the SDK and the soft-RoCE VM test
// client. The client never posts work requests: the gateway reads and
// writes its memory.
//
// Blocking calls (connect waits for ESTABLISHED up to `timeout`); one
// connection is used from one thread at a time. Memory registrations are
// released with the connection. Like the gateway, libibverbs/librdmacm are
// loaded with dlopen: without them connect() answers not_enabled.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"
#include "kvgate/rdma/token.h"

namespace kvgate::rdma {

struct client_connection_config {
  listener_address listener;  // from the session-created document
  session_id session;
  connect_secret secret;
  std::uint8_t ack_timeout = 18;          // 4.096 us * 2^n, see verbs_config
  std::uint8_t responder_resources = 16;  // RDMA READs the gateway may have in flight
  std::chrono::milliseconds timeout{10000};
  std::string ibverbs_library = "libibverbs.so.1";
  std::string rdmacm_library = "librdmacm.so.1";
};

// A registered client memory region: what a token's window must lie in.
struct client_region {
  std::uint64_t addr = 0;
  std::uint64_t length = 0;
  std::uint32_t rkey = 0;
};

class client_connection {
 public:
  // Whether this host can connect at all, without creating anything: the
  // verbs libraries load, an RDMA device is listed in /sys/class/infiniband
  // and /dev/infiniband/rdma_cm exists. Errors: library_unavailable,
  // not_enabled (no device or no rdma_cm node).
  [[nodiscard]] static result<void> probe(const client_connection_config& config);

  // Errors: not_enabled (no libraries or device), invalid_argument (address),
  // bad_secret (the gateway rejected the connect), timeout, device_error.
  [[nodiscard]] static result<std::unique_ptr<client_connection>> connect(
      const client_connection_config& config);
  ~client_connection();
  client_connection(const client_connection&) = delete;
  client_connection& operator=(const client_connection&) = delete;

  // Registers `memory` with LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ in the
  // connection's protection domain. Errors: device_error.
  [[nodiscard]] result<client_region> register_memory(std::span<std::byte> memory);

  // Deregisters the MR of a region returned by register_memory (ibv_dereg_mr:
  // the gateway can no longer reach that memory). Unknown regions are ignored.
  void deregister_memory(const client_region& region);

  // The token for [offset, offset + length) of a region.
  // Errors: out_of_window when the range leaves the region.
  [[nodiscard]] result<std::string> token(const client_region& region, std::uint64_t offset,
                                          std::uint64_t length) const;

  // False once the gateway disconnected (checked without blocking).
  bool connected();

  // Moves the queue pair to error: the gateway's late RDMA operations are
  // dropped from here on (window fencing, SDK rule 5). The connection is
  // unusable afterwards.
  void fence();

  const session_id& session() const noexcept;

 private:
  struct impl;
  explicit client_connection(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace kvgate::rdma
