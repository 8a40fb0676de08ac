// Raw disk baselines for the engine benchmark: sequential writes of whole files
// (pwrite in chunks, then fdatasync and close, per file) and sequential reads
// of the same files, spread over the engine's disk directories the way the
// engine spreads shard files. Uses plain POSIX calls, no engine code.
//
// Lifetime: a raw_file_set names files it creates; remove() deletes them.
// Thread safety: write_stream/read_stream may run concurrently for different
// stream indexes; they share only the read-only source buffer.
#pragma once

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "page_cache.h"

namespace kvgate::perf {

class raw_file_set {
 public:
  // Stream i writes files_per_stream files; its file j lives in disk directory
  // (i + j) % dirs.size(), so N streams keep up to N directories busy at once.
  raw_file_set(std::vector<std::filesystem::path> dirs, std::size_t streams,
               std::size_t files_per_stream, std::size_t file_bytes)
      : dirs_(std::move(dirs)),
        streams_(streams),
        files_per_stream_(files_per_stream),
        file_bytes_(file_bytes) {}

  std::uint64_t bytes_per_pass() const {
    return static_cast<std::uint64_t>(streams_) * files_per_stream_ * file_bytes_;
  }
  std::size_t streams() const { return streams_; }

  std::filesystem::path path(std::size_t stream, std::size_t j) const {
    return dirs_[(stream + j) % dirs_.size()] / fmt::format("raw-s{}-t{}-f{}", streams_, stream, j);
  }

  // Writes this stream's files from `src` (file_bytes long) in `chunk` pieces.
  void write_stream(std::size_t stream, std::span<const std::byte> src, std::size_t chunk) const {
    for (std::size_t j = 0; j < files_per_stream_; ++j) {
      const auto p = path(stream, j);
      const scoped_fd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (fd.get() < 0) throw std::system_error(errno, std::generic_category(), p.string());
      for (std::size_t off = 0; off < file_bytes_; off += chunk) {
        const std::size_t n = std::min(chunk, file_bytes_ - off);
        std::size_t done = 0;
        while (done < n) {
          const ssize_t w =
              ::pwrite(fd.get(), src.data() + off + done, n - done, static_cast<off_t>(off + done));
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) throw std::system_error(errno, std::generic_category(), "pwrite");
          done += static_cast<std::size_t>(w);
        }
      }
      if (::fdatasync(fd.get()) != 0)
        throw std::system_error(errno, std::generic_category(), "fdatasync");
    }
  }

  // Reads this stream's files sequentially into `buf` (chunk-sized reads).
  void read_stream(std::size_t stream, std::span<std::byte> buf) const {
    for (std::size_t j = 0; j < files_per_stream_; ++j) {
      const auto p = path(stream, j);
      const scoped_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0) throw std::system_error(errno, std::generic_category(), p.string());
      std::uint64_t off = 0;
      for (;;) {
        const ssize_t r = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(off));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw std::system_error(errno, std::generic_category(), "pread");
        if (r == 0) break;
        off += static_cast<std::uint64_t>(r);
      }
      if (off != file_bytes_) throw std::runtime_error("short raw file " + p.string());
    }
  }

  // Evicts every file of the set from the page cache; returns what stayed.
  residency drop() const {
    residency r;
    for (std::size_t i = 0; i < streams_; ++i) {
      for (std::size_t j = 0; j < files_per_stream_; ++j) {
        drop_cached(path(i, j));
        r += resident(path(i, j));
      }
    }
    return r;
  }

  void remove() const {
    std::error_code ec;
    for (std::size_t i = 0; i < streams_; ++i)
      for (std::size_t j = 0; j < files_per_stream_; ++j) std::filesystem::remove(path(i, j), ec);
  }

 private:
  std::vector<std::filesystem::path> dirs_;
  std::size_t streams_;
  std::size_t files_per_stream_;
  std::size_t file_bytes_;
};

}  // namespace kvgate::perf
