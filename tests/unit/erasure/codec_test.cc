// Golden and exhaustive tests for the Reed-Solomon codec (erasure/src/codec.cc):
// parity equals ISA-L's scalar base routine, every erasure pattern up to m
// rebuilds byte-exact, every k x k submatrix of the shipped Cauchy matrices is
// invertible, bad arguments are rejected, and the decode-table cache is safe
// under concurrent use.
#include "kvgate/erasure/codec.h"

#include <isa-l/erasure_code.h>
#include <xxhash.h>

#include <atomic>
#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace {

using kvgate::erasure::codec;
using kvgate::erasure::errc;
using kvgate::erasure::shard_mask;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::shared_ptr<const codec> make_codec(int k, int m) {
  auto c = codec::create(k, m);
  REQUIRE(c.has_value());
  return *c;
}

// k + m shards of `len` bytes each in one buffer; data shards filled from a
// seeded generator, parity computed by the codec under test.
class stripe {
 public:
  stripe(const codec& c, std::size_t len, std::uint64_t seed)
      : k_(c.k()), m_(c.m()), len_(len), bytes_(len * static_cast<std::size_t>(k_ + m_)) {
    for (auto& b : bytes_) {
      b = static_cast<std::uint8_t>(splitmix64(seed));
    }
    for (int i = 0; i < k_ + m_; ++i) {
      shards_.push_back(bytes_.data() + len_ * static_cast<std::size_t>(i));
    }
    c.encode(data(), parity(), len_);
    original_ = bytes_;
  }

  std::span<const std::uint8_t* const> data() const {
    return {const_cast<const std::uint8_t* const*>(shards_.data()), static_cast<std::size_t>(k_)};
  }
  std::span<std::uint8_t* const> parity() const {
    return {shards_.data() + k_, static_cast<std::size_t>(m_)};
  }
  std::span<std::uint8_t* const> shards() const { return shards_; }
  std::uint8_t* shard(int i) const { return shards_[i]; }
  std::size_t len() const { return len_; }
  int n() const { return k_ + m_; }

  // Overwrites the shards in `mask` with a junk pattern.
  void erase(shard_mask mask) {
    for (int i = 0; i < n(); ++i) {
      if ((mask >> i) & 1) {
        std::memset(shards_[i], 0xA5, len_);
      }
    }
  }
  bool matches_original() const { return bytes_ == original_; }
  bool shard_matches_original(int i) const {
    return std::memcmp(shards_[i], original_.data() + len_ * static_cast<std::size_t>(i), len_) ==
           0;
  }

 private:
  int k_;
  int m_;
  std::size_t len_;
  std::vector<std::uint8_t> bytes_;
  std::vector<std::uint8_t> original_;
  std::vector<std::uint8_t*> shards_;
};

shard_mask all_of(int n) {
  return n >= 64 ? ~shard_mask{0} : (shard_mask{1} << n) - 1;
}

// Calls f(mask) for every subset of {0..n-1} of exactly `size` elements.
template <class F>
void for_each_subset(int n, int size, F&& f) {
  if (size == 0) {
    f(shard_mask{0});
    return;
  }
  // Gosper's hack: next integer with the same popcount.
  shard_mask mask = (shard_mask{1} << size) - 1;
  const shard_mask limit = shard_mask{1} << n;
  while (mask < limit) {
    f(mask);
    const shard_mask low = mask & (~mask + 1);
    const shard_mask ripple = mask + low;
    mask = (((ripple ^ mask) >> 2) / low) | ripple;
  }
}

// Erases every pattern of 1..m shards, rebuilds it, and returns the number of
// patterns checked; every rebuilt stripe must equal the original bytes.
std::size_t check_every_erasure_pattern(int k, int m, std::size_t len) {
  const auto c = make_codec(k, m);
  stripe s(*c, len, static_cast<std::uint64_t>(k * 100 + m));
  std::size_t patterns = 0;
  bool all_ok = true;
  for (int erased = 1; erased <= m; ++erased) {
    for_each_subset(k + m, erased, [&](shard_mask lost) {
      s.erase(lost);
      const auto r = c->reconstruct(s.shards(), all_of(k + m) & ~lost, lost, len);
      if (!r || !s.matches_original()) {
        all_ok = false;
        UNSCOPED_INFO("k=" << k << " m=" << m << " lost mask=" << lost);
      }
      ++patterns;
    });
  }
  CHECK(all_ok);
  return patterns;
}

std::uint64_t binomial(int n, int r) {
  std::uint64_t v = 1;
  for (int i = 1; i <= r; ++i) {
    v = v * static_cast<std::uint64_t>(n - r + i) / static_cast<std::uint64_t>(i);
  }
  return v;
}

}  // namespace

TEST_CASE("encode produces the same parity as ISA-L's scalar base routine", "[codec]") {
  const std::pair<int, int> geometries[] = {{1, 1}, {2, 1},  {3, 3},  {4, 2},  {6, 3},
                                            {8, 2}, {10, 4}, {12, 4}, {16, 4}, {32, 32}};
  for (const auto& [k, m] : geometries) {
    for (const std::size_t len : {std::size_t{64}, std::size_t{4096}, std::size_t{128} * 1024}) {
      INFO("k=" << k << " m=" << m << " len=" << len);
      const auto c = make_codec(k, m);
      stripe s(*c, len, 7);

      std::vector<unsigned char> matrix(c->encode_matrix().begin(), c->encode_matrix().end());
      std::vector<unsigned char> tables(std::size_t{32} * static_cast<std::size_t>(k) *
                                        static_cast<std::size_t>(m));
      ec_init_tables(k, m, &matrix[static_cast<std::size_t>(k) * static_cast<std::size_t>(k)],
                     tables.data());
      std::vector<std::uint8_t> expected(len * static_cast<std::size_t>(m));
      std::vector<unsigned char*> sources(s.shards().begin(), s.shards().begin() + k);
      std::vector<unsigned char*> outputs;
      outputs.reserve(static_cast<std::size_t>(m));
      for (int i = 0; i < m; ++i) {
        outputs.push_back(expected.data() + len * static_cast<std::size_t>(i));
      }
      ec_encode_data_base(static_cast<int>(len), k, m, tables.data(), sources.data(),
                          outputs.data());
      for (int i = 0; i < m; ++i) {
        CHECK(std::memcmp(s.shard(k + i), outputs[i], len) == 0);
      }
    }
  }
}

TEST_CASE("encode matrix is k+m rows of k with the identity on top", "[codec]") {
  const auto c = make_codec(10, 4);
  const auto matrix = c->encode_matrix();
  REQUIRE(matrix.size() == std::size_t{14} * 10);
  for (int r = 0; r < 10; ++r) {
    for (int col = 0; col < 10; ++col) {
      CHECK(matrix[static_cast<std::size_t>(r * 10 + col)] == (r == col ? 1 : 0));
    }
  }
  // Cauchy rows: entry (p, j) is 1 / (p XOR j).
  for (int p = 10; p < 14; ++p) {
    for (int j = 0; j < 10; ++j) {
      CHECK(gf_mul(matrix[static_cast<std::size_t>(p * 10 + j)],
                   static_cast<unsigned char>(p ^ j)) == 1);
    }
  }
}

TEST_CASE("4+2 parity of a fixed input has the golden XXH3-64", "[codec]") {
  // Catches any change in the encode matrix or in ISA-L's arithmetic.
  const auto c = make_codec(4, 2);
  constexpr std::size_t kLen = 4096;
  std::vector<std::uint8_t> bytes(kLen * 6);
  for (std::size_t i = 0; i < kLen * 4; ++i) {
    bytes[i] = static_cast<std::uint8_t>((i * 2654435761U) >> 13);
  }
  const std::uint8_t* data[4] = {&bytes[0], &bytes[kLen], &bytes[2 * kLen], &bytes[3 * kLen]};
  std::uint8_t* parity[2] = {&bytes[4 * kLen], &bytes[5 * kLen]};
  c->encode(data, parity, kLen);
  CHECK(XXH3_64bits(&bytes[4 * kLen], 2 * kLen) == 0x0c5d776cd614d35bULL);
}

TEST_CASE("every erasure pattern of up to m shards rebuilds byte-exact", "[codec]") {
  const std::pair<int, int> geometries[] = {{1, 1}, {2, 1},  {3, 2},  {4, 2}, {6, 3},
                                            {8, 2}, {10, 4}, {12, 4}, {16, 4}};
  for (const auto& [k, m] : geometries) {
    INFO("k=" << k << " m=" << m);
    std::uint64_t expected = 0;
    for (int e = 1; e <= m; ++e) {
      expected += binomial(k + m, e);
    }
    CHECK(check_every_erasure_pattern(k, m, 256) == expected);
  }
}

TEST_CASE("a full 128 KiB block rebuilds byte-exact with m erasures", "[codec]") {
  const auto c = make_codec(8, 2);
  stripe s(*c, std::size_t{128} * 1024, 99);
  const shard_mask lost = (shard_mask{1} << 3) | (shard_mask{1} << 9);
  s.erase(lost);
  REQUIRE(c->reconstruct(s.shards(), all_of(10) & ~lost, lost, s.len()));
  CHECK(s.matches_original());
}

TEST_CASE("rebuilding a subset of the missing shards leaves the others untouched", "[codec]") {
  const auto c = make_codec(6, 3);
  stripe s(*c, 512, 5);
  const shard_mask lost = 0b100100010;  // data 1, data 5, parity 8
  s.erase(lost);
  REQUIRE(c->reconstruct(s.shards(), all_of(9) & ~lost, shard_mask{1} << 5, s.len()));
  CHECK(s.shard_matches_original(5));
  CHECK_FALSE(s.shard_matches_original(1));
  CHECK_FALSE(s.shard_matches_original(8));
  // Shard 5 is back; rebuild the rest from a different source set (without shard 0).
  const shard_mask now_present = (all_of(9) & ~lost & ~shard_mask{1}) | (shard_mask{1} << 5);
  REQUIRE(c->reconstruct(s.shards(), now_present, (shard_mask{1} << 1) | (shard_mask{1} << 8),
                         s.len()));
  CHECK(s.shard_matches_original(1));
  CHECK(s.shard_matches_original(8));
}

TEST_CASE("reconstruct reads only the shards marked present", "[codec]") {
  // Shards outside `present` may hold garbage (or be unreadable); they must
  // not influence the result.
  const auto c = make_codec(4, 2);
  stripe s(*c, 256, 11);
  const shard_mask lost = shard_mask{1} << 0;
  const shard_mask unread = shard_mask{1} << 2;
  s.erase(lost | unread);
  REQUIRE(c->reconstruct(s.shards(), all_of(6) & ~lost & ~unread, lost, s.len()));
  CHECK(s.shard_matches_original(0));
}

TEST_CASE("more than m erasures fails with read_quorum_lost", "[codec]") {
  const std::pair<int, int> geometries[] = {{4, 2}, {8, 2}, {10, 4}};
  for (const auto& geometry : geometries) {
    const int k = geometry.first;
    const int m = geometry.second;
    INFO("k=" << k << " m=" << m);
    const auto c = make_codec(k, m);
    stripe s(*c, 128, 3);
    for_each_subset(k + m, m + 1, [&](shard_mask lost) {
      const auto r = c->reconstruct(s.shards(), all_of(k + m) & ~lost, lost, s.len());
      REQUIRE(r.has_error());
      CHECK(r.error() == errc::read_quorum_lost);
    });
    // Nothing was written to the shards on failure.
    CHECK(s.matches_original());
  }
}

TEST_CASE("every k x k submatrix of the shipped Cauchy matrices is invertible", "[codec]") {
  // The MDS property: any k surviving shards determine the data.
  const std::pair<int, int> geometries[] = {{4, 2}, {6, 3}, {8, 2}, {10, 4}, {12, 4}};
  for (const auto& geometry : geometries) {
    const int k = geometry.first;
    const int m = geometry.second;
    const auto width = static_cast<std::size_t>(k);
    INFO("k=" << k << " m=" << m);
    const auto c = make_codec(k, m);
    const auto matrix = c->encode_matrix();
    std::vector<unsigned char> sub(width * width);
    std::vector<unsigned char> inverse(width * width);
    std::uint64_t checked = 0;
    std::uint64_t singular = 0;
    for_each_subset(k + m, k, [&](shard_mask rows) {
      int r = 0;
      for (int i = 0; i < k + m; ++i) {
        if ((rows >> i) & 1) {
          std::memcpy(&sub[static_cast<std::size_t>(r++) * width],
                      &matrix[static_cast<std::size_t>(i) * width], width);
        }
      }
      singular += gf_invert_matrix(sub.data(), inverse.data(), k) != 0 ? 1 : 0;
      ++checked;
    });
    CHECK(checked == binomial(k + m, k));
    CHECK(singular == 0);
  }
}

TEST_CASE("codec::create rejects geometries outside 1 <= k <= 32, 0 <= m <= k", "[codec]") {
  const std::pair<int, int> bad[] = {{0, 0}, {-1, 0}, {33, 0}, {4, 5}, {4, -1}, {32, 33}};
  for (const auto& [k, m] : bad) {
    INFO("k=" << k << " m=" << m);
    const auto c = codec::create(k, m);
    REQUIRE(c.has_error());
    CHECK(c.error() == errc::invalid_argument);
  }
  for (const auto& [k, m] :
       {std::pair{1, 0}, std::pair{1, 1}, std::pair{32, 0}, std::pair{32, 32}}) {
    INFO("k=" << k << " m=" << m);
    const auto c = codec::create(k, m);
    REQUIRE(c.has_value());
    CHECK((*c)->k() == k);
    CHECK((*c)->m() == m);
  }
}

TEST_CASE("reconstruct rejects arguments that break its preconditions", "[codec]") {
  const auto c = make_codec(4, 2);
  stripe s(*c, 256, 1);
  const shard_mask lost = shard_mask{1} << 1;
  const shard_mask present = all_of(6) & ~lost;
  const auto rejects = [](const kvgate::erasure::result<void>& r) {
    return r.has_error() && r.error() == errc::invalid_argument;
  };
  // Wrong shard count.
  CHECK(rejects(c->reconstruct(s.shards().first(5), present, lost, 256)));
  // Length not a multiple of kShardAlign.
  CHECK(rejects(c->reconstruct(s.shards(), present, lost, 100)));
  // A shard both present and wanted.
  CHECK(rejects(c->reconstruct(s.shards(), present, lost | 1, 256)));
  // Bits beyond k + m.
  CHECK(rejects(c->reconstruct(s.shards(), present | (shard_mask{1} << 6), lost, 256)));
  CHECK(rejects(c->reconstruct(s.shards(), present, lost | (shard_mask{1} << 40), 256)));
  // A null buffer among the shards used.
  std::vector<std::uint8_t*> with_null(s.shards().begin(), s.shards().end());
  with_null[1] = nullptr;
  CHECK(rejects(c->reconstruct(with_null, present, lost, 256)));
  CHECK(s.matches_original());
}

TEST_CASE("reconstruct with nothing wanted or zero length is a successful no-op", "[codec]") {
  const auto c = make_codec(4, 2);
  stripe s(*c, 256, 2);
  CHECK(c->reconstruct(s.shards(), all_of(6), 0, 256));
  CHECK(c->reconstruct(s.shards(), 0b111101, 0b000010, 0));
  CHECK(s.matches_original());
}

TEST_CASE("encode rejects a wrong shard count or an unaligned length", "[codec]") {
  const auto c = make_codec(4, 2);
  stripe s(*c, 256, 4);
  CHECK_THROWS_AS(c->encode(s.data().first(3), s.parity(), 256), std::invalid_argument);
  CHECK_THROWS_AS(c->encode(s.data(), s.parity().first(1), 256), std::invalid_argument);
  CHECK_THROWS_AS(c->encode(s.data(), s.parity(), 65), std::invalid_argument);
}

TEST_CASE("a codec without parity encodes nothing and rebuilds nothing", "[codec]") {
  const auto c = make_codec(3, 0);
  stripe s(*c, 128, 8);
  CHECK(c->encode_matrix().size() == 9);
  CHECK(c->reconstruct(s.shards(), all_of(3), 0, 128));
  const auto r = c->reconstruct(s.shards(), 0b011, 0b100, 128);
  REQUIRE(r.has_error());
  CHECK(r.error() == errc::read_quorum_lost);
  CHECK(s.matches_original());
}

TEST_CASE("concurrent reconstructs of different patterns share the decode cache safely",
          "[codec]") {
  // Each thread owns its stripe and walks its own slice of the 10+4 erasure
  // patterns twice (cold, then cached), while all threads share one codec.
  const auto c = make_codec(10, 4);
  constexpr int kThreads = 4;
  std::vector<shard_mask> patterns;
  for (int e = 1; e <= 4; ++e) {
    for_each_subset(14, e, [&](shard_mask lost) { patterns.push_back(lost); });
  }
  std::atomic<int> failures{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      stripe s(*c, 192, static_cast<std::uint64_t>(t));
      for (int round = 0; round < 2; ++round) {
        for (std::size_t i = static_cast<std::size_t>(t); i < patterns.size(); i += 2) {
          const shard_mask lost = patterns[i];
          s.erase(lost);
          if (!c->reconstruct(s.shards(), all_of(14) & ~lost, lost, s.len()) ||
              !s.matches_original()) {
            failures.fetch_add(1);
          }
          done.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures.load() == 0);
  CHECK(done.load() > 4 * 1000);
}

#if defined(__x86_64__)
namespace {

// XGETBV(1) returns XINUSE: bit 2 = upper YMM halves dirty, bit 6 = upper
// ZMM halves dirty. Supported when CPUID.(0DH,1):EAX[2] is set.
bool xinuse_supported() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) == 0 || (c & (1U << 27)) == 0) {  // OSXSAVE
    return false;
  }
  return __get_cpuid_count(0xD, 1, &a, &b, &c, &d) != 0 && (a & (1U << 2)) != 0;
}
__attribute__((target("xsave"))) std::uint64_t xinuse() {
  return _xgetbv(1);
}
constexpr std::uint64_t kDirtyUpperState = (1U << 2) | (1U << 6);

}  // namespace

TEST_CASE("encode and reconstruct return with the upper vector state clean", "[codec]") {
  // Dirty upper YMM/ZMM state after ISA-L made legacy-SSE XXH3 ~6x slower.
  if (!xinuse_supported()) {
    WARN("skipped: this CPU does not report XINUSE through XGETBV(1)");
    return;
  }
  const auto c = make_codec(4, 2);
  stripe s(*c, 4096, 21);
  c->encode(s.data(), s.parity(), s.len());
  const std::uint64_t after_encode = xinuse();
  CHECK((after_encode & kDirtyUpperState) == 0);
  s.erase(0b11);
  const auto r = c->reconstruct(s.shards(), 0b111100, 0b11, s.len());
  const std::uint64_t after_reconstruct = xinuse();
  REQUIRE(r);
  CHECK((after_reconstruct & kDirtyUpperState) == 0);
  CHECK(s.matches_original());
}
#endif

TEST_CASE("default parity follows the disk-count table and never exceeds k", "[codec]") {
  using kvgate::erasure::default_parity;
  CHECK(default_parity(1) == 0);
  CHECK(default_parity(2) == 1);
  CHECK(default_parity(3) == 1);
  CHECK(default_parity(4) == 2);
  CHECK(default_parity(6) == 2);
  CHECK(default_parity(10) == 2);
  CHECK(default_parity(12) == 2);
  CHECK(default_parity(13) == 4);
  CHECK(default_parity(16) == 4);
  for (int disks = 1; disks <= 64; ++disks) {
    const int m = default_parity(disks);
    INFO("disks=" << disks);
    CHECK(m >= 0);
    CHECK(m <= disks - m);
  }
}

TEST_CASE("erasure error codes carry the kvgate.erasure category and a message", "[codec]") {
  using kvgate::erasure::erasure_category;
  CHECK(std::string(erasure_category().name()) == "kvgate.erasure");
  for (int e = static_cast<int>(errc::ok); e <= static_cast<int>(errc::busy); ++e) {
    const std::error_code code = static_cast<errc>(e);
    INFO("value=" << e);
    CHECK(&code.category() == &erasure_category());
    CHECK_FALSE(code.message().empty());
    CHECK(code.message().find("unknown") == std::string::npos);
  }
  const std::error_code quorum = errc::read_quorum_lost;
  CHECK(quorum == errc::read_quorum_lost);
  CHECK(quorum != errc::corrupt);
  CHECK_FALSE(std::error_code(errc::ok));
  CHECK(erasure_category().message(9999).find("unknown") != std::string::npos);
}
