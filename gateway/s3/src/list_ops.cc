// ListObjects (v1), ListObjectsV2 and ListObjectVersions over the engine's
// ordered listing. Continuation tokens are opaque to clients: base64 of the
// last key or common prefix returned (the engine's next_start_after).
#include <charconv>

#include "kvgate/protocol/encoding.h"
#include "kvgate/s3xml/list_documents.h"
#include "operations.h"
#include "transfer_operations.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;

constexpr int kMaxListKeys = 1000;

struct list_query {
  erasure::list_params params;
  int requested_max = kMaxListKeys;  // echoed as MaxKeys
  bool url_encoding = false;
};

std::string param_value(const op_context& op, std::string_view name) {
  const auto* p = op.req.param(name);
  return p ? p->value : std::string();
}

boost::system::result<int, s3_failure> parse_max(const op_context& op, std::string_view name) {
  const auto* p = op.req.param(name);
  if (!p) return kMaxListKeys;
  int value = 0;
  const auto [end, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), value);
  if (p->value.empty() || ec != std::errc() || end != p->value.data() + p->value.size() ||
      value < 0) {
    return s3_failure{s3_error::invalid_argument,
                      std::string(name) + " must be a non-negative integer"};
  }
  return value;
}

// Prefix, delimiter, max-keys and encoding-type, common to all listings.
boost::system::result<list_query, s3_failure> parse_common(const op_context& op) {
  list_query q;
  q.params.prefix = param_value(op, "prefix");
  q.params.delimiter = param_value(op, "delimiter");
  auto max = parse_max(op, "max-keys");
  if (!max) return max.error();
  q.requested_max = *max;
  q.params.max_keys = std::min(*max, kMaxListKeys);
  if (const auto* enc = op.req.param("encoding-type")) {
    if (enc->value != "url")
      return s3_failure{s3_error::invalid_argument, "Invalid Encoding Method specified in Request"};
    q.url_encoding = true;
  }
  return q;
}

s3xml::listing_page page_from(const op_context& op, const list_query& q,
                              const erasure::list_result& r, bool with_owner) {
  s3xml::listing_page page;
  page.bucket = op.req.bucket;
  page.prefix = q.params.prefix;
  page.delimiter = q.params.delimiter;
  page.max_keys = q.requested_max;
  page.truncated = r.truncated;
  page.url_encoding = q.url_encoding;
  page.common_prefixes = r.common_prefixes;
  page.objects.reserve(r.objects.size());
  for (const auto& e : r.objects) {
    s3xml::object_entry entry;
    entry.key = e.key;
    entry.mtime_ns = e.mtime_ns;
    entry.etag = e.etag;
    entry.size = e.size;
    if (with_owner) entry.object_owner = s3xml::owner{e.owner, e.owner};
    page.objects.push_back(std::move(entry));
  }
  return page;
}

asio::awaitable<erasure::result<erasure::list_result>> async_list(op_context& op,
                                                                  const list_query& q) {
  if (q.params.max_keys == 0) co_return erasure::list_result{};
  const std::string bucket = op.req.bucket;
  co_return co_await op.async_storage([&] { return op.store().list(bucket, q.params); });
}

asio::awaitable<void> async_list_v1(op_context& op, list_query& q) {
  s3xml::list_objects_v1_document doc;
  doc.marker = param_value(op, "marker");
  q.params.start_after = doc.marker;
  auto listed = co_await async_list(op, q);
  if (!listed) co_return co_await op.async_fail(listed.error());
  doc.page = page_from(op, q, *listed, true);
  doc.next_marker = listed->next_start_after;
  std::string xml = s3xml::render_list_objects_v1(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

asio::awaitable<void> async_list_v2(op_context& op, list_query& q) {
  s3xml::list_objects_v2_document doc;
  if (const auto* token = op.req.param("continuation-token")) {
    auto decoded = protocol::base64_decode(token->value);
    if (!decoded || token->value.empty()) {
      co_return co_await op.async_fail(s3_error::invalid_argument,
                                       "The continuation token provided is incorrect");
    }
    doc.continuation_token = token->value;
    q.params.start_after.assign(reinterpret_cast<const char*>(decoded->data()), decoded->size());
  }
  if (const auto* start = op.req.param("start-after")) {
    doc.start_after = start->value;
    if (!doc.continuation_token) q.params.start_after = start->value;
  }
  const auto* fetch_owner = op.req.param("fetch-owner");
  const bool with_owner = fetch_owner && fetch_owner->value == "true";
  auto listed = co_await async_list(op, q);
  if (!listed) co_return co_await op.async_fail(listed.error());
  doc.page = page_from(op, q, *listed, with_owner);
  if (listed->truncated)
    doc.next_continuation_token =
        protocol::base64_encode(protocol::as_bytes(listed->next_start_after));
  std::string xml = s3xml::render_list_objects_v2(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

}  // namespace

asio::awaitable<void> async_list_objects(op_context& op) {
  auto q = parse_common(op);
  if (!q) co_return co_await op.async_fail(q.error());
  const auto* type = op.req.param("list-type");
  if (type && type->value == "2") co_return co_await async_list_v2(op, *q);
  if (type && type->value != "1")
    co_return co_await op.async_fail(s3_error::invalid_argument, "Invalid list-type");
  co_await async_list_v1(op, *q);
}

asio::awaitable<void> async_list_object_versions(op_context& op) {
  auto q = parse_common(op);
  if (!q) co_return co_await op.async_fail(q.error());
  s3xml::list_versions_document doc;
  doc.key_marker = param_value(op, "key-marker");
  doc.version_id_marker = param_value(op, "version-id-marker");
  q->params.start_after = doc.key_marker;
  auto listed = co_await async_list(op, *q);
  if (!listed) co_return co_await op.async_fail(listed.error());
  doc.page = page_from(op, *q, *listed, true);
  doc.next_key_marker = listed->next_start_after;
  doc.next_version_id_marker = "null";
  std::string xml = s3xml::render_list_versions(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

}  // namespace kvgate::s3
