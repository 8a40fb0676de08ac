// GetObject and HeadObject: conditionals (RFC 7232 precedence), Range /
// If-Range / ?partNumber, response-* overrides, checksums on full reads with
// x-amz-checksum-mode: ENABLED, then the body streamed from the engine's
// object_reader: the next chunk is read on the blocking pool while the
// previous one is being written to the socket (two bounded buffers).
//
// g++ 12 at -O2 with ASan inlines Asio's coroutine frame allocator
// (aligned_alloc) and its sized operator delete and reports a false
// -Wmismatched-new-delete at the end of the coroutines here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <charconv>
#include <memory>

#include "kvgate/protocol/range.h"
#include "kvgate/s3/conditionals.h"
#include "kvgate/s3/object_headers.h"
#include "operations.h"
#include "rdma_download.h"
#include "rdma_upload.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

struct read_plan {
  protocol::resolved_range range;
  bool by_part = false;
};

// Resolves ?partNumber=N (1-based) against the object's parts.
boost::system::result<read_plan, s3_failure> plan_part(const erasure::object_info& info, int part) {
  read_plan p;
  p.by_part = true;
  const std::size_t count = info.multipart ? info.parts.size() : 1;
  if (part < 1 || static_cast<std::size_t>(part) > count) {
    return s3_failure{s3_error::invalid_range, "The requested partnumber is not satisfiable"};
  }
  if (!info.multipart) {
    p.range = {0, info.size, info.size > 0};
    return p;
  }
  std::uint64_t offset = 0;
  for (int i = 0; i + 1 < part; ++i) offset += info.parts[static_cast<std::size_t>(i)].size;
  p.range = {offset, info.parts[static_cast<std::size_t>(part - 1)].size, true};
  return p;
}

}  // namespace

asio::awaitable<void> async_get_object(op_context& op) {
  using namespace boost::asio::experimental::awaitable_operators;
  const bool is_head = op.op == operation::head_object;
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;

  std::optional<int> part_number;
  if (const auto* p = op.req.param("partNumber")) {
    int n = 0;
    auto [end, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), n);
    if (ec != std::errc() || end != p->value.data() + p->value.size() || n < 1 || n > 10000) {
      co_return co_await op.async_fail(
          s3_error::invalid_argument,
          "Part number must be an integer between 1 and 10000, inclusive");
    }
    if (op.has_header("range")) {
      co_return co_await op.async_fail(
          s3_error::invalid_request,
          "Cannot specify both Range header and partNumber query parameter");
    }
    part_number = n;
  }

  conditional_headers cond;
  if (op.has_header("if-match")) cond.if_match = op.header("if-match");
  if (op.has_header("if-none-match")) cond.if_none_match = op.header("if-none-match");
  if (op.has_header("if-modified-since")) cond.if_modified_since = op.header("if-modified-since");
  if (op.has_header("if-unmodified-since"))
    cond.if_unmodified_since = op.header("if-unmodified-since");

  // The RDMA fast path (docs/rdma-protocol.md): GetObject only, not HEAD.
  std::optional<rdma_ask> rdma;
  if (!is_head) {
    auto ask = read_rdma_ask(op);
    if (!ask) co_return co_await op.async_fail(ask.error());
    rdma = std::move(*ask);
  }

  // The reader pins one version; if it differs from the one the headers were
  // computed for (an overwrite in between), start again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto info = co_await op.async_head(bucket, key);
    if (!info) co_return co_await op.async_fail(info.error());
    const auto mtime = seconds_from_ns(info->mtime_ns);

    switch (evaluate_read_conditions(cond, info->etag, mtime)) {
      case condition_outcome::proceed:
        break;
      case condition_outcome::not_modified: {
        http::fields h;
        h.set(http::field::etag, info->etag);
        h.set(http::field::last_modified, http_date_from_ns(info->mtime_ns));
        co_return co_await op.async_fail(s3_error::not_modified, {}, std::move(h));
      }
      case condition_outcome::precondition_failed:
        co_return co_await op.async_fail(s3_error::precondition_failed);
    }

    read_plan plan;
    if (part_number) {
      auto p = plan_part(*info, *part_number);
      if (!p) co_return co_await op.async_fail(p.error());
      plan = *p;
    } else {
      protocol::range_spec spec = protocol::no_range{};
      if (op.has_header("range")) {
        spec = protocol::parse_range(op.header("range"));
        if (op.has_header("if-range") &&
            !if_range_holds(op.header("if-range"), info->etag, mtime)) {
          spec = protocol::no_range{};
        }
      }
      auto resolved = protocol::resolve(spec, info->size);
      if (!resolved) {
        http::fields h;
        h.set(http::field::content_range, protocol::unsatisfied_content_range(info->size));
        co_return co_await op.async_fail(s3_error::invalid_range, {}, std::move(h));
      }
      plan.range = *resolved;
    }

    http::fields h;
    set_object_headers(h, *info, op.req.query);
    const bool partial = plan.range.partial && !(plan.by_part && !info->multipart);
    if (partial && plan.range.length > 0) {
      h.set(http::field::content_range, protocol::content_range(plan.range, info->size));
    }
    if (part_number && info->multipart)
      h.set("x-amz-mp-parts-count", std::to_string(info->parts.size()));
    if (!partial && !info->checksum.algorithm.empty() &&
        boost::algorithm::iequals(op.header("x-amz-checksum-mode"), "ENABLED")) {
      h.set("x-amz-checksum-" + boost::algorithm::to_lower_copy(info->checksum.algorithm),
            info->checksum.value);
      if (!info->checksum.type.empty()) h.set("x-amz-checksum-type", info->checksum.type);
    }
    const auto status = partial ? http::status::partial_content : http::status::ok;

    std::optional<rdma::rdma_transfer> transfer;
    if (rdma) {
      transfer = admit_rdma_transfer(op, *rdma, rdma::transfer_direction::write_to_client,
                                     plan.range.length);
      if (!transfer) {
        if (rdma->fallback == rdma::fallback_mode::none)
          co_return co_await async_send_rdma_decline(op, *rdma->decline);
        set_decline_headers(h, *rdma->decline);  // the object goes in the body instead
      }
    }

    if (is_head || plan.range.length == 0) {
      if (!co_await op.ctx.async_write_head(make_head(status, h), plan.range.length)) co_return;
      (void)co_await op.ctx.async_finish();
      co_return;
    }

    const std::optional<erasure::byte_range> range =
        partial ? std::optional(erasure::byte_range{plan.range.offset,
                                                    plan.range.offset + plan.range.length - 1})
                : std::nullopt;
    auto opened =
        co_await op.async_storage([&] { return op.store().open_read(bucket, key, range); });
    if (!opened) co_return co_await op.async_fail(opened.error());
    std::unique_ptr<erasure::object_reader> reader = std::move(*opened);
    if (reader->info().data_id != info->data_id) {
      co_await op.async_storage([&] { reader.reset(); });
      continue;
    }

    if (transfer) {
      auto outcome = co_await async_download_rdma(op, *transfer, *reader);
      co_await op.async_storage([&] { reader.reset(); });
      if (outcome.storage) co_return co_await op.async_fail(*outcome.storage);
      if (outcome.moved && *outcome.moved == plan.range.length) {
        set_rdma_success_headers(h, partial ? rdma::reply_value::partial : rdma::reply_value::ok,
                                 *outcome.moved);
        if (!co_await op.ctx.async_write_head(make_head(status, h), std::uint64_t{0})) co_return;
        (void)co_await op.ctx.async_finish();
        co_return;
      }
      // Nothing reached the client window: the body can still carry the object.
      if (!outcome.posted_any && rdma->fallback == rdma::fallback_mode::body) {
        rdma->decline = rdma::decline_reason::transport_error;
        rdma->token.reset();
        continue;
      }
      co_return co_await async_send_rdma_failure(op);
    }

    const std::size_t buffer_bytes = static_cast<std::size_t>(
        std::min<std::uint64_t>(op.service.body_buffer_bytes, plan.range.length));
    // Not value-initialised: the reader fills every byte that is sent.
    auto current = std::make_unique_for_overwrite<std::byte[]>(buffer_bytes);
    auto next = std::make_unique_for_overwrite<std::byte[]>(buffer_bytes);
    auto first = co_await op.async_storage(
        [&] { return reader->read(std::span(current.get(), buffer_bytes)); });
    if (!first) {
      co_await op.async_storage([&] { reader.reset(); });
      co_return co_await op.async_fail(first.error());
    }
    if (!co_await op.ctx.async_write_head(make_head(status, h), plan.range.length)) {
      co_await op.async_storage([&] { reader.reset(); });
      co_return;
    }
    std::size_t have = *first;
    std::uint64_t sent = 0;
    bool ok = true;
    while (have > 0) {
      const std::span<const std::byte> out(current.get(), have);
      sent += have;
      if (sent >= plan.range.length) {
        ok = static_cast<bool>(co_await op.ctx.async_write_body(out));
        have = 0;
        break;
      }
      auto [written, got] = co_await (op.ctx.async_write_body(out) && op.async_storage([&] {
        return reader->read(std::span(next.get(), buffer_bytes));
      }));
      if (!written || !got) {
        ok = false;
        break;
      }
      have = *got;
      std::swap(current, next);
    }
    co_await op.async_storage([&] { reader.reset(); });
    if (!ok || sent != plan.range.length) {
      op.ctx.set_close();  // the declared length cannot be met any more
      co_return;
    }
    (void)co_await op.ctx.async_finish();
    co_return;
  }
  co_await op.async_fail(s3_error::service_unavailable, "The object kept changing during the read");
}

}  // namespace kvgate::s3
