#include "kvgate/rdma/session_registry.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace kvgate::rdma {
namespace {

void random_bytes(std::span<std::byte> out) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

rdma_session::rdma_session(session_id id, std::string access_key,
                           std::shared_ptr<const now_function> now)
    : id_(id),
      access_key_(std::move(access_key)),
      now_(std::move(now)),
      last_use_((*now_)().time_since_epoch().count()) {}

void rdma_session::touch() noexcept {
  last_use_.store((*now_)().time_since_epoch().count(), std::memory_order_release);
}

session_clock::time_point rdma_session::last_use() const noexcept {
  return session_clock::time_point(
      session_clock::duration(last_use_.load(std::memory_order_acquire)));
}

transfer_ticket& transfer_ticket::operator=(transfer_ticket&& o) noexcept {
  if (this != &o) {
    release();
    session_ = std::move(o.session_);
  }
  return *this;
}

void transfer_ticket::release() noexcept {
  if (!session_) return;
  session_->touch();
  session_->inflight_.fetch_sub(1, std::memory_order_acq_rel);
  session_.reset();
}

session_registry::session_registry(session_limits limits, now_function now)
    : limits_(limits), now_(std::make_shared<const now_function>(std::move(now))) {}

result<session_grant> session_registry::create(std::string_view access_key) {
  session_grant grant;
  random_bytes(grant.secret.bytes);
  grant.ttl = limits_.ttl;
  std::lock_guard lock(mutex_);
  auto& count = sessions_per_key_[std::string(access_key)];
  if (count >= limits_.max_sessions_per_key) {
    if (count == 0) sessions_per_key_.erase(std::string(access_key));
    return rdma_errc::session_limit;
  }
  do {
    random_bytes(grant.id.bytes);
  } while (sessions_.contains(grant.id));
  auto session = std::make_shared<rdma_session>(grant.id, std::string(access_key), now_);
  sessions_.emplace(grant.id, entry{std::move(session), grant.secret, false});
  ++count;
  return grant;
}

bool session_registry::expired_locked(const rdma_session& s,
                                      session_clock::time_point now) const noexcept {
  return s.inflight() == 0 && now - s.last_use() > limits_.ttl;
}

result<std::shared_ptr<rdma_session>> session_registry::find(const session_id& id,
                                                             std::string_view access_key) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    const auto dead = tombstones_.find(id);
    if (dead != tombstones_.end() && dead->second.access_key == access_key)
      return rdma_errc::session_expired;
    return rdma_errc::no_session;
  }
  if (it->second.session->access_key() != access_key) return rdma_errc::no_session;
  auto& s = *it->second.session;
  if (expired_locked(s, (*now_)())) return rdma_errc::session_expired;
  if (s.fenced()) return rdma_errc::session_fenced;
  s.touch();
  return it->second.session;
}

result<std::shared_ptr<rdma_session>> session_registry::redeem(const session_id& id,
                                                               const connect_secret& secret) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return rdma_errc::bad_secret;
  entry& e = it->second;
  // Compare first, always, so timing does not reveal which check failed.
  const bool match = secrets_equal(e.secret, secret);
  if (!match || e.secret_redeemed || e.session->fenced() || expired_locked(*e.session, (*now_)()))
    return rdma_errc::bad_secret;
  e.secret_redeemed = true;
  e.session->connected_.store(true, std::memory_order_release);
  e.session->touch();
  return e.session;
}

result<transfer_ticket> session_registry::begin_transfer(const session_id& id,
                                                         std::string_view access_key) {
  auto found = find(id, access_key);
  if (!found) return found.error();
  auto& s = **found;
  if (!s.connected()) return rdma_errc::not_connected;
  std::size_t n = s.inflight_.load(std::memory_order_acquire);
  do {
    if (n >= limits_.max_inflight_per_session) return rdma_errc::busy;
  } while (!s.inflight_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  return transfer_ticket(std::move(*found));
}

void session_registry::fence(const session_id& id) {
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (it->second.session->fenced_.exchange(true, std::memory_order_acq_rel)) return;
  }
  notify_end(id);
}

bool session_registry::remove(const session_id& id, std::string_view access_key) {
  bool was_fenced = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.session->access_key() != access_key) return false;
    was_fenced = it->second.session->fenced_.exchange(true, std::memory_order_acq_rel);
    erase_locked(it);
  }
  if (!was_fenced) notify_end(id);
  return true;
}

std::vector<session_id> session_registry::reap(session_clock::time_point now) {
  std::vector<session_id> reaped;
  std::vector<session_id> newly_ended;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(tombstones_,
                  [&](const auto& t) { return now - t.second.reaped_at > limits_.ttl; });
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (expired_locked(*it->second.session, now)) {
        reaped.push_back(it->first);
        if (tombstones_.size() < kMaxTombstones)
          tombstones_.emplace(it->first, tombstone{it->second.session->access_key(), now});
        if (!it->second.session->fenced_.exchange(true, std::memory_order_acq_rel))
          newly_ended.push_back(it->first);
        erase_locked(it);
      }
      it = next;
    }
  }
  for (const auto& id : newly_ended) notify_end(id);
  return reaped;
}

void session_registry::erase_locked(
    std::unordered_map<session_id, entry, session_id_hash>::iterator it) {
  const auto key = sessions_per_key_.find(it->second.session->access_key());
  if (key != sessions_per_key_.end() && --key->second == 0) sessions_per_key_.erase(key);
  sessions_.erase(it);
}

void session_registry::set_end_observer(std::function<void(const session_id&)> observer) {
  std::lock_guard lock(mutex_);
  end_observer_ = std::move(observer);
}

void session_registry::notify_end(const session_id& id) {
  std::function<void(const session_id&)> observer;
  {
    std::lock_guard lock(mutex_);
    observer = end_observer_;
  }
  if (observer) observer(id);
}

std::size_t session_registry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace kvgate::rdma
