#include "kvgate/protocol/s3_error.h"

#include <catch2/catch.hpp>
#include <set>

using namespace kvgate::protocol;

TEST_CASE("every s3_error has exactly one table row in enumerator order", "[protocol]") {
  const auto rows = all_s3_errors();
  REQUIRE(rows.size() == static_cast<std::size_t>(s3_error::x_amz_content_sha256_mismatch) + 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(static_cast<std::size_t>(rows[i].error) == i);
    CHECK(&info(rows[i].error) == &rows[i]);
    CHECK_FALSE(rows[i].code.empty());
    CHECK_FALSE(rows[i].message.empty());
    CHECK(rows[i].http_status >= 300);
    CHECK(rows[i].http_status < 600);
  }
}

TEST_CASE("S3 error statuses match AWS", "[protocol]") {
  CHECK(http_status(s3_error::no_such_key) == 404);
  CHECK(http_status(s3_error::no_such_bucket) == 404);
  CHECK(http_status(s3_error::invalid_range) == 416);
  CHECK(http_status(s3_error::precondition_failed) == 412);
  CHECK(http_status(s3_error::signature_does_not_match) == 403);
  CHECK(http_status(s3_error::slow_down) == 503);
  CHECK(http_status(s3_error::internal_error) == 500);
  CHECK(http_status(s3_error::missing_content_length) == 411);
  CHECK(http_status(s3_error::method_not_allowed) == 405);
  CHECK(http_status(s3_error::not_implemented) == 501);
  CHECK(http_status(s3_error::bucket_not_empty) == 409);
  CHECK(http_status(s3_error::invalid_rdma_token) == 400);
  CHECK(http_status(s3_error::not_modified) == 304);
  CHECK_FALSE(has_error_body(s3_error::not_modified));
  CHECK(has_error_body(s3_error::no_such_key));
  CHECK(error_code_name(s3_error::key_too_long) == "KeyTooLongError");
  CHECK(error_code_name(s3_error::request_expired) == "AccessDenied");
  CHECK(info(s3_error::request_expired).message == "Request has expired");
}

TEST_CASE("XML codes are unique except the deliberate AccessDenied and RdmaDeclined aliases",
          "[protocol]") {
  std::multiset<std::string_view> codes;
  for (const auto& row : all_s3_errors()) codes.insert(row.code);
  for (const auto& row : all_s3_errors()) {
    INFO(row.code);
    // RdmaDeclined is 501 (declined) or 503 with Retry-After (busy).
    const bool alias = row.code == "AccessDenied" || row.code == "RdmaDeclined";
    CHECK(codes.count(row.code) == (alias ? 2u : 1u));
  }
}

TEST_CASE("error XML has the exact S3 layout", "[protocol]") {
  CHECK(render_error_xml(s3_error::no_such_key, "", "/bkt/key", "req-1") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Resource>/bkt/key</Resource><RequestId>req-1</RequestId></Error>");
  CHECK(render_error_xml(s3_error::slow_down, "busy", "/b", "r", "host-9") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>SlowDown</Code><Message>busy</Message><Resource>/b</Resource>"
        "<RequestId>r</RequestId><HostId>host-9</HostId></Error>");
}

TEST_CASE("error XML escapes markup in every field", "[protocol]") {
  const auto xml =
      render_error_xml(s3_error::invalid_argument, "a<b & \"c\"", "/bkt/<x>&y", "id&<");
  CHECK(xml.find("<Message>a&lt;b &amp; \"c\"</Message>") != std::string::npos);
  CHECK(xml.find("<Resource>/bkt/&lt;x&gt;&amp;y</Resource>") != std::string::npos);
  CHECK(xml.find("<RequestId>id&amp;&lt;</RequestId>") != std::string::npos);
}

TEST_CASE("protocol errors map to the S3 errors clients expect", "[protocol]") {
  CHECK(to_s3_error(protocol_errc::signature_mismatch) == s3_error::signature_does_not_match);
  CHECK(to_s3_error(protocol_errc::chunk_signature_mismatch) == s3_error::signature_does_not_match);
  CHECK(to_s3_error(protocol_errc::request_time_too_skewed) == s3_error::request_time_too_skewed);
  CHECK(to_s3_error(protocol_errc::request_expired) == s3_error::request_expired);
  CHECK(to_s3_error(protocol_errc::invalid_range) == s3_error::invalid_range);
  CHECK(to_s3_error(protocol_errc::auth_header_malformed) ==
        s3_error::authorization_header_malformed);
  CHECK(to_s3_error(make_error_code(protocol_errc::incomplete_body)) == s3_error::incomplete_body);
  CHECK(to_s3_error(std::make_error_code(std::errc::io_error)) == s3_error::internal_error);
}
