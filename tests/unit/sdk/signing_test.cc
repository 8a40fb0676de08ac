// The SDK signs through kvgate::protocol's signer, the one the gateway's
// verifier shares canonicalisation with. These are the AWS S3 documentation
// examples the gateway's tests use (tests/unit/protocol/sigv4_test.cc),
// built here through the SDK's own addressing and request builder.
#include <catch2/catch.hpp>

#include "kvgate/protocol/digest.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_verifier.h"
#include "kvgate/protocol/uri.h"
#include "request_signing.h"
#include "sdk/sdk_result_printing.h"

using namespace kvgate;
using namespace kvgate::sdk;
using namespace kvgate::sdk::detail;

namespace {

protocol::signing_credentials example_credentials() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", std::nullopt,
          "us-east-1", "s3"};
}

protocol::sys_seconds example_time() {
  return protocol::parse_amz_date("20130524T000000Z").value();
}

request_location example_location(std::string_view key) {
  const auto server = parse_endpoint("https://s3.amazonaws.com").value();
  return locate(server, addressing_style::virtual_hosted, "examplebucket", key).value();
}

std::string signature_of(const outgoing_request& r) {
  for (const auto& h : r.headers)
    if (h.name == "authorization" || h.name == "Authorization") {
      const auto at = h.value.find("Signature=");
      return h.value.substr(at + 10);
    }
  return {};
}

std::string header(const outgoing_request& r, std::string_view name) {
  for (const auto& h : r.headers)
    if (h.name == name) return h.value;
  return {};
}

}  // namespace

TEST_CASE("SDK requests reproduce the AWS SigV4 GET Object example", "[sdk][signing]") {
  const auto where = example_location("test.txt");
  CHECK(where.host_header == "examplebucket.s3.amazonaws.com");
  auto r = build_signed_request(example_credentials(), where, http::verb::get, {},
                                {{"range", "bytes=0-9"}}, protocol::kEmptySha256, example_time());
  REQUIRE(r);
  CHECK(r->target == "/test.txt");
  CHECK(header(*r, "host") == "examplebucket.s3.amazonaws.com");
  CHECK(signature_of(*r) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  CHECK_FALSE(r->send_content_length);
}

TEST_CASE("SDK requests reproduce the AWS SigV4 PUT Object example", "[sdk][signing]") {
  const auto where = example_location("test$file.text");
  CHECK(where.path == "/test%24file.text");
  auto r = build_signed_request(
      example_credentials(), where, http::verb::put, {},
      {{"date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      protocol::sha256_hex("Welcome to Amazon S3."), example_time());
  REQUIRE(r);
  CHECK(signature_of(*r) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  CHECK(r->send_content_length);
}

TEST_CASE("SDK requests reproduce the AWS SigV4 bucket query examples", "[sdk][signing]") {
  const auto where = example_location("");
  auto lifecycle =
      build_signed_request(example_credentials(), where, http::verb::get,
                           {{"lifecycle", "", false}}, {}, protocol::kEmptySha256, example_time());
  REQUIRE(lifecycle);
  CHECK(lifecycle->target == "/?lifecycle");
  CHECK(signature_of(*lifecycle) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  auto list = build_signed_request(example_credentials(), where, http::verb::get,
                                   {{"max-keys", "2", true}, {"prefix", "J", true}}, {},
                                   protocol::kEmptySha256, example_time());
  REQUIRE(list);
  CHECK(list->target == "/?max-keys=2&prefix=J");
  CHECK(signature_of(*list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("query values are encoded on the wire as they are signed", "[sdk][signing]") {
  const auto where = example_location("k");
  auto r = build_signed_request(example_credentials(), where, http::verb::get,
                                {{"continuation-token", "a+b/c=", true}, {"prefix", "x y", true}},
                                {}, protocol::kUnsignedPayload, example_time());
  REQUIRE(r);
  CHECK(r->target == "/k?continuation-token=a%2Bb%2Fc%3D&prefix=x%20y");
  CHECK(header(*r, "x-amz-content-sha256") == "UNSIGNED-PAYLOAD");
  CHECK(header(*r, "x-amz-date") == "20130524T000000Z");
}

TEST_CASE("a session token is sent and signed", "[sdk][signing]") {
  auto creds = example_credentials();
  creds.session_token = "session-token";
  auto r = build_signed_request(creds, example_location("k"), http::verb::head, {}, {},
                                protocol::kUnsignedPayload, example_time());
  REQUIRE(r);
  CHECK(header(*r, "x-amz-security-token") == "session-token");
}
