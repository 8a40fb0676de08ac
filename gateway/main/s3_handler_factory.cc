// Placeholder S3 front end: every request gets 501 NotImplemented with an S3
// XML error body. Replaced by the S3 router.
#include "s3_handler_factory.h"

namespace kvgate::cli {
namespace {

namespace http = boost::beast::http;

class not_implemented_handler final : public gateway::request_handler {
 public:
  gateway::asio::awaitable<void> async_handle(gateway::request_context& ctx) override {
    const std::string body = gateway::render_s3_error_xml(
        "NotImplemented", "A header you provided implies functionality that is not implemented.",
        ctx.request_id());
    http::response_header<> head;
    head.result(http::status::not_implemented);
    head.set(http::field::content_type, "application/xml");
    if (!co_await ctx.async_write_head(std::move(head), body.size())) co_return;
    if (!co_await ctx.async_write_body(std::as_bytes(std::span(body)))) co_return;
    (void)co_await ctx.async_finish();
  }
};

}  // namespace

boost::system::result<s3_frontend, std::string> make_s3_frontend(
    const gateway::server_config&, const gateway::credentials&, boost::asio::thread_pool&) {
  s3_frontend f;
  f.handler = std::make_unique<not_implemented_handler>();
  f.hooks.render_error = gateway::default_render_error;
  f.hooks.ready = [] { return true; };
  return f;
}

}  // namespace kvgate::cli
