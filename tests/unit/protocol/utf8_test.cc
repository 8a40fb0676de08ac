#include "kvgate/protocol/utf8.h"

#include <catch2/catch.hpp>
#include <string>

using namespace kvgate::protocol;

TEST_CASE("is_valid_utf8 accepts well-formed text of every length", "[protocol][utf8]") {
  for (const char* good : {"", "plain/ascii key.bin", "caf\xc3\xa9", "\xe2\x82\xac",
                           "\xed\x9f\xbf",      // U+D7FF, just below the surrogates
                           "\xee\x80\x80",      // U+E000, just above them
                           "\xf0\x90\x80\x80",  // U+10000
                           "\xf4\x8f\xbf\xbf",  // U+10FFFF
                           "\xef\xbf\xbf"}) {   // U+FFFF
    INFO(good);
    CHECK(is_valid_utf8(good));
  }
}

TEST_CASE("is_valid_utf8 rejects overlongs, surrogates, out of range and truncation",
          "[protocol][utf8]") {
  for (const char* bad : {"\xc0\xae",          // overlong '.'
                          "\xc1\xbf",          // overlong
                          "\xe0\x80\xaf",      // overlong '/'
                          "\xf0\x80\x80\xaf",  // overlong '/'
                          "\xed\xa0\x80",      // U+D800
                          "\xed\xbf\xbf",      // U+DFFF
                          "\xf4\x90\x80\x80",  // U+110000
                          "\xf5\x80\x80\x80", "\xff", "\xfe", "\x80", "\xbf",
                          "abc\xc3",  // truncated at the end
                          "\xe2\x82", "\xf0\x90\x80", "\xc3(", "\xe2(\xa1"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_utf8(bad));
  }
}

TEST_CASE("is_valid_object_key also refuses NUL", "[protocol][utf8]") {
  CHECK(is_valid_object_key("a/b c+d@e=f~g"));
  CHECK_FALSE(is_valid_object_key(std::string("a\0b", 3)));
  CHECK_FALSE(is_valid_object_key("\xc0\xae\xc0\xae/x"));
}
