// CRC64NVME (reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout ~0):
// slicing-by-8 with compile-time tables. ISA-L 2.30 does not provide it.
#include <array>

#include "kvgate/protocol/checksum.h"

namespace kvgate::protocol {
namespace {

constexpr std::uint64_t kCrc64NvmePoly = 0x9a6c9329ac4bc9b5ULL;

using crc64_tables = std::array<std::array<std::uint64_t, 256>, 8>;

constexpr crc64_tables make_tables() {
  crc64_tables t{};
  for (std::uint64_t i = 0; i < 256; ++i) {
    std::uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc64NvmePoly : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t i = 0; i < 256; ++i) {
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}

constexpr crc64_tables kTables = make_tables();

}  // namespace

std::uint64_t crc64nvme_update(std::uint64_t crc, byte_view data) noexcept {
  std::uint64_t reg = ~crc;
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint64_t word = 0;
    for (int i = 7; i >= 0; --i) word = word << 8 | p[i];  // little-endian load
    reg ^= word;
    reg = kTables[7][reg & 0xff] ^ kTables[6][(reg >> 8) & 0xff] ^ kTables[5][(reg >> 16) & 0xff] ^
          kTables[4][(reg >> 24) & 0xff] ^ kTables[3][(reg >> 32) & 0xff] ^
          kTables[2][(reg >> 40) & 0xff] ^ kTables[1][(reg >> 48) & 0xff] ^ kTables[0][reg >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) reg = (reg >> 8) ^ kTables[0][(reg ^ *p++) & 0xff];
  return ~reg;
}

}  // namespace kvgate::protocol
