#include "kvgate/protocol/uri.h"

#include <catch2/catch.hpp>

#include "protocol/result_printing.h"

using namespace kvgate::protocol;

TEST_CASE("percent_decode decodes escapes and keeps plus literal", "[protocol]") {
  CHECK(percent_decode("a%20b").value() == "a b");
  CHECK(percent_decode("a+b").value() == "a+b");
  CHECK(percent_decode("%40%25%2F%2f").value() == "@%//");
  CHECK(percent_decode("").value() == "");
  CHECK(percent_decode("%00").value() == std::string(1, '\0'));
}

TEST_CASE("percent_decode rejects truncated and non-hex escapes", "[protocol]") {
  for (const char* bad : {"%", "%2", "a%", "%zz", "%2g", "%%20", "abc%4"}) {
    INFO(bad);
    CHECK(percent_decode(bad).error() == protocol_errc::bad_percent_encoding);
  }
}

TEST_CASE("uri_encode keeps the SigV4 unreserved set and optionally slashes", "[protocol]") {
  CHECK(uri_encode("AZaz09-._~", slash_encoding::encode) == "AZaz09-._~");
  CHECK(uri_encode("a b/c", slash_encoding::keep) == "a%20b/c");
  CHECK(uri_encode("a b/c", slash_encoding::encode) == "a%20b%2Fc");
  CHECK(uri_encode("@%+=&\xe2\x82\xac", slash_encoding::encode) == "%40%25%2B%3D%26%E2%82%AC");
  const std::string all_bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  CHECK(percent_decode(uri_encode(all_bytes, slash_encoding::encode)).value() == all_bytes);
}

TEST_CASE("parse_query keeps order, empty values and bare names", "[protocol]") {
  auto q = parse_query("uploadId=abc%2Bdef&partNumber=1&uploads&acl=&&prefix=J");
  REQUIRE(q.has_value());
  const query_params expected = {{"uploadId", "abc+def", true},
                                 {"partNumber", "1", true},
                                 {"uploads", "", false},
                                 {"acl", "", true},
                                 {"prefix", "J", true}};
  CHECK(*q == expected);
  CHECK(find_param(*q, "partNumber")->value == "1");
  CHECK(find_param(*q, "missing") == nullptr);
  CHECK(parse_query("").value().empty());
  CHECK(parse_query("a=b=c").value().front().value == "b=c");
  CHECK(parse_query("a=%zz").error() == protocol_errc::bad_percent_encoding);
}

TEST_CASE("split_target separates path and query at the first question mark", "[protocol]") {
  auto t = split_target("/bkt/key%20x?uploadId=1&partNumber=2");
  CHECK(t.path == "/bkt/key%20x");
  CHECK(t.query == "uploadId=1&partNumber=2");
  CHECK(t.has_query);
  auto u = split_target("/bkt/k");
  CHECK(u.path == "/bkt/k");
  CHECK_FALSE(u.has_query);
  auto v = split_target("/b?");
  CHECK(v.has_query);
  CHECK(v.query.empty());
  CHECK(split_target("/a?b?c").query == "b?c");
}
