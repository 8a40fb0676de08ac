// Owning wrapper for a POSIX file descriptor.
//
// Purpose: the one place a raw descriptor lives in the disk layer; close(2) runs
// exactly once, when the owner goes away. Movable, not copyable.
// Thread safety: none of its own; the descriptor itself may be used from several
// threads (pread/pwrite are positional).
#pragma once

#include <unistd.h>

#include <utility>

namespace kvgate::erasure {

class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  // Gives up ownership (for fdopendir, which takes the descriptor over).
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    // close(2) errors are not actionable here: durability comes from fsync, not close.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace kvgate::erasure
