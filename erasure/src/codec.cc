// Reed-Solomon codec over GF(2^8) on ISA-L 2.30; the format is specified in
// docs/formats/erasure-layout.md, "Codec".
//
// The math.
//
// Encode matrix. gf_gen_cauchy1_matrix(a, k+m, k) fills a (k+m) x k matrix E
// whose top k rows are the identity (the code is systematic: data shards are
// stored as they are) and whose row p >= k, column j is 1 / (p XOR j) in
// GF(2^8). The lower m x k block is a Cauchy matrix (x_p = p, y_j = j, all
// distinct, x_p + y_j = p XOR j != 0 because p >= k > j), and every square
// submatrix of a Cauchy matrix is non-singular. Hence any k rows of E are
// linearly independent, so ANY k of the k+m shards determine the data: the code
// is MDS for every 1 <= k <= 32, 0 <= m <= k. ISA-L's Vandermonde generator
// (gf_gen_rs_matrix) only guarantees this inside a listed (k, m) envelope,
// which is why we do not use it. tests/unit/erasure/codec_test.cc checks every
// k x k submatrix for the geometries we ship.
//
// Encode. Parity shard p = sum_j E[p][j] * d_j, i.e. the rows &E[k*k] through
// ec_init_tables (32 bytes of lookup table per coefficient) and ec_encode_data.
// The tables are built once per codec.
//
// Decode. Let S = (s_0 .. s_{k-1}) be the first k present shards (in index
// order) and B the k x k matrix of their rows of E, so S = B d and therefore
// d = B^-1 S. With V = B^-1 (gf_invert_matrix; a non-zero return means B is
// singular, impossible for a Cauchy matrix and reported as errc::corrupt):
//   - a wanted data shard e < k is d_e = sum_i V[e][i] * s_i: its decode row
//     is row e of V;
//   - a wanted parity shard p >= k is sum_j E[p][j] * d_j
//     = sum_i (sum_j E[p][j] * V[j][i]) * s_i: its decode row is row p of E
//     times V (gf_mul products, XOR sums).
// The decode rows go through ec_init_tables(k, nwanted, ...) and one
// ec_encode_data call rebuilds every wanted shard in a single pass over S.
// Decode tables depend only on (which k shards are read, which are wanted), so
// they are kept in a bounded LRU (decode_table_cache) shared by all threads.
//
// ISA-L's ec_encode_data resolves its SIMD implementation on the first call
// (multibinary dispatch patches a function pointer); codec::create runs a small
// self-test so that happens before the codec is shared between threads.
//
// ISA-L 2.30's AVX2/AVX-512 kernels return with the upper halves of the vector
// registers dirty (no vzeroupper). Legacy-SSE code that runs next on the same
// thread, such as Debian's libxxhash XXH3_64bits, then pays a transition
// penalty on every instruction: measured 2.75 GB/s instead of 16.8 GB/s on an
// AMD EPYC. Every ISA-L call below is therefore followed by vzeroupper.
#include "kvgate/erasure/codec.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

#include "decode_table_cache.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kvgate::erasure {
namespace {

// ISA-L expands each GF(2^8) coefficient into 32 bytes of lookup tables.
constexpr std::size_t kTableBytesPerCoefficient = 32;
constexpr int kMaxShards = 2 * kMaxDataShards;

#if defined(__x86_64__)
__attribute__((target("avx"))) void zero_upper_avx_state() noexcept {
  _mm256_zeroupper();
}

// Clears the upper vector state after ISA-L returns (see the top of the file).
void after_isal_call() noexcept {
  static const bool has_avx = __builtin_cpu_supports("avx") != 0;
  if (has_avx) {
    zero_upper_avx_state();
  }
}
#else
void after_isal_call() noexcept {}
#endif

constexpr std::size_t to_size(int v) noexcept {
  return static_cast<std::size_t>(v);
}

shard_mask all_shards(int n) noexcept {
  return n >= 64 ? ~shard_mask{0} : (shard_mask{1} << n) - 1;
}

// The codec over ISA-L. Immutable after construction except for the decode
// table cache, which is internally synchronized; safe to share between threads.
class isal_codec final : public codec {
 public:
  isal_codec(int k, int m) : codec(k, m), matrix_(to_size(k + m) * to_size(k)) {
    gf_gen_cauchy1_matrix(matrix_.data(), k + m, k);
    if (m > 0) {
      encode_tables_.resize(kTableBytesPerCoefficient * to_size(k) * to_size(m));
      ec_init_tables(k, m, &matrix_[to_size(k) * to_size(k)], encode_tables_.data());
    }
  }

  std::span<const std::uint8_t> encode_matrix() const noexcept override { return matrix_; }

  void encode(std::span<const std::uint8_t* const> data, std::span<std::uint8_t* const> parity,
              std::size_t len) const override {
    if (data.size() != static_cast<std::size_t>(k()) ||
        parity.size() != static_cast<std::size_t>(m()) || len % kShardAlign != 0 ||
        len > static_cast<std::size_t>(INT_MAX)) {
      throw std::invalid_argument("codec::encode: shard count or length violates preconditions");
    }
    if (m() == 0 || len == 0) {
      return;
    }
    // ISA-L's signature is not const-correct; it only reads the sources.
    std::array<unsigned char*, kMaxDataShards> sources{};
    std::array<unsigned char*, kMaxDataShards> outputs{};
    for (int i = 0; i < k(); ++i) {
      sources[i] = const_cast<unsigned char*>(data[i]);
    }
    std::copy(parity.begin(), parity.end(), outputs.begin());
    ec_encode_data(static_cast<int>(len), k(), m(),
                   const_cast<unsigned char*>(encode_tables_.data()), sources.data(),
                   outputs.data());
    after_isal_call();
  }

  result<void> reconstruct(std::span<std::uint8_t* const> shards, shard_mask present,
                           shard_mask wanted, std::size_t len) const override {
    const int n = k() + m();
    const shard_mask valid = all_shards(n);
    if (shards.size() != static_cast<std::size_t>(n) || len % kShardAlign != 0 ||
        len > static_cast<std::size_t>(INT_MAX) || (present & wanted) != 0 ||
        (present & ~valid) != 0 || (wanted & ~valid) != 0) {
      return errc::invalid_argument;
    }
    if (wanted == 0) {
      return {};
    }
    if (std::popcount(present) < k()) {
      return errc::read_quorum_lost;
    }

    // The first k present shards are the sources.
    const decode_pattern pattern{first_k(present), wanted};
    std::array<unsigned char*, kMaxDataShards> sources{};
    std::array<unsigned char*, kMaxDataShards> outputs{};
    int nsources = 0;
    int nwanted = 0;
    for (int i = 0; i < n; ++i) {
      const shard_mask bit = shard_mask{1} << i;
      if ((pattern.sources & bit) != 0) {
        sources[nsources++] = shards[i];
      } else if ((wanted & bit) != 0) {
        outputs[nwanted++] = shards[i];
      }
    }
    const auto is_null = [](const unsigned char* p) { return p == nullptr; };
    if (std::any_of(sources.begin(), sources.begin() + nsources, is_null) ||
        std::any_of(outputs.begin(), outputs.begin() + nwanted, is_null)) {
      return errc::invalid_argument;
    }

    auto tables = decode_cache_.find(pattern);
    if (!tables) {
      auto built = build_decode_tables(pattern);
      if (!built) {
        return built.error();
      }
      tables = decode_cache_.insert(pattern, std::move(*built));
    }
    if (len == 0) {
      return {};
    }
    ec_encode_data(static_cast<int>(len), k(), nwanted, const_cast<unsigned char*>(tables->data()),
                   sources.data(), outputs.data());
    after_isal_call();
    return {};
  }

 private:
  shard_mask first_k(shard_mask present) const noexcept {
    shard_mask chosen = 0;
    for (int taken = 0; taken < k(); ++taken) {
      const shard_mask lowest = present & (~present + 1);
      chosen |= lowest;
      present ^= lowest;
    }
    return chosen;
  }

  // Derives the decode rows for `pattern` (see the comment at the top of this
  // file) and expands them with ec_init_tables.
  result<std::shared_ptr<const decode_tables>> build_decode_tables(
      const decode_pattern& pattern) const {
    const int n = k() + m();
    const std::size_t kk = to_size(k());
    std::array<unsigned char, to_size(kMaxDataShards) * to_size(kMaxDataShards)> b{};
    std::array<unsigned char, to_size(kMaxDataShards) * to_size(kMaxDataShards)> inverse{};
    int row = 0;
    for (int i = 0; i < n; ++i) {
      if ((pattern.sources & (shard_mask{1} << i)) != 0) {
        std::memcpy(&b[to_size(row) * kk], &matrix_[to_size(i) * kk], kk);
        ++row;
      }
    }
    if (gf_invert_matrix(b.data(), inverse.data(), k()) != 0) {
      return errc::corrupt;
    }

    std::vector<unsigned char> rows(to_size(std::popcount(pattern.wanted)) * kk);
    int out = 0;
    for (int w = 0; w < n; ++w) {
      if ((pattern.wanted & (shard_mask{1} << w)) == 0) {
        continue;
      }
      unsigned char* dst = &rows[to_size(out) * kk];
      if (w < k()) {
        std::memcpy(dst, &inverse[to_size(w) * kk], kk);
      } else {
        const unsigned char* enc_row = &matrix_[to_size(w) * kk];
        for (std::size_t i = 0; i < kk; ++i) {
          unsigned char sum = 0;
          for (std::size_t j = 0; j < kk; ++j) {
            sum ^= gf_mul(inverse[j * kk + i], enc_row[j]);
          }
          dst[i] = sum;
        }
      }
      ++out;
    }

    auto tables = std::make_shared<decode_tables>(kTableBytesPerCoefficient * rows.size());
    ec_init_tables(k(), out, rows.data(), tables->data());
    return std::shared_ptr<const decode_tables>(std::move(tables));
  }

  std::vector<std::uint8_t> matrix_;         // (k+m) x k, row-major
  std::vector<std::uint8_t> encode_tables_;  // ec_init_tables of the m parity rows
  mutable decode_table_cache decode_cache_;
};

// Encodes a fixed buffer with the dispatched and the scalar ISA-L routines,
// compares them, then erases shard 0 and rebuilds it. Resolves ISA-L's
// dispatcher before the codec is shared between threads.
result<void> self_test(const codec& c) {
  constexpr std::size_t kLen = 2 * kShardAlign;
  const int k = c.k();
  const int m = c.m();
  const int n = k + m;
  std::vector<std::uint8_t> buffer(kLen * static_cast<std::size_t>(n) * 2);
  std::vector<std::uint8_t*> shards(static_cast<std::size_t>(n));
  std::vector<std::uint8_t*> reference(static_cast<std::size_t>(m));
  for (int i = 0; i < n; ++i) {
    shards[i] = &buffer[kLen * static_cast<std::size_t>(i)];
  }
  for (int i = 0; i < m; ++i) {
    reference[i] = &buffer[kLen * static_cast<std::size_t>(n + i)];
  }
  for (std::size_t i = 0; i < kLen * static_cast<std::size_t>(k); ++i) {
    buffer[i] = static_cast<std::uint8_t>(i * 131 + 7);
  }
  if (m == 0) {
    return {};
  }
  c.encode(std::span<const std::uint8_t* const>(shards.data(), static_cast<std::size_t>(k)),
           std::span<std::uint8_t* const>(shards.data() + k, static_cast<std::size_t>(m)), kLen);

  std::vector<unsigned char> tables(kTableBytesPerCoefficient * to_size(k) * to_size(m));
  std::vector<unsigned char> matrix(c.encode_matrix().begin(), c.encode_matrix().end());
  ec_init_tables(k, m, &matrix[to_size(k) * to_size(k)], tables.data());
  ec_encode_data_base(static_cast<int>(kLen), k, m, tables.data(), shards.data(), reference.data());
  for (int i = 0; i < m; ++i) {
    if (std::memcmp(shards[k + i], reference[i], kLen) != 0) {
      return errc::corrupt;
    }
  }

  std::vector<std::uint8_t> original(shards[0], shards[0] + kLen);
  std::memset(shards[0], 0, kLen);
  if (auto r = c.reconstruct(shards, all_shards(n) & ~shard_mask{1}, shard_mask{1}, kLen); !r) {
    return r.error();
  }
  if (std::memcmp(shards[0], original.data(), kLen) != 0) {
    return errc::corrupt;
  }
  return {};
}

}  // namespace

result<std::shared_ptr<const codec>> codec::create(int k, int m) {
  if (k < 1 || k > kMaxDataShards || m < 0 || m > k || k + m > kMaxShards) {
    return errc::invalid_argument;
  }
  auto c = std::make_shared<const isal_codec>(k, m);
  // A self-test failure means ISA-L computes wrong bytes on this machine: no
  // data may be written or read through it, reported as errc::corrupt.
  if (auto r = self_test(*c); !r) {
    return r.error();
  }
  return std::shared_ptr<const codec>(std::move(c));
}

int default_parity(int disk_count) noexcept {
  if (disk_count <= 1) {
    return 0;
  }
  if (disk_count <= 3) {
    return 1;
  }
  if (disk_count <= 12) {
    return 2;
  }
  return 4;
}

}  // namespace kvgate::erasure
