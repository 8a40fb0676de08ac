// crc(A||B) from crc(A), crc(B), len(B): zlib's GF(2) matrix method, generic
// over the register width. Works on finalised values because init == xorout.
#include <array>

#include "kvgate/protocol/checksum.h"

namespace kvgate::protocol {
namespace {

template <class T>
using gf2_matrix = std::array<T, sizeof(T) * 8>;

template <class T>
T gf2_times(const gf2_matrix<T>& mat, T vec) noexcept {
  T sum = 0;
  for (std::size_t i = 0; vec != 0; ++i, vec >>= 1) {
    if (vec & 1) sum ^= mat[i];
  }
  return sum;
}

template <class T>
void gf2_square(gf2_matrix<T>& square, const gf2_matrix<T>& mat) noexcept {
  for (std::size_t n = 0; n < mat.size(); ++n) square[n] = gf2_times(mat, mat[n]);
}

template <class T>
T crc_combine(T crc_a, T crc_b, std::uint64_t len_b, T reflected_poly) noexcept {
  if (len_b == 0) return crc_a;
  gf2_matrix<T> even{};
  gf2_matrix<T> odd{};
  odd[0] = reflected_poly;  // operator for one zero bit
  T row = 1;
  for (std::size_t n = 1; n < odd.size(); ++n, row <<= 1) odd[n] = row;
  gf2_square(even, odd);  // two zero bits
  gf2_square(odd, even);  // four zero bits
  // Each loop applies len_b zero bytes, one bit of len_b at a time.
  do {
    gf2_square(even, odd);
    if (len_b & 1) crc_a = gf2_times(even, crc_a);
    len_b >>= 1;
    if (len_b == 0) break;
    gf2_square(odd, even);
    if (len_b & 1) crc_a = gf2_times(odd, crc_a);
    len_b >>= 1;
  } while (len_b != 0);
  return crc_a ^ crc_b;
}

}  // namespace

std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b,
                            std::uint64_t len_b) noexcept {
  return crc_combine<std::uint32_t>(crc_a, crc_b, len_b, 0xedb88320U);
}

std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b,
                             std::uint64_t len_b) noexcept {
  return crc_combine<std::uint32_t>(crc_a, crc_b, len_b, 0x82f63b78U);
}

std::uint64_t crc64nvme_combine(std::uint64_t crc_a, std::uint64_t crc_b,
                                std::uint64_t len_b) noexcept {
  return crc_combine<std::uint64_t>(crc_a, crc_b, len_b, 0x9a6c9329ac4bc9b5ULL);
}

}  // namespace kvgate::protocol
