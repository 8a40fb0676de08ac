#include "kvgate/rdma/fake_transport.h"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <vector>

#include "kvgate/rdma/connect_request.h"
#include "kvgate/rdma/session_registry.h"

namespace kvgate::rdma {
namespace {

class fake_registration final : public memory_registration {
 public:
  fake_registration(std::span<std::byte> bytes, std::uint32_t lkey) : bytes_(bytes), lkey_(lkey) {}
  std::span<std::byte> bytes() const noexcept override { return bytes_; }
  std::uint32_t lkey() const noexcept override { return lkey_; }

 private:
  std::span<std::byte> bytes_;
  std::uint32_t lkey_;
};

}  // namespace

fake_transport::fake_transport(asio::any_io_executor timers, session_registry& sessions)
    : timers_(std::move(timers)), sessions_(sessions) {}

fake_transport::~fake_transport() = default;

std::uint32_t fake_transport::register_client_memory(std::span<std::byte> memory) {
  std::lock_guard lock(mutex_);
  const std::uint32_t rkey = next_rkey_++;
  client_memory_[rkey] = memory;
  return rkey;
}

void fake_transport::deregister_client_memory(std::uint32_t rkey) {
  std::lock_guard lock(mutex_);
  client_memory_.erase(rkey);
}

result<void> fake_transport::connect(std::span<const std::byte> private_data) {
  {
    std::lock_guard lock(mutex_);
    if (faults_.refuse_connect) return rdma_errc::bad_secret;
  }
  auto session = admit_connect_request(sessions_, private_data);
  if (!session) return session.error();
  std::lock_guard lock(mutex_);
  queue_pairs_.insert((*session)->id());
  return {};
}

void fake_transport::set_faults(const fake_faults& faults) {
  std::lock_guard lock(mutex_);
  faults_ = faults;
}

std::uint64_t fake_transport::posted() const {
  std::lock_guard lock(mutex_);
  return posted_;
}

std::size_t fake_transport::outstanding() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::size_t fake_transport::max_outstanding() const {
  std::lock_guard lock(mutex_);
  return max_outstanding_;
}

bool fake_transport::connected(const session_id& id) const {
  std::lock_guard lock(mutex_);
  return queue_pairs_.contains(id);
}

result<std::unique_ptr<memory_registration>> fake_transport::register_memory(
    std::span<std::byte> bytes) {
  std::lock_guard lock(mutex_);
  return std::unique_ptr<memory_registration>(
      std::make_unique<fake_registration>(bytes, next_lkey_++));
}

asio::awaitable<result<void>> fake_transport::async_write_to_client(
    const rdma_session& session, remote_target remote, std::span<const std::byte> local,
    const memory_registration&) {
  // The fake never writes through `local` for an RDMA WRITE.
  co_return co_await async_post(
      session, true, remote,
      std::span<std::byte>(const_cast<std::byte*>(local.data()), local.size()));
}

asio::awaitable<result<void>> fake_transport::async_read_from_client(const rdma_session& session,
                                                                     remote_target remote,
                                                                     std::span<std::byte> local,
                                                                     const memory_registration&) {
  co_return co_await async_post(session, false, remote, local);
}

asio::awaitable<result<void>> fake_transport::async_post(const rdma_session& session, bool write,
                                                         remote_target remote,
                                                         std::span<std::byte> local) {
  const session_id id = session.id();
  auto [ec] = co_await asio::async_initiate<const asio::as_tuple_t<asio::use_awaitable_t<>>&,
                                            void(std::error_code)>(
      [this, id, write, remote, local](auto handler) {
        work_request wr;
        wr.session = id;
        wr.write = write;
        wr.remote = remote;
        wr.local = local;
        wr.handler = std::make_unique<asio::any_completion_handler<void(std::error_code)>>(
            std::move(handler));
        submit(std::move(wr));
      },
      asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ec;
  co_return result<void>{};
}

void fake_transport::deliver(work_request& wr, std::error_code ec) {
  // Through the handler's own executor (the awaiting coroutine's strand),
  // never inline: callers may hold locks or be inside another completion.
  // (Boost 1.81 cannot post an any_completion_handler directly: its executor
  // does not offer blocking.never, so hop through timers_ and dispatch.)
  asio::post(timers_, [h = std::move(wr.handler), ec]() mutable {
    asio::dispatch(asio::append(std::move(*h), ec));
  });
}

void fake_transport::submit(work_request wr) {
  std::uint64_t id = 0;
  std::chrono::milliseconds delay{0};
  {
    std::lock_guard lock(mutex_);
    if (!queue_pairs_.contains(wr.session)) {
      // No queue pair (never connected, or in error): the post fails.
      deliver(wr, rdma_errc::transport_error);
      return;
    }
    id = ++posted_;
    wr.fails = faults_.fail_work_request == id;
    wr.held = faults_.hold_completions;
    delay = faults_.completion_delay;
    const bool held = wr.held;
    pending_.emplace(id, std::move(wr));
    max_outstanding_ = std::max(max_outstanding_, pending_.size());
    if (held) return;
  }
  if (delay.count() == 0) {
    asio::post(timers_, [this, id] { complete(id); });
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(timers_, delay);
  timer->async_wait([this, id, timer](const boost::system::error_code&) { complete(id); });
}

void fake_transport::complete(std::uint64_t id) {
  std::vector<work_request> flushed;
  work_request wr;
  std::error_code ec;
  bool qp_failed = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;  // flushed meanwhile
    wr = std::move(it->second);
    pending_.erase(it);
    const auto region = client_memory_.find(wr.remote.rkey);
    const bool qp_ok = queue_pairs_.contains(wr.session) || (wr.held && faults_.late_completions);
    bool in_region = false;
    if (region != client_memory_.end()) {
      const auto base = reinterpret_cast<std::uint64_t>(region->second.data());
      in_region = wr.remote.addr >= base && wr.remote.addr - base <= region->second.size() &&
                  wr.local.size() <= region->second.size() - (wr.remote.addr - base);
    }
    if (!qp_ok) {
      ec = rdma_errc::transport_error;
    } else if (wr.fails || !in_region) {
      ec = rdma_errc::transport_error;
      qp_failed = true;
      qp_error_locked(wr.session, false, flushed);
    } else {
      // The fake's remote addresses are this process's own addresses.
      std::byte* remote =
          reinterpret_cast<std::byte*>(wr.remote.addr);  // NOLINT(performance-no-int-to-ptr)
      if (wr.write)
        std::memcpy(remote, wr.local.data(), wr.local.size());
      else
        std::memcpy(wr.local.data(), remote, wr.local.size());
    }
  }
  deliver(wr, ec);
  for (auto& f : flushed) deliver(f, rdma_errc::transport_error);
  if (qp_failed) sessions_.fence(wr.session);
}

void fake_transport::qp_error_locked(const session_id& id, bool keep_late,
                                     std::vector<work_request>& flushed) {
  queue_pairs_.erase(id);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.session == id && !(keep_late && it->second.held)) {
      flushed.push_back(std::move(it->second));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void fake_transport::release_held() {
  std::vector<std::uint64_t> ids;
  {
    std::lock_guard lock(mutex_);
    faults_.hold_completions = false;
    for (const auto& [id, wr] : pending_)
      if (wr.held) ids.push_back(id);
  }
  for (auto id : ids) complete(id);
}

void fake_transport::inject_qp_error(const session_id& id) {
  std::vector<work_request> flushed;
  {
    std::lock_guard lock(mutex_);
    qp_error_locked(id, false, flushed);
  }
  for (auto& f : flushed) deliver(f, rdma_errc::transport_error);
  sessions_.fence(id);
}

void fake_transport::end_session(const session_id& id) {
  std::vector<work_request> flushed;
  {
    std::lock_guard lock(mutex_);
    qp_error_locked(id, faults_.late_completions, flushed);
  }
  for (auto& f : flushed) deliver(f, rdma_errc::transport_error);
}

}  // namespace kvgate::rdma
