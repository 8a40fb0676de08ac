// Names of checksum algorithms on the wire.
#include <array>

#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/http_view.h"

namespace kvgate::protocol {
namespace {

struct algorithm_row {
  checksum_algorithm algorithm;
  std::string_view name;
  std::string_view header;
  std::size_t size;
};

constexpr std::array<algorithm_row, 6> kRows{{
    {checksum_algorithm::crc32, "CRC32", "x-amz-checksum-crc32", 4},
    {checksum_algorithm::crc32c, "CRC32C", "x-amz-checksum-crc32c", 4},
    {checksum_algorithm::crc64nvme, "CRC64NVME", "x-amz-checksum-crc64nvme", 8},
    {checksum_algorithm::md5, "MD5", "content-md5", 16},
    {checksum_algorithm::sha1, "SHA1", "x-amz-checksum-sha1", 20},
    {checksum_algorithm::sha256, "SHA256", "x-amz-checksum-sha256", 32},
}};

const algorithm_row& row(checksum_algorithm a) noexcept {
  return kRows[static_cast<std::size_t>(a)];
}

}  // namespace

std::string_view algorithm_name(checksum_algorithm a) noexcept {
  return row(a).name;
}
std::string_view checksum_header_name(checksum_algorithm a) noexcept {
  return row(a).header;
}
std::size_t digest_size(checksum_algorithm a) noexcept {
  return row(a).size;
}

std::optional<checksum_algorithm> parse_checksum_algorithm(std::string_view name) noexcept {
  for (const auto& r : kRows) {
    if (iequals(r.name, name)) return r.algorithm;
  }
  return std::nullopt;
}

std::optional<checksum_algorithm> checksum_from_header_name(std::string_view name) noexcept {
  for (const auto& r : kRows) {
    if (r.algorithm != checksum_algorithm::md5 && iequals(r.header, name)) return r.algorithm;
  }
  return std::nullopt;
}

}  // namespace kvgate::protocol
