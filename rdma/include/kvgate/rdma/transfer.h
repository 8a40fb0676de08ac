// One S3 request's RDMA transfer: admission, window checks, chunked
// pipelining over the staging pool, fencing on failure.
//
// GET (RDMA WRITE into the client window):
//   auto t = rdma_transfer::begin(services, token, access_key,
//                                 transfer_direction::write_to_client, n);
//   // on error: decline_reason_for(t.error()) is the x-amz-rdma-reason
//   while (true) {
//     auto chunk = co_await t->async_next_chunk();   // next piece's staging
//     if (!chunk) fail(chunk.error());
//     if (chunk->empty()) break;                     // every byte posted
//     fill *chunk (exactly its size) from the engine (async_run_blocking);
//     if (auto r = t->post_write(); !r) fail(r.error());
//   }
//   auto moved = co_await t->async_finish();          // answer only if ok
//
// PUT/UploadPart (RDMA READ from the client window):
//   auto t = rdma_transfer::begin(..., transfer_direction::read_from_client, n);
//   while (true) {
//     auto data = co_await t->async_next_read();     // next piece, in order
//     if (!data) fail(data.error());
//     if (data->empty()) break;
//     feed *data to checksum + engine writer;        // valid until next call
//   }
//   auto moved = co_await t->async_finish();
//
// The byte stream is cut into pieces of the staging chunk size (<= 1 MiB,
// one work request each); piece i lands at window offset i * chunk_bytes.
// Up to `lease size` work requests are outstanding: the storage side of
// piece i+1 overlaps the RDMA of pieces <= i.
//
// Guarantees: no work request touches bytes outside [addr, addr + n) of the
// token window (n <= window length); async_finish() succeeds only after every
// work completion of the transfer succeeded. The first failure (a work
// request error, a completion timeout, the session fenced by someone else)
// fences the session, so its queue pair goes to error and no later write of
// this or another request lands in the client's buffer; async_finish() then
// waits until every outstanding work request has completed (flushed) before
// it returns the error, and only then are staging chunks reused. Destroying
// a transfer that still has work requests outstanding fences the session too.
//
// Affinity: all calls from one coroutine on one executor (the connection
// strand); completions are delivered there. Lifetime: the transport and the
// session registry must outlive the transfer and its outstanding work.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/staging_pool.h"
#include "kvgate/rdma/token.h"
#include "kvgate/rdma/transport.h"

namespace kvgate::rdma {

class session_registry;

enum class transfer_direction { write_to_client, read_from_client };

struct transfer_limits {
  std::uint64_t max_request_bytes = std::uint64_t{1} << 30;
  std::uint64_t min_rdma_bytes = std::uint64_t{256} * 1024;
  // Work requests (= staging chunks) in flight per transfer.
  std::size_t max_outstanding = 8;
  // Longest wait for the next completion before the transfer fails.
  std::chrono::milliseconds completion_timeout{30000};
};

struct transfer_services {
  transport& net;
  session_registry& sessions;
  std::shared_ptr<staging_pool> staging;
  transfer_limits limits;
};

// Admission checks without side effects, in decline precedence order.
// Errors: too_large, below_threshold.
[[nodiscard]] result<void> check_transfer_size(std::uint64_t bytes, const transfer_limits& limits);
// Errors: window_too_small (the window cannot hold `bytes`).
[[nodiscard]] result<void> check_window_holds(const rc1_token& window, std::uint64_t bytes);
// The remote address of [offset, offset + length) of the window.
// Errors: out_of_window.
[[nodiscard]] result<remote_target> window_target(const rc1_token& window, std::uint64_t offset,
                                                  std::uint64_t length);

// Work request splitting: `bytes` cut into pieces of `piece_bytes`.
struct work_request_piece {
  std::uint64_t offset = 0;
  std::size_t length = 0;
  friend bool operator==(const work_request_piece&, const work_request_piece&) = default;
};
std::uint64_t work_request_count(std::uint64_t bytes, std::size_t piece_bytes) noexcept;
// Precondition: index < work_request_count(bytes, piece_bytes).
work_request_piece work_request_at(std::uint64_t bytes, std::size_t piece_bytes,
                                   std::uint64_t index) noexcept;

class rdma_transfer {
 public:
  // Admits a transfer of `bytes` for the token's session owned by
  // access_key. Checks, in order: size (too_large, below_threshold), window
  // (window_too_small), session (no_session, session_expired,
  // session_fenced, not_connected, busy), staging (busy).
  [[nodiscard]] static result<rdma_transfer> begin(transfer_services& services,
                                                   const rc1_token& token,
                                                   std::string_view access_key,
                                                   transfer_direction direction,
                                                   std::uint64_t bytes);

  rdma_transfer(rdma_transfer&&) noexcept;
  rdma_transfer& operator=(rdma_transfer&&) noexcept;
  ~rdma_transfer();

  std::uint64_t bytes() const noexcept;
  // Work requests this transfer may keep in flight (staging chunks leased).
  std::size_t depth() const noexcept;

  // GET: staging memory for the next piece, exactly its size; empty once
  // every piece has been posted. Waits while all chunks are in flight.
  // Errors: the transfer's failure (transport_error, timeout,
  // session_fenced), invalid_argument for the wrong direction.
  [[nodiscard]] asio::awaitable<result<std::span<std::byte>>> async_next_chunk();
  // GET: posts the RDMA WRITE of the chunk returned by the last
  // async_next_chunk(). Errors: the transfer's failure, invalid_argument.
  [[nodiscard]] result<void> post_write();

  // PUT: the next piece of client bytes, in order; empty at the end. The
  // span stays valid until the next call. Errors: as async_next_chunk().
  [[nodiscard]] asio::awaitable<result<std::span<const std::byte>>> async_next_read();

  // Waits for every outstanding work request. Returns the bytes moved, or the
  // first failure; invalid_argument if not every piece was moved.
  [[nodiscard]] asio::awaitable<result<std::uint64_t>> async_finish();

 private:
  struct state;
  explicit rdma_transfer(std::shared_ptr<state> s) noexcept;
  std::shared_ptr<state> state_;
};

}  // namespace kvgate::rdma
