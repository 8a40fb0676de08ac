// kvgate_sdk_check: exercises every SDK operation against a running gateway
// and checks the results byte for byte (run by
// tests/integration/test_sdk_client.py over HTTP, HTTPS and virtual-hosted
// addressing, and across a gateway restart).
//
//   kvgate_sdk_check --endpoint URL [--ca-file F] [--connect-to URL]
//                    [--addressing path|virtual] --bucket B all
//   kvgate_sdk_check ... restart   (PUT, print "READY", wait for a stdin
//                                   line, then GET with retries)
//   kvgate_sdk_check ... rdma [--expect rdma|tcp] [--rounds N]
//   kvgate_sdk_check ... rdma-expiry [--expire-wait S]
//   kvgate_sdk_check ... rdma-cluster [--keys N] [--nodes N] [--dead-node-keys N]
//   kvgate_sdk_check ... rdma-pool
//                                  (RDMA again on a new session after the
//                                   gateway's session TTL; the soft-RoCE guest)
//                                  (registered memory, 32 MiB over RDMA or
//                                   the visible TCP fallback; the soft-RoCE guest)
// Prints "FAIL: <what>" per failed check, the client's counters as one JSON
// line prefixed "STATS ", and exits 0 only when every check passed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "kvgate/sdk/client.h"

namespace sdk = kvgate::sdk;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    fmt::print("FAIL: {}\n", what);
  } else {
    fmt::print("ok: {}\n", what);
  }
  std::fflush(stdout);
}

template <class T>
bool check_ok(const sdk::result<T>& r, const std::string& what) {
  check(r.has_value(), what + (r ? "" : " -> " + r.error().to_string()));
  return r.has_value();
}

std::vector<std::byte> pattern(std::size_t size, std::uint64_t seed) {
  std::vector<std::byte> out(size);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<std::size_t>(8, size - i));
  }
  return out;
}

bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

void print_stats(const sdk::client_stats& s) {
  std::string declines;
  for (std::size_t i = 0; i < s.rdma.declines.size(); ++i)
    declines += fmt::format("{}\"{}\": {}", i ? ", " : "",
                            kvgate::rdma::to_string(kvgate::rdma::kAllDeclineReasons[i]),
                            s.rdma.declines[i]);
  fmt::print(
      "STATS {{\"requests\": {}, \"operations\": {}, \"errors\": {}, \"retries\": {}, "
      "\"bytes_sent\": {}, \"bytes_received\": {}, \"connections_opened\": {}, "
      "\"connections_reused\": {}, \"checksums_verified\": {}, \"checksum_mismatches\": {}, "
      "\"multipart_uploads\": {}, \"ranged_gets\": {}, \"transport\": \"{}\", \"rdma_mode\": "
      "\"{}\", \"rdma_state\": \"{}\", \"rdma_ops\": {}, \"rdma_bytes\": {}, \"rdma_fallbacks\": "
      "{}, \"rdma_failures\": {}, \"rdma_ineligible_no_device\": {}, "
      "\"rdma_ineligible_below_min_size\": {}, \"rdma_ineligible_not_registered\": {}, "
      "\"rdma_declines\": {{{}}}}}\n",
      s.requests, s.operations, s.errors, s.retries, s.bytes_sent, s.bytes_received,
      s.connections_opened, s.connections_reused, s.checksums_verified, s.checksum_mismatches,
      s.multipart_uploads, s.ranged_gets, s.transport, to_string(s.mode), to_string(s.rdma_state),
      s.rdma.rdma_ops, s.rdma.rdma_bytes, s.rdma.fallbacks, s.rdma.failures,
      s.rdma.ineligible[static_cast<std::size_t>(sdk::ineligible_reason::no_device)],
      s.rdma.ineligible[static_cast<std::size_t>(sdk::ineligible_reason::below_min_size)],
      s.rdma.ineligible[static_cast<std::size_t>(sdk::ineligible_reason::buffer_not_registered)],
      declines);
  std::fflush(stdout);
}

// Every operation once; `expected_errors` counts the operations meant to fail.
void run_all(sdk::client& c, const sdk::client_options& options, const std::string& bucket) {
  unsigned expected_errors = 0;
  unsigned ops = 0;
  check_ok(c.create_bucket(bucket), "create bucket");
  ++ops;

  // Small object, byte exact, checksum verified on GET.
  const auto small = pattern(1000, 1);
  auto put_small = c.put(bucket, "dir/small", small);
  ++ops;
  if (check_ok(put_small, "put 1000 bytes")) check(!put_small->multipart, "small put is single");
  std::vector<std::byte> buf(4096);
  auto got = c.get(bucket, "dir/small", buf);
  ++ops;
  if (check_ok(got, "get small")) {
    check(got->bytes == small.size() && same(std::span(buf).first(got->bytes), small),
          "small object byte-exact");
    check(got->checksum_verified, "small GET CRC32C verified");
    check(got->etag == put_small->etag, "GET ETag equals PUT ETag");
  }

  // 32 MiB: multipart with parallel parts, parallel ranged read back.
  const std::size_t big_size = 32u << 20;
  const auto big = pattern(big_size, 2);
  auto put_big = c.put(bucket, "big/segment-0001", big);
  ++ops;
  if (check_ok(put_big, "put 32 MiB")) {
    check(put_big->multipart && put_big->parts == 4, "32 MiB put used 4 parallel parts");
    check(put_big->etag.ends_with("-4\""), "multipart ETag has -4");
  }
  std::vector<std::byte> big_buf(big_size);
  auto got_big = c.get(bucket, "big/segment-0001", big_buf);
  ++ops;
  if (check_ok(got_big, "get 32 MiB")) {
    check(got_big->bytes == big_size && same(big_buf, big), "32 MiB byte-exact");
    check(got_big->ranges == 4,
          fmt::format("32 MiB read as 4 parallel ranges ({})", got_big->ranges));
    check(got_big->object_size == big_size, "object size from Content-Range");
  }
  // The same object in one GET (range-free, whole-object FULL_OBJECT CRC32C).
  {
    sdk::client_options one = options;
    one.parallel_get_threshold = UINT64_MAX;
    auto single = sdk::client::create(one);
    if (check_ok(single, "second client (no parallel ranges)")) {
      std::vector<std::byte> b2(big_size + 100);
      auto g = (*single)->get(bucket, "big/segment-0001", b2);
      if (check_ok(g, "single GET of 32 MiB into a larger buffer")) {
        check(g->bytes == big_size && same(std::span(b2).first(big_size), big),
              "single 32 MiB GET byte-exact");
        check(g->checksum_verified, "multipart object's full-object CRC32C verified");
      }
    }
  }
  // Buffer too small.
  std::vector<std::byte> tiny(100);
  auto too_small = c.get(bucket, "dir/small", tiny);
  ++ops;
  ++expected_errors;
  check(!too_small && too_small.error().code == sdk::sdk_errc::buffer_too_small,
        "GET into a small buffer fails with buffer_too_small");

  // Ranges.
  std::vector<std::byte> rbuf(8192);
  auto r1 = c.get(bucket, "big/segment-0001", rbuf, sdk::byte_range{1000, 5000});
  ++ops;
  if (check_ok(r1, "ranged GET 1000+5000")) {
    check(
        r1->bytes == 5000 && same(std::span(rbuf).first(5000), std::span(big).subspan(1000, 5000)),
        "range byte-exact");
    check(r1->object_size == big_size, "range reports the object size");
  }
  auto r2 = c.get(bucket, "big/segment-0001", rbuf, sdk::byte_range{big_size - 3000, std::nullopt});
  ++ops;
  if (check_ok(r2, "ranged GET to the end")) {
    check(r2->bytes == 3000 &&
              same(std::span(rbuf).first(3000), std::span(big).subspan(big_size - 3000)),
          "suffix range byte-exact");
  }

  // HEAD / exists / exists_batch.
  auto info = c.head(bucket, "big/segment-0001");
  ++ops;
  if (check_ok(info, "head 32 MiB")) {
    check(info->size == big_size, "head size");
    check(put_big && info->etag == put_big->etag, "head ETag");
  }
  auto missing_head = c.head(bucket, "nope");
  ++ops;
  ++expected_errors;
  check(!missing_head && missing_head.error().http_status == 404 &&
            missing_head.error().s3_code == "NoSuchKey" && !missing_head.error().request_id.empty(),
        "head of a missing key: 404 NoSuchKey with a request id");
  auto e1 = c.exists(bucket, "dir/small");
  auto e2 = c.exists(bucket, "dir/absent");
  ops += 2;
  expected_errors += 1;  // the 404 HEAD behind exists() == false
  check(e1 && *e1 && e2 && !*e2, "exists true / false");
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(fmt::format("batch/{:03}", i));
  for (int i = 0; i < 40; i += 2) {
    auto p = c.put(bucket, keys[i], std::span(small).first(100 + i));
    ++ops;
    check_ok(p, "put " + keys[i]);
  }
  keys.push_back("batch/missing");
  // A key S3 cannot hold is refused locally, without a request, and does
  // not make the client give up on BatchExists.
  const auto requests_before = c.stats().requests;
  auto bad_batch = c.exists_batch(bucket, {"ok", ""});
  ++ops;
  ++expected_errors;
  check(!bad_batch && bad_batch.error().code == sdk::sdk_errc::invalid_argument &&
            c.stats().requests == requests_before,
        "exists_batch with an empty key: invalid_argument, no request");
  auto batch = c.exists_batch(bucket, keys);
  ++ops;
  if (check_ok(batch, "exists_batch of 41 keys")) {
    bool right = batch->size() == keys.size();
    for (std::size_t i = 0; right && i < 40; ++i) right = (*batch)[i] == (i % 2 == 0);
    check(right && !batch->back(), "exists_batch answers per key, in order");
    check(c.stats().requests - requests_before == 1,
          "exists_batch of 41 keys is one BatchExists request to kvgate");
  }

  // Missing key GET: the S3 error, its request id.
  auto missing = c.get(bucket, "no/such/key", buf);
  ++ops;
  ++expected_errors;
  check(!missing && missing.error().http_status == 404 && missing.error().s3_code == "NoSuchKey" &&
            !missing.error().request_id.empty() && !missing.error().message.empty(),
        "GET of a missing key: NoSuchKey, message and request id" +
            (missing ? std::string() : " (" + missing.error().to_string() + ")"));

  // If-None-Match: * on single and multipart PUTs.
  sdk::put_options inm;
  inm.if_none_match = true;
  auto fresh = c.put(bucket, "inm/new", small, inm);
  ++ops;
  check_ok(fresh, "If-None-Match put of a new key");
  auto again = c.put(bucket, "inm/new", small, inm);
  ++ops;
  ++expected_errors;
  check(!again && again.error().http_status == 412 &&
            again.error().s3_code == "PreconditionFailed" && !again.error().request_id.empty(),
        "If-None-Match put of an existing key: 412 PreconditionFailed");
  auto again_big = c.put(bucket, "big/segment-0001", big, inm);
  ++ops;
  ++expected_errors;
  check(!again_big && again_big.error().http_status == 412,
        "If-None-Match multipart put of an existing key: 412" +
            (again_big ? std::string() : " (" + again_big.error().to_string() + ")"));
  std::vector<std::byte> after(big_size);
  auto still = c.get(bucket, "big/segment-0001", after);
  ++ops;
  check(still && same(after, big), "refused multipart put left the object unchanged");

  // Listing in pages.
  std::vector<std::string> listed;
  unsigned pages = 0;
  auto lister = c.list(bucket, "batch/", {}, 7);
  while (!lister.done()) {
    auto page = lister.next();
    ++ops;
    if (!check_ok(page, "list page")) break;
    ++pages;
    for (auto& e : page->entries) listed.push_back(e.key);
  }
  check(listed.size() == 20 && pages == 3,
        fmt::format("list: 20 keys in 3 pages of 7 ({} in {})", listed.size(), pages));
  check(std::is_sorted(listed.begin(), listed.end()), "list order");
  auto delimited = c.list(bucket, "", "/", 1000).next();
  ++ops;
  if (check_ok(delimited, "list with delimiter"))
    check(delimited->common_prefixes.size() == 4, "common prefixes batch/ big/ dir/ inm/");

  // Delete.
  check_ok(c.remove(bucket, "dir/small"), "delete");
  auto gone = c.exists(bucket, "dir/small");
  ops += 2;
  ++expected_errors;
  check(gone && !*gone, "deleted key is gone");

  // Async: 64 PUTs then 64 GETs in flight at once.
  std::vector<std::vector<std::byte>> bodies;
  for (int i = 0; i < 64; ++i) bodies.push_back(pattern(65536 + i, 100 + i));
  std::vector<std::future<sdk::result<sdk::put_result>>> puts;
  for (int i = 0; i < 64; ++i)
    puts.push_back(c.async_put(bucket, fmt::format("async/{}", i), bodies[i]));
  bool puts_ok = true;
  for (auto& f : puts) puts_ok = f.get().has_value() && puts_ok;
  ops += 64;
  check(puts_ok, "64 async puts");
  std::vector<std::vector<std::byte>> back(64, std::vector<std::byte>(70000));
  std::vector<std::future<sdk::result<sdk::get_result>>> gets;
  for (int i = 0; i < 64; ++i)
    gets.push_back(c.async_get(bucket, fmt::format("async/{}", i), back[i]));
  bool gets_ok = true;
  for (int i = 0; i < 64; ++i) {
    auto r = gets[i].get();
    gets_ok = gets_ok && r && same(std::span(back[i]).first(r->bytes), bodies[i]);
  }
  ops += 64;
  check(gets_ok, "64 async gets byte-exact");

  // rdma=on on a host without RDMA: eligible sizes fail instead of silently using TCP.
  {
    sdk::client_options on = options;
    on.rdma = sdk::rdma_mode::on;
    auto strict = sdk::client::create(on);
    if (check_ok(strict, "client with rdma=on")) {
      auto r = (*strict)->put(bucket, "rdma/on", big);
      check(!r && r.error().code == sdk::sdk_errc::rdma_unavailable,
            "rdma=on refuses a 32 MiB put without RDMA");
      auto s = (*strict)->put(bucket, "rdma/on-small", small);
      check(s.has_value(), "rdma=on sends a small object over TCP by design");
      const auto st = (*strict)->stats();
      check(st.requests == 1 && st.errors == 1, "rdma=on: the refused put sent no request");
    }
  }

  // Wrong secret: SignatureDoesNotMatch with a request id.
  {
    sdk::client_options bad = options;
    bad.auth.explicit_credentials = sdk::credentials{"kvgate-root", "wrong-secret", std::nullopt};
    auto wrong = sdk::client::create(bad);
    if (check_ok(wrong, "client with a wrong secret")) {
      auto r = (*wrong)->head(bucket, "big/segment-0001");
      check(!r && r.error().http_status == 403, "wrong secret: 403");
      auto g = (*wrong)->get(bucket, "big/segment-0001", buf);
      check(!g && g.error().s3_code == "SignatureDoesNotMatch" && !g.error().request_id.empty(),
            "wrong secret GET: SignatureDoesNotMatch with a request id");
    }
  }

  const auto s = c.stats();
  print_stats(s);
  check(s.operations == ops, fmt::format("stats: {} operations (counted {})", s.operations, ops));
  check(s.errors == expected_errors,
        fmt::format("stats: {} errors (expected {})", s.errors, expected_errors));
  check(s.retries == 0, "stats: no retries");
  check(s.multipart_uploads == 2, "stats: 2 multipart uploads");
  check(s.ranged_gets == 2, fmt::format("stats: 2 parallel ranged GETs ({})", s.ranged_gets));
  check(s.checksums_verified >= 60, "stats: CRC32C verified on whole GETs");
  check(s.checksum_mismatches == 0, "stats: no checksum mismatch");
  check(s.rdma.rdma_ops == 0 && s.rdma.rdma_bytes == 0, "stats: no RDMA transfers");
  check(s.rdma.ineligible[static_cast<std::size_t>(sdk::ineligible_reason::no_device)] > 0,
        "stats: large transfers went TCP for lack of an RDMA device");
  check(s.bytes_sent >= 2 * big_size && s.bytes_received >= 2 * big_size, "stats: byte counters");
  // 64 async requests and parallel parts open many connections at once;
  // serial requests reuse them.
  check(s.connections_reused > 0 && s.connections_opened < s.requests,
        "stats: keep-alive connections reused");
}

// A client for an RDMA scenario: created, its bucket created, and a pool of
// two `size` areas registered (PUTs from the first, GETs into the second).
// Null (the failure reported) when any step failed.
struct rdma_fixture {
  std::unique_ptr<sdk::client> client;
  std::vector<std::byte> pool;
  std::optional<sdk::registered_memory> registration;
  std::span<std::byte> put_area, get_area;
};

std::unique_ptr<rdma_fixture> open_rdma_fixture(const sdk::client_options& options,
                                                const std::string& bucket, std::size_t size,
                                                const std::string& what) {
  auto made = sdk::client::create(options);
  if (!check_ok(made, "client with " + what)) return nullptr;
  auto f = std::make_unique<rdma_fixture>();
  f->client = std::move(*made);
  check_ok(f->client->create_bucket(bucket), "create bucket");
  f->pool.resize(2 * size);
  auto reg = f->client->register_memory(f->pool);
  if (!check_ok(reg, fmt::format("register {} MiB for RDMA", (2 * size) >> 20))) return nullptr;
  f->registration.emplace(std::move(*reg));
  f->put_area = std::span(f->pool).first(size);
  f->get_area = std::span(f->pool).subspan(size);
  return f;
}

// The RDMA fast path (tests/rdma_vm/sdk_cases.sh): 32 MiB PUTs and GETs from
// and into registered memory, byte-exact. `expect` is "rdma" (every large
// transfer over RDMA, no fallback) or "tcp" (the gateway has RDMA off: the
// same transfers fall back to TCP, visibly in stats()). `rounds` > 1 also
// prints MEASURE lines (MiB/s of the SDK over RDMA, then over TCP).
void run_rdma(const sdk::client_options& options, const std::string& bucket,
              const std::string& expect, int rounds) {
  const std::size_t size = 32u << 20;
  auto f = open_rdma_fixture(options, bucket, size, "rdma=auto");
  if (!f) return;
  sdk::client& c = *f->client;
  const auto want = pattern(size, 11);
  std::memcpy(f->put_area.data(), want.data(), size);
  const std::span<std::byte> put_area = f->put_area, get_area = f->get_area;
  const auto timed = [](auto&& work) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double put_s = 0, get_s = 0;
  for (int i = 0; i < rounds; ++i) {
    const std::string key = fmt::format("rdma/segment-{}", i);
    put_s += timed([&] { check_ok(c.put(bucket, key, put_area), "put 32 MiB " + key); });
    std::memset(get_area.data(), 0, size);
    sdk::result<sdk::get_result> got = sdk::make_error(sdk::sdk_errc::shut_down, "");
    get_s += timed([&] { got = c.get(bucket, key, get_area); });
    if (check_ok(got, "get 32 MiB " + key)) {
      check(got->bytes == size && same(get_area, want), "32 MiB byte-exact " + key);
      // Over RDMA the PUT is one PutObject, so the GET verifies its CRC32C;
      // the TCP fallback sends 32 MiB as multipart (per-part checksums only).
      if (expect == "rdma") check(got->checksum_verified, "CRC32C verified " + key);
    }
  }
  // A ranged GET into the middle of the registered region.
  std::memset(get_area.data(), 0, size);
  auto ranged = c.get(bucket, "rdma/segment-0", get_area.subspan(4096, 5u << 20),
                      sdk::byte_range{1000, 5u << 20});
  if (check_ok(ranged, "ranged get 5 MiB"))
    check(same(get_area.subspan(4096, 5u << 20), std::span(want).subspan(1000, 5u << 20)),
          "ranged get byte-exact");
  // Unregistered memory goes TCP (counted, not an error).
  std::vector<std::byte> plain(size);
  auto unregistered = c.get(bucket, "rdma/segment-0", plain);
  if (check_ok(unregistered, "get into unregistered memory"))
    check(same(plain, want), "unregistered get byte-exact");

  const auto s = c.stats();
  print_stats(s);
  fmt::print("TRANSPORT {}\n", s.transport);
  const auto declines = std::accumulate(s.rdma.declines.begin(), s.rdma.declines.end(), 0ull);
  const std::uint64_t transfers = 2ull * static_cast<std::uint64_t>(rounds) + 1;
  if (expect == "rdma") {
    check(s.rdma.rdma_ops == transfers,
          fmt::format("stats: {} RDMA ops (want {})", s.rdma.rdma_ops, transfers));
    check(s.rdma.rdma_bytes >= 2ull * rounds * size, "stats: RDMA bytes");
    check(s.rdma.fallbacks == 0 && s.rdma.failures == 0 && declines == 0,
          "stats: no fallback, failure or decline");
    check(s.rdma_state == sdk::path_state::supported, "stats: path supported");
    check(s.transport.starts_with("rdma"), "stats: transport says rdma");
    check(s.rdma.ineligible[static_cast<std::size_t>(
              sdk::ineligible_reason::buffer_not_registered)] == 1,
          "stats: the unregistered get counted as ineligible");
  } else {
    check(s.rdma.rdma_ops == 0, "stats: no RDMA op");
    check(s.rdma_state == sdk::path_state::unsupported, "stats: path unsupported");
    check(s.rdma.discoveries >= 1, "stats: capabilities asked");
    check(s.rdma.fallbacks >= transfers - 1,
          fmt::format("stats: {} fallbacks to TCP", s.rdma.fallbacks));
    check(s.transport.find("server does not offer RDMA") != std::string::npos,
          "stats: transport says why");
  }
  if (rounds > 1) {
    const double mib = 32.0 * rounds;
    fmt::print("MEASURE sdk_{}_put 32MiBx{}: {:.0f} MiB/s\n", expect, rounds, mib / put_s);
    fmt::print("MEASURE sdk_{}_get 32MiBx{}: {:.0f} MiB/s\n", expect, rounds, mib / get_s);
    // The same client with rdma=off: the SDK's TCP path on the same machine.
    sdk::client_options tcp = options;
    tcp.rdma = sdk::rdma_mode::off;
    auto t = sdk::client::create(tcp);
    if (check_ok(t, "client with rdma=off")) {
      double tput = 0, tget = 0;
      for (int i = 0; i < rounds; ++i) {
        const std::string key = fmt::format("rdma/tcp-{}", i);
        tput += timed([&] { check_ok((*t)->put(bucket, key, put_area), "tcp put " + key); });
        tget += timed([&] { check_ok((*t)->get(bucket, key, get_area), "tcp get " + key); });
      }
      check(same(get_area, want), "tcp get byte-exact");
      fmt::print("MEASURE sdk_tcp_put 32MiBx{}: {:.0f} MiB/s\n", rounds, mib / tput);
      fmt::print("MEASURE sdk_tcp_get 32MiBx{}: {:.0f} MiB/s\n", rounds, mib / tget);
    }
  }
}

// Direct cluster routing with RDMA (tests/rdma_vm/sdk_cases.sh): the
// endpoint is one member of a cluster whose nodes all listen for RDMA; the
// client routes each key to its owner and moves the bytes over a session
// with that node. `keys` 4 MiB PUTs from and GETs into registered memory,
// byte-exact, every transfer over RDMA, with sessions to every node.
//
// With `dead_node_keys` >= 0 the objects are only read back, after the test
// stopped one node: its keys must be misses (404 through the endpoint, the
// node bypassed), all others byte-exact over RDMA from the live nodes.
void run_rdma_cluster(sdk::client_options options, const std::string& bucket, int keys,
                      std::size_t nodes, int dead_node_keys) {
  options.cluster_routing = true;  // create_bucket then creates it on every member
  const std::size_t size = 4u << 20;
  auto f = open_rdma_fixture(options, bucket, size, "rdma=auto and cluster routing");
  if (!f) return;
  sdk::client& c = *f->client;
  const std::span<std::byte> put_area = f->put_area, get_area = f->get_area;
  if (dead_node_keys >= 0) {
    int misses = 0;
    for (int i = 0; i < keys; ++i) {
      const std::string key = fmt::format("cluster/segment-{}", i);
      const auto want = pattern(size, 100 + static_cast<std::uint64_t>(i));
      std::memset(get_area.data(), 0, size);
      auto got = c.get(bucket, key, get_area);
      if (!got && got.error().http_status == 404) {
        ++misses;
        fmt::print("miss: {} ({})\n", key, got.error().s3_code);
      } else if (check_ok(got, "get 4 MiB " + key + " from a live node")) {
        check(got->bytes == size && same(get_area, want), "byte-exact " + key);
      }
    }
    const auto s = c.stats();
    print_stats(s);
    fmt::print("ROUTING {}\nTRANSPORT {}\n", s.routing, s.transport);
    check(misses == dead_node_keys,
          fmt::format("{} misses (want {}: the stopped node's keys)", misses, dead_node_keys));
    check(s.rdma.rdma_ops == static_cast<std::uint64_t>(keys - misses),
          fmt::format("stats: {} RDMA ops (want {}: every live node's key)", s.rdma.rdma_ops,
                      keys - misses));
    check(s.node_bypasses == 1, "stats: the stopped node bypassed once");
    check(s.errors == static_cast<std::uint64_t>(misses), "stats: no error but the misses");
    return;
  }
  for (int i = 0; i < keys; ++i) {
    const std::string key = fmt::format("cluster/segment-{}", i);
    const auto want = pattern(size, 100 + static_cast<std::uint64_t>(i));
    std::memcpy(put_area.data(), want.data(), size);
    check_ok(c.put(bucket, key, put_area), "put 4 MiB " + key);
    std::memset(get_area.data(), 0, size);
    auto got = c.get(bucket, key, get_area);
    if (check_ok(got, "get 4 MiB " + key))
      check(got->bytes == size && same(get_area, want) && got->checksum_verified,
            "byte-exact, CRC32C verified " + key);
  }
  const auto s = c.stats();
  print_stats(s);
  fmt::print("ROUTING {}\nTRANSPORT {}\n", s.routing, s.transport);
  const auto transfers = 2ull * static_cast<std::uint64_t>(keys);
  const auto declines = std::accumulate(s.rdma.declines.begin(), s.rdma.declines.end(), 0ull);
  check(s.routing.starts_with("direct"), "stats: routing directly");
  check(s.routed_direct >= transfers, "stats: transfers sent to the owning nodes");
  check(s.rdma.rdma_ops == transfers,
        fmt::format("stats: {} RDMA ops (want {})", s.rdma.rdma_ops, transfers));
  check(s.rdma.fallbacks == 0 && s.rdma.failures == 0 && declines == 0,
        "stats: no fallback, failure or decline");
  check(s.rdma_state == sdk::path_state::supported, "stats: path supported");
  check(s.transport.starts_with(fmt::format("rdma on {} of {} cluster nodes", nodes, nodes)),
        fmt::format("stats: transport says rdma on {} of {} nodes", nodes, nodes));
}

// client_options::rdma_register_mappings (tests/rdma_vm/sdk_cases.sh): no
// register_memory() call; buffers are slices of a 64 MiB anonymous pool, as
// LMCache hands its connectors. The first RDMA-eligible transfer registers
// the pool's mapping, and every 4 MiB PUT and GET then goes over RDMA,
// byte-exact. A buffer in a file mapping is never registered: TCP.
void run_rdma_pool(sdk::client_options options, const std::string& bucket) {
  options.rdma_register_mappings = true;
  auto made = sdk::client::create(options);
  if (!check_ok(made, "client with rdma_register_mappings")) return;
  sdk::client& c = **made;
  check_ok(c.create_bucket(bucket), "create bucket");
  const std::size_t pool_size = 64u << 20, size = 4u << 20;
  void* mapped =
      mmap(nullptr, pool_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    check(false, "mmap a 64 MiB pool");
    return;
  }
  const std::span<std::byte> pool(static_cast<std::byte*>(mapped), pool_size);
  const int objects = 6;
  for (int i = 0; i < objects; ++i) {
    const std::string key = fmt::format("pool/segment-{}", i);
    const auto want = pattern(size, 300 + static_cast<std::uint64_t>(i));
    const auto slot = pool.subspan(static_cast<std::size_t>(i) * size, size);
    std::memcpy(slot.data(), want.data(), size);
    check_ok(c.put(bucket, key, slot), "put 4 MiB from the pool " + key);
    const auto into = pool.subspan(pool_size - size - static_cast<std::size_t>(i) * size, size);
    std::memset(into.data(), 0, size);
    auto got = c.get(bucket, key, into);
    if (check_ok(got, "get 4 MiB into the pool " + key))
      check(got->bytes == size && same(into, want) && got->checksum_verified,
            "byte-exact, CRC32C verified " + key);
  }
  // A file mapping: never registered, so that GET goes TCP.
  char path[] = "/tmp/kvgate-sdk-check-XXXXXX";
  const int fd = mkstemp(path);
  bool file_ok = fd >= 0 && ftruncate(fd, static_cast<off_t>(size)) == 0;
  void* file_map =
      file_ok ? mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (file_map != MAP_FAILED) {
    const std::span<std::byte> into(static_cast<std::byte*>(file_map), size);
    auto got = c.get(bucket, "pool/segment-0", into);
    if (check_ok(got, "get into a file mapping"))
      check(same(into, pattern(size, 300)), "file-mapping get byte-exact");
    munmap(file_map, size);
  } else {
    check(false, "map a temporary file");
  }
  if (fd >= 0) {
    close(fd);
    unlink(path);
  }
  const auto s = c.stats();
  print_stats(s);
  fmt::print("TRANSPORT {}\n", s.transport);
  const auto transfers = 2ull * objects;
  check(
      s.rdma.rdma_ops == transfers,
      fmt::format("stats: {} RDMA ops (want {}: every pool transfer)", s.rdma.rdma_ops, transfers));
  check(s.rdma.fallbacks == 0 && s.rdma.failures == 0, "stats: no fallback or failure");
  check(
      s.rdma.ineligible[static_cast<std::size_t>(sdk::ineligible_reason::buffer_not_registered)] ==
          1,
      "stats: the file-mapping get counted as not registered");
  munmap(mapped, pool_size);
}

// Session expiry (the gateway runs with a short --rdma-session-ttl-seconds):
// a 32 MiB PUT and GET over RDMA open the session, the client then stays idle
// for `wait_seconds`, longer than the TTL, and the next PUT and GET must still
// go over RDMA, byte-exact, on a new session (after a session-expired or
// no-session decline, or a dropped connection), never falling back to TCP.
void run_rdma_expiry(const sdk::client_options& options, const std::string& bucket,
                     int wait_seconds) {
  const std::size_t size = 32u << 20;
  auto f = open_rdma_fixture(options, bucket, size, "rdma=auto");
  if (!f) return;
  sdk::client& c = *f->client;
  const std::span<std::byte> put_area = f->put_area, get_area = f->get_area;
  auto round_trip = [&](const std::string& key, int seed) {
    const auto want = pattern(size, seed);
    std::memcpy(put_area.data(), want.data(), size);
    check_ok(c.put(bucket, key, put_area), "put 32 MiB " + key);
    std::memset(get_area.data(), 0, size);
    auto got = c.get(bucket, key, get_area);
    if (check_ok(got, "get 32 MiB " + key))
      check(got->bytes == size && same(get_area, want), "32 MiB byte-exact " + key);
  };
  round_trip("expiry/before", 31);
  const auto before = c.stats();
  check(before.rdma.rdma_ops == 2,
        fmt::format("before: {} RDMA ops (want 2)", before.rdma.rdma_ops));
  std::this_thread::sleep_for(std::chrono::seconds(wait_seconds));
  round_trip("expiry/after", 37);
  const auto s = c.stats();
  print_stats(s);
  const auto expired =
      s.rdma.declines[static_cast<std::size_t>(kvgate::rdma::decline_reason::session_expired)] +
      s.rdma.declines[static_cast<std::size_t>(kvgate::rdma::decline_reason::no_session)];
  fmt::print("EXPIRY session-expired/no-session declines {}, session retries {}\n", expired,
             s.rdma.session_retries);
  check(s.rdma.rdma_ops == 4, fmt::format("after: {} RDMA ops (want 4)", s.rdma.rdma_ops));
  check(s.rdma.fallbacks == 0 && s.rdma.failures == 0, "no fallback to TCP, no failure");
  check(s.rdma_state == sdk::path_state::supported, "path still supported");
  check(s.rdma.session_retries == expired, "every expiry decline retried once on a new session");
}

// PUT, then wait for the test to kill and restart the gateway, then GET.
void run_restart(sdk::client& c, const std::string& bucket) {
  const auto body = pattern(300000, 7);
  check_ok(c.create_bucket(bucket), "create bucket");
  check_ok(c.put(bucket, "restart/object", body), "put before the restart");
  fmt::print("READY\n");
  std::fflush(stdout);
  std::string line;
  std::getline(std::cin, line);
  std::vector<std::byte> buf(body.size());
  auto got = c.get(bucket, "restart/object", buf);
  if (check_ok(got, "get across the gateway restart"))
    check(same(buf, body), "byte-exact after restart");
  const auto s = c.stats();
  print_stats(s);
  check(s.retries >= 1, fmt::format("stats: retried ({} retries)", s.retries));
  check(s.errors == 0, "stats: no failed operation");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvgate SDK end-to-end checks against a running gateway"};
  sdk::client_options options;
  std::string bucket = "sdk-check", addressing = "path", connect_to, scenario, expect = "rdma";
  int rounds = 1, expire_wait = 12, keys = 12, dead_node_keys = -1;
  std::size_t nodes = 3;
  app.add_option("--endpoint", options.endpoint)->required();
  app.add_option("--ca-file", options.ca_file);
  app.add_option("--connect-to", connect_to);
  app.add_option("--addressing", addressing);
  app.add_option("--bucket", bucket);
  app.add_option("--max-attempts", options.retry.max_attempts);
  app.add_option("--expect", expect, "rdma scenario: rdma | tcp")
      ->check(CLI::IsMember({"rdma", "tcp"}));
  app.add_option("--rounds", rounds, "rdma scenario: 32 MiB PUT+GET rounds (>1: MEASURE lines)");
  app.add_option("--expire-wait", expire_wait,
                 "rdma-expiry scenario: idle seconds (longer than the gateway's session TTL)");
  app.add_option("--keys", keys, "rdma-cluster scenario: 4 MiB objects put and read back");
  app.add_option("--nodes", nodes, "rdma-cluster scenario: cluster members (all with RDMA)");
  app.add_option("--dead-node-keys", dead_node_keys,
                 "rdma-cluster scenario: only read back; this many keys are on a stopped node");
  app.add_option("scenario", scenario)
      ->required()
      ->check(
          CLI::IsMember({"all", "restart", "rdma", "rdma-expiry", "rdma-cluster", "rdma-pool"}));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (!connect_to.empty()) options.connect_to = connect_to;
  options.addressing =
      addressing == "virtual" ? sdk::addressing_style::virtual_hosted : sdk::addressing_style::path;
  if (scenario == "restart") {
    options.retry.base_delay = std::chrono::milliseconds(200);
    options.retry.max_delay = std::chrono::milliseconds(2000);
    options.connect_timeout = std::chrono::milliseconds(2000);
  }
  if (scenario.starts_with("rdma")) {
    if (scenario == "rdma")
      run_rdma(options, bucket, expect, std::max(rounds, 1));
    else if (scenario == "rdma-cluster")
      run_rdma_cluster(options, bucket, keys, nodes, dead_node_keys);
    else if (scenario == "rdma-pool")
      run_rdma_pool(options, bucket);
    else
      run_rdma_expiry(options, bucket, expire_wait);
    fmt::print("{} failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
  }
  auto created = sdk::client::create(options);
  if (!created) {
    fmt::print("FAIL: create client: {}\n", created.error().to_string());
    return 1;
  }
  fmt::print("credentials from {}\n", (*created)->credentials_source());
  if (scenario == "all")
    run_all(**created, options, bucket);
  else
    run_restart(**created, bucket);
  fmt::print("{} failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
