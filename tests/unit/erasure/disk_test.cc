// Tests for the POSIX disk (erasure/src/posix_disk.cc) and the helpers every
// disk shares (read_whole, write_atomic, parent_path): each operation, its
// error cases, and the path validation that keeps calls inside the root.
#include "kvgate/erasure/disk.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "erasure/temp_dir.h"

namespace {

using kvgate::erasure::dir_entry;
using kvgate::erasure::disk;
using kvgate::erasure::open_posix_disk;
using kvgate::erasure::parent_path;
using kvgate::test::temp_dir;
namespace fs = std::filesystem;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

std::shared_ptr<disk> open_disk(const fs::path& root) {
  auto d = open_posix_disk(root);
  REQUIRE(d.has_value());
  return *d;
}

void write_file(disk& d, std::string_view path, std::string_view content) {
  auto f = d.create(path);
  REQUIRE(f.has_value());
  REQUIRE((*f)->pwrite(bytes(content), 0).has_value());
  REQUIRE((*f)->sync().has_value());
}

std::string read_file(disk& d, std::string_view path) {
  auto r = d.read_whole(path);
  REQUIRE(r.has_value());
  return *r;
}

bool has_entry(const std::vector<dir_entry>& entries, std::string_view name, bool is_dir) {
  for (const auto& e : entries) {
    if (e.name == name) return e.is_dir == is_dir;
  }
  return false;
}

}  // namespace

TEST_CASE("opening a posix disk creates a missing root directory", "[disk]") {
  temp_dir tmp;
  const fs::path root = tmp.path() / "a" / "b" / "disk0";
  auto d = open_disk(root);
  CHECK(fs::is_directory(root));
  CHECK(d->root() == root);
}

TEST_CASE("opening a posix disk on a regular file fails", "[disk]") {
  temp_dir tmp;
  std::ofstream(tmp.path() / "plain") << "x";
  auto d = open_posix_disk(tmp.path() / "plain");
  CHECK_FALSE(d.has_value());
}

TEST_CASE("written bytes read back at any offset and size reports the length", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  auto f = d->create("seg");
  REQUIRE(f.has_value());
  REQUIRE((*f)->pwrite(bytes("hello world"), 0).has_value());
  REQUIRE((*f)->pwrite(bytes("WORLD"), 6).has_value());
  REQUIRE((*f)->sync().has_value());
  CHECK((*f)->size().value() == 11);

  // The created file is readable too (opened read-write).
  std::string buf(5, '\0');
  auto n = (*f)->pread(std::as_writable_bytes(std::span(buf)), 0);
  REQUIRE(n.has_value());
  CHECK(*n == 5);
  CHECK(buf == "hello");

  auto r = d->open_read("seg");
  REQUIRE(r.has_value());
  std::string tail(100, '\0');
  auto m = (*r)->pread(std::as_writable_bytes(std::span(tail)), 6);
  REQUIRE(m.has_value());
  CHECK(*m == 5);  // short only at end of file
  CHECK(tail.substr(0, 5) == "WORLD");
  auto past = (*r)->pread(std::as_writable_bytes(std::span(tail)), 1000);
  REQUIRE(past.has_value());
  CHECK(*past == 0);
}

TEST_CASE("a multi-megabyte write round-trips byte for byte", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  std::string data(5 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) ^ (i >> 9));
  write_file(*d, "big", data);
  CHECK(read_file(*d, "big") == data);
}

TEST_CASE("create truncates an existing file", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  write_file(*d, "f", "long old content");
  write_file(*d, "f", "new");
  CHECK(read_file(*d, "f") == "new");
}

TEST_CASE("opening a missing file or creating under a missing directory is ENOENT", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  auto r = d->open_read("nope");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::no_such_file_or_directory);
  auto c = d->create("missing/dir/file");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error() == std::errc::no_such_file_or_directory);
  auto w = d->read_whole("nope");
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("opening a directory as a file is EISDIR", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("dir").has_value());
  auto r = d->open_read("dir");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::is_a_directory);
}

TEST_CASE("paths that could escape the root or are malformed are rejected", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path() / "disk");
  const std::vector<std::string> bad = {
      "/etc/passwd", "..", "../x", "a/../../x", "a//b", "a/", "./a", "a/.", std::string("a\0b", 3),
  };
  const auto invalid = kvgate::erasure::errc::invalid_argument;
  for (const auto& p : bad) {
    INFO("path: " << p);
    CHECK(d->open_read(p).error() == invalid);
    CHECK(d->create(p).error() == invalid);
    CHECK(d->make_dirs(p).error() == invalid);
    CHECK(d->sync_dir(p).error() == invalid);
    CHECK(d->remove(p).error() == invalid);
    CHECK(d->remove_all(p).error() == invalid);
    CHECK(d->list(p).error() == invalid);
    CHECK(d->exists(p).error() == invalid);
    CHECK(d->rename(p, "ok").error() == invalid);
    CHECK(d->rename("ok", p).error() == invalid);
  }
  // The empty path is the root: fine for directory operations, never a file or a
  // removal target.
  CHECK(d->create("").error() == invalid);
  CHECK(d->remove("").error() == invalid);
  CHECK(d->remove_all("").error() == invalid);
  CHECK(d->list("").has_value());
  CHECK(d->sync_dir("").has_value());
  CHECK(d->exists("").value());
  CHECK(fs::exists(tmp.path() / "disk"));
}

TEST_CASE("make_dirs creates nested directories and is idempotent", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("a/b/c").has_value());
  CHECK(fs::is_directory(tmp.path() / "a" / "b" / "c"));
  REQUIRE(d->make_dirs("a/b/c").has_value());
  REQUIRE(d->make_dirs("a/b").has_value());
  REQUIRE(d->make_dirs("").has_value());
}

TEST_CASE("make_dirs through a regular file is ENOTDIR", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  write_file(*d, "f", "x");
  auto r = d->make_dirs("f");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::not_a_directory);
  auto r2 = d->make_dirs("f/sub");
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error() == std::errc::not_a_directory);
}

TEST_CASE("rename moves a file and atomically replaces the destination", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("x/y").has_value());
  write_file(*d, "tmp", "new");
  write_file(*d, "x/y/final", "old");
  REQUIRE(d->rename("tmp", "x/y/final").has_value());
  CHECK(read_file(*d, "x/y/final") == "new");
  CHECK_FALSE(d->exists("tmp").value());
}

TEST_CASE("rename moves a whole directory", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("staging/obj").has_value());
  write_file(*d, "staging/obj/part.1", "p1");
  REQUIRE(d->make_dirs("live").has_value());
  REQUIRE(d->rename("staging/obj", "live/obj").has_value());
  CHECK(read_file(*d, "live/obj/part.1") == "p1");
  CHECK_FALSE(d->exists("staging/obj").value());
}

TEST_CASE("renaming a missing path is ENOENT", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  auto r = d->rename("ghost", "other");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("remove deletes files and empty directories only", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("dir/sub").has_value());
  write_file(*d, "dir/f", "x");
  REQUIRE(d->remove("dir/f").has_value());
  CHECK_FALSE(d->exists("dir/f").value());
  auto not_empty = d->remove("dir");
  REQUIRE_FALSE(not_empty.has_value());
  CHECK(not_empty.error() == std::errc::directory_not_empty);
  REQUIRE(d->remove("dir/sub").has_value());
  REQUIRE(d->remove("dir").has_value());
  auto missing = d->remove("dir");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("remove_all deletes a tree and succeeds on a missing path", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("t/a/b/c").has_value());
  write_file(*d, "t/a/f1", "1");
  write_file(*d, "t/a/b/c/f2", "2");
  write_file(*d, "t/top", "3");
  REQUIRE(d->remove_all("t").has_value());
  CHECK_FALSE(fs::exists(tmp.path() / "t"));
  REQUIRE(d->remove_all("t").has_value());
  write_file(*d, "single", "x");
  REQUIRE(d->remove_all("single").has_value());
  CHECK_FALSE(d->exists("single").value());
}

TEST_CASE("list returns names with their kind, excluding dot entries", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("dir/sub").has_value());
  write_file(*d, "dir/file", "x");
  auto entries = d->list("dir");
  REQUIRE(entries.has_value());
  CHECK(entries->size() == 2);
  CHECK(has_entry(*entries, "sub", true));
  CHECK(has_entry(*entries, "file", false));
  auto root = d->list("");
  REQUIRE(root.has_value());
  CHECK(root->size() == 1);
  CHECK(has_entry(*root, "dir", true));
  auto empty = d->list("dir/sub");
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("listing a missing directory is ENOENT and a file is ENOTDIR", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  write_file(*d, "f", "x");
  CHECK(d->list("nope").error() == std::errc::no_such_file_or_directory);
  CHECK(d->list("f").error() == std::errc::not_a_directory);
}

TEST_CASE("exists tells files and directories from missing paths", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("dir").has_value());
  write_file(*d, "dir/f", "x");
  CHECK(d->exists("dir").value());
  CHECK(d->exists("dir/f").value());
  CHECK_FALSE(d->exists("dir/g").value());
  CHECK_FALSE(d->exists("dir/f/under-a-file").value());
}

TEST_CASE("usage reports a plausible capacity", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  auto u = d->usage();
  REQUIRE(u.has_value());
  CHECK(u->total_bytes > 0);
  CHECK(u->free_bytes <= u->total_bytes);
}

TEST_CASE("sync_dir works on the root and subdirectories and fails on missing ones", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("a/b").has_value());
  CHECK(d->sync_dir("").has_value());
  CHECK(d->sync_dir("a/b").has_value());
  CHECK(d->sync_dir("zz").error() == std::errc::no_such_file_or_directory);
}

TEST_CASE("write_atomic replaces content and leaves no temporary file", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("meta").has_value());
  REQUIRE(d->write_atomic("meta/format.json", "meta/format.json.tmp", bytes("v1")).has_value());
  CHECK(read_file(*d, "meta/format.json") == "v1");
  REQUIRE(
      d->write_atomic("meta/format.json", "meta/format.json.tmp", bytes("version 2")).has_value());
  CHECK(read_file(*d, "meta/format.json") == "version 2");
  CHECK_FALSE(d->exists("meta/format.json.tmp").value());
}

TEST_CASE("write_atomic into a missing directory fails and leaves nothing behind", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  REQUIRE(d->make_dirs("tmp").has_value());
  auto r = d->write_atomic("missing/f", "tmp/f.tmp", bytes("x"));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::no_such_file_or_directory);
  CHECK(d->list("tmp").value().empty());
}

TEST_CASE("read_whole of an empty file is an empty string", "[disk]") {
  temp_dir tmp;
  auto d = open_disk(tmp.path());
  write_file(*d, "empty", "");
  CHECK(read_file(*d, "empty").empty());
}

TEST_CASE("parent_path strips the last component", "[disk]") {
  CHECK(parent_path("a/b/c") == "a/b");
  CHECK(parent_path("a") == "");
  CHECK(parent_path("") == "");
  CHECK(parent_path("dir/file.tmp") == "dir");
}
