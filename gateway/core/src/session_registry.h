// The set of live connections, so shutdown can reach them.
//
// Each session registers a session_control on start and unregisters when its
// coroutine ends. request_shutdown()/force_close() post onto the session's
// strand, so they are safe to call from any thread. Thread-safe (mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kvgate::gateway {

class session_control {
 public:
  virtual ~session_control() = default;
  // Closes the connection if it is idle between requests; otherwise it
  // closes after the in-flight response.
  virtual void request_shutdown() = 0;
  // Closes the connection now, aborting any request.
  virtual void force_close() = 0;
};

class session_registry {
 public:
  std::uint64_t add(std::weak_ptr<session_control> s) {
    std::lock_guard lock(mutex_);
    sessions_.emplace(next_id_, std::move(s));
    return next_id_++;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }
  void for_each(const std::function<void(session_control&)>& fn) const {
    std::vector<std::shared_ptr<session_control>> live;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, weak] : sessions_) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    for (auto& s : live) fn(*s);
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<session_control>> sessions_;
};

}  // namespace kvgate::gateway
