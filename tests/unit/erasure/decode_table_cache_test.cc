// The decode-table LRU behind codec::reconstruct (erasure/src/decode_table_cache.h,
// a private header of kvgate::erasure, included by path).
#include "../../../erasure/src/decode_table_cache.h"

#include <catch2/catch.hpp>
#include <memory>

namespace {

using kvgate::erasure::decode_pattern;
using kvgate::erasure::decode_table_cache;
using kvgate::erasure::decode_tables;

std::shared_ptr<const decode_tables> tables_of(std::uint8_t tag) {
  return std::make_shared<const decode_tables>(decode_tables{tag});
}

}  // namespace

TEST_CASE("decode table cache evicts the least recently used pattern when full", "[codec]") {
  decode_table_cache cache(2);
  const decode_pattern a{0b0111, 0b1000};
  const decode_pattern b{0b1011, 0b0100};
  const decode_pattern c{0b1101, 0b0010};
  cache.insert(a, tables_of(1));
  cache.insert(b, tables_of(2));
  REQUIRE(cache.find(a) != nullptr);  // a is now the most recently used
  cache.insert(c, tables_of(3));
  CHECK(cache.size() == 2);
  CHECK(cache.find(b) == nullptr);
  REQUIRE(cache.find(a) != nullptr);
  CHECK(cache.find(a)->front() == 1);
  REQUIRE(cache.find(c) != nullptr);
  CHECK(cache.find(c)->front() == 3);
}

TEST_CASE("decode table cache keeps the first insert of a pattern", "[codec]") {
  decode_table_cache cache;
  CHECK(cache.capacity() == decode_table_cache::kDefaultCapacity);
  const decode_pattern p{0b0011, 0b0100};
  CHECK(cache.insert(p, tables_of(1))->front() == 1);
  CHECK(cache.insert(p, tables_of(2))->front() == 1);
  CHECK(cache.size() == 1);
}

TEST_CASE("decode tables handed out survive their eviction", "[codec]") {
  decode_table_cache cache(1);
  const auto held = cache.insert(decode_pattern{1, 2}, tables_of(7));
  cache.insert(decode_pattern{2, 1}, tables_of(8));
  CHECK(cache.find(decode_pattern{1, 2}) == nullptr);
  CHECK(held->front() == 7);
}

TEST_CASE("patterns differing only in the wanted mask are distinct entries", "[codec]") {
  decode_table_cache cache;
  cache.insert(decode_pattern{0b0011, 0b0100}, tables_of(1));
  cache.insert(decode_pattern{0b0011, 0b1000}, tables_of(2));
  CHECK(cache.size() == 2);
  CHECK(cache.find(decode_pattern{0b0011, 0b0100})->front() == 1);
  CHECK(cache.find(decode_pattern{0b0011, 0b1000})->front() == 2);
}
