// A value in force that a reload replaces while requests run (the cluster
// map, the user directory): a request takes a snapshot with current() and
// keeps it until it ends, so one answer never mixes two versions; the next
// request sees the new one. Thread-safe: the snapshot pointer is copied under
// a mutex held for that copy only. (Not std::atomic<std::shared_ptr>:
// libstdc++ 12's load() releases its internal lock with a relaxed store, GCC
// PR 111077, which TSan reports as a race.)
#pragma once

#include <memory>
#include <mutex>

namespace kvgate::gateway {

template <class T>
class live_snapshot {
 public:
  explicit live_snapshot(T initial) : current_(std::make_shared<const T>(std::move(initial))) {}

  std::shared_ptr<const T> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void replace(T next) {
    auto fresh = std::make_shared<const T>(std::move(next));
    std::lock_guard lock(mutex_);
    current_.swap(fresh);  // the old value is released after the lock, by `fresh`
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace kvgate::gateway
