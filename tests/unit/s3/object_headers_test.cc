#include "kvgate/s3/object_headers.h"

#include <catch2/catch.hpp>

#include "kvgate/erasure/result.h"
#include "kvgate/gateway/errc.h"
#include "kvgate/s3/storage_errors.h"

namespace http = boost::beast::http;
using namespace kvgate::s3;
using kvgate::protocol::s3_error;

TEST_CASE("request headers map to stored object attributes", "[s3][headers]") {
  http::fields h;
  h.set(http::field::content_type, "text/plain");
  h.set(http::field::content_encoding, "aws-chunked,gzip");
  h.set(http::field::cache_control, "no-cache");
  h.set(http::field::content_disposition, "attachment");
  h.set(http::field::content_language, "en");
  h.set(http::field::expires, "Thu, 01 Dec 2094 16:00:00 GMT");
  h.set("X-Amz-Meta-Color", "Blue");
  h.set("x-amz-meta-mtime", "123");
  h.set("x-amz-acl", "private");
  auto a = attrs_from_headers(h);
  CHECK(a.content_type == "text/plain");
  CHECK(a.content_encoding == "gzip");
  CHECK(a.cache_control == "no-cache");
  CHECK(a.content_disposition == "attachment");
  CHECK(a.content_language == "en");
  CHECK(a.expires == "Thu, 01 Dec 2094 16:00:00 GMT");
  REQUIRE(a.user_metadata.size() == 2);
  CHECK(a.user_metadata[0] == std::pair<std::string, std::string>{"color", "Blue"});
  CHECK(user_metadata_bytes(a) == 5 + 4 + 5 + 3);
}

TEST_CASE("aws-chunked is stripped from Content-Encoding", "[s3][headers]") {
  CHECK(strip_aws_chunked("aws-chunked") == "");
  CHECK(strip_aws_chunked("gzip, aws-chunked") == "gzip");
  CHECK(strip_aws_chunked("AWS-CHUNKED,br,gzip") == "br,gzip");
}

TEST_CASE("stored attributes come back as headers and response-* overrides win", "[s3][headers]") {
  kvgate::erasure::object_info info;
  info.etag = "\"abc\"";
  info.mtime_ns = 1369353600LL * 1'000'000'000;  // Fri, 24 May 2013 00:00:00 GMT
  info.attrs.content_type = "text/plain";
  info.attrs.user_metadata = {{"color", "Blue"}};
  auto q = kvgate::protocol::parse_query(
      "response-content-type=application%2Fjson&response-cache-control=max-age%3D5");
  REQUIRE(q.has_value());
  http::fields out;
  set_object_headers(out, info, *q);
  CHECK(out[http::field::etag] == "\"abc\"");
  CHECK(out[http::field::last_modified] == "Fri, 24 May 2013 00:00:00 GMT");
  CHECK(out[http::field::content_type] == "application/json");
  CHECK(out[http::field::cache_control] == "max-age=5");
  CHECK(out["x-amz-meta-color"] == "Blue");
  CHECK(out[http::field::accept_ranges] == "bytes");
}

TEST_CASE("an object without Content-Type is served as binary/octet-stream", "[s3][headers]") {
  kvgate::erasure::object_info info;
  http::fields out;
  set_object_headers(out, info, {});
  CHECK(out[http::field::content_type] == "binary/octet-stream");
}

TEST_CASE("storage conditions map to S3 errors in one table", "[s3][errors]") {
  using kvgate::erasure::errc;
  CHECK(s3_error_for(errc::bucket_not_found) == s3_error::no_such_bucket);
  CHECK(s3_error_for(errc::object_not_found) == s3_error::no_such_key);
  CHECK(s3_error_for(errc::bucket_not_empty) == s3_error::bucket_not_empty);
  CHECK(s3_error_for(errc::precondition_failed) == s3_error::precondition_failed);
  CHECK(s3_error_for(errc::upload_not_found) == s3_error::no_such_upload);
  CHECK(s3_error_for(errc::write_quorum_lost) == s3_error::slow_down);
  CHECK(s3_error_for(errc::busy) == s3_error::slow_down);
  CHECK(s3_error_for(errc::read_quorum_lost) == s3_error::service_unavailable);
  CHECK(s3_error_for(errc::corrupt) == s3_error::internal_error);
  CHECK(s3_error_for(errc::key_too_long) == s3_error::key_too_long);
  CHECK(s3_error_for(kvgate::gateway::errc::body_incomplete) == s3_error::incomplete_body);
  CHECK(s3_error_for(kvgate::gateway::errc::body_timeout) == s3_error::request_timeout);
  CHECK(s3_error_for(std::make_error_code(std::errc::io_error)) == s3_error::internal_error);
  CHECK(s3_error_for(kvgate::protocol::protocol_errc::signature_mismatch) ==
        s3_error::signature_does_not_match);
  CHECK(is_retryable(s3_error::slow_down));
  CHECK(is_retryable(s3_error::service_unavailable));
  CHECK_FALSE(is_retryable(s3_error::internal_error));
  CHECK(kvgate::protocol::http_status(s3_error_for(errc::busy)) == 503);
}

TEST_CASE("every engine condition maps to a non-success S3 error", "[s3][errors]") {
  for (int i = 1; i <= static_cast<int>(kvgate::erasure::errc::busy); ++i) {
    const auto e =
        s3_error_for(kvgate::erasure::make_error_code(static_cast<kvgate::erasure::errc>(i)));
    CHECK(kvgate::protocol::http_status(e) >= 400);
  }
}
