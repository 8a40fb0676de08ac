// Endpoint parsing and request addressing (endpoint.h).
#include "kvgate/sdk/endpoint.h"

#include <catch2/catch.hpp>

#include "sdk/sdk_result_printing.h"

using namespace kvgate::sdk;

TEST_CASE("endpoints parse with default and explicit ports, IPv6 in brackets", "[sdk][endpoint]") {
  auto a = parse_endpoint("http://127.0.0.1:9000");
  REQUIRE(a);
  CHECK_FALSE(a->tls);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9000);
  CHECK(a->authority() == "127.0.0.1:9000");
  auto b = parse_endpoint("https://kv.example.com/");
  REQUIRE(b);
  CHECK(b->tls);
  CHECK(b->port == 443);
  CHECK(b->authority() == "kv.example.com");
  auto c = parse_endpoint("http://[::1]:8080");
  REQUIRE(c);
  CHECK(c->host == "::1");
  CHECK(c->authority() == "[::1]:8080");
  CHECK(parse_endpoint("http://h:80")->authority() == "h");
}

TEST_CASE("malformed endpoints are refused", "[sdk][endpoint]") {
  for (const char* bad : {"ftp://h", "h:9000", "http://", "http://h:0", "http://h:70000",
                          "http://h:12x", "http://h/path", "http://u@h", "http://[::1"}) {
    INFO(bad);
    auto r = parse_endpoint(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == sdk_errc::invalid_endpoint);
  }
}

TEST_CASE("path-style puts the bucket in the path, encoding the key once", "[sdk][endpoint]") {
  const auto server = parse_endpoint("http://127.0.0.1:9000").value();
  auto loc = locate(server, addressing_style::path, "kvc", "model/a b@c%/0001");
  REQUIRE(loc);
  CHECK(loc->host_header == "127.0.0.1:9000");
  CHECK(loc->path == "/kvc/model/a%20b%40c%25/0001");
  CHECK(loc->dial_host == "127.0.0.1");
  CHECK(loc->dial_port == 9000);
  CHECK(locate(server, addressing_style::path, "kvc", "")->path == "/kvc");
  CHECK(locate(server, addressing_style::path, "", "")->path == "/");
}

TEST_CASE("virtual-hosted style puts the bucket in the host", "[sdk][endpoint]") {
  const auto server = parse_endpoint("https://s3.example.com:9443").value();
  auto loc = locate(server, addressing_style::virtual_hosted, "kvc", "a/b");
  REQUIRE(loc);
  CHECK(loc->host_header == "kvc.s3.example.com:9443");
  CHECK(loc->path == "/a/b");
  CHECK(loc->dial_host == "kvc.s3.example.com");
  // connect_to dials elsewhere but keeps the Host header.
  auto via = locate(server, addressing_style::virtual_hosted, "kvc", "a/b",
                    parse_endpoint("https://127.0.0.1:1234").value());
  REQUIRE(via);
  CHECK(via->host_header == "kvc.s3.example.com:9443");
  CHECK(via->dial_host == "127.0.0.1");
  CHECK(via->dial_port == 1234);
  // No bucket in a host that is an IP literal.
  auto ip = locate(parse_endpoint("http://10.0.0.1").value(), addressing_style::virtual_hosted,
                   "kvc", "k");
  REQUIRE_FALSE(ip);
  CHECK(ip.error().code == sdk_errc::invalid_argument);
}

TEST_CASE("bucket names and key lengths are checked", "[sdk][endpoint]") {
  const auto server = parse_endpoint("http://h").value();
  for (const char* bad : {"ab", "Upper", "-lead", "trail-", "has_underscore", ".dot"}) {
    INFO(bad);
    CHECK_FALSE(locate(server, addressing_style::path, bad, "k"));
  }
  CHECK(valid_bucket_name("kv-cache.0"));
  CHECK_FALSE(locate(server, addressing_style::path, "bucket", std::string(1025, 'k')));
  CHECK(locate(server, addressing_style::path, "bucket", std::string(1024, 'k')));
  CHECK_FALSE(locate(server, addressing_style::path, "", "key-without-bucket"));
}
