// Deterministic KV-segment contents for the workload generator: byte `o` of
// the object named `key` is a pure function of (key, o), so PUTs generate
// their bodies and GETs check every byte they read without either side
// keeping a copy, and concurrent overwrites of a key never change its bytes.
//
// Layout: the object is a sequence of 4 KiB blocks. Each block is a fixed
// pseudo-random 4 KiB table whose first 16 bytes are replaced by a stamp:
// the key's 64-bit FNV-1a hash and the block's byte offset (both little
// endian). A byte from the wrong object or the wrong offset breaks the
// stamp; a corrupted byte anywhere breaks the table comparison. The last
// block of an object is cut short.
//
// Pure functions over an immutable table built once (thread-safe static init).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace kvgate::perf {

class segment_pattern {
 public:
  static constexpr std::size_t kBlock = 4096;
  static constexpr std::size_t kStamp = 16;

  // FNV-1a, 64 bit.
  static std::uint64_t key_seed(std::string_view key) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : key) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    return h;
  }

  // Writes the object's bytes [offset, offset + out.size()) into `out`.
  static void fill(std::uint64_t seed, std::uint64_t offset, std::span<char> out) noexcept {
    walk(
        offset, out.size(),
        [&](std::size_t at, const char* expected, std::size_t n) {
          std::memcpy(out.data() + at, expected, n);
          return true;
        },
        seed);
  }

  // Rewrites only the stamps of `out`, which already holds the bytes
  // [offset, offset + out.size()) of some object: turns it into the same
  // range of the object with `seed` at 16 bytes per 4 KiB.
  static void restamp(std::uint64_t seed, std::uint64_t offset, std::span<char> out) noexcept {
    walk<true>(
        offset, out.size(),
        [&](std::size_t at, const char* expected, std::size_t n) {
          std::memcpy(out.data() + at, expected, n);
          return true;
        },
        seed);
  }

  // Absolute offset of the first byte of `in` (which holds the object's bytes
  // from `offset` on) that differs from the pattern, or nullopt when all match.
  static std::optional<std::uint64_t> first_mismatch(std::uint64_t seed, std::uint64_t offset,
                                                     std::span<const char> in) noexcept {
    std::optional<std::uint64_t> bad;
    walk(
        offset, in.size(),
        [&](std::size_t at, const char* expected, std::size_t n) {
          if (std::memcmp(in.data() + at, expected, n) == 0) return true;
          for (std::size_t i = 0; i < n; ++i)
            if (in[at + i] != expected[i]) {
              bad = offset + at + i;
              break;
            }
          return false;
        },
        seed);
    return bad;
  }

 private:
  static const std::array<char, kBlock>& table() noexcept {
    static const std::array<char, kBlock> t = [] {
      std::array<char, kBlock> a{};
      std::uint64_t x = 0x6b76676174652d31ULL;  // "kvgate-1"
      for (std::size_t i = 0; i < kBlock; i += 8) {
        x += 0x9e3779b97f4a7c15ULL;  // splitmix64
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        for (std::size_t b = 0; b < 8; ++b) a[i + b] = static_cast<char>(z >> (8 * b));
      }
      return a;
    }();
    return t;
  }

  // Calls visit(position in the caller's span, expected bytes, count) over
  // [offset, offset + size) in pieces; stops early when visit returns false.
  // With kStampsOnly, visits the stamp pieces only.
  template <bool kStampsOnly = false, class Visit>
  static void walk(std::uint64_t offset, std::size_t size, Visit&& visit,
                   std::uint64_t seed) noexcept {
    const auto& t = table();
    std::size_t at = 0;
    while (at < size) {
      const std::uint64_t pos = offset + at;
      const std::uint64_t block_start = pos - pos % kBlock;
      const std::size_t in_block = static_cast<std::size_t>(pos - block_start);
      const std::size_t n = std::min(size - at, kBlock - in_block);
      if (in_block < kStamp) {
        char stamp[kStamp];
        for (std::size_t b = 0; b < 8; ++b) {
          stamp[b] = static_cast<char>(seed >> (8 * b));
          stamp[8 + b] = static_cast<char>(block_start >> (8 * b));
        }
        const std::size_t s = std::min(n, kStamp - in_block);
        if (!visit(at, stamp + in_block, s)) return;
        if (!kStampsOnly && n > s && !visit(at + s, t.data() + kStamp, n - s)) return;
      } else if (!kStampsOnly && !visit(at, t.data() + in_block, n)) {
        return;
      }
      at += n;
    }
  }
};

}  // namespace kvgate::perf
