// /proc/self/maps lines read for client_options::rdma_register_mappings
// (sdk/src/process_mappings.h): which mappings may be registered.
#include "process_mappings.h"

#include <sys/mman.h>

#include <catch2/catch.hpp>

using kvgate::sdk::detail::mapping_of;
using kvgate::sdk::detail::parse_maps_line;

TEST_CASE("maps lines: anonymous read-write memory only", "[sdk][rdma]") {
  auto anon = parse_maps_line("7f12a0000000-7f12a4000000 rw-p 00000000 00:00 0 ");
  REQUIRE(anon);
  CHECK(anon->start == 0x7f12a0000000u);
  CHECK(anon->end == 0x7f12a4000000u);
  CHECK(anon->anonymous_rw);
  auto no_path = parse_maps_line("7f12a0000000-7f12a4000000 rw-s 00000000 00:00 0");
  REQUIRE(no_path);
  CHECK(no_path->anonymous_rw);
  auto named = parse_maps_line("7f12a0000000-7f12a4000000 rw-p 00000000 00:00 0   [anon:pool]");
  REQUIRE(named);
  CHECK(named->anonymous_rw);
  // Never the heap, a stack, a file or read-only memory.
  for (const char* line : {"55d0c0000000-55d0c0100000 rw-p 00000000 00:00 0  [heap]",
                           "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0  [stack]",
                           "7f12a0000000-7f12a4000000 rw-s 00000000 08:01 1234  /var/tmp/x",
                           "7f12a0000000-7f12a4000000 r--p 00000000 00:00 0 ",
                           "7f12a0000000-7f12a4000000 -w-p 00000000 00:00 0 "}) {
    auto m = parse_maps_line(line);
    REQUIRE(m);
    CHECK_FALSE(m->anonymous_rw);
  }
  // Malformed lines.
  for (const char* line :
       {"", "7f12a0000000 rw-p 0 00:00 0", "zz-7f rw-p 0 00:00 0",
        "7f12a4000000-7f12a0000000 rw-p 0 00:00 0", "1-2 rwxpq 0 00:00 0", "1-2 rw-p"})
    CHECK_FALSE(parse_maps_line(line));
}

TEST_CASE("the mapping of a buffer in this process", "[sdk][rdma]") {
  const std::size_t size = 8u << 20;
  void* pool = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(pool != MAP_FAILED);
  const auto* inside = static_cast<const std::byte*>(pool) + (3u << 20);
  auto m = mapping_of(inside);
  REQUIRE(m);
  CHECK(m->anonymous_rw);
  CHECK(m->start <= reinterpret_cast<std::uintptr_t>(pool));
  CHECK(m->end >= reinterpret_cast<std::uintptr_t>(pool) + size);
  munmap(pool, size);
}
