// The S3 operations the KV workload generator sends, each checked completely
// (status, ETag, Content-Length, Content-Range, UploadId, Complete result and,
// with verification on, every body byte against segment_pattern) and recorded
// in the channel's op_stats: a latency sample on success, an error with its
// reason otherwise. Every function returns whether the operation succeeded.
//
// lmcache_put / lmcache_get reproduce the wire shape awscrt gives LMCache's
// S3 connector (research/lmcache-s3.md §1.4): a segment of at most one part
// is one PutObject; a larger one is CreateMultipartUpload, its 8 MiB
// UploadParts in a shuffled order over several connections at once, then
// CompleteMultipartUpload (Abort when a part failed). A read is a HEAD (size
// and ETag, as the connector's exists/size cache does) and then 8 MiB ranged
// GETs with If-Match, in parallel over the same connections.
//
// Thread safety: a function uses the channels it is given from the calling
// thread and, for the parallel parts, one extra thread per further channel.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kv_op_stats.h"
#include "kv_pattern.h"
#include "kv_s3_channel.h"

namespace kvgate::perf {

inline constexpr std::size_t kLmcachePartBytes = std::size_t{8} << 20;  // awscrt's default part
inline constexpr std::string_view kOctetStream = "content-type: application/octet-stream\r\n";

struct object_info {
  std::size_t size = 0;
  std::string etag;
};

// Text between <tag> and </tag> in a small XML reply (empty when absent).
inline std::string xml_text(std::string_view xml, std::string_view tag) {
  const std::string open = fmt::format("<{}>", tag), close = fmt::format("</{}>", tag);
  const auto a = xml.find(open);
  if (a == std::string_view::npos) return {};
  const auto b = xml.find(close, a + open.size());
  if (b == std::string_view::npos) return {};
  return std::string(xml.substr(a + open.size(), b - a - open.size()));
}

// A body sink that compares what arrives with the pattern of `seed` from
// `base` on; remembers the first mismatch.
class pattern_checker {
 public:
  pattern_checker(std::uint64_t seed, std::uint64_t base) : seed_(seed), base_(base) {}
  body_sink sink() {
    return [this](std::size_t at, std::span<const char> bytes) {
      if (mismatch_) return;
      mismatch_ = segment_pattern::first_mismatch(seed_, base_ + at, bytes);
      if (!mismatch_) checked_ += bytes.size();
    };
  }
  std::optional<std::uint64_t> mismatch() const { return mismatch_; }
  std::size_t checked() const { return checked_; }

 private:
  std::uint64_t seed_, base_;
  std::optional<std::uint64_t> mismatch_;
  std::size_t checked_ = 0;
};

// Records a transport or signing failure of `op`.
inline bool fail_with(s3_channel& ch, std::string_view op, std::string message) {
  ch.stats().fail(op, op_level::wire, std::move(message));
  return false;
}

inline bool put_object(s3_channel& ch, std::string_view key, std::size_t size,
                       std::string_view op = "put") {
  const auto body = ch.pattern_body(segment_pattern::key_seed(key), 0, size);
  auto head = ch.endpoint().head("PUT", key, {}, kOctetStream, size);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message());
  const auto start = bench_clock::now();
  auto r = ch.send(*head, body);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message());
  if (r->status != 200) return fail_with(ch, op, describe_status(*r));
  if (r->etag.empty()) return fail_with(ch, op, "200 without ETag");
  ch.stats().ok(op, op_level::wire, ms, size);
  return true;
}

// HEAD of a key that must exist with `size` bytes (expect_present) or must
// be absent (404). Returns the size and ETag of a present key.
inline std::optional<object_info> head_object(s3_channel& ch, std::string_view key,
                                              std::size_t size, bool expect_present,
                                              std::string_view op = "head") {
  auto head = ch.endpoint().head("HEAD", key);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message()), std::nullopt;
  const auto start = bench_clock::now();
  auto r = ch.send(*head, {}, true);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message()), std::nullopt;
  if (!expect_present) {
    if (r->status != 404)
      return fail_with(ch, op, "absent key: " + describe_status(*r)), std::nullopt;
    ch.stats().ok(op, op_level::wire, ms, 0);
    return object_info{};
  }
  if (r->status != 200) return fail_with(ch, op, describe_status(*r)), std::nullopt;
  if (r->content_length != size || r->etag.empty())
    return fail_with(ch, op,
                     fmt::format("HEAD {}: Content-Length {} (want {}), ETag '{}'", key,
                                 r->content_length.value_or(0), size, r->etag)),
           std::nullopt;
  ch.stats().ok(op, op_level::wire, ms, 0);
  return object_info{size, r->etag};
}

// Whole-object GET (200, exactly `size` bytes).
inline bool get_object(s3_channel& ch, std::string_view key, std::size_t size, bool verify,
                       std::string_view op = "get") {
  auto head = ch.endpoint().head("GET", key);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message());
  pattern_checker checker(segment_pattern::key_seed(key), 0);
  const body_sink sink = verify ? checker.sink() : body_sink{};
  const auto start = bench_clock::now();
  auto r = ch.send(*head, {}, false, &sink);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message());
  if (r->status != 200) return fail_with(ch, op, describe_status(*r));
  if (r->body_bytes != size)
    return fail_with(ch, op, fmt::format("GET {}: {} bytes, want {}", key, r->body_bytes, size));
  if (checker.mismatch())
    return fail_with(ch, op,
                     fmt::format("GET {}: wrong byte at offset {}", key, *checker.mismatch()));
  ch.stats().ok(op, op_level::wire, ms, size, checker.checked());
  return true;
}

// GET of bytes [first, last] of an object of `total` bytes with If-Match.
inline bool get_range(s3_channel& ch, std::string_view key, const std::string& etag,
                      std::size_t first, std::size_t last, std::size_t total, bool verify,
                      std::string_view op = "get-range") {
  const std::string extra =
      fmt::format("range: bytes={}-{}\r\nif-match: {}\r\n", first, last, etag);
  auto head = ch.endpoint().head("GET", key, {}, extra);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message());
  pattern_checker checker(segment_pattern::key_seed(key), first);
  const body_sink sink = verify ? checker.sink() : body_sink{};
  const auto start = bench_clock::now();
  auto r = ch.send(*head, {}, false, &sink);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message());
  if (r->status != 206) return fail_with(ch, op, describe_status(*r));
  const std::string want_range = fmt::format("bytes {}-{}/{}", first, last, total);
  if (r->content_range != want_range || r->body_bytes != last - first + 1)
    return fail_with(ch, op,
                     fmt::format("GET {} range {}-{}: Content-Range '{}', {} bytes", key, first,
                                 last, r->content_range, r->body_bytes));
  if (checker.mismatch())
    return fail_with(ch, op,
                     fmt::format("GET {}: wrong byte at offset {}", key, *checker.mismatch()));
  ch.stats().ok(op, op_level::wire, ms, r->body_bytes, checker.checked());
  return true;
}

inline std::optional<std::string> create_upload(s3_channel& ch, std::string_view key) {
  const std::string_view op = "create-mpu";
  auto head = ch.endpoint().head("POST", key, {{"uploads", "", false}}, kOctetStream, 0);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message()), std::nullopt;
  const auto start = bench_clock::now();
  auto r = ch.send(*head, {}, false, nullptr, 64 * 1024);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message()), std::nullopt;
  if (r->status != 200) return fail_with(ch, op, describe_status(*r)), std::nullopt;
  std::string id = xml_text(r->body, "UploadId");
  if (id.empty())
    return fail_with(ch, op, "no UploadId in: " + r->body.substr(0, 300)), std::nullopt;
  ch.stats().ok(op, op_level::wire, ms, 0);
  return id;
}

// Uploads part `number` (1-based) holding the object's bytes [offset, offset + size).
inline std::optional<std::string> upload_part(s3_channel& ch, std::string_view key,
                                              const std::string& upload_id, std::size_t number,
                                              std::size_t offset, std::size_t size) {
  const std::string_view op = "upload-part";
  const auto body = ch.pattern_body(segment_pattern::key_seed(key), offset, size);
  auto head = ch.endpoint().head(
      "PUT", key, {{"partNumber", std::to_string(number), true}, {"uploadId", upload_id, true}}, {},
      size);
  if (!head) return fail_with(ch, op, "signing: " + head.error().message()), std::nullopt;
  const auto start = bench_clock::now();
  auto r = ch.send(*head, body);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message()), std::nullopt;
  if (r->status != 200) return fail_with(ch, op, describe_status(*r)), std::nullopt;
  if (r->etag.empty()) return fail_with(ch, op, "UploadPart 200 without ETag"), std::nullopt;
  ch.stats().ok(op, op_level::wire, ms, size);
  return r->etag;
}

inline bool complete_upload(s3_channel& ch, std::string_view key, const std::string& upload_id,
                            const std::vector<std::string>& etags) {
  const std::string_view op = "complete-mpu";
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (std::size_t i = 0; i < etags.size(); ++i)
    xml += fmt::format("<Part><ETag>{}</ETag><PartNumber>{}</PartNumber></Part>", etags[i], i + 1);
  xml += "</CompleteMultipartUpload>";
  auto head = ch.endpoint().head("POST", key, {{"uploadId", upload_id, true}}, {}, xml.size());
  if (!head) return fail_with(ch, op, "signing: " + head.error().message());
  const auto start = bench_clock::now();
  auto r = ch.send(*head, std::span<const char>(xml.data(), xml.size()), false, nullptr, 64 * 1024);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message());
  // awscrt scans 200 bodies for an <Error> too.
  if (r->status != 200 || r->body.find("<CompleteMultipartUploadResult") == std::string::npos ||
      r->body.find("<Error>") != std::string::npos || xml_text(r->body, "ETag").empty())
    return fail_with(ch, op, describe_status(*r));
  ch.stats().ok(op, op_level::wire, ms, 0);
  return true;
}

// kvgate's BatchExists (docs/api.md): one POST /bucket?kvgate-exists for all
// `keys`; checks that exactly `expected_present` of them exist.
inline bool batch_exists(s3_channel& ch, const std::vector<std::string>& keys,
                         std::size_t expected_present) {
  const std::string_view op = "exists-batch";
  std::string xml = "<Exists>";
  for (const auto& k : keys) xml += fmt::format("<Object><Key>{}</Key></Object>", k);
  xml += "</Exists>";
  auto head = ch.endpoint().head("POST", {}, {{"kvgate-exists", "", false}},
                                 "content-type: application/xml\r\n", xml.size());
  if (!head) return fail_with(ch, op, "signing: " + head.error().message());
  const auto start = bench_clock::now();
  auto r =
      ch.send(*head, std::span<const char>(xml.data(), xml.size()), false, nullptr, 1024 * 1024);
  const double ms = ms_since(start);
  if (!r) return fail_with(ch, op, "transport: " + r.error().message());
  if (r->status != 200 || r->body.find("<ExistsResult") == std::string::npos)
    return fail_with(ch, op, describe_status(*r));
  std::size_t present = 0;
  for (auto at = r->body.find("<Exists>true</Exists>"); at != std::string::npos;
       at = r->body.find("<Exists>true</Exists>", at + 1))
    ++present;
  if (present != expected_present)
    return fail_with(
        ch, op,
        fmt::format("{} of {} keys exist, expected {}", present, keys.size(), expected_present));
  ch.stats().ok(op, op_level::wire, ms, 0);
  return true;
}

inline void abort_upload(s3_channel& ch, std::string_view key, const std::string& upload_id) {
  const std::string_view op = "abort-mpu";
  auto head = ch.endpoint().head("DELETE", key, {{"uploadId", upload_id, true}});
  if (!head) return void(fail_with(ch, op, "signing: " + head.error().message()));
  const auto start = bench_clock::now();
  auto r = ch.send(*head);
  const double ms = ms_since(start);
  if (!r) return void(fail_with(ch, op, "transport: " + r.error().message()));
  if (r->status != 204) return void(fail_with(ch, op, describe_status(*r)));
  ch.stats().ok(op, op_level::wire, ms, 0);
}

// Runs fn(channel, item) for items 0..count-1, channel t serving the items
// thread t takes; thread 0 is the caller's.
template <class Fn>
void for_each_parallel(std::span<s3_channel> channels, std::size_t count, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  const auto drain = [&](s3_channel& ch) {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) fn(ch, i);
  };
  const std::size_t threads = std::min(channels.size(), count);
  std::vector<std::jthread> helpers;
  for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back([&, t] { drain(channels[t]); });
  if (threads > 0) drain(channels[0]);
}

// One KV segment written the way LMCache's S3 connector writes it. `op`
// names the object-level tally (recorded on channels[0]).
inline bool lmcache_put(std::span<s3_channel> channels, std::string_view key, std::size_t size,
                        std::string_view op, std::uint64_t shuffle_seed) {
  s3_channel& lead = channels[0];
  const auto start = bench_clock::now();
  if (size <= kLmcachePartBytes) {
    if (!put_object(lead, key, size))
      return lead.stats().fail(op, op_level::object, "PUT failed"), false;
    lead.stats().ok(op, op_level::object, ms_since(start), size);
    return true;
  }
  auto upload_id = create_upload(lead, key);
  if (!upload_id)
    return lead.stats().fail(op, op_level::object, "CreateMultipartUpload failed"), false;
  const std::size_t parts = (size + kLmcachePartBytes - 1) / kLmcachePartBytes;
  std::vector<std::size_t> order(parts);
  for (std::size_t i = 0; i < parts; ++i) order[i] = i;
  std::mt19937_64 rng(shuffle_seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::string> etags(parts);
  std::atomic<bool> failed{false};
  for_each_parallel(channels, parts, [&](s3_channel& ch, std::size_t i) {
    if (failed.load()) return;
    const std::size_t part = order[i];
    const std::size_t offset = part * kLmcachePartBytes;
    auto etag = upload_part(ch, key, *upload_id, part + 1, offset,
                            std::min(kLmcachePartBytes, size - offset));
    if (etag)
      etags[part] = std::move(*etag);
    else
      failed = true;
  });
  if (failed) {
    abort_upload(lead, key, *upload_id);
    return lead.stats().fail(op, op_level::object, "UploadPart failed"), false;
  }
  if (!complete_upload(lead, key, *upload_id, etags))
    return lead.stats().fail(op, op_level::object, "CompleteMultipartUpload failed"), false;
  lead.stats().ok(op, op_level::object, ms_since(start), size);
  return true;
}

// One KV segment read the way LMCache's S3 connector reads it through awscrt.
inline bool lmcache_get(std::span<s3_channel> channels, std::string_view key, std::size_t size,
                        bool verify, std::string_view op) {
  s3_channel& lead = channels[0];
  const auto start = bench_clock::now();
  const auto info = head_object(lead, key, size, true);
  if (!info) return lead.stats().fail(op, op_level::object, "HEAD failed"), false;
  const std::size_t ranges = (size + kLmcachePartBytes - 1) / kLmcachePartBytes;
  std::atomic<bool> failed{false};
  for_each_parallel(channels, ranges, [&](s3_channel& ch, std::size_t i) {
    if (failed.load()) return;
    const std::size_t first = i * kLmcachePartBytes;
    const std::size_t last = std::min(size, first + kLmcachePartBytes) - 1;
    if (!get_range(ch, key, info->etag, first, last, size, verify)) failed = true;
  });
  if (failed) return lead.stats().fail(op, op_level::object, "ranged GET failed"), false;
  lead.stats().ok(op, op_level::object, ms_since(start), size, verify ? size : 0);
  return true;
}

}  // namespace kvgate::perf
