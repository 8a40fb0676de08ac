// The user directory in force, replaceable while requests run (SIGHUP reload
// of the credentials file, docs/users.md). A request takes a snapshot with
// current() and keeps it until it ends, so a reload never changes the
// identity of a request in progress; the next request sees the new users.
// Thread-safe: lock-free loads of an atomic shared_ptr.
#pragma once

#include <atomic>
#include <memory>

#include "kvgate/s3/user_directory.h"

namespace kvgate::s3 {

class live_users {
 public:
  live_users() : current_(std::make_shared<const user_directory>()) {}

  std::shared_ptr<const user_directory> current() const noexcept {
    return current_.load(std::memory_order_acquire);
  }
  void replace(user_directory users) {
    current_.store(std::make_shared<const user_directory>(std::move(users)),
                   std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const user_directory>> current_;
};

}  // namespace kvgate::s3
