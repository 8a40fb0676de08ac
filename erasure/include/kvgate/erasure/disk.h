// The engine's only door to storage: a directory standing for one disk.
//
// Every byte the engine reads or writes goes through a disk, so tests can swap
// in faulty_disk (fault injection, simulated crashes) without touching engine
// code. Paths are relative to the disk root, '/'-separated, never absolute and
// never containing "..": the engine builds them from hashes and fixed names only.
//
// Thread safety: a disk and the files it opens may be used from several threads
// at once; a single file object is used by one thread at a time.
//
// Errors: errno values as std::generic_category() codes (ENOENT for missing
// paths, EIO, ENOSPC, ...), or errc::disk_offline once the disk was taken out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

// An open file. Reads and writes are positional; there is no cursor.
class file {
 public:
  virtual ~file() = default;
  // Reads up to buf.size() bytes at `offset`; returns fewer only at end of file.
  [[nodiscard]] virtual result<std::size_t> pread(std::span<std::byte> buf,
                                                  std::uint64_t offset) = 0;
  // Writes all of `data` at `offset` or fails (a short write is an error).
  [[nodiscard]] virtual result<void> pwrite(std::span<const std::byte> data,
                                            std::uint64_t offset) = 0;
  // fdatasync. A failure means the data may be lost: the caller must take the
  // disk out and never retry (see docs/formats/erasure-layout.md, "Durability").
  [[nodiscard]] virtual result<void> sync() = 0;
  // A hint: start writing [offset, offset+length) back to the device now,
  // without waiting, so that a later sync() has less left to do. Errors are
  // not reported here; sync() reports them.
  virtual void start_writeback(std::uint64_t offset, std::uint64_t length) noexcept {
    (void)offset;
    (void)length;
  }
  [[nodiscard]] virtual result<std::uint64_t> size() = 0;
};

struct dir_entry {
  std::string name;
  bool is_dir = false;
};

struct disk_usage {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
};

class disk {
 public:
  virtual ~disk() = default;

  // The directory this disk stands for (for messages and metrics only).
  virtual const std::filesystem::path& root() const noexcept = 0;

  [[nodiscard]] virtual result<std::unique_ptr<file>> open_read(std::string_view path) = 0;
  // Creates or truncates `path` for writing. The parent directory must exist.
  [[nodiscard]] virtual result<std::unique_ptr<file>> create(std::string_view path) = 0;
  // rename(2): atomically replaces `to` (a file, or an empty directory).
  [[nodiscard]] virtual result<void> rename(std::string_view from, std::string_view to) = 0;
  // mkdir -p. Succeeds if the directory exists.
  [[nodiscard]] virtual result<void> make_dirs(std::string_view path) = 0;
  // fsync of a directory, making renames and creations in it durable.
  [[nodiscard]] virtual result<void> sync_dir(std::string_view path) = 0;
  // Removes a file or an empty directory. ENOENT if missing.
  [[nodiscard]] virtual result<void> remove(std::string_view path) = 0;
  // rm -rf. Succeeds if missing.
  [[nodiscard]] virtual result<void> remove_all(std::string_view path) = 0;
  // Entries of a directory, excluding "." and "..", in no particular order.
  [[nodiscard]] virtual result<std::vector<dir_entry>> list(std::string_view path) = 0;
  // True if the path exists (file or directory).
  [[nodiscard]] virtual result<bool> exists(std::string_view path) = 0;
  [[nodiscard]] virtual result<disk_usage> usage() = 0;

  // Convenience built on the primitives above.
  [[nodiscard]] result<std::string> read_whole(std::string_view path);
  // Durable replace: write `tmp_path`, sync it, rename over `path`, sync the
  // parent directory of `path`.
  [[nodiscard]] result<void> write_atomic(std::string_view path, std::string_view tmp_path,
                                          std::span<const std::byte> data);
};

// The real thing: POSIX calls on a directory (open/pread/pwrite/fdatasync/
// rename/fsync of directories).
[[nodiscard]] result<std::shared_ptr<disk>> open_posix_disk(const std::filesystem::path& root);

// Returns the parent directory part of a relative path ("" for top level).
std::string_view parent_path(std::string_view path) noexcept;

}  // namespace kvgate::erasure
