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

asio::awaitable<erasure::result<void>> async_store_piece(op_context& op, body_digests& digests,
                                                         erasure::object_writer& writer,
                                                         protocol::hasher* also,
                                                         std::span<const std::byte> data) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto hash = op.async_storage([&digests, also, data] {
    digests.update(data);
    if (also != nullptr)
      also->update(
          protocol::byte_view(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  });
  auto write = op.async_storage([&writer, data] { return writer.write(data); });
  co_return co_await (std::move(hash) && std::move(write));
}

upload_failure storage_failure(op_context& op, const std::error_code& ec) {
  op.ctx.set_close();  // the rest of the body is not worth draining
  return upload_failure{s3_failure{s3_error_for(ec), {}}, true};
}

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

  auto first = co_await pipeline.async_fill(current.span());
  if (!first) co_return upload_failure{first.error()};
  std::size_t have = *first;
  while (have > 0) {
    const std::span<const std::byte> data(current.bytes.get(), have);
    if (have < current.size) {
      // async_fill() comes back short only at the end of the body: nothing
      // left to overlap with.
      auto written = co_await async_store_piece(op, digests, writer, also, data);
      if (!written) co_return storage_failure(op, written.error());
      break;
    }
    auto [written, filled] = co_await (async_store_piece(op, digests, writer, also, data) &&
                                       pipeline.async_fill(next.span()));
    if (!written) co_return storage_failure(op, written.error());
    if (!filled) co_return upload_failure{filled.error()};
    have = *filled;
    std::swap(current, next);
  }
  co_return std::nullopt;
}

}  // namespace kvgate::s3
