// CRC32 (IEEE, reflected) and CRC32C (Castagnoli) through ISA-L.
#include <isa-l/crc.h>

#include <algorithm>

#include "kvgate/protocol/checksum.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kvgate::protocol {

namespace {

// ISA-L 2.30's vector CRC kernels return with the upper halves of the vector
// registers dirty; SSE code that runs next on the thread (XXH3, memcpy
// variants) then pays a state-transition penalty on every instruction. The
// codec measured a 6x slowdown of XXH3 (erasure/src/codec.cc); clear the state.
#if defined(__x86_64__)
__attribute__((target("avx"))) void zero_upper_avx_state() noexcept {
  _mm256_zeroupper();
}
void after_isal_call() noexcept {
  static const bool has_avx = __builtin_cpu_supports("avx") != 0;
  if (has_avx) zero_upper_avx_state();
}
#else
void after_isal_call() noexcept {}
#endif

}  // namespace

std::uint32_t crc32_update(std::uint32_t crc, byte_view data) noexcept {
  // crc32_gzip_refl applies the ~ pre/post conditioning itself.
  const std::uint32_t out = crc32_gzip_refl(crc, data.data(), data.size());
  after_isal_call();
  return out;
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
  after_isal_call();
  return ~reg;
}

}  // namespace kvgate::protocol
