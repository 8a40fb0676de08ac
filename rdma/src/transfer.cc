#include "kvgate/rdma/transfer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <vector>

#include "kvgate/rdma/session_registry.h"

namespace kvgate::rdma {

result<void> check_transfer_size(std::uint64_t bytes, const transfer_limits& limits) {
  if (bytes > limits.max_request_bytes) return rdma_errc::too_large;
  if (bytes < limits.min_rdma_bytes) return rdma_errc::below_threshold;
  return {};
}

result<void> check_window_holds(const rc1_token& window, std::uint64_t bytes) {
  if (bytes > window.length) return rdma_errc::window_too_small;
  return {};
}

result<remote_target> window_target(const rc1_token& window, std::uint64_t offset,
                                    std::uint64_t length) {
  if (offset > window.length || length > window.length - offset) return rdma_errc::out_of_window;
  if (window.addr > UINT64_MAX - window.length) return rdma_errc::out_of_window;
  return remote_target{window.addr + offset, window.rkey};
}

std::uint64_t work_request_count(std::uint64_t bytes, std::size_t piece_bytes) noexcept {
  return bytes / piece_bytes + (bytes % piece_bytes != 0 ? 1 : 0);
}

work_request_piece work_request_at(std::uint64_t bytes, std::size_t piece_bytes,
                                   std::uint64_t index) noexcept {
  const std::uint64_t offset = index * piece_bytes;
  const std::uint64_t left = bytes - offset;
  return {offset, static_cast<std::size_t>(left < piece_bytes ? left : piece_bytes)};
}

// Strand-affine shared state: owned by the rdma_transfer and by every
// outstanding work request's completion handler, so staging chunks and the
// in-flight ticket are released only after the last completion.
struct rdma_transfer::state {
  enum class slot_state { free, filling, in_flight, ready, consumed };

  state(transfer_services& services, const rc1_token& token, transfer_direction d, std::uint64_t n,
        transfer_ticket t, staging_lease l)
      : net(services.net),
        sessions(services.sessions),
        limits(services.limits),
        window(token),
        direction(d),
        bytes(n),
        ticket(std::move(t)),
        lease(std::move(l)),
        piece_bytes(lease.chunk(0).size()),
        pieces(work_request_count(n, piece_bytes)),
        slots(lease.size(), slot_state::free) {}

  transport& net;
  session_registry& sessions;
  const transfer_limits limits;
  const rc1_token window;
  const transfer_direction direction;
  const std::uint64_t bytes;
  transfer_ticket ticket;
  staging_lease lease;
  const std::size_t piece_bytes;
  const std::uint64_t pieces;

  std::vector<slot_state> slots;  // piece i uses slot i % slots.size()
  std::uint64_t next_piece = 0;   // GET: next to hand out; PUT: next to post
  std::uint64_t next_read = 0;    // PUT: next to hand to the caller
  std::uint64_t posted = 0;
  std::size_t outstanding = 0;
  std::error_code failure;
  bool finished = false;

  std::optional<asio::any_io_executor> executor;
  std::optional<asio::steady_timer> wake;

  std::size_t slot_of(std::uint64_t piece) const noexcept { return piece % slots.size(); }

  void bind(const asio::any_io_executor& ex) {
    if (!executor) {
      executor = ex;
      wake.emplace(ex);
    }
  }

  void fail(std::error_code ec) {
    if (failure) return;
    failure = ec;
    sessions.fence(ticket.session()->id());
  }

  // Waits for the next completion (or the timeout, which fails the
  // transfer). Completions arrive on this strand and cancel `wake`; callers
  // re-check their condition, so no wakeup is lost.
  asio::awaitable<void> async_wait_completion(bool after_failure) {
    wake->expires_after(limits.completion_timeout);
    auto [ec] = co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
    // After a failure the queue pair is fenced and the transport flushes
    // every outstanding work request; keep waiting for them.
    if (!ec && !after_failure) fail(rdma_errc::timeout);
  }

  void on_complete(std::size_t slot, result<void> r) {
    --outstanding;
    if (!r) {
      fail(r.error());
      slots[slot] = slot_state::free;
    } else {
      slots[slot] =
          direction == transfer_direction::write_to_client ? slot_state::free : slot_state::ready;
    }
    wake->cancel();
  }

  result<void> check_session() {
    if (!failure && ticket.session()->fenced()) fail(rdma_errc::session_fenced);
    if (failure) return failure;
    return {};
  }

  // Posts the work request of `piece` from/into its slot.
  result<void> post(std::uint64_t piece, const std::shared_ptr<state>& self) {
    if (auto ok = check_session(); !ok) return ok;
    const auto wr = work_request_at(bytes, piece_bytes, piece);
    const auto target = window_target(window, wr.offset, wr.length);
    if (!target) {
      fail(target.error());
      return target.error();
    }
    const std::size_t slot = slot_of(piece);
    const std::span<std::byte> local = lease.chunk(slot).first(wr.length);
    slots[slot] = slot_state::in_flight;
    ++outstanding;
    ++posted;
    auto work = [self, target = *target, local,
                 dir = direction]() -> asio::awaitable<result<void>> {
      const rdma_session& session = *self->ticket.session();
      if (dir == transfer_direction::write_to_client)
        co_return co_await self->net.async_write_to_client(session, target, local,
                                                           self->lease.registration());
      co_return co_await self->net.async_read_from_client(session, target, local,
                                                          self->lease.registration());
    };
    asio::co_spawn(
        *executor, std::move(work),
        asio::bind_executor(*executor, [self, slot](const std::exception_ptr& e, result<void> r) {
          self->on_complete(slot, e ? result<void>(rdma_errc::transport_error) : r);
        }));
    return {};
  }
};

result<rdma_transfer> rdma_transfer::begin(transfer_services& services, const rc1_token& token,
                                           std::string_view access_key,
                                           transfer_direction direction, std::uint64_t bytes) {
  if (auto ok = check_transfer_size(bytes, services.limits); !ok) return ok.error();
  if (auto ok = check_window_holds(token, bytes); !ok) return ok.error();
  auto ticket = services.sessions.begin_transfer(token.session, access_key);
  if (!ticket) return ticket.error();
  if (!services.staging) return rdma_errc::not_enabled;
  if (services.limits.max_outstanding == 0) return rdma_errc::invalid_argument;
  const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(
      services.limits.max_outstanding,
      std::max<std::uint64_t>(1, work_request_count(bytes, services.staging->chunk_bytes()))));
  auto lease = services.staging->try_acquire(wanted, token.session);
  if (!lease) return lease.error();
  return rdma_transfer(std::make_shared<state>(services, token, direction, bytes,
                                               std::move(*ticket), std::move(*lease)));
}

rdma_transfer::rdma_transfer(std::shared_ptr<state> s) noexcept : state_(std::move(s)) {}
rdma_transfer::rdma_transfer(rdma_transfer&&) noexcept = default;
rdma_transfer& rdma_transfer::operator=(rdma_transfer&&) noexcept = default;

rdma_transfer::~rdma_transfer() {
  // Abandoned with work in flight: writes may still land in the client's
  // window after the caller has answered, so fence the session.
  if (state_ && state_->outstanding > 0 && !state_->finished)
    state_->fail(rdma_errc::transport_error);
}

std::uint64_t rdma_transfer::bytes() const noexcept {
  return state_->bytes;
}
std::size_t rdma_transfer::depth() const noexcept {
  return state_->slots.size();
}

asio::awaitable<result<std::span<std::byte>>> rdma_transfer::async_next_chunk() {
  state& s = *state_;
  s.bind(co_await asio::this_coro::executor);
  if (s.direction != transfer_direction::write_to_client) co_return rdma_errc::invalid_argument;
  if (s.next_piece < s.pieces && s.slots[s.slot_of(s.next_piece)] == state::slot_state::filling)
    co_return rdma_errc::invalid_argument;  // the chunk handed out last was never posted
  while (true) {
    if (auto ok = s.check_session(); !ok) co_return ok.error();
    if (s.next_piece == s.pieces) co_return std::span<std::byte>{};
    const std::size_t slot = s.slot_of(s.next_piece);
    if (s.slots[slot] == state::slot_state::free) {
      s.slots[slot] = state::slot_state::filling;
      const auto wr = work_request_at(s.bytes, s.piece_bytes, s.next_piece);
      co_return s.lease.chunk(slot).first(wr.length);
    }
    co_await s.async_wait_completion(false);
  }
}

result<void> rdma_transfer::post_write() {
  state& s = *state_;
  if (s.direction != transfer_direction::write_to_client || s.next_piece == s.pieces ||
      s.slots[s.slot_of(s.next_piece)] != state::slot_state::filling)
    return rdma_errc::invalid_argument;
  const std::uint64_t piece = s.next_piece++;
  return s.post(piece, state_);
}

asio::awaitable<result<std::span<const std::byte>>> rdma_transfer::async_next_read() {
  state& s = *state_;
  s.bind(co_await asio::this_coro::executor);
  if (s.direction != transfer_direction::read_from_client) co_return rdma_errc::invalid_argument;
  // The piece handed out last time is consumed: its slot may be reused.
  if (s.next_read > 0) s.slots[s.slot_of(s.next_read - 1)] = state::slot_state::free;
  while (true) {
    if (auto ok = s.check_session(); !ok) co_return ok.error();
    if (s.next_read == s.pieces) co_return std::span<const std::byte>{};
    // Keep the read-ahead full: post into every free slot, in piece order.
    while (s.next_piece < s.pieces && s.slots[s.slot_of(s.next_piece)] == state::slot_state::free) {
      if (auto ok = s.post(s.next_piece, state_); !ok) co_return ok.error();
      ++s.next_piece;
    }
    const std::size_t slot = s.slot_of(s.next_read);
    if (s.slots[slot] == state::slot_state::ready) {
      s.slots[slot] = state::slot_state::consumed;
      const auto wr = work_request_at(s.bytes, s.piece_bytes, s.next_read++);
      co_return std::span<const std::byte>(s.lease.chunk(slot).first(wr.length));
    }
    co_await s.async_wait_completion(false);
  }
}

asio::awaitable<result<std::uint64_t>> rdma_transfer::async_finish() {
  state& s = *state_;
  s.bind(co_await asio::this_coro::executor);
  while (s.outstanding > 0) co_await s.async_wait_completion(static_cast<bool>(s.failure));
  s.finished = true;
  if (s.failure) co_return s.failure;
  const bool all_moved = s.direction == transfer_direction::write_to_client
                             ? s.posted == s.pieces
                             : s.next_read == s.pieces;
  if (!all_moved) co_return rdma_errc::invalid_argument;
  co_return s.bytes;
}

}  // namespace kvgate::rdma
