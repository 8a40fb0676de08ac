// get() into a buffer above parallel_get_threshold: the first part_size range
// tells the object size and ETag (as LMCache's CRT reads do); the remaining
// ranges are fetched by `parallelism` workers straight into their place in
// the caller's buffer, each with If-Match on that ETag so a concurrent
// overwrite fails the get instead of mixing two objects.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <charconv>

#include "client_impl.h"
#include "parallel_workers.h"

namespace kvgate::sdk {

using namespace detail;

asio::awaitable<result<get_result>> client::impl::async_parallel_get(std::string bucket,
                                                                     std::string key,
                                                                     std::span<std::byte> buffer) {
  const std::uint64_t part = std::max<std::uint64_t>(options.part_size, 1);
  auto first = co_await async_tcp_get(
      bucket, key, buffer.first(std::min<std::uint64_t>(part, buffer.size())), byte_range{0, part});
  if (!first) {
    if (first.error().http_status == 416)  // empty object: no range is satisfiable
      co_return co_await async_tcp_get(bucket, key, buffer.first(0), std::nullopt);
    co_return first.error();
  }
  get_result out = *first;
  if (out.object_size <= out.bytes) co_return out;
  if (out.object_size > buffer.size()) {
    co_return make_error(sdk_errc::buffer_too_small,
                         "object of " + std::to_string(out.object_size) +
                             " bytes does not fit the " + std::to_string(buffer.size()) +
                             "-byte buffer");
  }
  ++counters.ranged_gets;
  const std::uint64_t total = out.object_size;
  const std::size_t ranges = static_cast<std::size_t>((total - out.bytes + part - 1) / part);
  std::optional<error> first_error;
  std::mutex error_mutex;
  std::atomic<std::size_t> next{0};
  const std::uint64_t start = out.bytes;
  co_await run_workers(std::min<std::size_t>(options.parallelism, ranges),
                       [&]() -> asio::awaitable<void> {
                         for (;;) {
                           const std::size_t i = next++;
                           if (i >= ranges) co_return;
                           {
                             std::lock_guard lock(error_mutex);
                             if (first_error) co_return;
                           }
                           const std::uint64_t offset = start + i * part;
                           const std::uint64_t length = std::min(part, total - offset);
                           request_spec spec;
                           spec.method = http::verb::get;
                           spec.bucket = bucket;
                           spec.key = key;
                           spec.headers = {{"range", "bytes=" + std::to_string(offset) + "-" +
                                                         std::to_string(offset + length - 1)},
                                           {"if-match", out.etag}};
                           body_sink sink;
                           sink.target = buffer.subspan(offset, length);
                           auto r = co_await async_request(std::move(spec), sink);
                           std::optional<error> failed;
                           if (!r)
                             failed = r.error();
                           else if (r->status != 206)
                             failed = http_error(*r);
                           else if (r->received != length)
                             failed = make_error(sdk_errc::protocol_error,
                                                 "short range at offset " + std::to_string(offset));
                           if (failed) {
                             std::lock_guard lock(error_mutex);
                             if (!first_error) first_error = std::move(failed);
                             co_return;
                           }
                         }
                       });
  if (first_error) co_return *first_error;
  out.bytes = total;
  out.ranges = static_cast<unsigned>(ranges + 1);
  out.checksum_verified = false;
  co_return out;
}

}  // namespace kvgate::sdk
