// Per-file page-cache control for the I/O benchmarks: evict a file's clean
// pages with posix_fadvise(POSIX_FADV_DONTNEED) and measure how much of it is
// still resident with mincore(2), so a benchmark can state whether a "cold"
// read really started cold. Never touches /proc/sys/vm/drop_caches (the
// machine is shared).
//
// Header-only. Thread safety: free functions, reentrant.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace kvgate::perf {

// Bytes of files looked at, and how many of them are in the page cache.
struct residency {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t resident_bytes = 0;
  double resident_fraction() const {
    return bytes == 0 ? 0.0 : static_cast<double>(resident_bytes) / static_cast<double>(bytes);
  }
  residency& operator+=(const residency& o) {
    files += o.files;
    bytes += o.bytes;
    resident_bytes += o.resident_bytes;
    return *this;
  }
};

// Owns a file descriptor for the functions below.
class scoped_fd {
 public:
  explicit scoped_fd(int fd) : fd_(fd) {}
  scoped_fd(const scoped_fd&) = delete;
  scoped_fd& operator=(const scoped_fd&) = delete;
  ~scoped_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Asks the kernel to drop the file's cached pages (dirty pages must have been
// synced first or they stay). Returns false if the file cannot be opened.
inline bool drop_cached(const std::filesystem::path& p) {
  const scoped_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  return ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED) == 0;
}

// Resident bytes of one file according to mincore(2) (page granularity).
inline residency resident(const std::filesystem::path& p) {
  residency r;
  const scoped_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return r;
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size <= 0) return r;
  r.files = 1;
  r.bytes = static_cast<std::uint64_t>(size);
  void* map = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd.get(), 0);
  if (map == MAP_FAILED) return r;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((static_cast<std::size_t>(size) + page - 1) / page);
  if (::mincore(map, static_cast<std::size_t>(size), pages.data()) == 0) {
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (pages[i] & 1) {
        r.resident_bytes += std::min<std::uint64_t>(page, r.bytes - i * page);
      }
    }
  }
  ::munmap(map, static_cast<std::size_t>(size));
  return r;
}

// Drops every regular file under `root` for which `select` is true (all when
// empty), then reports how much of those files is still resident.
inline residency drop_tree(const std::filesystem::path& root,
                           const std::function<bool(const std::filesystem::path&)>& select = {}) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec) && (!select || select(it->path()))) files.push_back(it->path());
  }
  for (const auto& f : files) drop_cached(f);
  residency r;
  for (const auto& f : files) r += resident(f);
  return r;
}

}  // namespace kvgate::perf
