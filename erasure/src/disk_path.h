// Validation of the relative paths every disk accepts.
//
// Keys never reach disk paths (the engine builds them from hashes and fixed
// names), so this is defence in depth: a bad path is a programming error that
// must not escape the disk root. Thread safety: pure functions.
#pragma once

#include <string_view>

#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

// Accepts '/'-separated relative paths whose components are non-empty and are
// neither "." nor "..", with no NUL byte. The empty path names the disk root and
// is accepted only when `allow_root` (directory operations such as list and
// sync_dir). Fails with errc::invalid_argument.
[[nodiscard]] result<void> check_disk_path(std::string_view path, bool allow_root) noexcept;

}  // namespace kvgate::erasure
