// Behaviour of the erasure-coded store through its public API on real
// directories: round trips, ranges, overwrite, delete, listing, multipart,
// conditional commits, restart and reindex.
#include <thread>

#include "store_fixture.h"

using kvgate::test::random_bytes;
using kvgate::test::store_fixture;
namespace er = kvgate::erasure;

TEST_CASE("objects of every size class round-trip byte-exact", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", "owner"));
  const std::size_t sizes[] = {
      0, 1, 63, 64, 4096, 131072, 131073, 512 * 1024, 524289, 3 * 1024 * 1024 + 13, 8u << 20};
  for (std::size_t size : sizes) {
    const std::string key = "obj-" + std::to_string(size);
    const std::string data = random_bytes(size, size);
    auto info = f.put("bkt", key, data);
    REQUIRE(info);
    CHECK(info->size == size);
    auto head = f.store().head("bkt", key);
    REQUIRE(head);
    CHECK(head->size == size);
    CHECK(head->etag == info->etag);
    auto got = f.get("bkt", key);
    REQUIRE(got);
    CHECK(*got == data);
  }
}

TEST_CASE("ranged reads across block and stripe boundaries return the right bytes", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string data = random_bytes(2 * 1024 * 1024 + 777, 7);
  REQUIRE(f.put("bkt", "k", data));
  const std::uint64_t n = data.size();
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges = {
      {0, 0},           {0, 9},         {131071, 131072},  {131072, 262143}, {524287, 524288},
      {500000, 600000}, {n - 1, n - 1}, {n - 1000, n - 1}, {0, n - 1},       {1048576, 2097151}};
  for (auto [a, b] : ranges) {
    auto got = f.get("bkt", "k", er::byte_range{a, b});
    REQUIRE(got);
    CHECK(*got == data.substr(a, b - a + 1));
  }
}

TEST_CASE("a missing key and a missing bucket are told apart", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  CHECK(f.store().head("bkt", "nope").error() == er::errc::object_not_found);
  CHECK(f.store().head("nobucket", "k").error() == er::errc::bucket_not_found);
  CHECK(f.store().open_read("bkt", "nope", {}).error() == er::errc::object_not_found);
  CHECK(f.put("nobucket", "k", "x").error() == er::errc::bucket_not_found);
}

TEST_CASE("memory-only lookups answer like head() or say would_block, never wrongly", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  auto put = f.put("bkt", "k", "hello");
  REQUIRE(put);
  // Fresh writes sit in the memtable: answered from memory.
  auto cached = f.store().head_cached("bkt", "k");
  REQUIRE(cached);
  CHECK(cached->etag == put->etag);
  CHECK(f.store().head_cached("bkt", "nope").error() == er::errc::object_not_found);
  CHECK(f.store().head_cached("nobucket", "k").error() == er::errc::bucket_not_found);
  CHECK(f.store().head_bucket_cached("bkt"));
  CHECK(f.store().head_bucket_cached("nobucket").error() == er::errc::bucket_not_found);

  // After a restart every answer either matches head() or is would_block.
  f.reopen();
  for (const char* key : {"k", "nope"}) {
    auto slow = f.store().head("bkt", key);
    auto fast = f.store().head_cached("bkt", key);
    if (!fast && fast.error() == er::errc::would_block) continue;
    REQUIRE(static_cast<bool>(fast) == static_cast<bool>(slow));
    if (fast) CHECK(fast->etag == slow->etag);
    if (!fast) CHECK(fast.error() == slow.error());
  }
  // head() warmed the block cache: the same lookup is now served from memory.
  auto warm = f.store().head_cached("bkt", "k");
  REQUIRE(warm);
  CHECK(warm->etag == put->etag);
}

TEST_CASE("overwrite makes the last writer win and retires the old version", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string v1 = random_bytes(1 << 20, 1), v2 = random_bytes(3 << 19, 2);
  REQUIRE(f.put("bkt", "k", v1));
  REQUIRE(f.put("bkt", "k", v2));
  CHECK(*f.get("bkt", "k") == v2);
  auto info = f.store().info();
  REQUIRE(info);
  CHECK(info->objects == 1);
  CHECK(info->logical_bytes == v2.size());
  // Only the current version's data directory remains on each disk.
  for (int d = 0; d < 6; ++d) {
    int data_dirs = 0;
    for (auto& e : std::filesystem::directory_iterator(f.find_object_dir(d, "bkt")))
      data_dirs += e.is_directory() ? 1 : 0;
    CHECK(data_dirs == 1);
  }
}

TEST_CASE("a reader opened before an overwrite finishes with the bytes it started with",
          "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string v1 = random_bytes(2 << 20, 11), v2 = random_bytes(2 << 20, 12);
  REQUIRE(f.put("bkt", "k", v1));
  auto reader = f.store().open_read("bkt", "k", {});
  REQUIRE(reader);
  std::string first(1000, '\0');
  REQUIRE((*reader)->read(std::as_writable_bytes(std::span(first))));
  REQUIRE(f.put("bkt", "k", v2));
  REQUIRE(f.store().remove("bkt", "k"));
  std::string rest(v1.size() - 1000, '\0');
  std::size_t done = 0;
  while (done < rest.size()) {
    auto n =
        (*reader)->read(std::as_writable_bytes(std::span(rest.data() + done, rest.size() - done)));
    REQUIRE(n);
    REQUIRE(*n > 0);
    done += *n;
  }
  CHECK(first + rest == v1);
  reader->reset();
  CHECK(f.store().head("bkt", "k").error() == er::errc::object_not_found);
}

TEST_CASE("delete removes the object and is idempotent", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  REQUIRE(f.put("bkt", "a", "small"));
  REQUIRE(f.put("bkt", "b", random_bytes(700000, 3)));
  REQUIRE(f.store().remove("bkt", "a"));
  REQUIRE(f.store().remove("bkt", "b"));
  REQUIRE(f.store().remove("bkt", "b"));
  CHECK(f.store().head("bkt", "a").error() == er::errc::object_not_found);
  CHECK(f.store().head("bkt", "b").error() == er::errc::object_not_found);
  CHECK(f.store().info()->objects == 0);
  auto l = f.store().list("bkt", {});
  REQUIRE(l);
  CHECK(l->objects.empty());
}

TEST_CASE("buckets: create, duplicate, not empty, delete", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", "alice"));
  CHECK(f.store().create_bucket("bkt", "alice").error() == er::errc::bucket_exists);
  CHECK(f.store().create_bucket("Bad_Name", "").error() == er::errc::invalid_bucket_name);
  CHECK(f.store().create_bucket("192.168.1.1", "").error() == er::errc::invalid_bucket_name);
  REQUIRE(f.put("bkt", "k", "v"));
  CHECK(f.store().delete_bucket("bkt").error() == er::errc::bucket_not_empty);
  REQUIRE(f.store().remove("bkt", "k"));
  REQUIRE(f.store().delete_bucket("bkt"));
  CHECK(f.store().head_bucket("bkt").error() == er::errc::bucket_not_found);
  REQUIRE(f.store().create_bucket("bkt", "bob"));
  CHECK(f.store().head_bucket("bkt")->owner == "bob");
}

TEST_CASE("listing honours prefix, delimiter, start-after and max-keys", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  for (const char* k : {"a/1", "a/2", "a/b/3", "b", "c/4", "c/5", "d", "d/6"})
    REQUIRE(f.put("bkt", k, k));
  auto all = f.store().list("bkt", {});
  REQUIRE(all);
  REQUIRE(all->objects.size() == 8);
  CHECK(all->objects.front().key == "a/1");
  CHECK(all->objects.back().key == "d/6");

  er::list_params p;
  p.delimiter = "/";
  auto top = f.store().list("bkt", p);
  REQUIRE(top);
  CHECK(top->common_prefixes == std::vector<std::string>{"a/", "c/", "d/"});
  REQUIRE(top->objects.size() == 2);
  CHECK(top->objects[0].key == "b");
  CHECK(top->objects[1].key == "d");

  p.prefix = "a/";
  auto a = f.store().list("bkt", p);
  REQUIRE(a);
  CHECK(a->common_prefixes == std::vector<std::string>{"a/b/"});
  CHECK(a->objects.size() == 2);

  // Paging with max-keys 2 over the delimited listing visits each entry once.
  er::list_params q;
  q.delimiter = "/";
  q.max_keys = 2;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = f.store().list("bkt", q);
    REQUIRE(r);
    for (auto& o : r->objects) seen.push_back(o.key);
    for (auto& c : r->common_prefixes) seen.push_back(c);
    if (!r->truncated) break;
    q.start_after = r->next_start_after;
  }
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::string>{"a/", "b", "c/", "d", "d/"});
}

TEST_CASE("keys of arbitrary bytes up to 1024 are stored and listed exactly", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::vector<std::string> keys = {"model@world@0@abc@bf16",
                                         "-leading",
                                         "../../etc/passwd",
                                         "/abs",
                                         "sp ace",
                                         "%40%2F",
                                         std::string(1024, 'x'),
                                         "\xe2\x82\xac uni",
                                         "a\nb"};
  for (const auto& k : keys) REQUIRE(f.put("bkt", k, k));
  for (const auto& k : keys) CHECK(*f.get("bkt", k) == k);
  CHECK(f.put("bkt", std::string(1025, 'x'), "v").error() == er::errc::key_too_long);
  CHECK(f.put("bkt", std::string("a\0b", 3), "v").error() == er::errc::key_too_long);
  // Nothing escaped the disk directories.
  CHECK_FALSE(std::filesystem::exists("/etc/passwd.meta"));
}

TEST_CASE("If-None-Match: * and If-Match are evaluated atomically at commit", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  er::commit_conditions none_match;
  none_match.if_none_match_star = true;
  REQUIRE(f.put("bkt", "k", "first", none_match));
  CHECK(f.put("bkt", "k", "second", none_match).error() == er::errc::precondition_failed);
  CHECK(*f.get("bkt", "k") == "first");
  er::commit_conditions match;
  match.if_match = "\"wrong\"";
  CHECK(f.put("bkt", "k", "third", match).error() == er::errc::precondition_failed);
  match.if_match = f.store().head("bkt", "k")->etag;
  REQUIRE(f.put("bkt", "k", "third", match));
  CHECK(*f.get("bkt", "k") == "third");
}

TEST_CASE("concurrent If-None-Match writers of one key: exactly one wins", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      er::commit_conditions c;
      c.if_none_match_star = true;
      auto r = f.put("bkt", "seg", random_bytes(300000, 100 + t), c);
      if (r)
        ++won;
      else if (r.error() == er::errc::precondition_failed)
        ++lost;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(lost == 5);
  REQUIRE(f.get("bkt", "seg"));
}

TEST_CASE("a declared size is enforced", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  er::put_options po;
  po.size = 10;
  auto w = f.store().begin_put("bkt", "k", po);
  REQUIRE(w);
  REQUIRE((*w)->write(std::as_bytes(std::span("12345", 5))));
  CHECK((*w)->commit("\"e\"", {}, {}).error() == er::errc::short_body);
  auto w2 = f.store().begin_put("bkt", "k", po);
  REQUIRE(w2);
  CHECK((*w2)->write(std::as_bytes(std::span("12345678901", 11))).error() == er::errc::long_body);
  CHECK(f.store().head("bkt", "k").error() == er::errc::object_not_found);
}

TEST_CASE("an unknown-length stream (aws-chunked) commits at its end", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  const std::string data = random_bytes(1234567, 9);
  auto w = f.store().begin_put("bkt", "k", {});
  REQUIRE(w);
  for (std::size_t i = 0; i < data.size(); i += 65536)
    REQUIRE((*w)->write(
        std::as_bytes(std::span(data.data() + i, std::min<std::size_t>(65536, data.size() - i)))));
  REQUIRE((*w)->commit("\"e\"", {}, {}));
  CHECK(*f.get("bkt", "k") == data);
}

TEST_CASE("an abandoned writer leaves nothing behind", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  {
    auto w = f.store().begin_put("bkt", "k", {});
    REQUIRE(w);
    const std::string data = random_bytes(1 << 20, 5);
    REQUIRE((*w)->write(std::as_bytes(std::span(data))));
  }
  CHECK(f.store().head("bkt", "k").error() == er::errc::object_not_found);
  for (const auto& p : f.paths()) CHECK(std::filesystem::is_empty(p / ".kvgate" / "tmp"));
}

TEST_CASE("objects, attributes and buckets survive a restart", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", "alice"));
  const std::string data = random_bytes(900000, 4);
  er::put_options po;
  po.attrs.content_type = "application/octet-stream";
  po.attrs.user_metadata = {{"model", "llama"}, {"layer", "3"}};
  auto w = f.store().begin_put("bkt", "k", po);
  REQUIRE(w);
  REQUIRE((*w)->write(std::as_bytes(std::span(data))));
  er::s3_checksum sum{"CRC32C", "FULL_OBJECT", "abcd=="};
  REQUIRE((*w)->commit("\"e1\"", sum, {}));
  REQUIRE(f.put("bkt", "small", "tiny"));
  f.reopen();
  auto head = f.store().head("bkt", "k");
  REQUIRE(head);
  CHECK(head->attrs.content_type == "application/octet-stream");
  CHECK(head->attrs.user_metadata.size() == 2);
  CHECK(head->checksum.value == "abcd==");
  CHECK(head->etag == "\"e1\"");
  CHECK(*f.get("bkt", "k") == data);
  CHECK(*f.get("bkt", "small") == "tiny");
  CHECK(f.store().head_bucket("bkt")->owner == "alice");
  CHECK(f.store().info()->objects == 2);
}

TEST_CASE("reindex rebuilds the index from the manifests alone", "[store]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  REQUIRE(f.store().create_bucket("other", ""));
  std::map<std::string, std::string> objects;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    objects[key] = random_bytes(static_cast<std::size_t>(i) * 37000, i);
    REQUIRE(f.put(i % 2 ? "bkt" : "other", key, objects[key]));
  }
  REQUIRE(f.store().remove("bkt", "k1"));
  f.close();
  std::filesystem::remove_all(f.paths()[0] / ".kvgate" / "index");
  f.reopen();  // an index that never completed is rebuilt at start
  for (int i = 0; i < 20; ++i) {
    const std::string key = "k" + std::to_string(i);
    auto got = f.get(i % 2 ? "bkt" : "other", key);
    if (i == 1) {
      CHECK(got.error() == er::errc::object_not_found);
    } else {
      REQUIRE(got);
      CHECK(*got == objects[key]);
    }
  }
  CHECK(f.store().info()->objects == 19);
  auto n = f.store().reindex({});
  REQUIRE(n);
  CHECK(*n == 19);
}

TEST_CASE("multipart: parts in any order, list, complete without copying, read back",
          "[store][multipart]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  er::object_attrs attrs;
  attrs.content_type = "video/mp4";
  auto u = f.store().create_upload("bkt", "big", attrs, "", "");
  REQUIRE(u);
  const std::string p1 = random_bytes(5 << 20, 21), p2 = random_bytes(5 << 20, 22),
                    p3 = random_bytes(1234567, 23);
  // Returns the uploaded part's size, 0 on failure (no Catch assertions here:
  // it also runs on a second thread, and Catch2 is not thread-safe).
  auto upload = [&](int n, const std::string& data) -> std::uint64_t {
    auto w = f.store().begin_part("bkt", "big", u->upload_id, n, data.size());
    if (!w || !(*w)->write(std::as_bytes(std::span(data)))) return 0;
    auto info = (*w)->commit("\"p" + std::to_string(n) + "\"", {});
    return info ? info->size : 0;
  };
  std::uint64_t third = 0;
  std::thread t3([&] { third = upload(3, p3); });
  const std::uint64_t replaced = upload(1, random_bytes(5 << 20, 99));  // replaced below
  t3.join();
  CHECK(third == p3.size());
  CHECK(replaced == 5u << 20);
  CHECK(upload(2, p2) == p2.size());
  CHECK(upload(1, p1) == p1.size());
  auto parts = f.store().list_parts("bkt", "big", u->upload_id, 0, 1000);
  REQUIRE(parts);
  REQUIRE(parts->parts.size() == 3);
  CHECK(parts->parts[0].number == 1);
  auto paged = f.store().list_parts("bkt", "big", u->upload_id, 1, 1);
  REQUIRE(paged);
  CHECK(paged->parts.size() == 1);
  CHECK(paged->parts[0].number == 2);
  CHECK(paged->truncated);
  auto uploads = f.store().list_uploads("bkt", {});
  REQUIRE(uploads);
  CHECK(uploads->uploads.size() == 1);

  std::vector<er::completed_part> wrong_order = {{2, "\"p2\""}, {1, "\"p1\""}};
  CHECK(f.store()
            .complete_upload("bkt", "big", u->upload_id, wrong_order, "\"x-2\"", {}, {})
            .error() == er::errc::invalid_part_order);
  std::vector<er::completed_part> wrong_etag = {{1, "\"p1\""}, {2, "\"nope\""}};
  CHECK(f.store()
            .complete_upload("bkt", "big", u->upload_id, wrong_etag, "\"x-2\"", {}, {})
            .error() == er::errc::invalid_part);
  std::vector<er::completed_part> small_middle = {{1, "p1"}, {3, "p3"}, {4, "p4"}};
  CHECK(f.store()
            .complete_upload("bkt", "big", u->upload_id, small_middle, "\"x\"", {}, {})
            .error() == er::errc::invalid_part);

  std::vector<er::completed_part> all = {{1, "p1"}, {2, "\"p2\""}, {3, "p3"}};
  auto done = f.store().complete_upload("bkt", "big", u->upload_id, all, "\"mp-3\"", {}, {});
  REQUIRE(done);
  CHECK(done->size == p1.size() + p2.size() + p3.size());
  CHECK(done->parts.size() == 3);
  CHECK(done->attrs.content_type == "video/mp4");
  CHECK(*f.get("bkt", "big") == p1 + p2 + p3);
  auto again = f.store().complete_upload("bkt", "big", u->upload_id, all, "\"mp-3\"", {}, {});
  REQUIRE(again);
  CHECK(again->etag == "\"mp-3\"");
  CHECK(f.store().list_uploads("bkt", {})->uploads.empty());
  // A range spanning the part boundary.
  auto r = f.get("bkt", "big", er::byte_range{(5u << 20) - 10, (5u << 20) + 10});
  REQUIRE(r);
  CHECK(*r == (p1 + p2).substr((5u << 20) - 10, 21));
  f.reopen();
  CHECK(*f.get("bkt", "big") == p1 + p2 + p3);
}

TEST_CASE("multipart: a non-last part below 5 MiB is refused, abort discards",
          "[store][multipart]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  auto u = f.store().create_upload("bkt", "k", {}, "", "");
  REQUIRE(u);
  for (int n = 1; n <= 2; ++n) {
    auto w = f.store().begin_part("bkt", "k", u->upload_id, n, 1000);
    REQUIRE(w);
    const std::string data = random_bytes(1000, n);
    REQUIRE((*w)->write(std::as_bytes(std::span(data))));
    REQUIRE((*w)->commit("e" + std::to_string(n), {}));
  }
  std::vector<er::completed_part> parts = {{1, "e1"}, {2, "e2"}};
  CHECK(f.store().complete_upload("bkt", "k", u->upload_id, parts, "\"x\"", {}, {}).error() ==
        er::errc::entity_too_small);
  REQUIRE(f.store().abort_upload("bkt", "k", u->upload_id));
  CHECK(f.store().abort_upload("bkt", "k", u->upload_id).error() == er::errc::upload_not_found);
  CHECK(f.store().begin_part("bkt", "k", u->upload_id, 3, 1).error() == er::errc::upload_not_found);
  CHECK(f.store().begin_part("bkt", "k", "not-an-id", 1, 1).error() == er::errc::upload_not_found);
  CHECK(f.store().begin_part("bkt", "k", u->upload_id, 10001, 1).error() ==
        er::errc::invalid_argument);
  REQUIRE(f.store().delete_bucket("bkt"));
}

TEST_CASE("many writers and readers on shared and distinct keys see whole versions",
          "[store][concurrency]") {
  store_fixture f;
  REQUIRE(f.store().create_bucket("bkt", ""));
  // Every version of a shared key is one of these payloads, so a reader can
  // check it saw a whole version.
  std::vector<std::string> versions;
  for (int v = 0; v < 4; ++v) versions.push_back(random_bytes(200000 + v * 150000, 500 + v));
  REQUIRE(f.put("bkt", "shared", versions[0]));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 12; ++i) {
        if (t % 2 == 0) {
          if (!f.put("bkt", "shared", versions[(t + i) % versions.size()])) ++bad;
          if (!f.put("bkt", "own" + std::to_string(t), versions[i % versions.size()])) ++bad;
        } else {
          auto got = f.get("bkt", "shared");
          if (!got || std::find(versions.begin(), versions.end(), *got) == versions.end()) ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
}
