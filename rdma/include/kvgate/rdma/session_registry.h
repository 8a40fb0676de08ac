// rc1 sessions (docs/rdma-protocol.md, "Sessions" and "Fencing").
//
// A session is created by a signed POST /.rdma/v1/sessions and belongs to the
// access key that signed it. It carries a one-time connect secret that the
// client presents in the rdma_cm private data; the transport accepts the
// queue pair only if redeem() succeeds. Data requests name the session in
// their token; begin_transfer() admits them (owner, state, in-flight limit).
//
// States: awaiting_connect -> connected -> fenced. A fenced session (a
// transfer failed, its QP went to error, or the client deleted it) admits no
// transfer again; it stays visible as session_fenced until removed or reaped,
// so clients learn to re-create it rather than see no-session.
//
// Expiry: a session is idle-expired when no transfer is in flight and the
// last use is older than the TTL. Lookups of an expired session answer
// session_expired; reap(now) removes expired sessions (the gateway calls it
// from a timer; tests call it with an injected clock). A reaped session
// leaves a tombstone for one more TTL (at most kMaxTombstones of them), so
// its owner still hears session_expired, not no_session, and knows to
// create a new session rather than suspect a forged token.
//
// Thread safety: every member function may be called from any thread. The
// end observer is invoked without the registry lock held, on the thread that
// fenced, removed or reaped the session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kvgate/rdma/errc.h"
#include "kvgate/rdma/session_id.h"

namespace kvgate::rdma {

using session_clock = std::chrono::steady_clock;
using now_function = std::function<session_clock::time_point()>;

struct session_limits {
  std::size_t max_sessions_per_key = 64;
  std::size_t max_inflight_per_session = 64;
  std::chrono::seconds ttl{600};
};

// What POST /.rdma/v1/sessions hands to the client (once).
struct session_grant {
  session_id id;
  connect_secret secret;
  std::chrono::seconds ttl{0};
};

// Shared by the registry, the transport connection and running transfers.
// Immutable identity plus atomics; never holds the registry lock.
class rdma_session {
 public:
  rdma_session(session_id id, std::string access_key, std::shared_ptr<const now_function> now);

  const session_id& id() const noexcept { return id_; }
  const std::string& access_key() const noexcept { return access_key_; }
  bool fenced() const noexcept { return fenced_.load(std::memory_order_acquire); }
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
  std::size_t inflight() const noexcept { return inflight_.load(std::memory_order_acquire); }

 private:
  friend class session_registry;
  friend class transfer_ticket;

  void touch() noexcept;
  session_clock::time_point last_use() const noexcept;

  const session_id id_;
  const std::string access_key_;
  const std::shared_ptr<const now_function> now_;
  std::atomic<bool> fenced_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::size_t> inflight_{0};
  std::atomic<session_clock::rep> last_use_;
};

// One admitted transfer on a session; releases its in-flight slot and
// touches the session when destroyed. Move-only.
class transfer_ticket {
 public:
  transfer_ticket() = default;
  explicit transfer_ticket(std::shared_ptr<rdma_session> s) noexcept : session_(std::move(s)) {}
  transfer_ticket(transfer_ticket&& o) noexcept = default;
  transfer_ticket& operator=(transfer_ticket&& o) noexcept;
  transfer_ticket(const transfer_ticket&) = delete;
  transfer_ticket& operator=(const transfer_ticket&) = delete;
  ~transfer_ticket() { release(); }

  const std::shared_ptr<rdma_session>& session() const noexcept { return session_; }
  explicit operator bool() const noexcept { return session_ != nullptr; }

 private:
  void release() noexcept;
  std::shared_ptr<rdma_session> session_;
};

class session_registry {
 public:
  explicit session_registry(session_limits limits, now_function now = &session_clock::now);
  session_registry(const session_registry&) = delete;
  session_registry& operator=(const session_registry&) = delete;

  const session_limits& limits() const noexcept { return limits_; }

  // New session for access_key. Errors: session_limit.
  [[nodiscard]] result<session_grant> create(std::string_view access_key);

  // The session if it exists and belongs to access_key (touching it).
  // Errors: no_session (unknown or another key's), session_expired,
  // session_fenced.
  [[nodiscard]] result<std::shared_ptr<rdma_session>> find(const session_id& id,
                                                           std::string_view access_key);

  // Redeems the connect secret: succeeds once per session, for an existing,
  // unexpired, unfenced session whose secret matches (constant-time
  // compare). Marks the session connected. Errors: bad_secret for every
  // failure, so a connecting peer learns nothing about which check failed.
  [[nodiscard]] result<std::shared_ptr<rdma_session>> redeem(const session_id& id,
                                                             const connect_secret& secret);

  // Admits one transfer. Errors: as find(), plus not_connected and busy
  // (max_inflight_per_session reached).
  [[nodiscard]] result<transfer_ticket> begin_transfer(const session_id& id,
                                                       std::string_view access_key);

  // Moves the session to error (idempotent). Notifies the end observer the
  // first time, so the transport tears down its queue pair.
  void fence(const session_id& id);

  // Deletes the caller's session (fencing it first). False when the session
  // is unknown or owned by another key.
  bool remove(const session_id& id, std::string_view access_key);

  // Removes sessions idle longer than the TTL at `now`; returns their ids.
  std::vector<session_id> reap(session_clock::time_point now);

  // Called once per session when it is fenced, removed or reaped.
  void set_end_observer(std::function<void(const session_id&)> observer);

  std::size_t size() const;

  static constexpr std::size_t kMaxTombstones = 4096;

 private:
  struct tombstone {
    std::string access_key;
    session_clock::time_point reaped_at;
  };

  struct entry {
    std::shared_ptr<rdma_session> session;
    connect_secret secret;
    bool secret_redeemed = false;
  };

  bool expired_locked(const rdma_session& s, session_clock::time_point now) const noexcept;
  void erase_locked(std::unordered_map<session_id, entry, session_id_hash>::iterator it);
  void notify_end(const session_id& id);

  const session_limits limits_;
  const std::shared_ptr<const now_function> now_;
  mutable std::mutex mutex_;
  std::unordered_map<session_id, entry, session_id_hash> sessions_;
  std::unordered_map<std::string, std::size_t> sessions_per_key_;
  std::unordered_map<session_id, tombstone, session_id_hash> tombstones_;
  std::function<void(const session_id&)> end_observer_;
};

}  // namespace kvgate::rdma
