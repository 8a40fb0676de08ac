// What the gateway needs from an RDMA transport, one work request at a time.
//
// A transport moves bytes between registered gateway memory (the staging
// pool) and a client window over the queue pair of an rc1 session: RDMA
// WRITE for GET ("write to client"), RDMA READ for PUT/UploadPart ("read from
// client"). Implementations: fake_transport (in-process, fault injection, for
// unit tests) and the verbs transport (libibverbs + librdmacm via dlopen).
// rdma_transfer (transfer.h) builds pipelined, window-checked, fenced
// request transfers on top of these primitives; the S3 layer uses that.
//
// Contract of the async_* calls:
//   - `local` lies inside `registration` and is at most kMaxWorkRequestBytes;
//     the caller has checked that the remote range is inside the token window.
//   - Every call completes exactly once, with success only when the work
//     completion succeeded. After end_session() (or a QP error) outstanding
//     work requests complete with transport_error ("flushed"); nothing may
//     complete later than that without the caller having been resumed.
//   - Calls are not cancellable: the NIC owns `local` until completion.
//   - The completion resumes the awaiting coroutine on its own executor.
//   - Many calls may be outstanding at once, from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"

namespace kvgate::rdma {

namespace asio = boost::asio;

class rdma_session;

// docs/rdma-protocol.md, "Limits": no work request moves more than 1 MiB.
inline constexpr std::size_t kMaxWorkRequestBytes = std::size_t{1} << 20;

// Local memory registered with a transport (an ibv_mr for verbs). Owned by
// whoever registered it; must outlive every work request that uses it.
class memory_registration {
 public:
  virtual ~memory_registration() = default;
  virtual std::span<std::byte> bytes() const noexcept = 0;
  virtual std::uint32_t lkey() const noexcept = 0;
};

// A place in the client's memory: virtual address and the rkey of its MR.
struct remote_target {
  std::uint64_t addr = 0;
  std::uint32_t rkey = 0;
};

class transport {
 public:
  virtual ~transport() = default;

  // Registers `bytes` for local read/write by the NIC. Errors: not_enabled,
  // device_error.
  [[nodiscard]] virtual result<std::unique_ptr<memory_registration>> register_memory(
      std::span<std::byte> bytes) = 0;

  // One RDMA WRITE of `local` to `remote` on the session's queue pair.
  // Errors: not_connected, transport_error.
  [[nodiscard]] virtual asio::awaitable<result<void>> async_write_to_client(
      const rdma_session& session, remote_target remote, std::span<const std::byte> local,
      const memory_registration& registration) = 0;

  // One RDMA READ of local.size() bytes from `remote` into `local`.
  // Errors: not_connected, transport_error.
  [[nodiscard]] virtual asio::awaitable<result<void>> async_read_from_client(
      const rdma_session& session, remote_target remote, std::span<std::byte> local,
      const memory_registration& registration) = 0;

  // Moves the session's queue pair(s) to error and releases them: further
  // packets from the gateway are never placed, outstanding work requests
  // flush. Idempotent; safe from any thread (the session registry's end
  // observer calls it when a session is fenced, deleted or reaped).
  virtual void end_session(const session_id& id) = 0;
};

}  // namespace kvgate::rdma
