// Turns one part's byte stream into erasure-coded shards (geometry.h).
//
// Bytes are gathered into an aligned stripe buffer of k * S bytes; each full
// stripe is encoded (ISA-L), every block hashed (XXH3-64) and block s of shard i
// written at offset s * S of the shard file on set disk (i + rotation) % (k+m).
// In inline mode the shard bytes are kept in memory instead (small objects).
//
// A disk whose write fails is dropped from this part; the writer fails with
// errc::write_quorum_lost once fewer than `quorum` disks remain.
// Not thread-safe: one writer per part, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "disk_set.h"
#include "kvgate/erasure/codec.h"
#include "manifest.h"

namespace kvgate::erasure {

class stripe_writer {
 public:
  // files[d] is the shard file for set disk d, or null when the disk is skipped.
  // In inline mode files are ignored (pass empty).
  stripe_writer(const codec& c, disk_set& set, std::uint32_t block_size, std::uint32_t rotation,
                std::vector<std::unique_ptr<file>> files, bool inline_mode, std::size_t quorum);

  [[nodiscard]] result<void> write(std::span<const std::byte> data);
  // Flushes the last stripe and returns the part's size and block checksums.
  [[nodiscard]] result<part_layout> finish();

  std::uint64_t size() const noexcept { return size_; }
  // Per set disk: true if this writer dropped it after an error.
  const std::vector<bool>& failed() const noexcept { return failed_; }
  // Shard files (for the caller to sync); null where skipped or failed.
  std::vector<std::unique_ptr<file>>& files() noexcept { return files_; }
  // Inline mode: the bytes of shard i (not set disk i).
  std::vector<std::string>& inline_shards() noexcept { return inline_shards_; }

 private:
  [[nodiscard]] result<void> flush_stripe(std::size_t payload);

  const codec& codec_;
  disk_set& set_;
  std::uint32_t block_size_;
  std::uint32_t rotation_;
  std::vector<std::unique_ptr<file>> files_;
  bool inline_mode_;
  std::size_t quorum_;
  aligned_buffer stripe_;   // k * S data then m * S parity
  std::size_t filled_ = 0;  // bytes of the current stripe
  std::uint64_t stripes_ = 0;
  std::uint64_t size_ = 0;
  std::vector<std::uint64_t> checksums_;
  std::vector<bool> failed_;
  std::vector<std::string> inline_shards_;
};

}  // namespace kvgate::erasure
