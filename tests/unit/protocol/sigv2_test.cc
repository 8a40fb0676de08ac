// SigV2 against the examples of the AWS "Signing and authenticating REST
// requests (signature version 2)" page.
#include "kvgate/protocol/sigv2.h"

#include <catch2/catch.hpp>

#include "protocol/result_printing.h"

using namespace kvgate::protocol;

namespace {
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
}

TEST_CASE("SigV2 GET and PUT examples produce the published signatures", "[protocol]") {
  const query_params none;
  const std::vector<header_field> get_headers = {{"Host", "johnsmith.s3.amazonaws.com"},
                                                 {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}};
  const request_view get{"GET", "/johnsmith/photos/puppy.jpg", &none, get_headers};
  const auto sts = sigv2_string_to_sign(get, "Tue, 27 Mar 2007 19:36:42 +0000");
  CHECK(sts == "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
  CHECK(sigv2_sign(kSecret, sts) == "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");

  const std::vector<header_field> put_headers = {{"Content-Type", "image/jpeg"},
                                                 {"Content-Length", "94328"},
                                                 {"Host", "johnsmith.s3.amazonaws.com"},
                                                 {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}};
  const request_view put{"PUT", "/johnsmith/photos/puppy.jpg", &none, put_headers};
  CHECK(sigv2_sign(kSecret, sigv2_string_to_sign(put, "Tue, 27 Mar 2007 21:15:45 +0000")) ==
        "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
}

TEST_CASE("SigV2 header auth verifies with the clock and rejects skew and tampering",
          "[protocol]") {
  const query_params none;
  const std::vector<header_field> headers = {{"Host", "johnsmith.s3.amazonaws.com"},
                                             {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}};
  const request_view get{"GET", "/johnsmith/photos/puppy.jpg", &none, headers};
  const auto auth =
      parse_sigv2_authorization("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  REQUIRE(auth.has_value());
  CHECK(auth->access_key == "AKIAIOSFODNN7EXAMPLE");
  const auto t = parse_http_date("Tue, 27 Mar 2007 19:36:42 GMT").value();
  CHECK(verify_sigv2_header(get, *auth, kSecret, t + std::chrono::minutes(1)).has_value());
  CHECK(verify_sigv2_header(get, *auth, kSecret, t + std::chrono::minutes(16)).error() ==
        protocol_errc::request_time_too_skewed);
  CHECK(verify_sigv2_header(get, *auth, "other", t).error() == protocol_errc::signature_mismatch);
  CHECK(parse_sigv2_authorization("AWS nocolon").error() == protocol_errc::auth_header_malformed);
  CHECK(parse_sigv2_authorization("AWS4-HMAC-SHA256 x").error() ==
        protocol_errc::unsupported_auth_algorithm);
  CHECK(parse_sigv2_authorization("AWS AK:not*base64").error() ==
        protocol_errc::bad_signature_format);
}

TEST_CASE("SigV2 amz headers and sub-resources are canonicalised", "[protocol]") {
  const auto q = parse_query("uploadId=abc&partNumber=2&prefix=ignored&acl").value();
  const std::vector<header_field> headers = {{"X-Amz-Meta-B", " two "},
                                             {"x-amz-meta-a", "one"},
                                             {"X-Amz-Meta-B", "three"},
                                             {"Content-MD5", "md5=="},
                                             {"x-amz-date", "Tue, 27 Mar 2007 19:36:42 +0000"}};
  const request_view r{"PUT", "/bkt/key", &q, headers};
  CHECK(sigv2_string_to_sign(r, "") ==
        "PUT\nmd5==\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 "
        "+0000\nx-amz-meta-a:one\nx-amz-meta-b:two,three\n"
        "/bkt/key?acl&partNumber=2&uploadId=abc");
  CHECK(is_sigv2_subresource("response-content-type"));
  CHECK_FALSE(is_sigv2_subresource("prefix"));
}

TEST_CASE("SigV2 presigned query matches the AWS example and expires", "[protocol]") {
  const auto q = parse_query(
                     "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature="
                     "NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D")
                     .value();
  REQUIRE(has_sigv2_query_auth(q));
  const auto p = parse_sigv2_presigned(q);
  REQUIRE(p.has_value());
  CHECK(p->signature == "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
  const std::vector<header_field> headers = {{"Host", "johnsmith.s3.amazonaws.com"}};
  const request_view r{"GET", "/johnsmith/photos/puppy.jpg", &q, headers};
  CHECK(sigv2_string_to_sign(r, p->expires_text) ==
        "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
  CHECK(verify_sigv2_presigned(r, *p, kSecret, p->expires - std::chrono::seconds(10)).has_value());
  CHECK(verify_sigv2_presigned(r, *p, kSecret, p->expires + std::chrono::seconds(1)).error() ==
        protocol_errc::request_expired);
  CHECK(parse_sigv2_presigned(parse_query("AWSAccessKeyId=A&Expires=x&Signature=AAAA").value())
            .error() == protocol_errc::query_auth_malformed);
}
