#include "body_upload.h"

#include <algorithm>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <memory>
#include <utility>

namespace kvgate::s3 {
namespace {

// A buffer that is never value-initialised: every byte handed on was
// written by the fill first.
struct upload_buffer {
  std::unique_ptr<std::byte[]> bytes;
  std::size_t size = 0;

  std::span<std::byte> span() {
    if (!bytes) bytes = std::make_unique_for_overwrite<std::byte[]>(size);
    return {bytes.get(), size};
  }
};

// The buffer size for a body of `declared` bytes (when known): no larger
// than the body, so small uploads do not map a whole megabyte.
std::size_t buffer_size(std::size_t configured, std::optional<std::uint64_t> declared) {
  const std::size_t bounded = std::max<std::size_t>(configured, 64 * 1024);
  if (!declared) return bounded;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(*declared, 1, bounded));
}

}  // namespace

asio::awaitable<std::optional<upload_failure>> async_upload_body(op_context& op,
                                                                 body_pipeline& pipeline,
                                                                 body_digests& digests,
                                                                 erasure::object_writer& writer,
                                                                 protocol::hasher* also) {
  using namespace boost::asio::experimental::awaitable_operators;
  const std::size_t size =
      buffer_size(op.service.body_buffer_bytes, pipeline.declared_payload_bytes());
  upload_buffer current{nullptr, size};
  upload_buffer next{nullptr, size};

  // The digests (MD5 for the ETag costs about as much CPU as the engine's
  // encode and checksums together) and the engine write run on two pool
  // threads at once; both only read the buffer.
  auto store_piece =
      [&op, &digests, &writer,
       also](std::span<const std::byte> data) -> asio::awaitable<erasure::result<void>> {
    auto hash = op.async_storage([&digests, also, data] {
      digests.update(data);
      if (also != nullptr)
        also->update(
            protocol::byte_view(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    });
    auto write = op.async_storage([&writer, data] { return writer.write(data); });
    co_return co_await (std::move(hash) && std::move(write));
  };

  auto first = co_await pipeline.async_fill(current.span());
  if (!first) co_return upload_failure{first.error()};
  std::size_t have = *first;
  while (have > 0) {
    const std::span<const std::byte> data(current.bytes.get(), have);
    if (have < current.size) {
      // A short fill means the body ended: nothing left to overlap with.
      auto written = co_await store_piece(data);
      if (!written) {
        op.ctx.set_close();
        co_return upload_failure{s3_failure{s3_error_for(written.error()), {}}, true};
      }
      auto end = co_await pipeline.async_fill(current.span());
      if (!end) co_return upload_failure{end.error()};
      if (*end == 0) break;
      have = *end;  // a body longer than declared: the pipeline reports it later
      continue;
    }
    auto [written, filled] = co_await (store_piece(data) && pipeline.async_fill(next.span()));
    if (!written) {
      op.ctx.set_close();
      co_return upload_failure{s3_failure{s3_error_for(written.error()), {}}, true};
    }
    if (!filled) co_return upload_failure{filled.error()};
    have = *filled;
    std::swap(current, next);
  }
  co_return std::nullopt;
}

}  // namespace kvgate::s3
