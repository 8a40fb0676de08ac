// Checksums S3 clients send and expect: CRC32, CRC32C, CRC64NVME (flexible
// checksums, x-amz-checksum-*), MD5 (Content-MD5, ETags), SHA1 and SHA256.
//
// `hasher` is a streaming digest of one algorithm; the gateway runs several at
// once while a body streams through. A hasher is movable, not copyable, and not
// thread-safe (one per request). finish() returns the digest in the wire byte
// order (CRCs big-endian, as base64-encoded in x-amz-checksum-* headers) and
// resets nothing: call it once.
//
// CRC primitives take and return the standard (finalised) CRC value, so
// crc32_update(crc32_update(0, a), b) == crc32_update(0, a+b). The *_combine
// functions compute crc(A||B) from crc(A), crc(B) and len(B) (zlib's GF(2)
// matrix method), used for full-object multipart checksums.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kvgate/protocol/encoding.h"

namespace kvgate::protocol {

enum class checksum_algorithm { crc32, crc32c, crc64nvme, md5, sha1, sha256 };

inline constexpr checksum_algorithm kAllChecksumAlgorithms[] = {
    checksum_algorithm::crc32, checksum_algorithm::crc32c, checksum_algorithm::crc64nvme,
    checksum_algorithm::md5,   checksum_algorithm::sha1,   checksum_algorithm::sha256};

// "CRC32", "CRC32C", "CRC64NVME", "MD5", "SHA1", "SHA256" (x-amz-checksum-algorithm values).
std::string_view algorithm_name(checksum_algorithm a) noexcept;
// Case-insensitive inverse of algorithm_name.
std::optional<checksum_algorithm> parse_checksum_algorithm(std::string_view name) noexcept;
// "x-amz-checksum-crc32" ... ; MD5 has no x-amz header and maps to "content-md5".
std::string_view checksum_header_name(checksum_algorithm a) noexcept;
// Inverse of checksum_header_name for the x-amz-checksum-* family (case-insensitive).
std::optional<checksum_algorithm> checksum_from_header_name(std::string_view name) noexcept;
std::size_t digest_size(checksum_algorithm a) noexcept;

std::uint32_t crc32_update(std::uint32_t crc, byte_view data) noexcept;
std::uint32_t crc32c_update(std::uint32_t crc, byte_view data) noexcept;
std::uint64_t crc64nvme_update(std::uint64_t crc, byte_view data) noexcept;

std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) noexcept;
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b,
                             std::uint64_t len_b) noexcept;
std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b,
                                std::uint64_t len_b) noexcept;

class hasher {
 public:
  explicit hasher(checksum_algorithm algorithm);
  hasher(hasher&&) noexcept;
  hasher& operator=(hasher&&) noexcept;
  hasher(const hasher&) = delete;
  hasher& operator=(const hasher&) = delete;
  ~hasher();

  checksum_algorithm algorithm() const noexcept { return algorithm_; }
  void update(byte_view data);
  void update(std::string_view data) { update(as_bytes(data)); }
  // Digest bytes; precondition: called at most once.
  bytes finish();

 private:
  struct state;
  checksum_algorithm algorithm_;
  std::unique_ptr<state> state_;
};

// Convenience: base64 of the digest of a whole buffer (the x-amz-checksum-* value).
std::string checksum_base64(checksum_algorithm a, byte_view data);

// Digest of the concatenated raw part digests: the basis of S3 COMPOSITE
// multipart checksums (base64 + "-N") and of multipart ETags (MD5, hex + "-N").
bytes digest_of_digests(checksum_algorithm a, std::span<const bytes> part_digests);
// "<base64(digest_of_digests)>-<N>", the x-amz-checksum-* value S3 returns for
// a COMPOSITE multipart object.
std::string composite_checksum_base64(checksum_algorithm a, std::span<const bytes> part_digests);

}  // namespace kvgate::protocol
