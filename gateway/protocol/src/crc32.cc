// CRC32 (IEEE, reflected) and CRC32C (Castagnoli) through ISA-L.
#include <isa-l/crc.h>

#include <algorithm>

#include "kvgate/protocol/checksum.h"

namespace kvgate::protocol {

std::uint32_t crc32_update(std::uint32_t crc, byte_view data) noexcept {
  // crc32_gzip_refl applies the ~ pre/post conditioning itself.
  return crc32_gzip_refl(crc, data.data(), data.size());
}

std::uint32_t crc32c_update(std::uint32_t crc, byte_view data) noexcept {
  // crc32_iscsi takes an int length and works on the unconditioned register.
  constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
  std::uint32_t reg = ~crc;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kMaxSlice);
    reg = crc32_iscsi(const_cast<unsigned char*>(data.data()), static_cast<int>(n), reg);
    data = data.subspan(n);
  }
  return ~reg;
}

}  // namespace kvgate::protocol
