#include "kvgate/s3/addressing.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using kvgate::s3::bucket_from_host;
using kvgate::s3::is_valid_bucket_name;
using kvgate::s3::resolve_address;

TEST_CASE("path-style request names bucket and key from the path", "[s3][addressing]") {
  const std::vector<std::string> domains{"s3.local"};
  auto a = resolve_address("127.0.0.1:9000", "/bkt/dir/obj.bin", domains);
  REQUIRE(a.has_value());
  CHECK(a->bucket == "bkt");
  CHECK(a->key == "dir/obj.bin");
  CHECK_FALSE(a->virtual_hosted);
}

TEST_CASE("bucket-only and service paths have no key", "[s3][addressing]") {
  auto a = resolve_address("localhost", "/bkt", {});
  REQUIRE(a.has_value());
  CHECK(a->bucket == "bkt");
  CHECK(a->key.empty());
  auto b = resolve_address("localhost", "/bkt/", {});
  REQUIRE(b.has_value());
  CHECK(b->key.empty());
  auto s = resolve_address("localhost", "/", {});
  REQUIRE(s.has_value());
  CHECK(s->bucket.empty());
}

TEST_CASE("virtual-hosted request takes the bucket from Host with or without port",
          "[s3][addressing]") {
  const std::vector<std::string> domains{"s3.local", "127.0.0.1"};
  CHECK(bucket_from_host("bkt.s3.local", domains) == "bkt");
  CHECK(bucket_from_host("bkt.s3.local:9000", domains) == "bkt");
  CHECK(bucket_from_host("BKT.S3.LOCAL", domains) == "bkt");
  CHECK(bucket_from_host("my.dotted.bucket.s3.local", domains) == "my.dotted.bucket");
  CHECK(bucket_from_host("s3.local:9000", domains).empty());
  CHECK(bucket_from_host("other.example", domains).empty());
  CHECK(bucket_from_host("xs3.local", domains).empty());
  auto a = resolve_address("bkt.s3.local:9000", "/a/b%20c", domains);
  REQUIRE(a.has_value());
  CHECK(a->virtual_hosted);
  CHECK(a->bucket == "bkt");
  CHECK(a->key == "a/b c");
}

TEST_CASE("IP-literal domains host virtual-hosted buckets", "[s3][addressing]") {
  const std::vector<std::string> domains{"127.0.0.1"};
  CHECK(bucket_from_host("bkt.127.0.0.1:9000", domains) == "bkt");
  CHECK(bucket_from_host("127.0.0.1:9000", domains).empty());
  auto a = resolve_address("127.0.0.1:9000", "/bkt/k", domains);
  REQUIRE(a.has_value());
  CHECK_FALSE(a->virtual_hosted);
  CHECK(a->bucket == "bkt");
}

TEST_CASE("keys are percent-decoded exactly once", "[s3][addressing]") {
  auto a = resolve_address("h", "/bkt/model%40world%40w%2540x/%2B+sp%20ace", {});
  REQUIRE(a.has_value());
  CHECK(a->key == "model@world@w%40x/++sp ace");
  auto utf8 = resolve_address("h", "/bkt/%E2%82%AC-euro", {});
  REQUIRE(utf8.has_value());
  CHECK(utf8->key == "\xE2\x82\xAC-euro");
}

TEST_CASE("malformed percent-encoding in the path is rejected", "[s3][addressing]") {
  CHECK_FALSE(resolve_address("h", "/bkt/bad%zzkey", {}).has_value());
  CHECK_FALSE(resolve_address("h", "/bkt/trail%2", {}).has_value());
}

TEST_CASE("bucket names follow the S3 naming rules", "[s3][addressing]") {
  CHECK(is_valid_bucket_name("abc"));
  CHECK(is_valid_bucket_name("my-bucket.v2"));
  CHECK(is_valid_bucket_name(std::string(63, 'a')));
  CHECK_FALSE(is_valid_bucket_name("ab"));
  CHECK_FALSE(is_valid_bucket_name(std::string(64, 'a')));
  CHECK_FALSE(is_valid_bucket_name("UpperCase"));
  CHECK_FALSE(is_valid_bucket_name("under_score"));
  CHECK_FALSE(is_valid_bucket_name("-leading"));
  CHECK_FALSE(is_valid_bucket_name("trailing-"));
  CHECK_FALSE(is_valid_bucket_name("double..dot"));
  CHECK_FALSE(is_valid_bucket_name("192.168.1.1"));
  CHECK_FALSE(is_valid_bucket_name("xn--punycode"));
}
