#include "kvgate/s3/response.h"

#include "kvgate/s3/storage_errors.h"

namespace kvgate::s3 {

http::response_header<> make_head(http::status status, const http::fields& headers) {
  http::response_header<> head;
  head.result(status);
  for (const auto& f : headers) head.insert(f.name_string(), f.value());
  return head;
}

asio::awaitable<void> async_send_error(gateway::request_context& ctx, protocol::s3_error e,
                                       std::string message, std::string resource,
                                       http::fields extra) {
  if (ctx.head_written()) {
    // Too late for a status: the client sees a truncated body.
    ctx.set_close();
    co_return;
  }
  if (is_retryable(e)) extra.set(http::field::retry_after, "1");
  auto head = make_head(static_cast<http::status>(protocol::http_status(e)), extra);
  const bool body_allowed =
      protocol::has_error_body(e) && ctx.header().method() != http::verb::head;
  if (!body_allowed) {
    if (!co_await ctx.async_write_head(std::move(head), std::uint64_t{0})) co_return;
    (void)co_await ctx.async_finish();
    co_return;
  }
  head.set(http::field::content_type, "application/xml");
  const std::string body = protocol::render_error_xml(e, message, resource, ctx.request_id());
  if (!co_await ctx.async_write_head(std::move(head), body.size())) co_return;
  if (!co_await ctx.async_write_body(std::as_bytes(std::span(body)))) co_return;
  (void)co_await ctx.async_finish();
}

asio::awaitable<void> async_send_json(gateway::request_context& ctx, http::status status,
                                      std::string body, http::fields headers) {
  auto head = make_head(status, headers);
  head.set(http::field::content_type, "application/json");
  head.set(http::field::cache_control, "no-store");
  if (!co_await ctx.async_write_head(std::move(head), body.size())) co_return;
  if (!co_await ctx.async_write_body(std::as_bytes(std::span(body)))) co_return;
  (void)co_await ctx.async_finish();
}

asio::awaitable<void> async_send_xml(gateway::request_context& ctx, http::status status,
                                     std::string body, http::fields headers) {
  auto head = make_head(status, headers);
  head.set(http::field::content_type, "application/xml");
  if (!co_await ctx.async_write_head(std::move(head), body.size())) co_return;
  if (!body.empty() && !co_await ctx.async_write_body(std::as_bytes(std::span(body)))) co_return;
  (void)co_await ctx.async_finish();
}

asio::awaitable<void> async_send_empty(gateway::request_context& ctx, http::status status,
                                       http::fields headers) {
  auto head = make_head(status, headers);
  if (!co_await ctx.async_write_head(std::move(head), std::uint64_t{0})) co_return;
  (void)co_await ctx.async_finish();
}

}  // namespace kvgate::s3
