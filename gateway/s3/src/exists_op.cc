// BatchExists (POST /bucket?kvgate-exists, docs/api.md): a kvgate extension
// that answers, for up to 1000 keys of one bucket, which exist (with size,
// ETag and LastModified), in request order, so a client checks a whole
// prompt's chunks in one round trip instead of serial HEADs.
//
// The body is read and verified like DeleteObjects'. Lookups are answered
// from the index's memory on the connection strand (store::head_cached);
// keys the cache cannot answer go to the blocking pool together, in one hop.
#include <vector>

#include "kvgate/erasure/store.h"
#include "kvgate/s3xml/object_documents.h"
#include "kvgate/s3xml/request_documents.h"
#include "operations.h"
#include "transfer_operations.h"
#include "xml_request_body.h"

namespace kvgate::s3 {
namespace {

// Fills `entry` from a lookup result; false when the result is an error other
// than "not found" (the caller fails the request with it).
bool record(s3xml::exists_entry& entry, const erasure::result<erasure::object_info>& found,
            std::error_code& failure) {
  if (found) {
    entry.exists = true;
    entry.size = found->size;
    entry.etag = found->etag;
    entry.mtime_ns = found->mtime_ns;
    return true;
  }
  if (found.error() == erasure::errc::object_not_found) return true;
  failure = found.error();
  return false;
}

}  // namespace

asio::awaitable<void> async_batch_exists(op_context& op) {
  using protocol::s3_error;
  auto body = co_await async_read_xml_body(op, s3xml::kMaxExistsBodyBytes);
  if (!body) co_return co_await op.async_fail(body.error());
  auto keys = s3xml::parse_exists_request(*body);
  if (!keys) {
    const std::string message = keys.error().message();
    co_return co_await op.async_fail(s3xml::to_s3_error(keys.error()), message);
  }
  for (const auto& key : *keys) {
    if (key.empty()) co_return co_await op.async_fail(s3_error::invalid_argument, "Empty key");
    if (key.size() > erasure::kMaxKeyBytes)
      co_return co_await op.async_fail(s3_error::key_too_long);
  }

  const std::string& bucket = op.req.bucket;
  std::vector<s3xml::exists_entry> entries(keys->size());
  std::vector<std::size_t> misses;
  std::error_code failure;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    entries[i].key = (*keys)[i];
    auto found = op.store().head_cached(bucket, entries[i].key);
    if (!found && found.error() == erasure::errc::would_block) {
      misses.push_back(i);
      continue;
    }
    if (!record(entries[i], found, failure)) break;
  }
  if (!failure && !misses.empty()) {
    co_await op.async_storage([&] {
      for (const std::size_t i : misses) {
        if (!record(entries[i], op.store().head(bucket, entries[i].key), failure)) return;
      }
    });
  }
  if (failure) co_return co_await op.async_fail(failure);
  std::string xml = s3xml::render_exists_result(entries);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

}  // namespace kvgate::s3
