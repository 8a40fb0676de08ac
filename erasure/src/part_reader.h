// Reads byte ranges of one part of a pinned object version (geometry.h).
//
// Healthy path: only the data blocks overlapping the range are read, each
// verified against its XXH3-64 from the manifest, directly into the caller's
// buffer when a whole block fits; ISA-L is never called. Degraded path: when a
// block cannot be read or fails its checksum, the stripe is rebuilt from any k
// good blocks, and the rebuilt blocks are verified against the manifest's
// checksums before a byte is returned. More than m bad blocks in a stripe fail
// the read with errc::read_quorum_lost: never wrong bytes.
//
// Not thread-safe: one reader per request.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "disk_set.h"
#include "geometry.h"
#include "kvgate/erasure/codec.h"
#include "manifest.h"

namespace kvgate::erasure {

class part_reader {
 public:
  // data_dir: the version's data directory (relative path), holding part.<N>
  // files; for inlined objects pass inline_shards (indexed by shard, empty
  // string = unavailable) instead.
  part_reader(const codec& c, disk_set& set, std::shared_ptr<const manifest> m,
              std::size_t part_index, std::string data_dir,
              std::shared_ptr<const std::vector<std::string>> inline_shards);

  // Fills `out` with the part's bytes starting at `offset`.
  // Precondition: offset + out.size() <= part size.
  [[nodiscard]] result<void> read(std::uint64_t offset, std::span<std::byte> out);

  bool degraded() const noexcept { return degraded_; }
  // Shards found missing or corrupt (bit i = shard i).
  shard_mask bad_shards() const noexcept { return bad_; }
  // The subset of bad_shards() that read back in full but failed a block
  // checksum (bitrot), as opposed to missing files and failed reads.
  shard_mask corrupt_shards() const noexcept { return corrupt_; }

 private:
  [[nodiscard]] result<void> read_stripe(std::uint64_t stripe, std::uint64_t from,
                                         std::span<std::byte> out);
  [[nodiscard]] result<void> rebuild_stripe(std::uint64_t stripe, std::uint64_t from,
                                            std::span<std::byte> out);
  // Reads and verifies block `stripe` of `shard` into dst (block length bytes).
  bool load_block(std::uint32_t shard, std::uint64_t stripe, std::span<std::byte> dst);
  std::uint64_t checksum(std::uint32_t shard, std::uint64_t stripe) const noexcept;

  const codec& codec_;
  disk_set& set_;
  std::shared_ptr<const manifest> manifest_;
  const part_layout& part_;
  part_geometry geometry_;
  std::string path_;  // part file path within each disk
  std::shared_ptr<const std::vector<std::string>> inline_shards_;
  std::vector<std::unique_ptr<file>> files_;  // per shard, opened lazily
  std::vector<bool> opened_;
  aligned_buffer scratch_;  // one block, for partial blocks
  aligned_buffer rebuild_;  // (k + m) blocks, for degraded stripes
  shard_mask bad_ = 0;
  shard_mask corrupt_ = 0;
  bool degraded_ = false;
};

}  // namespace kvgate::erasure
