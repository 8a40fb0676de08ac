// Tests for faulty_disk (erasure/src/faulty_disk.cc): fault rules fire on the
// right call with the right errno, short/torn writes and corrupt reads behave as
// documented, latency and offline apply to every call, and the power-loss model
// keeps exactly what was made durable.
#include "kvgate/erasure/faulty_disk.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "erasure/temp_dir.h"
#include "kvgate/erasure/disk.h"

namespace {

using kvgate::erasure::disk_op;
using kvgate::erasure::fault_kind;
using kvgate::erasure::fault_rule;
using kvgate::erasure::faulty_disk;
using kvgate::erasure::file;
using kvgate::erasure::make_faulty_disk;
using kvgate::erasure::open_posix_disk;
using kvgate::test::temp_dir;
namespace fs = std::filesystem;
using namespace std::string_literals;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

// A faulty disk over a posix disk in a fresh temporary directory.
struct fixture {
  temp_dir tmp;
  std::shared_ptr<faulty_disk> d = make_faulty_disk(open_posix_disk(tmp.path()).value());
};

std::unique_ptr<file> create(faulty_disk& d, std::string_view path) {
  auto f = d.create(path);
  REQUIRE(f.has_value());
  return std::move(*f);
}

// create + pwrite + file sync, but no directory sync.
void write_synced(faulty_disk& d, std::string_view path, std::string_view content) {
  auto f = create(d, path);
  REQUIRE(f->pwrite(bytes(content), 0).has_value());
  REQUIRE(f->sync().has_value());
}

// A file that is fully durable: data synced and its directory entry synced.
void write_durable(faulty_disk& d, std::string_view path, std::string_view content) {
  write_synced(d, path, content);
  REQUIRE(d.sync_dir(kvgate::erasure::parent_path(path)).has_value());
}

std::string read(faulty_disk& d, std::string_view path) {
  auto r = d.read_whole(path);
  REQUIRE(r.has_value());
  return *r;
}

bool exists(faulty_disk& d, std::string_view path) {
  auto r = d.exists(path);
  REQUIRE(r.has_value());
  return *r;
}

void crash_and_revive(faulty_disk& d) {
  d.crash();
  d.revive();
}

}  // namespace

// --- fault rules -------------------------------------------------------------

TEST_CASE("a fail rule fires on the nth matching call with its errno", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::pwrite, .nth = 3, .error = ENOSPC});
  auto f = create(*fx.d, "f");
  CHECK(f->pwrite(bytes("a"), 0).has_value());
  CHECK(f->pwrite(bytes("b"), 1).has_value());
  auto third = f->pwrite(bytes("c"), 2);
  REQUIRE_FALSE(third.has_value());
  CHECK(third.error() == std::errc::no_space_on_device);
  CHECK(f->pwrite(bytes("d"), 3).has_value());
  CHECK(read(*fx.d, "f") == "ab\0d"s);
}

TEST_CASE("a rule with every fires again on every Nth matching call after nth", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::exists, .nth = 2, .every = 3});
  std::vector<int> failed;
  for (int i = 1; i <= 9; ++i) {
    if (!fx.d->exists("x").has_value()) failed.push_back(i);
  }
  CHECK(failed == std::vector<int>{2, 5, 8});
}

TEST_CASE("a persistent rule fires on every matching call from nth on", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::usage, .nth = 2, .persistent = true, .error = EROFS});
  CHECK(fx.d->usage().has_value());
  for (int i = 0; i < 5; ++i) CHECK(fx.d->usage().error() == std::errc::read_only_file_system);
  fx.d->clear_faults();
  CHECK(fx.d->usage().has_value());
}

TEST_CASE("a rule only counts calls whose path contains its substring", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::create, .path_contains = "shard", .nth = 2});
  CHECK(fx.d->create("other1").has_value());
  CHECK(fx.d->create("shard.0").has_value());
  CHECK(fx.d->create("other2").has_value());
  CHECK(fx.d->create("shard.1").error() == std::errc::io_error);
  CHECK(fx.d->create("shard.2").has_value());
}

TEST_CASE("a rename rule matches on either path", "[disk]") {
  fixture fx;
  write_synced(*fx.d, "tmp", "x");
  fx.d->add_fault({.op = disk_op::rename, .path_contains = "final"});
  CHECK(fx.d->rename("tmp", "final").error() == std::errc::io_error);
  CHECK(exists(*fx.d, "tmp"));
  CHECK(fx.d->rename("tmp", "final").has_value());
}

TEST_CASE("an any-op rule fires on the first call whatever it is", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::any, .error = EACCES});
  CHECK(fx.d->list("").error() == std::errc::permission_denied);
  CHECK(fx.d->list("").has_value());
}

TEST_CASE("file sync faults fire on the file's path", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::sync, .path_contains = "data"});
  auto meta = create(*fx.d, "meta");
  auto data = create(*fx.d, "data");
  CHECK(meta->sync().has_value());
  CHECK(data->sync().error() == std::errc::io_error);
}

TEST_CASE("a short write writes half of the data and reports the error", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::pwrite, .kind = fault_kind::short_write});
  auto f = create(*fx.d, "f");
  auto r = f->pwrite(bytes("12345678"), 0);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == std::errc::io_error);
  CHECK(read(*fx.d, "f") == "1234");
}

TEST_CASE("a torn write writes half of the data and reports success", "[disk]") {
  fixture fx;
  fx.d->add_fault({.op = disk_op::any, .error = ENOSPC, .kind = fault_kind::torn_write});
  auto f = create(*fx.d, "f");  // a torn-write rule does not match create
  CHECK(f->pwrite(bytes("abcdefgh"), 0).has_value());
  CHECK(read(*fx.d, "f") == "abcd");
}

TEST_CASE("a corrupt read flips one byte of the returned data only", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "f", "0123456789");
  fx.d->add_fault({.op = disk_op::pread, .kind = fault_kind::corrupt_read});
  const std::string bad = read(*fx.d, "f");
  REQUIRE(bad.size() == 10);
  int differing = 0;
  for (std::size_t i = 0; i < bad.size(); ++i) differing += bad[i] != "0123456789"[i];
  CHECK(differing == 1);
  CHECK(read(*fx.d, "f") == "0123456789");  // the bytes on disk are intact
}

TEST_CASE("call counts are kept per operation and in total", "[disk]") {
  fixture fx;
  CHECK(fx.d->call_count(disk_op::any) == 0);
  (void)fx.d->exists("a");
  (void)fx.d->exists("b");
  auto f = create(*fx.d, "f");
  (void)f->pwrite(bytes("x"), 0);
  CHECK(fx.d->call_count(disk_op::exists) == 2);
  CHECK(fx.d->call_count(disk_op::create) == 1);
  CHECK(fx.d->call_count(disk_op::pwrite) == 1);
  CHECK(fx.d->call_count(disk_op::rename) == 0);
  CHECK(fx.d->call_count(disk_op::any) == 4);
}

TEST_CASE("latency delays every operation until reset", "[disk]") {
  fixture fx;
  using clock = std::chrono::steady_clock;
  fx.d->set_latency(std::chrono::milliseconds(30));
  auto start = clock::now();
  (void)fx.d->exists("x");
  CHECK(clock::now() - start >= std::chrono::milliseconds(30));
  auto f = create(*fx.d, "f");
  start = clock::now();
  CHECK(f->pwrite(bytes("x"), 0).has_value());
  CHECK(clock::now() - start >= std::chrono::milliseconds(30));
  fx.d->set_latency(std::chrono::microseconds(0));
  start = clock::now();
  (void)fx.d->exists("x");
  CHECK(clock::now() - start < std::chrono::milliseconds(30));
}

// Milliseconds `fn` takes on the steady clock.
template <class F>
std::chrono::milliseconds time_of(F&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

// Delays are checked with margins a loaded machine keeps: a delayed call
// takes at least its delay; an undelayed one well under it.
TEST_CASE("a delay rule slows only its operation, and the call still succeeds", "[disk]") {
  fixture fx;
  using std::chrono::milliseconds;
  fx.d->add_fault({.op = disk_op::pwrite,
                   .persistent = true,
                   .kind = fault_kind::delay,
                   .delay = milliseconds(300)});
  auto f = create(*fx.d, "f");
  for (int i = 0; i < 2; ++i) {
    CHECK(time_of([&] { CHECK(f->pwrite(bytes("abc"), 0).has_value()); }) >= milliseconds(300));
  }
  std::string back(3, '\0');
  CHECK(time_of([&] { CHECK(f->pread(std::as_writable_bytes(std::span(back)), 0).value() == 3); }) <
        milliseconds(300));
  CHECK(back == "abc");
  CHECK(time_of([&] { CHECK(f->sync().has_value()); }) < milliseconds(300));
  fx.d->clear_faults();
  CHECK(time_of([&] { CHECK(f->pwrite(bytes("abc"), 0).has_value()); }) < milliseconds(300));
}

TEST_CASE("delay rules add up, follow path filters and let the other rules decide", "[disk]") {
  fixture fx;
  using std::chrono::milliseconds;
  fx.d->add_fault({.op = disk_op::exists,
                   .path_contains = "slow",
                   .persistent = true,
                   .kind = fault_kind::delay,
                   .delay = milliseconds(400)});
  fx.d->add_fault({.op = disk_op::any,
                   .persistent = true,
                   .kind = fault_kind::delay,
                   .delay = milliseconds(40)});
  fx.d->add_fault({.op = disk_op::exists, .path_contains = "slow", .error = EROFS});
  const auto fast = time_of([&] { CHECK(fx.d->exists("fast").has_value()); });
  CHECK(fast >= milliseconds(40));
  CHECK(fast < milliseconds(400));
  // Both delays, then the fail rule (the first matching non-delay call) decides.
  CHECK(time_of([&] {
          auto r = fx.d->exists("slow");
          REQUIRE_FALSE(r.has_value());
          CHECK(r.error() == std::error_code(EROFS, std::generic_category()));
        }) >= milliseconds(440));
  CHECK(fx.d->exists("slow").has_value());
}

TEST_CASE("a delayed call does not hold up the disk's other calls", "[disk]") {
  fixture fx;
  using std::chrono::milliseconds;
  fx.d->add_fault({.op = disk_op::sync_dir,
                   .persistent = true,
                   .kind = fault_kind::delay,
                   .delay = milliseconds(2000)});
  std::thread slow([&] { (void)fx.d->sync_dir(""); });
  std::this_thread::sleep_for(milliseconds(50));
  CHECK(time_of([&] { write_synced(*fx.d, "quick", "x"); }) < milliseconds(1500));
  slow.join();
}

TEST_CASE("a rule with a probability fires on about that share of calls, repeatably", "[disk]") {
  auto failures = [](std::uint64_t seed) {
    fixture fx;
    fx.d->set_seed(seed);
    fx.d->add_fault({.op = disk_op::exists, .persistent = true, .probability = 0.25});
    std::vector<bool> failed;
    for (int i = 0; i < 400; ++i) failed.push_back(!fx.d->exists("x").has_value());
    return failed;
  };
  const auto a = failures(7);
  const auto n = std::count(a.begin(), a.end(), true);
  CHECK(n > 60);
  CHECK(n < 140);
  CHECK(failures(7) == a);
  CHECK(failures(8) != a);
}

TEST_CASE("an offline disk fails every call with EIO, open files included", "[disk]") {
  fixture fx;
  auto f = create(*fx.d, "f");
  fx.d->set_offline(true);
  CHECK(fx.d->exists("f").error() == std::errc::io_error);
  CHECK(fx.d->list("").error() == std::errc::io_error);
  CHECK(fx.d->create("g").error() == std::errc::io_error);
  CHECK(fx.d->usage().error() == std::errc::io_error);
  CHECK(f->pwrite(bytes("x"), 0).error() == std::errc::io_error);
  CHECK(f->sync().error() == std::errc::io_error);
  fx.d->set_offline(false);
  CHECK(f->pwrite(bytes("x"), 0).has_value());
  CHECK(exists(*fx.d, "f"));
}

TEST_CASE("write_atomic whose sync fails leaves the old content", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->write_atomic("cfg", "cfg.tmp", bytes("old")).has_value());
  fx.d->add_fault({.op = disk_op::sync});
  CHECK(fx.d->write_atomic("cfg", "cfg.tmp", bytes("new")).error() == std::errc::io_error);
  CHECK(read(*fx.d, "cfg") == "old");
  CHECK_FALSE(exists(*fx.d, "cfg.tmp"));
}

// --- crash model ----------------------------------------------------------------

TEST_CASE("a crashed disk refuses every call until revived, and old files stay dead", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "f", "x");
  auto f = create(*fx.d, "g");
  REQUIRE(fx.d->sync_dir("").has_value());
  fx.d->crash();
  CHECK(fx.d->crash_count() == 1);
  CHECK(fx.d->exists("f").error() == std::errc::io_error);
  CHECK(fx.d->open_read("f").error() == std::errc::io_error);
  fx.d->revive();
  CHECK(exists(*fx.d, "f"));
  CHECK(f->pwrite(bytes("late"), 0).error() == std::errc::io_error);
  crash_and_revive(*fx.d);
  CHECK(fx.d->crash_count() == 2);
}

TEST_CASE("data written after the last sync is lost in a crash", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "f", "durable");
  {
    auto f = create(*fx.d, "f");  // truncation is a data change too
    REQUIRE(f->pwrite(bytes("volatile and longer"), 0).has_value());
  }
  CHECK(read(*fx.d, "f") == "volatile and longer");
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "f") == "durable");
}

TEST_CASE("a pwrite after sync on an open file reverts to the synced content", "[disk]") {
  fixture fx;
  auto f = create(*fx.d, "f");
  REQUIRE(f->pwrite(bytes("first"), 0).has_value());
  REQUIRE(f->sync().has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  REQUIRE(f->pwrite(bytes("SECOND-and-more"), 0).has_value());
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "f") == "first");
}

TEST_CASE("unsynced data is lost even after its file was closed", "[disk]") {
  fixture fx;
  {
    auto f = create(*fx.d, "f");
    REQUIRE(f->pwrite(bytes("synced"), 0).has_value());
    REQUIRE(f->sync().has_value());
    REQUIRE(fx.d->sync_dir("").has_value());
    REQUIRE(f->pwrite(bytes("UNSYNCED"), 0).has_value());
  }
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "f") == "synced");
}

TEST_CASE("synced data in a synced directory survives a crash", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("a/b").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  REQUIRE(fx.d->sync_dir("a").has_value());
  write_durable(*fx.d, "a/b/f", "kept");
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "a/b/f") == "kept");
}

TEST_CASE("a never-synced file in a synced directory comes back empty", "[disk]") {
  fixture fx;
  auto f = create(*fx.d, "f");
  REQUIRE(f->pwrite(bytes("unsynced"), 0).has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  crash_and_revive(*fx.d);
  CHECK(exists(*fx.d, "f"));
  CHECK(read(*fx.d, "f").empty());
}

TEST_CASE("a created file vanishes in a crash when its directory was not synced", "[disk]") {
  fixture fx;
  write_synced(*fx.d, "f", "data is synced, entry is not");
  crash_and_revive(*fx.d);
  CHECK_FALSE(exists(*fx.d, "f"));
}

TEST_CASE("a rename without a directory sync is reverted by a crash", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "obj", "old");
  write_durable(*fx.d, "tmp", "new");
  REQUIRE(fx.d->rename("tmp", "obj").has_value());
  CHECK(read(*fx.d, "obj") == "new");
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "obj") == "old");
  CHECK(read(*fx.d, "tmp") == "new");
}

TEST_CASE("a rename followed by a directory sync survives a crash", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "obj", "old");
  write_durable(*fx.d, "tmp", "new");
  REQUIRE(fx.d->rename("tmp", "obj").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "obj") == "new");
  CHECK_FALSE(exists(*fx.d, "tmp"));
  CHECK(fx.d->list("").value().size() == 1);  // the replaced file is gone for good
}

TEST_CASE("a cross-directory rename needs both directories synced", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("src").has_value());
  REQUIRE(fx.d->make_dirs("dst").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  write_durable(*fx.d, "src/f", "v");
  REQUIRE(fx.d->rename("src/f", "dst/f").has_value());
  REQUIRE(fx.d->sync_dir("dst").has_value());

  SECTION("only the destination synced: reverted") {
    crash_and_revive(*fx.d);
    CHECK(exists(*fx.d, "src/f"));
    CHECK_FALSE(exists(*fx.d, "dst/f"));
  }
  SECTION("both synced: kept") {
    REQUIRE(fx.d->sync_dir("src").has_value());
    crash_and_revive(*fx.d);
    CHECK_FALSE(exists(*fx.d, "src/f"));
    CHECK(read(*fx.d, "dst/f") == "v");
  }
}

TEST_CASE("a directory rename is reverted with its whole subtree", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("staging/obj/parts").has_value());
  REQUIRE(fx.d->make_dirs("live").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  REQUIRE(fx.d->sync_dir("staging").has_value());
  REQUIRE(fx.d->sync_dir("staging/obj").has_value());
  write_durable(*fx.d, "staging/obj/parts/1", "p1");
  write_durable(*fx.d, "staging/obj/meta", "m");
  REQUIRE(fx.d->rename("staging/obj", "live/obj").has_value());
  REQUIRE(fx.d->sync_dir("live").has_value());  // staging not synced
  CHECK(read(*fx.d, "live/obj/parts/1") == "p1");
  crash_and_revive(*fx.d);
  CHECK_FALSE(exists(*fx.d, "live/obj"));
  CHECK(read(*fx.d, "staging/obj/parts/1") == "p1");
  CHECK(read(*fx.d, "staging/obj/meta") == "m");
}

TEST_CASE("a file written in a renamed directory is tracked under its new name", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("a").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  auto f = create(*fx.d, "a/f");
  REQUIRE(f->pwrite(bytes("synced"), 0).has_value());
  REQUIRE(f->sync().has_value());
  REQUIRE(fx.d->rename("a", "b").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  REQUIRE(fx.d->sync_dir("b").has_value());  // the entry made in "a" is now in "b"
  REQUIRE(f->pwrite(bytes("LOST!!"), 0).has_value());
  crash_and_revive(*fx.d);
  CHECK_FALSE(exists(*fx.d, "a"));
  CHECK(read(*fx.d, "b/f") == "synced");
}

TEST_CASE("a remove without a directory sync is reverted by a crash", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "f", "still here");
  REQUIRE(fx.d->remove("f").has_value());
  CHECK_FALSE(exists(*fx.d, "f"));
  CHECK(fx.d->list("").value().empty());  // the parking place is never listed
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "f") == "still here");
}

TEST_CASE("a remove followed by a directory sync survives a crash", "[disk]") {
  fixture fx;
  write_durable(*fx.d, "f", "gone");
  REQUIRE(fx.d->remove("f").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  crash_and_revive(*fx.d);
  CHECK_FALSE(exists(*fx.d, "f"));
}

TEST_CASE("remove keeps rmdir's rules on a faulty disk", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("d/sub").has_value());
  CHECK(fx.d->remove("d").error() == std::errc::directory_not_empty);
  CHECK(fx.d->remove("missing").error() == std::errc::no_such_file_or_directory);
  CHECK(fx.d->remove("d/sub").has_value());
  CHECK(fx.d->remove("d").has_value());
}

TEST_CASE("remove_all of a tree is reverted by a crash unless the parent was synced", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("bucket/obj/v1").has_value());
  for (const char* dir : {"", "bucket", "bucket/obj"}) REQUIRE(fx.d->sync_dir(dir).has_value());
  write_durable(*fx.d, "bucket/obj/v1/shard", "s");
  write_durable(*fx.d, "bucket/obj/manifest", "m");
  REQUIRE(fx.d->remove_all("bucket/obj").has_value());
  REQUIRE(fx.d->remove_all("bucket/obj").has_value());  // missing is fine
  CHECK_FALSE(exists(*fx.d, "bucket/obj"));

  SECTION("parent not synced: the tree comes back") {
    crash_and_revive(*fx.d);
    CHECK(read(*fx.d, "bucket/obj/v1/shard") == "s");
    CHECK(read(*fx.d, "bucket/obj/manifest") == "m");
  }
  SECTION("parent synced: the tree stays gone and its space is freed") {
    REQUIRE(fx.d->sync_dir("bucket").has_value());
    CHECK(fs::is_empty(fx.tmp.path() / faulty_disk::kGraveyard));
    crash_and_revive(*fx.d);
    CHECK_FALSE(exists(*fx.d, "bucket/obj"));
  }
}

TEST_CASE("nested make_dirs is undone level by level according to syncs", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("a/b/c").has_value());
  SECTION("nothing synced: all gone") {
    crash_and_revive(*fx.d);
    CHECK_FALSE(exists(*fx.d, "a"));
  }
  SECTION("root and a synced: a/b kept, a/b/c gone") {
    REQUIRE(fx.d->sync_dir("").has_value());
    REQUIRE(fx.d->sync_dir("a").has_value());
    crash_and_revive(*fx.d);
    CHECK(exists(*fx.d, "a/b"));
    CHECK_FALSE(exists(*fx.d, "a/b/c"));
  }
  SECTION("a synced but not the root: a and everything in it gone") {
    REQUIRE(fx.d->sync_dir("a").has_value());
    REQUIRE(fx.d->sync_dir("a/b").has_value());
    crash_and_revive(*fx.d);
    CHECK_FALSE(exists(*fx.d, "a"));
  }
}

TEST_CASE("tmp write, sync, rename and directory sync survive a crash", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("objs").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  write_durable(*fx.d, "objs/o", "version 1");
  write_synced(*fx.d, "objs/o.tmp", "version 2");
  REQUIRE(fx.d->rename("objs/o.tmp", "objs/o").has_value());
  REQUIRE(fx.d->sync_dir("objs").has_value());
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "objs/o") == "version 2");
  CHECK_FALSE(exists(*fx.d, "objs/o.tmp"));
}

TEST_CASE("write_atomic across directories survives a crash", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("tmp").has_value());
  REQUIRE(fx.d->make_dirs("meta").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  REQUIRE(fx.d->write_atomic("meta/format.json", "tmp/format.json.1", bytes("{}")).has_value());
  crash_and_revive(*fx.d);
  CHECK(read(*fx.d, "meta/format.json") == "{}");
  CHECK(fx.d->list("tmp").value().empty());
}

TEST_CASE("a crash between the steps of an atomic replace leaves old or new content", "[disk]") {
  // Crash after each step of the write_atomic sequence in turn.
  for (int crash_after = 0; crash_after <= 4; ++crash_after) {
    INFO("crash after step " << crash_after);
    fixture fx;
    write_durable(*fx.d, "obj", "old");
    int step = 0;
    [&] {
      auto f = create(*fx.d, "obj.tmp");
      if (step++ == crash_after) return;
      REQUIRE(f->pwrite(bytes("new content"), 0).has_value());
      if (step++ == crash_after) return;
      REQUIRE(f->sync().has_value());
      if (step++ == crash_after) return;
      REQUIRE(fx.d->rename("obj.tmp", "obj").has_value());
      if (step++ == crash_after) return;
      REQUIRE(fx.d->sync_dir("").has_value());
    }();
    crash_and_revive(*fx.d);
    const std::string content = read(*fx.d, "obj");
    if (crash_after < 4) {
      CHECK(content == "old");
    } else {
      CHECK(content == "new content");
    }
  }
}

TEST_CASE("the parking place is removed when the faulty disk goes away", "[disk]") {
  temp_dir tmp;
  {
    auto d = make_faulty_disk(open_posix_disk(tmp.path()).value());
    write_durable(*d, "f", "x");
    REQUIRE(d->remove("f").has_value());
    CHECK(fs::exists(tmp.path() / faulty_disk::kGraveyard));
  }
  CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE("a file handle keeps its faulty disk alive", "[disk]") {
  temp_dir tmp;
  std::unique_ptr<file> f;
  {
    auto d = make_faulty_disk(open_posix_disk(tmp.path()).value());
    f = create(*d, "f");
  }
  CHECK(f->pwrite(bytes("ok"), 0).has_value());
  CHECK(f->sync().has_value());
}

TEST_CASE("concurrent writers and a crash leave a consistent disk", "[disk]") {
  fixture fx;
  REQUIRE(fx.d->make_dirs("t0").has_value());
  REQUIRE(fx.d->make_dirs("t1").has_value());
  REQUIRE(fx.d->sync_dir("").has_value());
  constexpr int kFiles = 20;
  auto writer = [&](int t) {
    const std::string dir = "t" + std::to_string(t);
    for (int i = 0; i < kFiles; ++i) {
      const std::string name = dir + "/f" + std::to_string(i);
      REQUIRE(fx.d->write_atomic(name, name + ".tmp", bytes(name)).has_value());
    }
  };
  std::thread a(writer, 0);
  std::thread b(writer, 1);
  a.join();
  b.join();
  crash_and_revive(*fx.d);
  for (int t = 0; t < 2; ++t) {
    const std::string dir = "t" + std::to_string(t);
    CHECK(fx.d->list(dir).value().size() == kFiles);
    for (int i = 0; i < kFiles; ++i) {
      const std::string name = dir + "/f" + std::to_string(i);
      CHECK(read(*fx.d, name) == name);
    }
  }
}
