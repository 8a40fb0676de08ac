// An in-process transport for unit tests of the RDMA state machine.
//
// "Client memory" is ordinary memory the test registers with
// register_client_memory(), which returns its rkey; remote addresses are the
// memory's real virtual addresses, as with verbs. A session gets a "queue
// pair" by connect() with rc1 CM private data, redeemed through the session
// registry exactly as the verbs listener does.
//
// Data is placed when a work request completes, and only if the queue pair
// is not in error (an RC responder drops packets after an error). A remote
// access outside a registered region, or an unknown rkey, fails the work
// request and moves the queue pair to error, like a NIC's remote access
// error; so tests see whether the code under test ever asked for bytes
// outside the window.
//
// Fault injection (set_faults): fail the Nth work request (counted over the
// transport, 1-based), delay completions, hold completions until
// release_held(), let held completions survive end_session() and complete
// successfully later ("late completions"), refuse connects, and
// inject_qp_error() at any time.
//
// Thread safety: all members are safe from any thread; completions are
// delivered through the awaiting coroutine's executor. Lifetime: must outlive
// every outstanding work request.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "kvgate/rdma/transport.h"

namespace kvgate::rdma {

class session_registry;

struct fake_faults {
  std::uint64_t fail_work_request = 0;  // 1-based index of the WR that fails; 0: none
  std::chrono::milliseconds completion_delay{0};
  bool hold_completions = false;
  bool late_completions = false;  // held WRs are not flushed by end_session()
  bool refuse_connect = false;
};

class fake_transport final : public transport {
 public:
  // `timers` runs the completion-delay timers. Queue pair errors fence the
  // session in `sessions` (a QP in error ends its session).
  fake_transport(asio::any_io_executor timers, session_registry& sessions);
  ~fake_transport() override;

  // --- client side
  std::uint32_t register_client_memory(std::span<std::byte> memory);
  void deregister_client_memory(std::uint32_t rkey);
  // Errors: bad_private_data, bad_secret (also when refuse_connect is set).
  [[nodiscard]] result<void> connect(std::span<const std::byte> private_data);

  // --- faults
  void set_faults(const fake_faults& faults);
  // Completes every held work request now.
  void release_held();
  // The session's queue pair goes to error: outstanding WRs flush.
  void inject_qp_error(const session_id& id);

  // --- observations
  std::uint64_t posted() const;
  std::size_t outstanding() const;
  std::size_t max_outstanding() const;
  bool connected(const session_id& id) const;

  // --- transport
  [[nodiscard]] result<std::unique_ptr<memory_registration>> register_memory(
      std::span<std::byte> bytes) override;
  [[nodiscard]] asio::awaitable<result<void>> async_write_to_client(
      const rdma_session& session, remote_target remote, std::span<const std::byte> local,
      const memory_registration& registration) override;
  [[nodiscard]] asio::awaitable<result<void>> async_read_from_client(
      const rdma_session& session, remote_target remote, std::span<std::byte> local,
      const memory_registration& registration) override;
  void end_session(const session_id& id) override;

 private:
  struct work_request {
    session_id session;
    bool write = true;  // RDMA WRITE (else READ)
    remote_target remote;
    std::span<std::byte> local;
    bool fails = false;
    bool held = false;
    // Boxed: any_completion_handler's converting constructor would make the
    // struct look copyable to std::vector.
    std::unique_ptr<asio::any_completion_handler<void(std::error_code)>> handler;
  };

  asio::awaitable<result<void>> async_post(const rdma_session& session, bool write,
                                           remote_target remote, std::span<std::byte> local);
  void submit(work_request wr);
  void complete(std::uint64_t id);
  // Requires mutex_. Marks the QP in error and collects the WRs to flush.
  void qp_error_locked(const session_id& id, bool keep_late, std::vector<work_request>& flushed);
  void deliver(work_request& wr, std::error_code ec);

  const asio::any_io_executor timers_;
  session_registry& sessions_;
  mutable std::mutex mutex_;
  fake_faults faults_;
  std::map<std::uint32_t, std::span<std::byte>> client_memory_;
  std::uint32_t next_rkey_ = 0x1000;
  std::set<session_id> queue_pairs_;  // connected and not in error
  std::map<std::uint64_t, work_request> pending_;
  std::uint64_t posted_ = 0;
  std::size_t max_outstanding_ = 0;
  std::uint32_t next_lkey_ = 1;
};

}  // namespace kvgate::rdma
