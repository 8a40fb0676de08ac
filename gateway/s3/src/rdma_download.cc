#include "rdma_download.h"

namespace kvgate::s3 {

asio::awaitable<rdma_download_outcome> async_download_rdma(op_context& op,
                                                           rdma::rdma_transfer& transfer,
                                                           erasure::object_reader& reader) {
  rdma_download_outcome out;
  for (;;) {
    auto chunk = co_await transfer.async_next_chunk();
    if (!chunk || chunk->empty()) break;  // async_finish() reports a failure
    const std::span<std::byte> dest = *chunk;
    // Fill the whole piece: the reader may return short reads.
    auto filled = co_await op.async_storage([&reader, dest]() -> erasure::result<std::size_t> {
      std::size_t done = 0;
      while (done < dest.size()) {
        auto n = reader.read(dest.subspan(done));
        if (!n) return n.error();
        if (*n == 0) break;
        done += *n;
      }
      return done;
    });
    if (!filled || *filled != dest.size()) {
      out.storage = filled ? make_error_code(erasure::errc::corrupt) : filled.error();
      break;
    }
    if (auto posted = transfer.post_write(); !posted) break;
    out.posted_any = true;
  }
  out.moved = co_await transfer.async_finish();
  if (out.moved) op.service.rdma_stats.bytes_sent.fetch_add(*out.moved, std::memory_order_relaxed);
  co_return out;
}

}  // namespace kvgate::s3
