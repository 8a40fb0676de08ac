// DeleteObjects (POST /bucket?delete): up to 1000 keys per request, verbose or
// quiet. The body is verified like any upload (Content-MD5 or x-amz-checksum-*
// when sent; AWS requires one, kvgate accepts none too) before it is parsed.
// Each key is deleted independently; a failure becomes an <Error> entry.
#include "kvgate/erasure/store.h"
#include "kvgate/s3xml/object_documents.h"
#include "kvgate/s3xml/request_documents.h"
#include "operations.h"
#include "transfer_operations.h"
#include "xml_request_body.h"

namespace kvgate::s3 {

asio::awaitable<void> async_delete_objects(op_context& op) {
  using protocol::s3_error;
  auto body = co_await async_read_xml_body(op, s3xml::kMaxDeleteBodyBytes);
  if (!body) co_return co_await op.async_fail(body.error());
  auto request = s3xml::parse_delete_request(*body);
  if (!request) {
    const std::string message = request.error().message();
    co_return co_await op.async_fail(s3xml::to_s3_error(request.error()), message);
  }

  const std::string bucket = op.req.bucket;
  s3xml::delete_result_document doc;
  doc.quiet = request->quiet;
  co_await op.async_storage([&] {
    for (const auto& target : request->objects) {
      auto fail = [&](s3_error e, std::string_view message) {
        doc.errors.push_back({target.key, target.version_id,
                              std::string(protocol::error_code_name(e)),
                              std::string(message.empty() ? protocol::info(e).message : message)});
      };
      if (target.key.empty()) {
        fail(s3_error::invalid_argument, "The key must not be empty");
        continue;
      }
      if (target.key.size() > erasure::kMaxKeyBytes) {
        fail(s3_error::key_too_long, {});
        continue;
      }
      if (!target.version_id.empty() && target.version_id != "null") {
        fail(s3_error::invalid_argument, "Invalid version id specified");
        continue;
      }
      auto removed = op.store().remove(bucket, target.key);
      if (!removed) {
        fail(s3_error_for(removed.error()), {});
        continue;
      }
      doc.deleted.push_back({target.key, target.version_id});
    }
  });
  std::string xml = s3xml::render_delete_result(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

}  // namespace kvgate::s3
