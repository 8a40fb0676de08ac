// SigV4 against the AWS S3 documentation examples ("Authenticating Requests:
// Using the Authorization Header" and "Query Parameters"), fixed clock.
#include "kvgate/protocol/sigv4.h"

#include <catch2/catch.hpp>
#include <vector>

#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/protocol/sigv4_verifier.h"
#include "protocol/result_printing.h"

using namespace kvgate::protocol;

namespace {

constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

sys_seconds example_time() {
  return parse_amz_date("20130524T000000Z").value();
}

signing_credentials example_credentials() {
  return {std::string(kAccessKey), std::string(kSecret), std::nullopt, "us-east-1", "s3"};
}

struct example {
  const char* name;
  std::string method;
  std::string path;
  std::string query;
  std::vector<owned_header> headers;  // without x-amz-date / x-amz-content-sha256
  std::string payload_hash;
  std::string signed_headers;
  std::string signature;
};

std::vector<example> aws_examples() {
  return {
      {"GET Object",
       "GET",
       "/test.txt",
       "",
       {{"Host", std::string(kHost)}, {"Range", "bytes=0-9"}},
       std::string(kEmptySha256),
       "host;range;x-amz-content-sha256;x-amz-date",
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      {"PUT Object",
       "PUT",
       "/test%24file.text",
       "",
       {{"Host", std::string(kHost)},
        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
        {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       sha256_hex("Welcome to Amazon S3."),
       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GET Bucket lifecycle",
       "GET",
       "/",
       "lifecycle",
       {{"Host", std::string(kHost)}},
       std::string(kEmptySha256),
       "host;x-amz-content-sha256;x-amz-date",
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"GET Bucket list objects",
       "GET",
       "/",
       "max-keys=2&prefix=J",
       {{"Host", std::string(kHost)}},
       std::string(kEmptySha256),
       "host;x-amz-content-sha256;x-amz-date",
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
  };
}

request_to_sign to_request(const example& e) {
  return {e.method, e.path, parse_query(e.query).value(), e.headers, e.payload_hash};
}

// The wire headers of the example request as a server would see them.
std::vector<header_field> wire_headers(const example& e, const signed_request& s) {
  std::vector<header_field> out;
  for (const auto& h : e.headers) out.push_back({h.name, h.value});
  for (const auto& h : s.added_headers) out.push_back({h.name, h.value});
  return out;
}

}  // namespace

TEST_CASE("signing key derivation and GET example canonical request match AWS", "[protocol]") {
  // Canonical request printed in the AWS GET Object example.
  const auto q = parse_query("").value();
  const std::vector<header_field> headers = {{"Host", kHost},
                                             {"Range", "bytes=0-9"},
                                             {"x-amz-content-sha256", kEmptySha256},
                                             {"x-amz-date", "20130524T000000Z"}};
  const request_view rv{"GET", "/test.txt", &q, headers};
  const auto creq =
      canonical_request(rv, {"host", "range", "x-amz-content-sha256", "x-amz-date"}, kEmptySha256);
  REQUIRE(creq.has_value());
  CHECK(*creq ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", *creq) ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST_CASE("signer reproduces the AWS S3 SigV4 header examples", "[protocol]") {
  for (const auto& e : aws_examples()) {
    INFO(e.name);
    const auto s = sign_request(example_credentials(), to_request(e), example_time());
    REQUIRE(s.has_value());
    CHECK(s->signature == e.signature);
    CHECK(s->authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=" +
              e.signed_headers + ", Signature=" + e.signature);
  }
}

TEST_CASE("verifier accepts the AWS S3 SigV4 header examples", "[protocol]") {
  for (const auto& e : aws_examples()) {
    INFO(e.name);
    const auto s = sign_request(example_credentials(), to_request(e), example_time()).value();
    const auto headers = wire_headers(e, s);
    const auto query = parse_query(e.query).value();
    const request_view rv{e.method, e.path, &query, headers};
    const auto auth = parse_sigv4_authorization(s.authorization);
    REQUIRE(auth.has_value());
    const auto ctx =
        verify_sigv4_header(rv, *auth, kSecret, example_time() + std::chrono::minutes(3));
    REQUIRE(ctx.has_value());
    CHECK(ctx->seed_signature == e.signature);
    CHECK(ctx->payload_hash == e.payload_hash);
    CHECK(ctx->credential.region == "us-east-1");
  }
}

TEST_CASE("verifier rejects tampering, skew, and unsigned or missing headers", "[protocol]") {
  const auto e = aws_examples().front();
  const auto s = sign_request(example_credentials(), to_request(e), example_time()).value();
  const auto query = parse_query("").value();
  auto headers = wire_headers(e, s);
  const request_view rv{e.method, e.path, &query, headers};
  auto auth = parse_sigv4_authorization(s.authorization).value();

  CHECK(verify_sigv4_header(rv, auth, "wrong-secret", example_time()).error() ==
        protocol_errc::signature_mismatch);
  CHECK(verify_sigv4_header(rv, auth, kSecret, example_time() + std::chrono::minutes(16)).error() ==
        protocol_errc::request_time_too_skewed);
  CHECK(verify_sigv4_header(rv, auth, kSecret, example_time() - std::chrono::minutes(16)).error() ==
        protocol_errc::request_time_too_skewed);

  const request_view other_path{e.method, "/test.txt2", &query, headers};
  CHECK(verify_sigv4_header(other_path, auth, kSecret, example_time()).error() ==
        protocol_errc::signature_mismatch);

  auto no_range = headers;
  no_range.erase(no_range.begin() + 1);  // drop Range
  const request_view rv2{e.method, e.path, &query, no_range};
  CHECK(verify_sigv4_header(rv2, auth, kSecret, example_time()).error() ==
        protocol_errc::missing_signed_header);

  auto no_host = auth;
  no_host.signed_headers.erase(no_host.signed_headers.begin());
  CHECK(verify_sigv4_header(rv, no_host, kSecret, example_time()).error() ==
        protocol_errc::host_not_signed);

  auto wrong_day = auth;
  wrong_day.credential.date = "20130523";
  CHECK(verify_sigv4_header(rv, wrong_day, kSecret, example_time()).error() ==
        protocol_errc::scope_date_mismatch);

  std::vector<header_field> without_sha;
  for (const auto& h : headers) {
    if (!iequals(h.name, "x-amz-content-sha256")) without_sha.push_back(h);
  }
  const request_view rv3{e.method, e.path, &query, without_sha};
  CHECK(verify_sigv4_header(rv3, auth, kSecret, example_time()).error() ==
        protocol_errc::missing_content_sha256);
}

TEST_CASE("verifier accepts any region string in the scope", "[protocol]") {
  auto creds = example_credentials();
  creds.region = "US-WEST-04A";
  const auto e = aws_examples().front();
  const auto s = sign_request(creds, to_request(e), example_time()).value();
  const auto headers = wire_headers(e, s);
  const auto query = parse_query("").value();
  const request_view rv{e.method, e.path, &query, headers};
  const auto auth = parse_sigv4_authorization(s.authorization).value();
  CHECK(auth.credential.region == "US-WEST-04A");
  CHECK(verify_sigv4_header(rv, auth, kSecret, example_time()).has_value());
}

TEST_CASE("canonical header values are trimmed with inner space runs collapsed", "[protocol]") {
  CHECK(canonical_header_value("  a   b \t c  ") == "a b c");
  CHECK(canonical_header_value("") == "");
  CHECK(canonical_header_value("x") == "x");
}

TEST_CASE("canonical query sorts encoded names and values and skips the signature", "[protocol]") {
  const auto q =
      parse_query("prefix=J&max-keys=2&uploads&b=%2F%20&a=2&a=1&X-Amz-Signature=zz").value();
  CHECK(canonical_query_string(q, "X-Amz-Signature") ==
        "a=1&a=2&b=%2F%20&max-keys=2&prefix=J&uploads=");
}

TEST_CASE("Authorization header parser accepts valid forms and reports precise errors",
          "[protocol]") {
  const std::string sig(64, 'a');
  const std::string good =
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=" +
      sig;
  auto a = parse_sigv4_authorization(good);
  REQUIRE(a.has_value());
  CHECK(a->credential == credential_scope{"AK", "20130524", "us-east-1", "s3"});
  CHECK(a->signed_headers == std::vector<std::string>{"host", "x-amz-date"});
  CHECK(a->signature == sig);
  // No spaces after commas, fields reordered.
  CHECK(parse_sigv4_authorization("AWS4-HMAC-SHA256 Signature=" + sig +
                                  ",Credential=AK/20130524/r/s3/aws4_request,SignedHeaders=host")
            .has_value());

  struct row {
    std::string header;
    protocol_errc error;
  };
  const row rows[] = {
      {"AWS AK:sig", protocol_errc::unsupported_auth_algorithm},
      {"AWS4-HMAC-SHA512 Credential=x", protocol_errc::unsupported_auth_algorithm},
      {"AWS4-HMAC-SHA256Credential=AK/20130524/r/s3/aws4_request",
       protocol_errc::unsupported_auth_algorithm},
      {"AWS4-HMAC-SHA256", protocol_errc::missing_auth_field},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host",
       protocol_errc::missing_auth_field},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=" +
           sig + ", Signature=" + sig,
       protocol_errc::auth_header_malformed},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host, Foo=1, "
       "Signature=" +
           sig,
       protocol_errc::auth_header_malformed},
      {"AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=" + sig,
       protocol_errc::auth_header_malformed},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4, SignedHeaders=host, Signature=" + sig,
       protocol_errc::bad_credential_scope},
      {"AWS4-HMAC-SHA256 Credential=AK/2013052/r/s3/aws4_request, SignedHeaders=host, Signature=" +
           sig,
       protocol_errc::bad_credential_scope},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request/x, SignedHeaders=host, "
       "Signature=" +
           sig,
       protocol_errc::bad_credential_scope},
      {"AWS4-HMAC-SHA256 Credential=/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=" +
           sig,
       protocol_errc::bad_credential_scope},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=Host, Signature=" +
           sig,
       protocol_errc::auth_header_malformed},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host;;a, "
       "Signature=" +
           sig,
       protocol_errc::auth_header_malformed},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host, "
       "Signature=abc",
       protocol_errc::bad_signature_format},
      {"AWS4-HMAC-SHA256 Credential=AK/20130524/r/s3/aws4_request, SignedHeaders=host, Signature=" +
           std::string(64, 'A'),
       protocol_errc::bad_signature_format},
  };
  for (const auto& r : rows) {
    INFO(r.header);
    const auto got = parse_sigv4_authorization(r.header);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error() == r.error);
  }
}

TEST_CASE("presigned URL matches the AWS example and verifies until it expires", "[protocol]") {
  const request_to_sign req{"GET", "/test.txt", {}, {{"Host", std::string(kHost)}}, ""};
  const auto query_string =
      presign_query(example_credentials(), req, example_time(), std::chrono::seconds(86400));
  REQUIRE(query_string.has_value());
  CHECK(*query_string ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-"
        "Amz-Signature="
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

  const auto query = parse_query(*query_string).value();
  REQUIRE(has_sigv4_query_auth(query));
  const auto presigned = parse_sigv4_presigned(query);
  REQUIRE(presigned.has_value());
  CHECK(presigned->expires == std::chrono::seconds(86400));
  const std::vector<header_field> headers = {{"Host", kHost}};
  const request_view rv{"GET", "/test.txt", &query, headers};
  CHECK(verify_sigv4_presigned(rv, *presigned, kSecret, example_time() + std::chrono::hours(23))
            .has_value());
  CHECK(
      verify_sigv4_presigned(rv, *presigned, kSecret, example_time() + std::chrono::seconds(86401))
          .error() == protocol_errc::request_expired);
  CHECK(verify_sigv4_presigned(rv, *presigned, kSecret, example_time() - std::chrono::minutes(20))
            .error() == protocol_errc::request_not_yet_valid);
  CHECK(verify_sigv4_presigned(rv, *presigned, "bad", example_time()).error() ==
        protocol_errc::signature_mismatch);
  const request_view put{"PUT", "/test.txt", &query, headers};
  CHECK(verify_sigv4_presigned(put, *presigned, kSecret, example_time()).error() ==
        protocol_errc::signature_mismatch);
}

TEST_CASE("presigned query parser enforces required fields and the 7-day limit", "[protocol]") {
  const std::string base =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20130524%2Fr%2Fs3%2Faws4_request"
      "&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=" +
      std::string(64, '0');
  CHECK(parse_sigv4_presigned(parse_query(base + "&X-Amz-Expires=604800").value()).has_value());
  CHECK(parse_sigv4_presigned(parse_query(base + "&X-Amz-Expires=604801").value()).error() ==
        protocol_errc::expires_too_large);
  CHECK(parse_sigv4_presigned(parse_query(base + "&X-Amz-Expires=-1").value()).error() ==
        protocol_errc::query_auth_malformed);
  CHECK(parse_sigv4_presigned(parse_query(base).value()).error() ==
        protocol_errc::query_auth_malformed);
  CHECK(presign_query(example_credentials(), {"GET", "/", {}, {{"host", "h"}}, ""}, example_time(),
                      std::chrono::seconds(604801))
            .error() == protocol_errc::expires_too_large);
}

TEST_CASE("amz dates parse, format and reject invalid calendar values", "[protocol]") {
  const auto t = parse_amz_date("20130524T000000Z");
  REQUIRE(t.has_value());
  CHECK(format_amz_date(*t) == "20130524T000000Z");
  CHECK(format_amz_date(*t + std::chrono::seconds(3723)) == "20130524T010203Z");
  CHECK(parse_http_date("Fri, 24 May 2013 00:00:00 GMT").value() == *t);
  CHECK(parse_http_date("Fri, 24 May 2013 00:00:00 +0000").value() == *t);
  for (const char* bad :
       {"20130230T000000Z", "20130524T240000Z", "20130524 000000Z", "2013052T000000Z", ""}) {
    INFO(bad);
    CHECK_FALSE(parse_amz_date(bad).has_value());
  }
  CHECK_FALSE(parse_http_date("Fri, 24 Foo 2013 00:00:00 GMT").has_value());
  CHECK(check_clock_skew(*t, *t + std::chrono::minutes(15)).has_value());
  CHECK(check_clock_skew(*t, *t + std::chrono::seconds(901)).error() ==
        protocol_errc::request_time_too_skewed);
}

TEST_CASE("signing key cache returns derived keys and stays bounded", "[protocol]") {
  signing_key_cache cache(2);
  const auto k = cache.get(kSecret, "20130524", "us-east-1", "s3");
  CHECK(k == derive_signing_key(kSecret, "20130524", "us-east-1", "s3"));
  CHECK(cache.get(kSecret, "20130524", "us-east-1", "s3") == k);
  CHECK(cache.size() == 1);
  CHECK(cache.get("other", "20130524", "us-east-1", "s3") != k);
  CHECK(cache.get(kSecret, "20130525", "us-east-1", "s3") != k);
  CHECK(cache.size() <= 2);

  // The verifier gives the same answer with a cache.
  const auto e = aws_examples().front();
  const auto s = sign_request(example_credentials(), to_request(e), example_time()).value();
  const auto headers = wire_headers(e, s);
  const auto query = parse_query("").value();
  const request_view rv{e.method, e.path, &query, headers};
  const auto auth = parse_sigv4_authorization(s.authorization).value();
  CHECK(verify_sigv4_header(rv, auth, kSecret, example_time(), &cache).has_value());
  CHECK(verify_sigv4_header(rv, auth, "bad", example_time(), &cache).error() ==
        protocol_errc::signature_mismatch);
}

TEST_CASE("verifier accepts a path sent with raw reserved characters but signed encoded",
          "[protocol]") {
  // The AWS PUT example puts "test$file.text" on the wire and signs "/test%24file.text".
  const auto e = aws_examples()[1];
  const auto s = sign_request(example_credentials(), to_request(e), example_time()).value();
  const auto headers = wire_headers(e, s);
  const auto query = parse_query("").value();
  const auto auth = parse_sigv4_authorization(s.authorization).value();
  const request_view raw{e.method, "/test$file.text", &query, headers};
  const auto ctx = verify_sigv4_header(raw, auth, kSecret, example_time());
  REQUIRE(ctx.has_value());
  CHECK(ctx->seed_signature == e.signature);
  const request_view other{e.method, "/test$file.txt", &query, headers};
  CHECK(verify_sigv4_header(other, auth, kSecret, example_time()).error() ==
        protocol_errc::signature_mismatch);
  const request_view bad_escape{e.method, "/test%zzfile.text", &query, headers};
  CHECK(verify_sigv4_header(bad_escape, auth, kSecret, example_time()).error() ==
        protocol_errc::signature_mismatch);
}
