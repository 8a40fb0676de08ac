#include "rdma_request.h"

#include <fmt/format.h>

#include "kvgate/rdma/token.h"

namespace kvgate::s3 {

using protocol::s3_error;

boost::system::result<std::optional<rdma_ask>, s3_failure> read_rdma_ask(const op_context& op) {
  if (!op.has_header(rdma::header::token)) return std::optional<rdma_ask>();
  rdma_ask ask;
  std::optional<std::string_view> fallback;
  if (op.has_header(rdma::header::fallback)) fallback = op.header(rdma::header::fallback);
  auto mode = rdma::parse_fallback(fallback);
  if (!mode) {
    return s3_failure{s3_error::invalid_argument,
                      "x-amz-rdma-fallback must be \"body\" or \"none\"."};
  }
  ask.fallback = *mode;
  auto token = rdma::parse_token(op.header(rdma::header::token));
  if (!token) {
    if (token.error() == rdma::rdma_errc::unsupported_transport) {
      ask.decline = rdma::decline_reason::transport_unsupported;
      return std::optional<rdma_ask>(std::move(ask));
    }
    return s3_failure{s3_error::invalid_rdma_token, token.error().message()};
  }
  ask.token = *token;
  if (!op.service.rdma) ask.decline = rdma::decline_reason::not_enabled;
  return std::optional<rdma_ask>(std::move(ask));
}

std::optional<rdma::rdma_transfer> admit_rdma_transfer(op_context& op, rdma_ask& ask,
                                                       rdma::transfer_direction direction,
                                                       std::uint64_t bytes) {
  if (ask.decline || !ask.token || !op.service.rdma) {
    if (!ask.decline) ask.decline = rdma::decline_reason::not_enabled;
    return std::nullopt;
  }
  auto t = rdma::rdma_transfer::begin(op.service.rdma->services(), *ask.token, op.caller.access_key,
                                      direction, bytes);
  if (!t) {
    ask.decline =
        rdma::decline_reason_for(t.error()).value_or(rdma::decline_reason::transport_error);
    return std::nullopt;
  }
  return std::move(*t);
}

void set_decline_headers(http::fields& h, rdma::decline_reason reason) {
  h.set(rdma::header::reply, rdma::reply_value::declined);
  h.set(rdma::header::reason, rdma::to_string(reason));
}

asio::awaitable<void> async_send_rdma_decline(op_context& op, rdma::decline_reason reason) {
  op.service.rdma_stats.decline(reason);
  http::fields h;
  set_decline_headers(h, reason);
  const bool busy = reason == rdma::decline_reason::busy;
  co_await op.async_fail(busy ? s3_error::rdma_declined_busy : s3_error::rdma_declined,
                         fmt::format("RDMA declined: {}.", rdma::to_string(reason)), std::move(h));
}

asio::awaitable<void> async_send_rdma_failure(op_context& op) {
  op.service.rdma_stats.decline(rdma::decline_reason::transport_error);
  http::fields h;
  set_decline_headers(h, rdma::decline_reason::transport_error);
  co_await op.async_fail(s3_error::rdma_transfer_failed, {}, std::move(h));
}

}  // namespace kvgate::s3
