// Reader-to-writer streaming for the copy operations.
#include "object_pump.h"

#include <vector>

namespace kvgate::s3 {

asio::awaitable<erasure::result<pumped_digests>> async_pump_object(
    op_context& op, erasure::object_reader& reader, erasure::object_writer& writer,
    std::optional<protocol::checksum_algorithm> checksum) {
  protocol::hasher md5(protocol::checksum_algorithm::md5);
  std::optional<protocol::hasher> extra;
  if (checksum) extra.emplace(*checksum);
  std::vector<std::byte> buffer(op.service.body_buffer_bytes);
  pumped_digests out;
  for (;;) {
    // One blocking hop per buffer: read, hash, write.
    auto step = co_await op.async_storage([&]() -> erasure::result<std::size_t> {
      auto got = reader.read(buffer);
      if (!got || *got == 0) return got;
      const std::span<const std::byte> data(buffer.data(), *got);
      const protocol::byte_view view(reinterpret_cast<const std::uint8_t*>(data.data()),
                                     data.size());
      md5.update(view);
      if (extra) extra->update(view);
      auto written = writer.write(data);
      if (!written) return written.error();
      return got;
    });
    if (!step) co_return step.error();
    if (*step == 0) break;
    out.bytes += *step;
  }
  out.md5 = md5.finish();
  if (extra) out.checksum = extra->finish();
  co_return out;
}

}  // namespace kvgate::s3
