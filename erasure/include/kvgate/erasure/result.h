// Error-as-value vocabulary for the storage engine.
//
// Expected failures are returned as result<T> holding a std::error_code whose
// category is erasure_category() (engine conditions) or std::generic_category()
// (errno from the operating system). Exceptions are reserved for programming
// errors and resource exhaustion.
#pragma once

#include <boost/system/result.hpp>
#include <system_error>

namespace kvgate::erasure {

template <class T>
using result = boost::system::result<T, std::error_code>;

// Conditions the engine reports. Storage layers never know HTTP codes: the
// gateway maps these to S3 errors in one table.
enum class errc {
  ok = 0,
  bucket_not_found,
  bucket_exists,
  bucket_not_empty,
  invalid_bucket_name,
  object_not_found,
  upload_not_found,
  invalid_part,         // a completed part does not exist or its ETag differs
  invalid_part_order,   // part numbers not strictly ascending
  entity_too_small,     // a non-last part is below the minimum part size
  precondition_failed,  // If-Match / If-None-Match on commit
  invalid_argument,     // a caller broke a documented precondition
  key_too_long,
  too_many_parts,
  write_quorum_lost,  // fewer disks than the write quorum accepted the write
  read_quorum_lost,   // more than m shards of a stripe are unreadable
  corrupt,            // on-disk data failed validation (magic, trailer, checksum)
  disk_offline,       // the disk was taken out after an I/O or fsync error
  unformatted_disk,   // a disk has no identity file
  foreign_disk,       // a disk belongs to another deployment or set position
  format_mismatch,    // identity files disagree in a way start-up cannot resolve
  index_error,        // the ordered index (RocksDB) failed
  short_body,         // the writer saw fewer bytes than the declared length
  long_body,          // the writer saw more bytes than the declared length
  quota_exceeded,
  busy,
  would_block,  // a memory-only lookup needed disk I/O (head_cached)
};

const std::error_category& erasure_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), erasure_category()};
}

inline std::error_code errno_code(int e) noexcept {
  return {e, std::generic_category()};
}

}  // namespace kvgate::erasure

template <>
struct std::is_error_code_enum<kvgate::erasure::errc> : std::true_type {};
