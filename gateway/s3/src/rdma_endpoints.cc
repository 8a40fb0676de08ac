// The RDMA control endpoints under /.rdma/v1/ (docs/rdma-protocol.md §2–3):
// capability discovery and session create / delete, signed like any S3
// request (the leading "." keeps them out of the bucket namespace).
#include <fmt/format.h>

#include "kvgate/rdma/capabilities.h"
#include "kvgate/rdma/reply.h"
#include "rdma_request.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

asio::awaitable<void> async_create_session(op_context& op) {
  rdma_gateway* gw = op.service.rdma.get();
  if (gw == nullptr)
    co_return co_await async_send_rdma_decline(op, rdma::decline_reason::not_enabled);
  auto grant = gw->sessions().create(op.caller.access_key);
  if (!grant) {
    co_return co_await async_send_rdma_decline(
        op, rdma::decline_reason_for(grant.error()).value_or(rdma::decline_reason::busy));
  }
  rdma::session_created created;
  created.session = grant->id;
  created.secret = grant->secret;
  created.listener = gw->listener();
  created.limits = gw->advertised_limits();
  http::fields h;
  h.set(rdma::header::session, rdma::to_string(grant->id));
  std::string body = rdma::render_session_created(created);
  co_await async_send_json(op.ctx, http::status::created, std::move(body), std::move(h));
}

asio::awaitable<void> async_delete_session(op_context& op, std::string_view id_text) {
  // Always 204: an unknown id or another key's session is not disclosed.
  if (rdma_gateway* gw = op.service.rdma.get(); gw != nullptr) {
    if (auto id = rdma::parse_session_id(id_text))
      (void)gw->sessions().remove(*id, op.caller.access_key);
  }
  co_await async_send_empty(op.ctx, http::status::no_content, {});
}

}  // namespace

asio::awaitable<void> async_rdma_endpoint(op_context& op) {
  const std::string& path = op.req.key;  // after "/.rdma/"
  const std::string& method = op.req.method;
  constexpr std::string_view kSessionPrefix = "v1/sessions/";
  if (path == "v1/capabilities" && (method == "GET" || method == "HEAD")) {
    // Built outside the co_await: g++ 12 mishandles temporaries with
    // destructors inside a co_await operand (the frame resumed into ud2).
    std::string body = rdma::render_capabilities(rdma_capabilities(op.service.rdma.get()));
    co_return co_await async_send_json(op.ctx, http::status::ok, std::move(body));
  }
  if (path == "v1/sessions" && method == "POST") co_return co_await async_create_session(op);
  if (path.starts_with(kSessionPrefix) && method == "DELETE") {
    co_return co_await async_delete_session(op,
                                            std::string_view(path).substr(kSessionPrefix.size()));
  }
  co_await op.async_fail(s3_error::not_implemented,
                         fmt::format("{} /.rdma/{} is not an RDMA endpoint.", method, path));
}

}  // namespace kvgate::s3
