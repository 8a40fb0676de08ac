#include "part_reader.h"

#include <xxhash.h>

#include <cstring>

#include "layout.h"

namespace kvgate::erasure {

part_reader::part_reader(const codec& c, disk_set& set, std::shared_ptr<const manifest> m,
                         std::size_t part_index, std::string data_dir,
                         std::shared_ptr<const std::vector<std::string>> inline_shards)
    : codec_(c),
      set_(set),
      manifest_(std::move(m)),
      part_(manifest_->parts[part_index]),
      geometry_{part_.info.size, manifest_->k, manifest_->block_size},
      path_(layout::part_file(data_dir, part_.info.number)),
      inline_shards_(std::move(inline_shards)),
      files_(manifest_->shard_count()),
      opened_(manifest_->shard_count(), false),
      scratch_(manifest_->block_size) {}

std::uint64_t part_reader::checksum(std::uint32_t shard, std::uint64_t stripe) const noexcept {
  return part_.block_checksums[stripe * manifest_->shard_count() + shard];
}

bool part_reader::load_block(std::uint32_t shard, std::uint64_t stripe, std::span<std::byte> dst) {
  if (bad_ & (shard_mask{1} << shard)) return false;
  const std::uint64_t offset = stripe * manifest_->block_size;
  bool ok = false;
  if (inline_shards_) {
    const std::string& bytes = (*inline_shards_)[shard];
    if (bytes.size() >= offset + dst.size()) {
      std::memcpy(dst.data(), bytes.data() + offset, dst.size());
      ok = true;
    }
  } else {
    const std::uint32_t d = manifest_->disk_of_shard(shard);
    if (!opened_[shard]) {
      opened_[shard] = true;
      if (set_.online(d)) {
        auto f = set_.disk_at(d).open_read(path_);
        if (f) {
          files_[shard] = std::move(*f);
        } else if (is_disk_fault(f.error())) {
          set_.take_offline(d, "open failed: " + f.error().message());
        }
      }
    }
    if (files_[shard]) {
      auto n = files_[shard]->pread(dst, offset);
      ok = n && *n == dst.size();
      if (!n && is_disk_fault(n.error()))
        set_.take_offline(d, "read failed: " + n.error().message());
    }
  }
  if (ok && XXH3_64bits(dst.data(), dst.size()) == checksum(shard, stripe)) return true;
  bad_ |= shard_mask{1} << shard;
  if (ok) corrupt_ |= shard_mask{1} << shard;
  return false;
}

result<void> part_reader::read(std::uint64_t offset, std::span<std::byte> out) {
  const std::uint64_t stripe_bytes = geometry_.stripe_bytes();
  while (!out.empty()) {
    const std::uint64_t s = offset / stripe_bytes;
    const std::uint64_t from = offset % stripe_bytes;
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(out.size(), geometry_.stripe_payload(s) - from));
    if (auto r = read_stripe(s, from, out.first(n)); !r) return r;
    out = out.subspan(n);
    offset += n;
  }
  return {};
}

result<void> part_reader::read_stripe(std::uint64_t s, std::uint64_t from,
                                      std::span<std::byte> out) {
  const std::uint64_t len = geometry_.block_length(s);
  // A shard this range needs is already known bad (offline disk, failed
  // checksum): rebuild at once rather than reading the good blocks before it
  // twice (once here, once in rebuild_stripe) in every stripe.
  if (!out.empty()) {
    const auto first = static_cast<std::uint32_t>(from / len);
    const auto last = static_cast<std::uint32_t>((from + out.size() - 1) / len);
    const shard_mask needed = ((shard_mask{1} << (last + 1)) - 1) & ~((shard_mask{1} << first) - 1);
    if (bad_ & needed) return rebuild_stripe(s, from, out);
  }
  std::uint64_t pos = from;  // stripe-relative
  std::size_t written = 0;
  while (written < out.size()) {
    const auto j = static_cast<std::uint32_t>(pos / len);
    const std::uint64_t in_block = pos % len;
    const std::uint64_t payload = geometry_.shard_payload(s, j);
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(payload - in_block, out.size() - written));
    std::span<std::byte> dst = out.subspan(written, n);
    bool ok;
    if (in_block == 0 && n == len) {
      ok = load_block(j, s, dst);  // whole block straight into the caller's buffer
    } else {
      ok = load_block(j, s, scratch_.span().first(len));
      if (ok) std::memcpy(dst.data(), scratch_.data() + in_block, n);
    }
    if (!ok) return rebuild_stripe(s, from, out);
    written += n;
    pos += n;
  }
  return {};
}

result<void> part_reader::rebuild_stripe(std::uint64_t s, std::uint64_t from,
                                         std::span<std::byte> out) {
  degraded_ = true;
  const std::uint32_t k = manifest_->k;
  const std::uint32_t shards = manifest_->shard_count();
  const std::uint64_t len = geometry_.block_length(s);
  if (rebuild_.size() == 0) rebuild_ = aligned_buffer(std::size_t{shards} * manifest_->block_size);
  std::vector<std::uint8_t*> ptrs(shards);
  for (std::uint32_t i = 0; i < shards; ++i)
    ptrs[i] =
        reinterpret_cast<std::uint8_t*>(rebuild_.data() + std::size_t{i} * manifest_->block_size);
  shard_mask present = 0;
  std::uint32_t good = 0;
  for (std::uint32_t i = 0; i < shards && good < k; ++i) {
    if (load_block(i, s, {reinterpret_cast<std::byte*>(ptrs[i]), len})) {
      present |= shard_mask{1} << i;
      ++good;
    }
  }
  if (good < k) return make_error_code(errc::read_quorum_lost);
  shard_mask wanted = 0;
  for (std::uint32_t j = 0; j < k; ++j)
    if (!(present & (shard_mask{1} << j))) wanted |= shard_mask{1} << j;
  if (wanted != 0) {
    if (auto r = codec_.reconstruct(ptrs, present, wanted, len); !r) return r;
    for (std::uint32_t j = 0; j < k; ++j)
      if ((wanted & (shard_mask{1} << j)) && XXH3_64bits(ptrs[j], len) != checksum(j, s))
        return make_error_code(errc::read_quorum_lost);  // rebuilt bytes disagree: refuse
  }
  // The stripe's payload is data block j at stride len; copy the requested slice.
  std::size_t written = 0;
  std::uint64_t pos = from;
  while (written < out.size()) {
    const auto j = static_cast<std::uint32_t>(pos / len);
    const std::uint64_t in_block = pos % len;
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(geometry_.shard_payload(s, j) - in_block, out.size() - written));
    std::memcpy(out.data() + written, ptrs[j] + in_block, n);
    written += n;
    pos += n;
  }
  return {};
}

}  // namespace kvgate::erasure
