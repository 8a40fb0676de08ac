// Non-virtual conveniences of `disk` and path rules shared by every disk.
#include "kvgate/erasure/disk.h"

#include <string>

#include "disk_path.h"

namespace kvgate::erasure {

result<void> check_disk_path(std::string_view path, bool allow_root) noexcept {
  if (path.empty()) {
    if (allow_root) return {};
    return make_error_code(errc::invalid_argument);
  }
  if (path.find('\0') != std::string_view::npos || path.front() == '/') {
    return make_error_code(errc::invalid_argument);
  }
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(begin, end - begin);
    if (component.empty() || component == "." || component == "..") {
      return make_error_code(errc::invalid_argument);
    }
    begin = end + 1;
  }
  return {};
}

std::string_view parent_path(std::string_view path) noexcept {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {};
  return path.substr(0, slash);
}

result<std::string> disk::read_whole(std::string_view path) {
  auto f = open_read(path);
  if (!f) return f.error();
  auto size = (*f)->size();
  if (!size) return size.error();
  std::string out(static_cast<std::size_t>(*size), '\0');
  std::size_t filled = 0;
  // The file may change size while we read; read until end of file.
  for (;;) {
    if (filled == out.size()) out.resize(out.size() + 4096);
    auto n = (*f)->pread(std::as_writable_bytes(std::span(out).subspan(filled)), filled);
    if (!n) return n.error();
    if (*n == 0) break;
    filled += *n;
  }
  out.resize(filled);
  return out;
}

result<void> disk::write_atomic(std::string_view path, std::string_view tmp_path,
                                std::span<const std::byte> data) {
  auto written = [&]() -> result<void> {
    auto f = create(tmp_path);
    if (!f) return f.error();
    if (auto r = (*f)->pwrite(data, 0); !r) return r;
    return (*f)->sync();
  }();
  if (!written) {
    // Best effort: a leftover temporary file is harmless, the error is what matters.
    (void)remove(tmp_path);
    return written;
  }
  if (auto r = rename(tmp_path, path); !r) {
    (void)remove(tmp_path);
    return r;
  }
  if (auto r = sync_dir(parent_path(path)); !r) return r;
  // A rename across directories also changes the source directory; sync it too so
  // the move is durable on both ends (faulty_disk models exactly this rule).
  if (parent_path(tmp_path) != parent_path(path)) return sync_dir(parent_path(tmp_path));
  return {};
}

}  // namespace kvgate::erasure
