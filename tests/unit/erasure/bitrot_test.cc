// Bitrot matrix: every subset of up to m damaged disks, for every kind of
// damage (flipped byte, truncation or loss of a shard file; loss, corruption or
// truncation of the manifest copy), for an inline object and a multi-stripe
// streamed one, on several geometries. With at most m disks damaged, reads
// (full and ranged) return the right bytes, degraded() says whether a data
// shard had to be rebuilt, verify_object counts the damage, and heal_object or
// scrub restores every file byte-identical to what it was before. With m + 1
// damaged disks reads fail with read_quorum_lost (never wrong bytes), except
// when only manifest copies of a streamed object are lost: the shards are all
// there, one manifest copy is enough, and heal rewrites the others.
#include <xxhash.h>

#include <fstream>
#include <map>

#include "object_state.h"

using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
using kvgate::test::store_fixture_config;
namespace er = kvgate::erasure;
namespace fs = std::filesystem;

namespace {

enum class damage {
  flip_shard,
  truncate_shard,
  delete_shard,
  delete_manifest,
  corrupt_manifest,
  truncate_manifest,
};

const char* name_of(damage d) {
  switch (d) {
    case damage::flip_shard:
      return "flip a shard byte";
    case damage::truncate_shard:
      return "truncate the shard file";
    case damage::delete_shard:
      return "delete the shard file";
    case damage::delete_manifest:
      return "delete the manifest";
    case damage::corrupt_manifest:
      return "corrupt the manifest";
    case damage::truncate_manifest:
      return "truncate the manifest";
  }
  return "?";
}

bool is_manifest_damage(damage d) {
  return d == damage::delete_manifest || d == damage::corrupt_manifest ||
         d == damage::truncate_manifest;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void flip_byte(const fs::path& p, std::size_t offset) {
  std::string bytes = read_file(p);
  REQUIRE(offset < bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5a);
  write_file(p, bytes);
}

// Every regular file under the object's directory on every disk.
using snapshot = std::map<fs::path, std::string>;

snapshot take_snapshot(const std::vector<fs::path>& object_dirs) {
  snapshot s;
  for (const fs::path& dir : object_dirs)
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.is_regular_file()) s[e.path()] = read_file(e.path());
  return s;
}

void restore(const std::vector<fs::path>& object_dirs, const snapshot& s) {
  for (const fs::path& dir : object_dirs) fs::remove_all(dir);
  for (const auto& [path, bytes] : s) write_file(path, bytes);
}

// The object under test on one fixture: its bytes, directories and which
// disks hold data shards (shard i lives on disk (i + rotation) % n, rotation =
// XXH3-64 of the key hash mod n; docs/formats/erasure-layout.md).
struct subject {
  std::string data;
  std::string data_id;
  std::vector<fs::path> object_dirs;  // per disk
  std::vector<bool> holds_data;       // per disk
};

subject put_subject(store_fixture& f, int k, int n, std::size_t size) {
  subject s;
  s.data = random_bytes(size, size * 31 + static_cast<std::size_t>(n));
  auto info = f.put("bkt", "key", s.data);
  REQUIRE(info);
  s.data_id = info->data_id;
  for (int d = 0; d < n; ++d) s.object_dirs.push_back(f.find_object_dir(d, "bkt"));
  const std::string hash = s.object_dirs[0].filename().string();
  const auto rotation = static_cast<int>(XXH3_64bits(hash.data(), hash.size()) % n);
  s.holds_data.assign(n, false);
  for (int i = 0; i < k; ++i) s.holds_data[(i + rotation) % n] = true;
  return s;
}

void apply(damage d, const subject& s, int disk) {
  const fs::path meta = s.object_dirs[disk] / "meta";
  const fs::path part = s.object_dirs[disk] / s.data_id / "part.1";
  switch (d) {
    case damage::flip_shard:
      flip_byte(part, 100);
      break;
    case damage::truncate_shard:
      fs::resize_file(part, fs::file_size(part) / 2);
      break;
    case damage::delete_shard:
      fs::remove(part);
      break;
    case damage::delete_manifest:
      fs::remove(meta);
      break;
    case damage::corrupt_manifest:
      flip_byte(meta, fs::file_size(meta) / 2);
      break;
    case damage::truncate_manifest:
      fs::resize_file(meta, fs::file_size(meta) / 2);
      break;
  }
}

std::vector<std::vector<int>> subsets_up_to(int n, int max_size) {
  std::vector<std::vector<int>> out;
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    std::vector<int> s;
    for (int d = 0; d < n; ++d)
      if (mask & (1u << d)) s.push_back(d);
    if (static_cast<int>(s.size()) <= max_size) out.push_back(std::move(s));
  }
  return out;
}

void check_reads(store_fixture& f, const subject& s, bool expect_degraded) {
  bool degraded = false;
  auto got = f.get("bkt", "key", {}, &degraded);
  REQUIRE(got);
  CHECK(*got == s.data);
  CHECK(degraded == expect_degraded);
  const std::uint64_t n = s.data.size();
  for (auto [a, b] :
       {std::pair<std::uint64_t, std::uint64_t>{0, 0}, {n / 3, n - 2}, {n - 1, n - 1}}) {
    auto part = f.get("bkt", "key", er::byte_range{a, b});
    REQUIRE(part);
    CHECK(*part == s.data.substr(a, b - a + 1));
  }
}

// Runs the whole matrix on one geometry and object size.
void run_matrix(int k, int m, std::size_t size, bool inlined) {
  const int n = k + m;
  store_fixture_config c;
  c.disks = n;
  c.parity = m;
  c.block_size = 64 * 1024;
  c.inline_limit = 4096;
  store_fixture f(c);
  REQUIRE(f.store().create_bucket("bkt", ""));
  const subject s = put_subject(f, k, n, size);
  const snapshot original = take_snapshot(s.object_dirs);
  std::vector<damage> kinds = {damage::delete_manifest, damage::corrupt_manifest,
                               damage::truncate_manifest};
  if (!inlined)
    kinds.insert(kinds.end(), {damage::flip_shard, damage::truncate_shard, damage::delete_shard});
  int case_no = 0;
  std::uint64_t scrubbed = 0;
  for (const std::vector<int>& bad : subsets_up_to(n, m)) {
    for (damage kind : kinds) {
      ++case_no;
      std::string names;
      bool hits_data = false;
      for (int d : bad) {
        names += std::to_string(d) + " ";
        hits_data = hits_data || (s.holds_data[d] && (inlined || !is_manifest_damage(kind)));
        apply(kind, s, d);
      }
      INFO(k << "+" << m << (inlined ? " inline" : " streamed") << ", disks { " << names
             << "}: " << name_of(kind));
      // A restart drops the manifest cache, so reads see the damaged copies.
      if (inlined) f.reopen();
      check_reads(f, s, hits_data);
      auto v = f.store().verify_object("bkt", "key");
      REQUIRE(v);
      CHECK(v->readable);
      CHECK(v->shards_ok == n - static_cast<int>(bad.size()));
      CHECK(v->problem.empty() == bad.empty());
      if (case_no % 2 == 0) {
        auto h = f.store().heal_object("bkt", "key");
        REQUIRE(h);
        CHECK(h->shards_healed == static_cast<int>(bad.size()));
        CHECK(h->problem.empty());
      } else {
        er::scrub_options so;
        auto report = f.store().scrub(so, {});
        REQUIRE(report);
        CHECK(report->objects_checked == 1);
        CHECK(report->objects_repaired == (bad.empty() ? 0u : 1u));
        CHECK(report->corrupt_blocks == bad.size());
        CHECK(report->objects_unrecoverable == 0);
        ++scrubbed;
      }
      auto after = f.store().verify_object("bkt", "key");
      REQUIRE(after);
      CHECK(after->shards_ok == n);
      CHECK(after->problem.empty());
      // Heal rebuilt exactly the bytes that were lost, file by file.
      const snapshot now = take_snapshot(s.object_dirs);
      CHECK(now.size() == original.size());
      for (const auto& [path, bytes] : original) {
        auto it = now.find(path);
        INFO("file " << path.string());
        REQUIRE(it != now.end());
        CHECK((it->second == bytes));
      }
    }
  }
  CHECK(scrubbed > 0);

  // m + 1 damaged disks: beyond what the code can rebuild.
  std::vector<std::vector<int>> too_many;
  {
    std::vector<int> first, last;
    for (int d = 0; d <= m; ++d) first.push_back(d);
    for (int d = n - m - 1; d < n; ++d) last.push_back(d);
    too_many = {first, last};
  }
  for (const std::vector<int>& bad : too_many) {
    for (damage kind : kinds) {
      for (int d : bad) apply(kind, s, d);
      INFO(k << "+" << m << (inlined ? " inline" : " streamed") << ", " << bad.size()
             << " disks from " << bad.front() << ": " << name_of(kind));
      f.reopen();
      if (!inlined && is_manifest_damage(kind)) {
        // Every shard is intact and n - m - 1 >= 1 manifest copies remain.
        check_reads(f, s, false);
        auto h = f.store().heal_object("bkt", "key");
        REQUIRE(h);
        CHECK(h->readable);
        CHECK(h->shards_healed == static_cast<int>(bad.size()));
        auto after = f.store().verify_object("bkt", "key");
        REQUIRE(after);
        CHECK(after->shards_ok == n);
        CHECK((take_snapshot(s.object_dirs) == original));
      } else {
        auto r = f.store().open_read("bkt", "key", {});
        REQUIRE(r);  // the index still names the object
        std::string out((*r)->length(), '\0');
        auto n_read = (*r)->read(std::as_writable_bytes(std::span(out)));
        REQUIRE(!n_read);
        CHECK(n_read.error() == er::errc::read_quorum_lost);
        auto v = f.store().verify_object("bkt", "key");
        REQUIRE(v);
        CHECK(!v->readable);
        CHECK(v->shards_ok <= k - 1);
        restore(s.object_dirs, original);
      }
    }
  }
}

}  // namespace

TEST_CASE("4+2: every damage to up to 2 shards of an inline object is read around and healed",
          "[bitrot]") {
  run_matrix(4, 2, 3000, true);
}

TEST_CASE(
    "4+2: every damage to up to 2 shards of a multi-stripe object is read around and "
    "healed",
    "[bitrot]") {
  run_matrix(4, 2, 300 * 1024 + 5, false);
}

TEST_CASE("2+1: every damage to one shard is read around and healed", "[bitrot]") {
  run_matrix(2, 1, 1500, true);
  run_matrix(2, 1, 200 * 1024 + 1, false);
}

TEST_CASE(
    "3+3: every damage to up to 3 shards of a multi-stripe object is read around and "
    "healed",
    "[bitrot]") {
  run_matrix(3, 3, 400 * 1024 + 77, false);
}
