// Single-request operations: PutObject, GetObject, HeadObject, DeleteObject,
// CreateBucket, ListObjectsV2 page, and the parallel HEADs of exists_batch.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "client_impl.h"
#include "kvgate/protocol/checksum.h"
#include "parallel_workers.h"

namespace kvgate::sdk {

using namespace detail;

namespace {

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Total size from "bytes a-b/total".
std::optional<std::uint64_t> content_range_total(std::string_view v) {
  const auto slash = v.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return parse_u64(v.substr(slash + 1));
}

}  // namespace

asio::awaitable<result<put_result>> client::impl::async_put(std::string bucket, std::string key,
                                                            std::span<const std::byte> data,
                                                            put_options opts) {
  if (auto done = co_await async_rdma_put(bucket, key, data, opts)) co_return std::move(*done);
  if (data.size() > options.multipart_threshold)
    co_return co_await async_multipart_put(std::move(bucket), std::move(key), data,
                                           std::move(opts));
  request_spec spec;
  spec.method = http::verb::put;
  spec.bucket = std::move(bucket);
  spec.key = std::move(key);
  spec.body = data;
  spec.headers = {{"content-type", opts.content_type},
                  {"x-amz-checksum-crc32c", crc32c_base64(data)}};
  if (opts.if_none_match) spec.headers.push_back({"if-none-match", "*"});
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status != 200) co_return http_error(*r);
  co_return put_result{header_value(r->headers, "etag"), false, 1};
}

asio::awaitable<result<get_result>> client::impl::async_get(std::string bucket, std::string key,
                                                            std::span<std::byte> buffer,
                                                            std::optional<byte_range> range) {
  if (range && range->length && *range->length == 0)
    co_return make_error(sdk_errc::invalid_argument, "empty range");
  if (auto done = co_await async_rdma_get(bucket, key, buffer, range)) co_return std::move(*done);
  co_return co_await async_tcp_get(std::move(bucket), std::move(key), buffer, range);
}

asio::awaitable<result<get_result>> client::impl::async_tcp_get(std::string bucket, std::string key,
                                                                std::span<std::byte> buffer,
                                                                std::optional<byte_range> range) {
  if (!range && buffer.size() > options.parallel_get_threshold)
    co_return co_await async_parallel_get(std::move(bucket), std::move(key), buffer);

  request_spec spec;
  spec.method = http::verb::get;
  spec.bucket = std::move(bucket);
  spec.key = std::move(key);
  spec.headers = {{"x-amz-checksum-mode", "ENABLED"}};
  if (range) {
    std::string value = "bytes=" + std::to_string(range->offset) + "-";
    if (range->length) value += std::to_string(range->offset + *range->length - 1);
    spec.headers.push_back({"range", value});
  }
  body_sink sink;
  sink.target = buffer;
  sink.crc32c = true;  // computed as the bytes land in the buffer
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status != 200 && r->status != 206) co_return http_error(*r);
  get_result out;
  out.bytes = r->received;
  out.etag = header_value(r->headers, "etag");
  out.object_size = r->received;
  if (r->status == 206) {
    if (auto total = content_range_total(header_value(r->headers, "content-range")))
      out.object_size = *total;
  }
  // Whole-object checksum (single-part objects, or multipart with FULL_OBJECT).
  const std::string crc = header_value(r->headers, "x-amz-checksum-crc32c");
  if (r->status == 200 && !crc.empty() && crc.find('-') == std::string::npos &&
      header_value(r->headers, "x-amz-checksum-type") != "COMPOSITE") {
    if (crc32c_base64(buffer.first(r->received)) != crc) {
      ++counters.checksum_mismatches;
      auto e = make_error(sdk_errc::checksum_mismatch,
                          "CRC32C of the received bytes differs from the server's " + crc);
      e.http_status = r->status;
      e.request_id = header_value(r->headers, "x-amz-request-id");
      e.attempts = r->attempts;
      co_return e;
    }
    ++counters.checksums_verified;
    out.checksum_verified = true;
  }
  co_return out;
}

asio::awaitable<result<object_info>> client::impl::async_head(std::string bucket, std::string key) {
  request_spec spec;
  spec.method = http::verb::head;
  spec.bucket = std::move(bucket);
  spec.key = std::move(key);
  spec.headers = {{"x-amz-checksum-mode", "ENABLED"}};
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status != 200) co_return http_error(*r);
  object_info info;
  info.size = parse_u64(header_value(r->headers, "content-length")).value_or(0);
  info.etag = header_value(r->headers, "etag");
  info.last_modified = header_value(r->headers, "last-modified");
  info.content_type = header_value(r->headers, "content-type");
  info.checksum_crc32c = header_value(r->headers, "x-amz-checksum-crc32c");
  co_return info;
}

asio::awaitable<result<std::vector<bool>>> client::impl::async_exists_batch(
    std::string bucket, std::vector<std::string> keys) {
  // Keys S3 cannot hold are the caller's mistake: refused here, so a 400 from
  // the server below can only mean it does not know BatchExists.
  for (const auto& k : keys)
    if (k.empty() || k.size() > 1024)
      co_return make_error(sdk_errc::invalid_argument, "keys must be 1 to 1024 bytes");
  if (router) {
    co_await async_refresh_map_if_due();
    if (auto table = router->table())
      co_return co_await async_exists_batch_routed(std::move(table), std::move(bucket),
                                                   std::move(keys));
  }
  const std::optional<cluster_route> to_endpoint;  // named: see async_create_bucket
  co_return co_await async_exists_batch_direct(bucket, keys, to_endpoint);
}

asio::awaitable<result<std::vector<bool>>> client::impl::async_exists_batch_direct(
    const std::string& bucket, const std::vector<std::string>& keys,
    const std::optional<cluster_route>& route) {
  // kvgate's BatchExists, up to 1000 keys a request; other S3 servers answer
  // it as an unknown request, and then (and from then on) parallel HEADs.
  constexpr std::size_t kBatch = 1000;
  std::vector<bool> found;
  found.reserve(keys.size());
  for (std::size_t at = 0; at < keys.size() && batch_exists_supported.load(); at += kBatch) {
    const std::vector<std::string> slice(
        keys.begin() + static_cast<std::ptrdiff_t>(at),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), at + kBatch)));
    auto answer = co_await async_batch_exists_request(bucket, slice, route);
    if (!answer) break;
    if (!*answer) co_return answer->error();
    found.insert(found.end(), (*answer)->begin(), (*answer)->end());
  }
  if (found.size() == keys.size()) co_return found;
  const std::vector<std::string> rest(keys.begin() + static_cast<std::ptrdiff_t>(found.size()),
                                      keys.end());
  auto by_heads = co_await async_exists_by_heads(bucket, rest);
  if (!by_heads) co_return by_heads.error();
  found.insert(found.end(), by_heads->begin(), by_heads->end());
  co_return found;
}

asio::awaitable<std::optional<result<std::vector<bool>>>> client::impl::async_batch_exists_request(
    const std::string& bucket, const std::vector<std::string>& keys,
    const std::optional<cluster_route>& route) {
  const std::string body = detail::render_exists_request(keys);
  request_spec spec;
  spec.route = route;
  spec.method = http::verb::post;
  spec.bucket = bucket;
  spec.query = {{"kvgate-exists", "", false}};
  spec.headers = {{"content-type", "application/xml"}};
  spec.body = std::as_bytes(std::span(body));
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return result<std::vector<bool>>(r.error());
  if (r->status == 200) {
    auto parsed = detail::parse_exists_result(r->text, keys);
    if (parsed) co_return result<std::vector<bool>>(std::move(*parsed));
  }
  // Not kvgate (501 NotImplemented, 405, 400 for an unknown POST, or a 200
  // that is not an ExistsResult): fall back. Access and server errors are
  // the caller's answer, as they would be for a HEAD.
  const bool unknown_request =
      r->status == 200 || r->status == 400 || r->status == 405 || r->status == 501;
  if (!unknown_request) co_return result<std::vector<bool>>(http_error(*r));
  if (batch_exists_supported.exchange(false))
    spdlog::info("kvgate sdk: {} does not answer BatchExists (HTTP {}); using parallel HEADs",
                 options.endpoint, r->status);
  co_return std::nullopt;
}

asio::awaitable<result<std::vector<bool>>> client::impl::async_exists_by_heads(
    const std::string& bucket, const std::vector<std::string>& keys) {
  std::vector<char> found(keys.size(), 0);
  std::optional<error> first_error;
  std::mutex error_mutex;
  std::atomic<std::size_t> next{0};
  co_await run_workers(std::min<std::size_t>(options.parallelism, keys.size()),
                       [&]() -> asio::awaitable<void> {
                         for (;;) {
                           const std::size_t i = next++;
                           if (i >= keys.size()) co_return;
                           {
                             std::lock_guard lock(error_mutex);
                             if (first_error) co_return;
                           }
                           auto info = co_await async_head(bucket, keys[i]);
                           if (info) {
                             found[i] = 1;
                           } else if (info.error().http_status != 404) {
                             std::lock_guard lock(error_mutex);
                             if (!first_error) first_error = info.error();
                           }
                         }
                       });
  if (first_error) co_return *first_error;
  co_return std::vector<bool>(found.begin(), found.end());
}

asio::awaitable<result<void>> client::impl::async_remove(std::string bucket, std::string key) {
  request_spec spec;
  spec.method = http::verb::delete_;
  spec.bucket = std::move(bucket);
  spec.key = std::move(key);
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status != 204 && r->status != 200) co_return http_error(*r);
  co_return result<void>{};
}

asio::awaitable<result<void>> client::impl::async_create_bucket_on(
    std::string bucket, std::optional<cluster_route> route) {
  request_spec spec;
  spec.method = http::verb::put;
  spec.bucket = std::move(bucket);
  spec.route = std::move(route);
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status == 200) co_return result<void>{};
  auto e = http_error(*r);
  if (e.s3_code == "BucketAlreadyOwnedByYou") co_return result<void>{};
  co_return e;
}

asio::awaitable<result<list_v2_result>> client::impl::async_list_page(std::string bucket,
                                                                      std::string prefix,
                                                                      std::string delimiter,
                                                                      std::string token,
                                                                      unsigned page_size) {
  request_spec spec;
  spec.method = http::verb::get;
  spec.bucket = std::move(bucket);
  spec.query.push_back({"list-type", "2", true});
  spec.query.push_back({"max-keys", std::to_string(page_size), true});
  if (!prefix.empty()) spec.query.push_back({"prefix", prefix, true});
  if (!delimiter.empty()) spec.query.push_back({"delimiter", delimiter, true});
  if (!token.empty()) spec.query.push_back({"continuation-token", token, true});
  body_sink sink;
  auto r = co_await async_request(std::move(spec), sink);
  if (!r) co_return r.error();
  if (r->status != 200) co_return http_error(*r);
  auto parsed = parse_list_v2(r->text);
  if (!parsed) co_return make_error(sdk_errc::protocol_error, "malformed ListBucketResult");
  if (parsed->truncated && parsed->next_token.empty())
    co_return make_error(sdk_errc::protocol_error,
                         "truncated listing without a continuation token");
  co_return std::move(*parsed);
}

}  // namespace kvgate::sdk
