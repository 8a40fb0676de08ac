// The manifest: everything needed to find, verify and rebuild one object
// version, stored as a file `meta` in the object's directory on every disk
// (docs/formats/erasure-layout.md, "Manifest"). All copies are identical except
// for `inline_shard`, which carries that disk's own shard of a small object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvgate/erasure/object.h"
#include "kvgate/erasure/result.h"

namespace kvgate::erasure {

inline constexpr std::uint32_t kManifestMagic = 0x4d47564b;  // "KVGM" little-endian
inline constexpr std::uint16_t kManifestMajor = 1;
inline constexpr std::uint16_t kManifestMinor = 0;
inline constexpr std::string_view kMatrixCauchy1 = "isal-cauchy1";

// Per part: geometry and the XXH3-64 of every shard block, stripe-major:
// block_checksums[s * (k + m) + shard].
struct part_layout {
  part_info info;
  std::vector<std::uint64_t> block_checksums;
};

struct manifest {
  object_info object;     // bucket, key, size, etag, mtime, data_id, attrs, ...
  std::uint64_t seq = 0;  // tie-break between versions with equal mtime
  std::string matrix{kMatrixCauchy1};
  std::uint32_t k = 0;
  std::uint32_t m = 0;
  std::uint32_t block_size = 0;
  std::uint32_t rotation = 0;      // shard i lives on set disk (i + rotation) % (k + m)
  bool inlined = false;            // shards live in the manifests, not in part files
  std::vector<part_layout> parts;  // one for single-part objects
  std::string inline_shard;        // this disk's shard bytes when inlined
  // While an overwrite of an inlined version is in flight, each new manifest
  // copy carries the copy it replaced (encoded, without its own prev): the old
  // version's bytes live only in its manifests, so this keeps it readable if a
  // crash leaves fewer than k copies of either version (docs/formats/
  // erasure-layout.md, "Manifest", "Read resolution").
  std::string prev;

  std::uint32_t shard_count() const noexcept { return k + m; }
  // Set-disk index holding shard i, and the reverse.
  std::uint32_t disk_of_shard(std::uint32_t shard) const noexcept {
    return (shard + rotation) % shard_count();
  }
  std::uint32_t shard_of_disk(std::uint32_t disk) const noexcept {
    return (disk + shard_count() - rotation % shard_count()) % shard_count();
  }
};

// Serializes with header and XXH3-64 trailer.
std::string encode_manifest(const manifest& m);
// Validates magic, version, bounds and trailer; errc::corrupt on any failure.
[[nodiscard]] result<manifest> decode_manifest(std::string_view bytes);

// object_info on its own (index records reuse the manifest's field encoding).
class wire_writer;
class wire_reader;
void encode_object_info(wire_writer& w, const object_info& info);
bool decode_object_info(wire_reader& r, object_info& info);

}  // namespace kvgate::erasure
