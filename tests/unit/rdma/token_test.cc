#include "kvgate/rdma/token.h"

#include <catch2/catch.hpp>
#include <string>

#include "result_string_maker.h"

using namespace kvgate::rdma;

namespace {
constexpr std::string_view kSession = "7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7";
constexpr std::string_view kExample =
    "00007f3a5c000000:0000000002000000:rc1:7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7:0001a2b3";
}  // namespace

TEST_CASE("rc1 token parses its five fields", "[rdma][token]") {
  REQUIRE(kExample.size() == kRc1TokenChars);
  const auto t = parse_token(kExample);
  REQUIRE(t);
  CHECK(t->addr == 0x00007f3a5c000000ull);
  CHECK(t->length == 0x2000000ull);
  CHECK(to_string(t->session) == kSession);
  CHECK(t->rkey == 0x0001a2b3u);
}

TEST_CASE("format_token is the inverse of parse_token", "[rdma][token]") {
  rc1_token t{0xffffffff00000000ull, 0xffffffffull, *parse_session_id(kSession), 0xdeadbeef};
  const auto s = format_token(t);
  CHECK(s.size() == kRc1TokenChars);
  CHECK(s == "ffffffff00000000:00000000ffffffff:rc1:7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7:deadbeef");
  CHECK(parse_token(s).value() == t);
  CHECK(format_token(parse_token(kExample).value()) == kExample);
}

TEST_CASE("malformed tokens are rejected as malformed", "[rdma][token]") {
  const std::string session(kSession);
  const std::string cases[] = {
      "",
      "garbage",
      ":::::",
      // Uppercase hex is not accepted in rc1 tokens (one canonical spelling).
      "00007F3A5C000000:0000000002000000:rc1:" + session + ":0001a2b3",
      "00007f3a5c000000:0000000002000000:rc1:7F9C2E1AD03B4E55A1C0D2E3F4A5B6C7:0001a2b3",
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":0001A2B3",
      // Field widths are fixed.
      "7f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3",
      "00007f3a5c000000:2000000:rc1:" + session + ":0001a2b3",
      "00007f3a5c000000:0000000002000000:rc1:" + session.substr(1) + ":0001a2b3",
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":1a2b3",
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":000001a2b3",
      // Wrong field counts, separators, trailing bytes.
      "00007f3a5c000000:0000000002000000:rc1:" + session,
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3:",
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3;",
      "00007f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3:00",
      "00007f3a5c000000;0000000002000000;rc1;" + session + ";0001a2b3",
      " 00007f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3",
      "00007f3a5c000000:0000000002000000:RC1:" + session + ":0001a2b3",
      "0x007f3a5c000000:0000000002000000:rc1:" + session + ":0001a2b3",
      "00007f3a5c00000g:0000000002000000:rc1:" + session + ":0001a2b3",
      // addr + len wraps around 2^64.
      "ffffffffffffffff:0000000000000002:rc1:" + session + ":0001a2b3",
      // Over the length bound.
      std::string(kMaxTokenChars + 1, 'a'),
  };
  for (const auto& c : cases) {
    INFO(c);
    const auto r = parse_token(c);
    REQUIRE_FALSE(r);
    CHECK(r.error() == rdma_errc::malformed_token);
  }
}

TEST_CASE("the window end address must be representable in 64 bits", "[rdma][token]") {
  const auto r = parse_token(
      "ffffffffffffff00:00000000000000ff:rc1:7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7:00000001");
  REQUIRE(r);
  CHECK(r->length == 0xff);
  CHECK(
      parse_token("ffffffffffffff00:0000000000000100:rc1:7f9c2e1ad03b4e55a1c0d2e3f4a5b6c7:00000001")
          .error() == rdma_errc::malformed_token);
}

TEST_CASE("tokens of other transports decline as transport-unsupported", "[rdma][token]") {
  const std::string cases[] = {
      // cuObject DC descriptor, 81 characters (research §1.4 example).
      "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f10",
      // ... with uppercase hex, the dropped addr:size suffix, a trailing ';'.
      "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090A0B0C0D0E0F10",
      "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f10;",
      "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f10"
      ":0102030405060708:0000000001000000",
      // hipObject: 88 hex digits.
      std::string(88, 'a'),
      // Our own token family with another transport tag.
      "00007f3a5c000000:0000000002000000:ofi1:whatever",
      "00007f3a5c000000:0000000002000000:rc2:" + std::string(kSession) + ":0001a2b3",
  };
  for (const auto& c : cases) {
    INFO(c);
    const auto r = parse_token(c);
    REQUIRE_FALSE(r);
    CHECK(r.error() == rdma_errc::unsupported_transport);
  }
  CHECK(std::string_view(cases[0]).size() == 81);
}

TEST_CASE("near-misses of the cuObject form are malformed", "[rdma][token]") {
  for (const char* c : {
           "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f1",
           "0102030405060708:01020304:01020304:0102:010203:12:0102030405060708090a0b0c0d0e0f10",
           "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f1g",
           "0102030405060708:01020304:01020304:0102:010203:1:0102030405060708090a0b0c0d0e0f10:01",
       }) {
    INFO(c);
    const auto r = parse_token(c);
    REQUIRE_FALSE(r);
    CHECK(r.error() == rdma_errc::malformed_token);
  }
}
