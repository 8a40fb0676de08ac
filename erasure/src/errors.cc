// erasure_category(): the std::error_category behind kvgate::erasure::errc.
//
// The category object is a function-local static, so it is constructed once,
// lives until program exit and is safe to use from any thread.
#include <string>

#include "kvgate/erasure/result.h"

namespace kvgate::erasure {
namespace {

class erasure_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kvgate.erasure"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok:
        return "success";
      case errc::bucket_not_found:
        return "bucket not found";
      case errc::bucket_exists:
        return "bucket already exists";
      case errc::bucket_not_empty:
        return "bucket is not empty";
      case errc::invalid_bucket_name:
        return "invalid bucket name";
      case errc::object_not_found:
        return "object not found";
      case errc::upload_not_found:
        return "multipart upload not found";
      case errc::invalid_part:
        return "a completed part does not exist or its ETag differs";
      case errc::invalid_part_order:
        return "part numbers are not strictly ascending";
      case errc::entity_too_small:
        return "a non-last part is below the minimum part size";
      case errc::precondition_failed:
        return "precondition failed";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::key_too_long:
        return "object key too long";
      case errc::too_many_parts:
        return "too many parts";
      case errc::write_quorum_lost:
        return "write quorum lost";
      case errc::read_quorum_lost:
        return "read quorum lost: more than m shards unreadable";
      case errc::corrupt:
        return "on-disk data failed validation";
      case errc::disk_offline:
        return "disk is offline";
      case errc::unformatted_disk:
        return "disk has no identity file";
      case errc::foreign_disk:
        return "disk belongs to another deployment or set position";
      case errc::format_mismatch:
        return "disk identity files disagree";
      case errc::index_error:
        return "ordered index failure";
      case errc::short_body:
        return "body shorter than the declared length";
      case errc::long_body:
        return "body longer than the declared length";
      case errc::quota_exceeded:
        return "quota exceeded";
      case errc::busy:
        return "busy";
      case errc::would_block:
        return "answering needs disk I/O";
    }
    return "unknown kvgate.erasure error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& erasure_category() noexcept {
  static const erasure_error_category category;
  return category;
}

}  // namespace kvgate::erasure
