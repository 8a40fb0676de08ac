#include "kvgate/protocol/range.h"

#include <catch2/catch.hpp>

#include "protocol/result_printing.h"

using namespace kvgate::protocol;

TEST_CASE("Range header parses the three S3 forms", "[protocol]") {
  CHECK(parse_range("bytes=0-9") == range_spec{closed_range{0, 9}});
  CHECK(parse_range("bytes=100-") == range_spec{open_range{100}});
  CHECK(parse_range("bytes=-500") == range_spec{suffix_range{500}});
  CHECK(parse_range("bytes=0-8388607") == range_spec{closed_range{0, 8388607}});
  CHECK(parse_range("  bytes=5-5 ") == range_spec{closed_range{5, 5}});
}

TEST_CASE("malformed, multi-range and non-byte ranges are ignored like S3", "[protocol]") {
  for (const char* h :
       {"", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-a", "bytes=0-1,3-4", "items=0-9",
        "bytes 0-9", "Bytes=0-9", "bytes=9-0", "bytes=+1-2", "bytes=0x10-",
        "bytes=99999999999999999999999-", "bytes=1 -2", "bytes=--5"}) {
    INFO(h);
    CHECK(parse_range(h) == range_spec{no_range{}});
  }
}

TEST_CASE("resolve clamps, handles suffixes and reports unsatisfiable ranges", "[protocol]") {
  struct row {
    range_spec spec;
    std::uint64_t size;
    bool ok;
    resolved_range expected;
  };
  const row rows[] = {
      {no_range{}, 100, true, {0, 100, false}},
      {no_range{}, 0, true, {0, 0, false}},
      {closed_range{0, 9}, 100, true, {0, 10, true}},
      {closed_range{90, 200}, 100, true, {90, 10, true}},  // end past EOF clamped
      {closed_range{99, 99}, 100, true, {99, 1, true}},
      {closed_range{100, 200}, 100, false, {}},  // start at EOF
      {closed_range{0, 0}, 0, false, {}},        // empty object
      {open_range{0}, 100, true, {0, 100, true}},
      {open_range{40}, 100, true, {40, 60, true}},
      {open_range{100}, 100, false, {}},
      {suffix_range{10}, 100, true, {90, 10, true}},
      {suffix_range{1000}, 100, true, {0, 100, true}},  // longer than object: whole object
      {suffix_range{0}, 100, false, {}},
      {suffix_range{5}, 0, false, {}},
      {closed_range{0, 8388607}, 3 * 1024 * 1024, true, {0, 3 * 1024 * 1024, true}},
  };
  for (const auto& r : rows) {
    auto got = resolve(r.spec, r.size);
    INFO("index " << (&r - rows));
    REQUIRE(got.has_value() == r.ok);
    if (r.ok) {
      CHECK(*got == r.expected);
    } else {
      CHECK(got.error() == protocol_errc::invalid_range);
    }
  }
}

TEST_CASE("Content-Range strings use inclusive bounds and total size", "[protocol]") {
  CHECK(content_range({0, 10, true}, 100) == "bytes 0-9/100");
  CHECK(content_range({90, 10, true}, 100) == "bytes 90-99/100");
  CHECK(unsatisfied_content_range(100) == "bytes */100");
}
