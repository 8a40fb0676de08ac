#include "rdma_upload.h"

#include <charconv>

namespace kvgate::s3 {

using protocol::s3_error;

boost::system::result<std::uint64_t, s3_failure> plan_rdma_upload(const op_context& op,
                                                                  body_plan& plan) {
  const auto declared = op.ctx.content_length();
  if (!declared || *declared != 0 || plan.chunked) {
    return s3_failure{s3_error::invalid_request,
                      "An RDMA upload carries no HTTP body: send Content-Length: 0."};
  }
  const std::string_view text = op.header(rdma::header::content_length);
  std::uint64_t bytes = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return s3_failure{s3_error::invalid_argument,
                      "x-amz-rdma-content-length must be the decimal payload size."};
  }
  if (!plan.checksum || !plan.checksum_value || plan.checksum_value->empty() ||
      (*plan.checksum != protocol::checksum_algorithm::crc32c &&
       *plan.checksum != protocol::checksum_algorithm::crc64nvme)) {
    return s3_failure{s3_error::invalid_request,
                      "An RDMA upload needs x-amz-checksum-crc32c or x-amz-checksum-crc64nvme "
                      "of the payload."};
  }
  plan.decoded_length = bytes;
  // x-amz-content-sha256 covers the (empty) HTTP body; the payload is guarded
  // by the required checksum instead.
  plan.sha256_hex.reset();
  return bytes;
}

asio::awaitable<std::optional<upload_failure>> async_upload_rdma(op_context& op,
                                                                 rdma::rdma_transfer& transfer,
                                                                 body_digests& digests,
                                                                 erasure::object_writer& writer,
                                                                 protocol::hasher* also) {
  for (;;) {
    auto data = co_await transfer.async_next_read();
    if (!data) break;  // async_finish() reports the transfer's failure
    if (data->empty()) break;
    auto written = co_await async_store_piece(op, digests, writer, also, *data);
    if (!written) {
      (void)co_await transfer.async_finish();  // drain before the staging is reused
      co_return storage_failure(op, written.error());
    }
  }
  auto moved = co_await transfer.async_finish();
  if (!moved || *moved != digests.bytes()) {
    co_return upload_failure{s3_failure{s3_error::rdma_transfer_failed, {}}, false};
  }
  op.service.rdma_stats.bytes_received.fetch_add(*moved, std::memory_order_relaxed);
  co_return std::nullopt;
}

void set_rdma_success_headers(http::fields& h, std::string_view reply, std::uint64_t bytes) {
  h.set(rdma::header::reply, reply);
  h.set(rdma::header::bytes_transferred, std::to_string(bytes));
}

}  // namespace kvgate::s3
