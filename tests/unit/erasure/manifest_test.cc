// The manifest's on-disk encoding (docs/formats/erasure-layout.md, "Manifest"):
// round trip, and one test per kind of corruption, each of which must be
// rejected as errc::corrupt rather than misread.
#include "manifest.h"

#include <catch2/catch.hpp>

#include "geometry.h"
#include "result_string_maker.h"
#include "wire.h"

namespace er = kvgate::erasure;

namespace {

er::manifest sample() {
  er::manifest m;
  m.object.bucket = "bkt";
  m.object.key = std::string("model@world@0@\x01hash", 19);
  m.object.size = 1000000;
  m.object.etag = "\"abc\"";
  m.object.mtime_ns = 1700000000123456789;
  m.object.data_id = "0123456789abcdef0123456789abcdef";
  m.object.attrs.content_type = "application/octet-stream";
  m.object.attrs.user_metadata = {{"a", "1"}, {"b", ""}};
  m.object.checksum = {"CRC32C", "FULL_OBJECT", "yZRlqg=="};
  m.seq = 42;
  m.k = 4;
  m.m = 2;
  m.block_size = 131072;
  m.rotation = 3;
  er::part_layout p;
  p.info.number = 1;
  p.info.size = 1000000;
  p.info.etag = "\"abc\"";
  const er::part_geometry g{p.info.size, m.k, m.block_size};
  for (std::uint64_t i = 0; i < g.stripes() * 6; ++i) p.block_checksums.push_back(i * 7919);
  m.parts.push_back(p);
  return m;
}

}  // namespace

TEST_CASE("a manifest round-trips every field", "[manifest]") {
  const er::manifest m = sample();
  auto back = er::decode_manifest(er::encode_manifest(m));
  REQUIRE(back);
  CHECK(back->object.key == m.object.key);
  CHECK(back->object.size == m.object.size);
  CHECK(back->object.mtime_ns == m.object.mtime_ns);
  CHECK(back->object.attrs.user_metadata == m.object.attrs.user_metadata);
  CHECK(back->object.checksum.value == "yZRlqg==");
  CHECK(back->seq == 42);
  CHECK(back->rotation == 3);
  CHECK(back->parts[0].block_checksums == m.parts[0].block_checksums);
  CHECK(back->disk_of_shard(back->shard_of_disk(5)) == 5);
}

TEST_CASE("a manifest with a bad magic is corrupt", "[manifest]") {
  std::string bytes = er::encode_manifest(sample());
  bytes[0] ^= 0x01;
  CHECK(er::decode_manifest(bytes).error() == er::errc::corrupt);
}

TEST_CASE("a manifest with one flipped byte fails its trailer checksum", "[manifest]") {
  const std::string good = er::encode_manifest(sample());
  for (std::size_t i = 12; i < good.size(); i += 97) {
    std::string bytes = good;
    bytes[i] ^= 0x40;
    CHECK(er::decode_manifest(bytes).error() == er::errc::corrupt);
  }
}

TEST_CASE("a truncated manifest is corrupt", "[manifest]") {
  const std::string good = er::encode_manifest(sample());
  for (std::size_t n :
       {std::size_t{0}, std::size_t{5}, std::size_t{19}, good.size() / 2, good.size() - 1})
    CHECK(er::decode_manifest(good.substr(0, n)).error() == er::errc::corrupt);
}

TEST_CASE("a manifest of an unknown major version is refused", "[manifest]") {
  std::string bytes = er::encode_manifest(sample());
  bytes[4] = 2;  // major version, little-endian u16 after the magic
  CHECK(er::decode_manifest(bytes).error() == er::errc::corrupt);
}

TEST_CASE("a manifest whose checksum table does not match its geometry is corrupt", "[manifest]") {
  er::manifest m = sample();
  m.parts[0].block_checksums.pop_back();
  CHECK(er::decode_manifest(er::encode_manifest(m)).error() == er::errc::corrupt);
}

TEST_CASE("a manifest with an impossible geometry is corrupt", "[manifest]") {
  er::manifest m = sample();
  m.m = 5;  // m > k
  CHECK(er::decode_manifest(er::encode_manifest(m)).error() == er::errc::corrupt);
  m = sample();
  m.block_size = 1000;  // not a multiple of 64
  CHECK(er::decode_manifest(er::encode_manifest(m)).error() == er::errc::corrupt);
}

TEST_CASE("trailing garbage after a valid manifest is corrupt", "[manifest]") {
  std::string bytes = er::encode_manifest(sample());
  bytes += "extra";
  CHECK(er::decode_manifest(bytes).error() == er::errc::corrupt);
}

TEST_CASE("geometry: the last stripe's block length is rounded to 64 bytes", "[manifest]") {
  const er::part_geometry g{4 * 131072 + 100, 4, 131072};
  CHECK(g.stripes() == 2);
  CHECK(g.block_length(0) == 131072);
  CHECK(g.block_length(1) == 64);
  CHECK(g.shard_payload(1, 0) == 64);
  CHECK(g.shard_payload(1, 1) == 36);
  CHECK(g.shard_payload(1, 2) == 0);
  CHECK(g.shard_file_size() == 131072 + 64);
  const er::part_geometry empty{0, 4, 131072};
  CHECK(empty.stripes() == 0);
  CHECK(empty.shard_file_size() == 0);
}
