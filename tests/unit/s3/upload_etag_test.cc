// Upload ETags: MD5 by default, the opaque "<xxh3-128 hex>-xxh3" when the
// bucket asks for it (unless Content-MD5 was sent), and the digests behind
// part ETags that CompleteMultipartUpload combines.
#include "kvgate/s3/upload_etag.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <span>
#include <string>

#include "kvgate/protocol/encoding.h"
#include "kvgate/s3/body_pipeline.h"

using kvgate::gateway::etag_style;
using namespace kvgate::s3;

namespace {

std::string etag_of(std::string_view body, etag_style style, const body_plan& plan = {}) {
  body_digests digests(plan, style);
  // Two updates: the digest streams.
  const auto bytes = std::as_bytes(std::span(body.data(), body.size()));
  digests.update(bytes.first(body.size() / 2));
  digests.update(bytes.subspan(body.size() / 2));
  digests.finish();
  return digests.etag();
}

}  // namespace

TEST_CASE("an md5 bucket gets the MD5 of the body", "[s3][etag]") {
  CHECK(etag_of("", etag_style::md5) == "\"d41d8cd98f00b204e9800998ecf8427e\"");
  CHECK(etag_of("abc", etag_style::md5) == "\"900150983cd24fb0d6963f7d28e17f72\"");
}

TEST_CASE("an xxh3 bucket gets the XXH3-128 of the body, never an MD5 look-alike", "[s3][etag]") {
  // XXH3-128 of the empty input (xxHash's reference value, canonical order).
  CHECK(etag_of("", etag_style::xxh3) == "\"99aa06d3014798d86001c324468d497f-xxh3\"");
  const std::string body(100000, 'k');
  CHECK(etag_of(body, etag_style::xxh3) ==
        xxh3_etag(xxh3_128(kvgate::protocol::as_bytes(std::string_view(body)))));
  CHECK(etag_of(body, etag_style::xxh3) != etag_of(body + "x", etag_style::xxh3));
}

TEST_CASE("Content-MD5 makes the ETag an MD5 in an xxh3 bucket", "[s3][etag]") {
  body_plan plan;
  plan.content_md5 = kvgate::protocol::bytes(16, 0);  // only its presence matters here
  CHECK(etag_of("abc", etag_style::xxh3, plan) == "\"900150983cd24fb0d6963f7d28e17f72\"");
}

TEST_CASE("part ETags of either style give their 16 digest bytes", "[s3][etag]") {
  auto md5 = part_etag_digest("\"900150983cd24fb0d6963f7d28e17f72\"");
  REQUIRE(md5);
  CHECK(kvgate::protocol::hex_encode(*md5) == "900150983cd24fb0d6963f7d28e17f72");
  auto xxh3 = part_etag_digest("99aa06d3014798d86001c324468d497f-xxh3");
  REQUIRE(xxh3);
  CHECK(kvgate::protocol::hex_encode(*xxh3) == "99aa06d3014798d86001c324468d497f");
  CHECK_FALSE(part_etag_digest("\"900150983cd24fb0d6963f7d28e17f72-3\""));
  CHECK_FALSE(part_etag_digest("-xxh3"));
  CHECK_FALSE(part_etag_digest("zz0150983cd24fb0d6963f7d28e17f72"));
  CHECK_FALSE(part_etag_digest(""));
}

TEST_CASE("the policy gives a bucket its own style or the server's", "[s3][etag]") {
  kvgate::gateway::server_config config;
  config.cache.buckets["segments"].etag = etag_style::xxh3;
  config.cache.buckets["pinned"].no_evict = true;
  const auto policy = etag_policy::from_config(config);
  CHECK(policy.style_for("segments") == etag_style::xxh3);
  CHECK(policy.style_for("pinned") == etag_style::md5);
  CHECK(policy.style_for("other") == etag_style::md5);
  config.etag = etag_style::xxh3;
  CHECK(etag_policy::from_config(config).style_for("other") == etag_style::xxh3);
}
