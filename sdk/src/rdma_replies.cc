#include "rdma_replies.h"

#include <charconv>

namespace kvgate::sdk::detail {

namespace {

std::optional<std::uint64_t> parse_count(std::string_view s) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<rdma_reply> classify_rdma_response(const rdma_response_view& r, rdma_operation op,
                                                 unsigned attempt) {
  rdma_reply reply;
  reply.operation = op;
  reply.attempt = attempt;
  const bool success_status = r.status == 200 || r.status == 206;
  if (r.reply == rdma::reply_value::ok || r.reply == rdma::reply_value::partial) {
    const auto moved = parse_count(r.bytes_transferred);
    if (!success_status || !moved) {
      reply.kind = reply_kind::transfer_failed;
      return reply;
    }
    reply.kind = reply_kind::completed;
    reply.bytes = *moved;
    return reply;
  }
  if (r.reply == rdma::reply_value::declined) {
    reply.reason = rdma::parse_decline_reason(r.reason);
    if (r.status == 500 || reply.reason == rdma::decline_reason::transport_error) {
      // 500 RdmaTransferFailed, or a fenced session (a GET whose transfer
      // failed before any byte was written still gets its body).
      reply.kind = r.status == 500 ? reply_kind::transfer_failed : reply_kind::declined;
      reply.body_delivered = op == rdma_operation::get && success_status;
      return reply;
    }
    reply.kind = reply_kind::declined;
    reply.body_delivered = op == rdma_operation::get && success_status;
    return reply;
  }
  if (r.status == 500 && r.s3_code == "RdmaTransferFailed") {
    reply.kind = reply_kind::transfer_failed;
    reply.reason = rdma::decline_reason::transport_error;
    return reply;
  }
  if (r.status == 400 && r.s3_code == rdma::kInvalidTokenCode) {
    reply.kind = reply_kind::malformed_token;
    return reply;
  }
  return std::nullopt;
}

rdma_reply rdma_no_response(bool timed_out, rdma_operation op, unsigned attempt) {
  rdma_reply reply;
  reply.kind = timed_out ? reply_kind::timed_out : reply_kind::connection_lost;
  reply.operation = op;
  reply.attempt = attempt;
  return reply;
}

}  // namespace kvgate::sdk::detail
