// The KV workload generator's checkable pieces (perf/kv_*.h): the segment
// pattern its GETs verify against, the latency tallies, and the request heads
// it signs.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "kv_op_stats.h"
#include "kv_pattern.h"
#include "kv_s3_channel.h"
#include "kv_s3_ops.h"

using kvgate::perf::segment_pattern;

namespace {

std::vector<char> pattern_of(std::string_view key, std::uint64_t offset, std::size_t size) {
  std::vector<char> v(size);
  segment_pattern::fill(segment_pattern::key_seed(key), offset, v);
  return v;
}

}  // namespace

TEST_CASE("a pattern range equals the same bytes cut from the whole object", "[perf]") {
  const auto whole = pattern_of("model@1@0@abc@bf16", 0, 3 * 4096 + 100);
  for (std::uint64_t offset : {0u, 1u, 15u, 16u, 17u, 4095u, 4096u, 5000u, 8191u}) {
    INFO(offset);
    const auto part = pattern_of("model@1@0@abc@bf16", offset, whole.size() - offset);
    CHECK(std::equal(part.begin(), part.end(), whole.begin() + static_cast<long>(offset)));
  }
}

TEST_CASE("every 4 KiB block carries the key and its offset, so misplaced blocks differ",
          "[perf]") {
  const auto a = pattern_of("seg-1", 0, 8192);
  const auto b = pattern_of("seg-2", 0, 8192);
  CHECK(a != b);
  const auto shifted = pattern_of("seg-1", 4096, 4096);
  CHECK(!std::equal(shifted.begin(), shifted.end(), a.begin()));  // block 1 is not block 0
  CHECK(std::equal(a.begin() + 16, a.begin() + 4096, shifted.begin() + 16));  // same table
}

TEST_CASE("restamping a filled buffer for another key gives that key's bytes", "[perf]") {
  auto buf = pattern_of("seg-1", 8 << 20, 3 * 4096 + 7);
  segment_pattern::restamp(segment_pattern::key_seed("seg-9"), 8 << 20, buf);
  CHECK(buf == pattern_of("seg-9", 8 << 20, buf.size()));
}

TEST_CASE("first_mismatch finds a single wrong byte at its absolute offset", "[perf]") {
  const std::uint64_t seed = segment_pattern::key_seed("k");
  const std::uint64_t base = 12345;
  auto buf = pattern_of("k", base, 20000);
  CHECK_FALSE(segment_pattern::first_mismatch(seed, base, buf));
  for (std::size_t at : {0u, 3u, 16u, 4000u, 4096u - 12345u % 4096u, 19999u}) {
    INFO(at);
    auto bad = buf;
    bad[at] ^= 0x01;
    const auto found = segment_pattern::first_mismatch(seed, base, bad);
    REQUIRE(found);
    CHECK(*found == base + at);
  }
  CHECK(segment_pattern::first_mismatch(segment_pattern::key_seed("other"), base, buf));
}

TEST_CASE("op tallies: nearest-rank percentiles, wire vs object levels, merge", "[perf]") {
  using kvgate::perf::op_level;
  kvgate::perf::op_stats a, b;
  for (int i = 1; i <= 100; ++i) a.ok("get-range", op_level::wire, i, 10);
  a.ok("lmcache-get", op_level::object, 5, 1000);
  b.fail("get-range", op_level::wire, "HTTP 412: PreconditionFailed");
  b.fail("lmcache-get", op_level::object, "ranged GET failed");
  a.merge(std::move(b));
  a.sort();
  CHECK(a.errors() == 1);
  CHECK(a.errors(false) == 2);
  CHECK(a.wire_requests() == 101);
  CHECK(a.wire_bytes() == 1000);  // object-level bytes are not moved again
  const auto j = a.to_json(1.0);
  CHECK(j["get-range"]["p50_ms"] == 51.0);  // rank 0.5 * 99 + 0.5 -> index 50
  CHECK(j["get-range"]["p99_ms"] == 99.0);
  CHECK(j["get-range"]["max_ms"] == 100.0);
  CHECK(j["get-range"]["first_error"] == "HTTP 412: PreconditionFailed");
}

TEST_CASE("request heads carry the S3 query forms and sign only host", "[perf]") {
  kvgate::perf::s3_endpoint unsigned_endpoint{"127.0.0.1", 9000, "kvbench", std::nullopt};
  auto create = unsigned_endpoint.head("POST", "a b/c", {{"uploads", "", false}}, {}, 0);
  REQUIRE(create);
  CHECK(
      create->starts_with("POST /kvbench/a%20b/c?uploads HTTP/1.1\r\nhost: 127.0.0.1:9000\r\n"
                          "content-length: 0\r\n\r\n"));
  auto part = unsigned_endpoint.head(
      "PUT", "k", {{"partNumber", "3", true}, {"uploadId", "x/y+z", true}}, "range: r\r\n");
  REQUIRE(part);
  CHECK(part->starts_with("PUT /kvbench/k?partNumber=3&uploadId=x%2Fy%2Bz HTTP/1.1\r\n"));
  CHECK(part->find("range: r\r\n") != std::string::npos);

  kvgate::perf::s3_endpoint signed_endpoint = unsigned_endpoint;
  signed_endpoint.credentials =
      kvgate::protocol::signing_credentials{"AK", "SK", std::nullopt, "us-east-1", "s3"};
  auto h = signed_endpoint.head("GET", "k");
  REQUIRE(h);
  CHECK(h->find("SignedHeaders=host;x-amz-content-sha256;x-amz-date") != std::string::npos);
  CHECK(h->find("x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n") != std::string::npos);
}

TEST_CASE("xml_text pulls UploadId out of an S3 reply", "[perf]") {
  const std::string xml =
      "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>u-123</UploadId></InitiateMultipartUploadResult>";
  CHECK(kvgate::perf::xml_text(xml, "UploadId") == "u-123");
  CHECK(kvgate::perf::xml_text(xml, "ETag").empty());
}
