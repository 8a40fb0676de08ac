// Small XML request bodies, verified like uploads and bounded in size.
#include "xml_request_body.h"

namespace kvgate::s3 {

asio::awaitable<boost::system::result<std::string, s3_failure>> async_read_xml_body(
    op_context& op, std::size_t max_bytes) {
  using protocol::s3_error;
  auto plan = plan_body(op.req, op.ctx.header(), op.ctx.content_length());
  if (!plan) co_return plan.error();
  if (plan->decoded_length && *plan->decoded_length > max_bytes) {
    co_return s3_failure{s3_error::max_message_length_exceeded, {}};
  }
  body_pipeline pipeline(op.ctx, op.req, *plan,
                         std::min<std::size_t>(op.service.body_buffer_bytes, 64 << 10));
  body_digests digests(*plan);
  std::string body;
  for (;;) {
    auto chunk = co_await pipeline.async_next();
    if (!chunk) co_return chunk.error();
    if (chunk->empty()) break;
    if (body.size() + chunk->size() > max_bytes) {
      op.ctx.set_close();
      co_return s3_failure{s3_error::max_message_length_exceeded, {}};
    }
    digests.update(*chunk);
    body.append(reinterpret_cast<const char*>(chunk->data()), chunk->size());
  }
  digests.finish();
  auto checked = pipeline.finish(digests);
  if (!checked) co_return checked.error();
  co_return body;
}

}  // namespace kvgate::s3
