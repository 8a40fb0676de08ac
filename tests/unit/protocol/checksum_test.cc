#include "kvgate/protocol/checksum.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/encoding.h"
#include "protocol/result_printing.h"

using namespace kvgate::protocol;

namespace {

// Independent bitwise reference for any reflected CRC with init = xorout = ~0.
template <class T>
T reference_crc(std::string_view data, T poly) {
  T reg = ~T{0};
  for (unsigned char c : data) {
    reg ^= c;
    for (int k = 0; k < 8; ++k) reg = (reg & 1) ? (reg >> 1) ^ poly : reg >> 1;
  }
  return ~reg;
}

std::uint64_t ref_crc64nvme(std::string_view d) {
  return reference_crc<std::uint64_t>(d, 0x9a6c9329ac4bc9b5ULL);
}
std::uint32_t ref_crc32(std::string_view d) {
  return reference_crc<std::uint32_t>(d, 0xedb88320U);
}
std::uint32_t ref_crc32c(std::string_view d) {
  return reference_crc<std::uint32_t>(d, 0x82f63b78U);
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

std::string hex_of(hasher h, std::string_view data) {
  h.update(data);
  return hex_encode(h.finish());
}

}  // namespace

TEST_CASE("CRC check values for 123456789 match the published catalogue", "[protocol]") {
  const auto in = as_bytes("123456789");
  CHECK(crc32_update(0, in) == 0xCBF43926U);
  CHECK(crc32c_update(0, in) == 0xE3069283U);
  CHECK(crc64nvme_update(0, in) == 0xAE8B14860A799888ULL);
}

TEST_CASE("CRC64NVME matches a bitwise reference on AWS-style vectors", "[protocol]") {
  CHECK(crc64nvme_update(0, {}) == 0);
  const std::vector<std::string> inputs = {std::string(32, '\0'),
                                           std::string(32, '\xff'),
                                           pattern(32),
                                           pattern(1),
                                           pattern(7),
                                           pattern(8),
                                           pattern(9),
                                           pattern(4096 + 3),
                                           "Hello, World!"};
  for (const auto& s : inputs) {
    INFO("size " << s.size());
    CHECK(crc64nvme_update(0, as_bytes(s)) == ref_crc64nvme(s));
    CHECK(crc32_update(0, as_bytes(s)) == ref_crc32(s));
    CHECK(crc32c_update(0, as_bytes(s)) == ref_crc32c(s));
  }
}

TEST_CASE("streaming CRC updates equal a one-shot CRC for every split point", "[protocol]") {
  const std::string s = pattern(100);
  const auto all = as_bytes(s);
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    CHECK(crc32_update(crc32_update(0, all.first(cut)), all.subspan(cut)) == crc32_update(0, all));
    CHECK(crc32c_update(crc32c_update(0, all.first(cut)), all.subspan(cut)) ==
          crc32c_update(0, all));
    CHECK(crc64nvme_update(crc64nvme_update(0, all.first(cut)), all.subspan(cut)) ==
          crc64nvme_update(0, all));
  }
}

TEST_CASE("CRC combine equals the CRC of the concatenation", "[protocol]") {
  for (std::size_t la : {0u, 1u, 5u, 64u, 1000u}) {
    for (std::size_t lb : {0u, 1u, 3u, 8u, 17u, 4099u}) {
      const std::string a = pattern(la);
      std::string b = pattern(lb + 11).substr(11);
      const std::string ab = a + b;
      INFO("la " << la << " lb " << lb);
      CHECK(crc32_combine(crc32_update(0, as_bytes(a)), crc32_update(0, as_bytes(b)), lb) ==
            crc32_update(0, as_bytes(ab)));
      CHECK(crc32c_combine(crc32c_update(0, as_bytes(a)), crc32c_update(0, as_bytes(b)), lb) ==
            crc32c_update(0, as_bytes(ab)));
      CHECK(crc64nvme_combine(crc64nvme_update(0, as_bytes(a)), crc64nvme_update(0, as_bytes(b)),
                              lb) == crc64nvme_update(0, as_bytes(ab)));
    }
  }
}

TEST_CASE("hasher produces big-endian CRCs and standard digests", "[protocol]") {
  CHECK(hex_of(hasher(checksum_algorithm::crc32), "123456789") == "cbf43926");
  CHECK(hex_of(hasher(checksum_algorithm::crc32c), "123456789") == "e3069283");
  CHECK(hex_of(hasher(checksum_algorithm::crc64nvme), "123456789") == "ae8b14860a799888");
  CHECK(hex_of(hasher(checksum_algorithm::md5), "") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex_of(hasher(checksum_algorithm::sha1), "abc") ==
        "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(hex_of(hasher(checksum_algorithm::sha256), "") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(checksum_base64(checksum_algorithm::crc32, {}) == "AAAAAA==");
  for (auto a : kAllChecksumAlgorithms) {
    hasher h(a);
    h.update(std::string_view("x"));
    CHECK(h.finish().size() == digest_size(a));
  }
}

TEST_CASE("hasher fed in pieces equals hasher fed at once", "[protocol]") {
  const std::string s = pattern(5000);
  for (auto a : kAllChecksumAlgorithms) {
    hasher whole(a);
    whole.update(std::string_view(s));
    hasher pieces(a);
    for (std::size_t i = 0; i < s.size(); i += 333)
      pieces.update(std::string_view(s).substr(i, 333));
    CHECK(whole.finish() == pieces.finish());
  }
}

TEST_CASE("checksum algorithm names round-trip", "[protocol]") {
  for (auto a : kAllChecksumAlgorithms) {
    CHECK(parse_checksum_algorithm(algorithm_name(a)) == a);
    if (a != checksum_algorithm::md5)
      CHECK(checksum_from_header_name(checksum_header_name(a)) == a);
  }
  CHECK(parse_checksum_algorithm("crc64nvme") == checksum_algorithm::crc64nvme);
  CHECK(checksum_from_header_name("X-Amz-Checksum-CRC32") == checksum_algorithm::crc32);
  CHECK_FALSE(parse_checksum_algorithm("CRC16"));
}

TEST_CASE("base64 round-trips and rejects non-canonical input", "[protocol]") {
  for (std::size_t n = 0; n < 10; ++n) {
    const std::string s = pattern(n);
    const auto enc = base64_encode(as_bytes(s));
    auto dec = base64_decode(enc);
    REQUIRE(dec);
    CHECK(std::string(dec->begin(), dec->end()) == s);
  }
  CHECK(base64_encode(as_bytes("foobar")) == "Zm9vYmFy");
  CHECK(base64_encode(as_bytes("fo")) == "Zm8=");
  for (const char* bad :
       {"Zm8", "Zm8==", "Z===", "Zm9=Zm8=", "Zm 8", "Zm9\n", "Zm9v!", "Zm9=", "Zg=="}) {
    INFO(bad);
    if (std::string_view(bad) == "Zg==") {
      CHECK(base64_decode(bad));  // canonical "f"
    } else {
      CHECK(base64_decode(bad).error() == protocol_errc::bad_base64);
    }
  }
  CHECK(base64_decode("Zh==").error() == protocol_errc::bad_base64);  // non-zero discarded bits
}

TEST_CASE("hex round-trips and rejects odd or non-hex input", "[protocol]") {
  CHECK(hex_encode(as_bytes("\x01\xab")) == "01ab");
  auto d = hex_decode("01AB");
  REQUIRE(d);
  CHECK(*d == bytes{0x01, 0xab});
  CHECK(hex_decode("abc").error() == protocol_errc::bad_hex);
  CHECK(hex_decode("zz").error() == protocol_errc::bad_hex);
}

TEST_CASE("HMAC-SHA256 matches RFC 4231 test case 2", "[protocol]") {
  CHECK(hex_encode(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
}

TEST_CASE("multipart ETag and composite checksum hash the concatenated part digests",
          "[protocol]") {
  std::vector<bytes> md5s;
  std::string concatenated;
  for (const char* part : {"part one", "part two"}) {
    hasher h(checksum_algorithm::md5);
    h.update(std::string_view(part));
    md5s.push_back(h.finish());
    concatenated.append(md5s.back().begin(), md5s.back().end());
  }
  hasher whole(checksum_algorithm::md5);
  whole.update(std::string_view(concatenated));
  CHECK(digest_of_digests(checksum_algorithm::md5, md5s) == whole.finish());
  const auto composite = composite_checksum_base64(checksum_algorithm::crc32, md5s);
  CHECK(composite.substr(composite.size() - 2) == "-2");
  CHECK(composite.substr(0, composite.size() - 2) ==
        checksum_base64(checksum_algorithm::crc32, as_bytes(concatenated)));
}
