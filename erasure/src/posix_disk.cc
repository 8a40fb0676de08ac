// The POSIX disk: every operation is a *at(2) call relative to a directory
// descriptor for the disk root, held for the disk's life.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "disk_path.h"
#include "kvgate/erasure/disk.h"
#include "unique_fd.h"

namespace kvgate::erasure {
namespace {

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

std::error_code last_error() noexcept {
  return errno_code(errno);
}

// "" (the root) becomes "." for the *at calls.
std::string at_path(std::string_view path) {
  return path.empty() ? std::string(".") : std::string(path);
}

struct dir_closer {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};
using unique_dir = std::unique_ptr<DIR, dir_closer>;

// Opens `name` (relative to `dirfd`) as a directory stream.
result<unique_dir> open_dir_at(int dirfd, const char* name) {
  unique_fd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return last_error();
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr) return last_error();
  (void)fd.release();  // owned by the DIR stream now
  return unique_dir(d);
}

// rm -rf of `name` relative to `dirfd`; a missing entry is success.
result<void> remove_tree_at(int dirfd, const char* name) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return last_error();
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) return last_error();
    return {};
  }
  {
    auto dir = open_dir_at(dirfd, name);
    if (!dir) return dir.error();
    const int child_fd = ::dirfd(dir->get());
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(dir->get());
      if (e == nullptr) {
        if (errno != 0) return last_error();
        break;
      }
      const std::string_view child = e->d_name;
      if (child == "." || child == "..") continue;
      if (auto r = remove_tree_at(child_fd, e->d_name); !r) return r;
    }
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return last_error();
  return {};
}

// An open regular file of a posix_disk. Owns its descriptor.
// Thread safety: positional I/O only, so concurrent use is safe at the OS level;
// the disk contract still asks for one user at a time.
class posix_file final : public file {
 public:
  explicit posix_file(unique_fd fd) noexcept : fd_(std::move(fd)) {}

  result<std::size_t> pread(std::span<std::byte> buf, std::uint64_t offset) override {
    std::size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::pread(fd_.get(), buf.data() + done, buf.size() - done,
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) break;  // end of file
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  result<void> pwrite(std::span<const std::byte> data, std::uint64_t offset) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_.get(), data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      // A write that makes no progress would loop forever; the device is not
      // taking data, which the caller must see as an I/O error.
      if (n == 0) return errno_code(EIO);
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

  result<void> sync() override {
    if (::fdatasync(fd_.get()) != 0) return last_error();
    return {};
  }

  void start_writeback(std::uint64_t offset, std::uint64_t length) noexcept override {
    // SYNC_FILE_RANGE_WRITE only queues the dirty pages for writeback (it
    // waits for nothing already in flight): durability still comes from
    // sync(), which then finds most of the bytes on their way or written.
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(offset), static_cast<off_t>(length),
                            SYNC_FILE_RANGE_WRITE);
  }

  result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return last_error();
    return static_cast<std::uint64_t>(st.st_size);
  }

 private:
  unique_fd fd_;
};

// A directory used as a disk. Holds a descriptor for the root so every path is
// resolved relative to the same directory even if the root is renamed.
// Thread safety: stateless apart from the root descriptor; safe for concurrent use.
class posix_disk final : public disk {
 public:
  posix_disk(std::filesystem::path root, unique_fd root_fd) noexcept
      : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

  const std::filesystem::path& root() const noexcept override { return root_; }

  result<std::unique_ptr<file>> open_read(std::string_view path) override {
    return open_file(path, O_RDONLY | O_CLOEXEC);
  }

  result<std::unique_ptr<file>> create(std::string_view path) override {
    // O_RDWR rather than O_WRONLY so callers can read back what they wrote.
    return open_file(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC);
  }

  result<void> rename(std::string_view from, std::string_view to) override {
    if (auto r = check_disk_path(from, false); !r) return r;
    if (auto r = check_disk_path(to, false); !r) return r;
    if (::renameat(root_fd_.get(), std::string(from).c_str(), root_fd_.get(),
                   std::string(to).c_str()) != 0) {
      return last_error();
    }
    return {};
  }

  result<void> make_dirs(std::string_view path) override {
    if (auto r = check_disk_path(path, true); !r) return r;
    std::size_t end = 0;
    while (end < path.size()) {
      end = path.find('/', end + 1);
      if (end == std::string_view::npos) end = path.size();
      const std::string prefix(path.substr(0, end));
      if (::mkdirat(root_fd_.get(), prefix.c_str(), kDirMode) == 0) continue;
      if (errno != EEXIST) return last_error();
      struct stat st {};
      if (::fstatat(root_fd_.get(), prefix.c_str(), &st, 0) != 0) return last_error();
      if (!S_ISDIR(st.st_mode)) return errno_code(ENOTDIR);
    }
    return {};
  }

  result<void> sync_dir(std::string_view path) override {
    if (auto r = check_disk_path(path, true); !r) return r;
    unique_fd fd(
        ::openat(root_fd_.get(), at_path(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return last_error();
    if (::fsync(fd.get()) != 0) return last_error();
    return {};
  }

  result<void> remove(std::string_view path) override {
    if (auto r = check_disk_path(path, false); !r) return r;
    const std::string p(path);
    struct stat st {};
    if (::fstatat(root_fd_.get(), p.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return last_error();
    }
    const int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
    if (::unlinkat(root_fd_.get(), p.c_str(), flags) != 0) return last_error();
    return {};
  }

  result<void> remove_all(std::string_view path) override {
    // The root itself is never removed through its own disk.
    if (auto r = check_disk_path(path, false); !r) return r;
    return remove_tree_at(root_fd_.get(), std::string(path).c_str());
  }

  result<std::vector<dir_entry>> list(std::string_view path) override {
    if (auto r = check_disk_path(path, true); !r) return r.error();
    auto dir = open_dir_at(root_fd_.get(), at_path(path).c_str());
    if (!dir) return dir.error();
    std::vector<dir_entry> out;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(dir->get());
      if (e == nullptr) {
        if (errno != 0) return last_error();
        break;
      }
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        // Some filesystems do not fill d_type.
        struct stat st {};
        if (::fstatat(::dirfd(dir->get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          if (errno == ENOENT) continue;  // removed while we listed
          return last_error();
        }
        is_dir = S_ISDIR(st.st_mode);
      }
      out.push_back(dir_entry{std::string(name), is_dir});
    }
    return out;
  }

  result<bool> exists(std::string_view path) override {
    // result<bool> cannot tell an error_code from a bool by conversion alone.
    if (auto r = check_disk_path(path, true); !r) {
      return result<bool>(boost::system::in_place_error, r.error());
    }
    struct stat st {};
    if (::fstatat(root_fd_.get(), at_path(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return true;
    }
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return result<bool>(boost::system::in_place_error, last_error());
  }

  result<disk_usage> usage() override {
    struct statvfs vfs {};
    if (::fstatvfs(root_fd_.get(), &vfs) != 0) return last_error();
    return disk_usage{
        .total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
        .free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize,
    };
  }

 private:
  result<std::unique_ptr<file>> open_file(std::string_view path, int flags) {
    if (auto r = check_disk_path(path, false); !r) return r.error();
    for (;;) {
      unique_fd fd(::openat(root_fd_.get(), std::string(path).c_str(), flags, kFileMode));
      if (fd.valid()) {
        // open(2) accepts a directory for reading; the disk contract is about files.
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return last_error();
        if (S_ISDIR(st.st_mode)) return errno_code(EISDIR);
        return std::unique_ptr<file>(std::make_unique<posix_file>(std::move(fd)));
      }
      if (errno != EINTR) return last_error();
    }
  }

  std::filesystem::path root_;
  unique_fd root_fd_;
};

}  // namespace

result<std::shared_ptr<disk>> open_posix_disk(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return ec;
  unique_fd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return last_error();
  return std::shared_ptr<disk>(std::make_shared<posix_disk>(root, std::move(fd)));
}

}  // namespace kvgate::erasure
