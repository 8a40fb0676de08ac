#include "stripe_writer.h"

#include <xxhash.h>

#include <cstring>

#include "geometry.h"

namespace kvgate::erasure {

stripe_writer::stripe_writer(const codec& c, disk_set& set, std::uint32_t block_size,
                             std::uint32_t rotation, std::vector<std::unique_ptr<file>> files,
                             bool inline_mode, std::size_t quorum)
    : codec_(c),
      set_(set),
      block_size_(block_size),
      rotation_(rotation),
      files_(std::move(files)),
      inline_mode_(inline_mode),
      quorum_(quorum),
      stripe_(static_cast<std::size_t>(c.k() + c.m()) * block_size),
      failed_(static_cast<std::size_t>(c.k() + c.m()), false) {
  files_.resize(failed_.size());
  if (inline_mode_) inline_shards_.resize(failed_.size());
}

result<void> stripe_writer::write(std::span<const std::byte> data) {
  const std::size_t stripe_bytes = static_cast<std::size_t>(codec_.k()) * block_size_;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), stripe_bytes - filled_);
    std::memcpy(stripe_.data() + filled_, data.data(), n);
    filled_ += n;
    size_ += n;
    data = data.subspan(n);
    if (filled_ == stripe_bytes) {
      if (auto r = flush_stripe(filled_); !r) return r;
      filled_ = 0;
    }
  }
  return {};
}

result<void> stripe_writer::flush_stripe(std::size_t payload) {
  const std::uint32_t k = static_cast<std::uint32_t>(codec_.k());
  const std::uint32_t shards = k + static_cast<std::uint32_t>(codec_.m());
  const part_geometry g{payload, k, block_size_};
  const std::uint32_t len = g.block_length(0);
  // Zero the padding after the payload so parity and checksums are deterministic.
  std::memset(stripe_.data() + payload, 0, static_cast<std::size_t>(k) * len - payload);
  std::vector<const std::uint8_t*> data_ptrs(k);
  std::vector<std::uint8_t*> parity_ptrs(shards - k);
  std::vector<std::byte*> block(shards);
  for (std::uint32_t i = 0; i < shards; ++i) {
    // Data blocks are contiguous in the stripe buffer at stride len; parity
    // blocks follow the data region at stride S.
    block[i] = i < k ? stripe_.data() + static_cast<std::size_t>(i) * len
                     : stripe_.data() + static_cast<std::size_t>(k) * block_size_ +
                           static_cast<std::size_t>(i - k) * block_size_;
    if (i < k)
      data_ptrs[i] = reinterpret_cast<const std::uint8_t*>(block[i]);
    else
      parity_ptrs[i - k] = reinterpret_cast<std::uint8_t*>(block[i]);
  }
  codec_.encode(data_ptrs, parity_ptrs, len);
  const std::uint64_t offset = stripes_ * block_size_;
  std::size_t alive = 0;
  for (std::uint32_t i = 0; i < shards; ++i) {
    checksums_.push_back(XXH3_64bits(block[i], len));
    const std::size_t d = (i + rotation_) % shards;
    if (inline_mode_) {
      inline_shards_[i].append(reinterpret_cast<const char*>(block[i]), len);
      continue;
    }
    if (!files_[d]) continue;
    if (auto r = files_[d]->pwrite({block[i], len}, offset); !r) {
      failed_[d] = true;
      files_[d].reset();
      if (is_disk_fault(r.error())) set_.take_offline(d, "write failed: " + r.error().message());
    } else {
      // The disk writes this block back while the next stripes arrive, so
      // the commit's fdatasync finds little left to write.
      files_[d]->start_writeback(offset, len);
    }
  }
  if (!inline_mode_) {
    for (const auto& f : files_) alive += f ? 1 : 0;
    if (alive < quorum_) return make_error_code(errc::write_quorum_lost);
  }
  ++stripes_;
  return {};
}

result<part_layout> stripe_writer::finish() {
  if (filled_ > 0) {
    if (auto r = flush_stripe(filled_); !r) return r.error();
    filled_ = 0;
  }
  part_layout out;
  out.info.size = size_;
  out.block_checksums = std::move(checksums_);
  return out;
}

}  // namespace kvgate::erasure
