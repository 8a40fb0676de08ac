#include "kvgate/s3/conditionals.h"

#include <catch2/catch.hpp>

using namespace kvgate::s3;
using namespace std::chrono;

namespace {
// Fri, 24 May 2013 00:00:00 GMT
const sys_seconds kModified = sys_days{year{2013} / May / 24};
constexpr std::string_view kEtag = "\"abc\"";
constexpr std::string_view kBefore = "Thu, 23 May 2013 00:00:00 GMT";
constexpr std::string_view kAt = "Fri, 24 May 2013 00:00:00 GMT";
constexpr std::string_view kAfter = "Sat, 25 May 2013 00:00:00 GMT";
}  // namespace

TEST_CASE("entity tag lists match quoted, unquoted, weak and wildcard tags", "[s3][conditionals]") {
  CHECK(etag_list_matches("\"abc\"", kEtag));
  CHECK(etag_list_matches("abc", kEtag));
  CHECK(etag_list_matches("W/\"abc\"", kEtag));
  CHECK(etag_list_matches("\"x\", \"abc\"", kEtag));
  CHECK(etag_list_matches("*", kEtag));
  CHECK_FALSE(etag_list_matches("\"abd\"", kEtag));
  CHECK_FALSE(etag_list_matches("", kEtag));
}

TEST_CASE("If-Match mismatch fails the precondition", "[s3][conditionals]") {
  conditional_headers h;
  h.if_match = "\"other\"";
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::precondition_failed);
  h.if_match = "\"abc\"";
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
}

TEST_CASE("If-Match true overrides a failing If-Unmodified-Since", "[s3][conditionals]") {
  conditional_headers h;
  h.if_match = "\"abc\"";
  h.if_unmodified_since = kBefore;
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
  h.if_match.reset();
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::precondition_failed);
  h.if_unmodified_since = kAt;
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
}

TEST_CASE("If-None-Match match is not modified and overrides If-Modified-Since",
          "[s3][conditionals]") {
  conditional_headers h;
  h.if_none_match = "\"abc\"";
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::not_modified);
  h.if_none_match = "\"zzz\"";
  h.if_modified_since = kAfter;  // would say 304, but If-None-Match wins
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
}

TEST_CASE("If-Modified-Since answers 304 unless the object is newer", "[s3][conditionals]") {
  conditional_headers h;
  h.if_modified_since = kAt;
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::not_modified);
  h.if_modified_since = kBefore;
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
  h.if_modified_since = "not a date";
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::proceed);
}

TEST_CASE("If-Match failure takes precedence over If-None-Match", "[s3][conditionals]") {
  conditional_headers h;
  h.if_match = "\"nope\"";
  h.if_none_match = "\"abc\"";
  CHECK(evaluate_read_conditions(h, kEtag, kModified) == condition_outcome::precondition_failed);
}

TEST_CASE("If-Range honours the range only for the current strong ETag or date",
          "[s3][conditionals]") {
  CHECK(if_range_holds("\"abc\"", kEtag, kModified));
  CHECK_FALSE(if_range_holds("\"old\"", kEtag, kModified));
  CHECK_FALSE(if_range_holds("W/\"abc\"", kEtag, kModified));
  CHECK(if_range_holds(kAt, kEtag, kModified));
  CHECK_FALSE(if_range_holds(kBefore, kEtag, kModified));
}
