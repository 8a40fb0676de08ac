// put() above multipart_threshold: CreateMultipartUpload (CRC32C, FULL_OBJECT),
// parts of part_size uploaded by `parallelism` workers straight from the
// caller's span, each with x-amz-checksum-crc32c, then Complete (the server combines
// them into the whole-object CRC32C). Any part failure aborts the upload, so a failed put()
// never leaves a partial object behind.
// g++ 12 at -O2 with ASan reports a false -Wmismatched-new-delete at the end
// of Asio coroutines (as in gateway/s3/src/object_put.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <pugixml.hpp>

#include "client_impl.h"
#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/encoding.h"
#include "parallel_workers.h"

namespace kvgate::sdk {

using namespace detail;

namespace {

std::string complete_etag(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return {};
  return doc.child("CompleteMultipartUploadResult").child("ETag").text().as_string();
}

std::string crc32c_base64_of(std::uint32_t crc) {
  const std::uint8_t be[4] = {static_cast<std::uint8_t>(crc >> 24),
                              static_cast<std::uint8_t>(crc >> 16),
                              static_cast<std::uint8_t>(crc >> 8), static_cast<std::uint8_t>(crc)};
  return protocol::base64_encode(protocol::byte_view(be, 4));
}

}  // namespace

asio::awaitable<result<put_result>> client::impl::async_multipart_put(
    std::string bucket, std::string key, std::span<const std::byte> data, put_options opts) {
  ++counters.multipart_uploads;
  const std::uint64_t part_size = std::max<std::uint64_t>(options.part_size, 5u << 20);
  const std::size_t part_count = (data.size() + part_size - 1) / part_size;
  if (part_count > 10000)
    co_return make_error(sdk_errc::invalid_argument, "object needs more than 10000 parts");

  request_spec create;
  create.method = http::verb::post;
  create.bucket = bucket;
  create.key = key;
  create.query.push_back({"uploads", "", false});
  create.headers = {{"content-type", opts.content_type},
                    {"x-amz-checksum-algorithm", "CRC32C"},
                    {"x-amz-checksum-type", "FULL_OBJECT"}};
  body_sink create_sink;
  auto created = co_await async_request(std::move(create), create_sink);
  if (!created) co_return created.error();
  if (created->status != 200) co_return http_error(*created);
  const auto upload_id = parse_upload_id(created->text);
  if (!upload_id) co_return make_error(sdk_errc::protocol_error, "no UploadId in the answer");

  std::vector<completed_part> parts(part_count);
  std::vector<std::uint32_t> part_crcs(part_count);
  std::optional<error> first_error;
  std::mutex error_mutex;
  std::atomic<std::size_t> next{0};
  co_await run_workers(
      std::min<std::size_t>(options.parallelism, part_count), [&]() -> asio::awaitable<void> {
        for (;;) {
          const std::size_t i = next++;
          if (i >= part_count) co_return;
          {
            std::lock_guard lock(error_mutex);
            if (first_error) co_return;
          }
          const auto offset = i * part_size;
          const auto piece =
              data.subspan(offset, std::min<std::uint64_t>(part_size, data.size() - offset));
          part_crcs[i] = protocol::crc32c_update(0, as_byte_view(piece));
          request_spec upload;
          upload.method = http::verb::put;
          upload.bucket = bucket;
          upload.key = key;
          upload.query = {{"partNumber", std::to_string(i + 1), true},
                          {"uploadId", *upload_id, true}};
          upload.body = piece;
          parts[i] = {static_cast<unsigned>(i + 1), {}, crc32c_base64_of(part_crcs[i])};
          upload.headers = {{"x-amz-checksum-crc32c", parts[i].checksum_crc32c}};
          body_sink sink;
          auto r = co_await async_request(std::move(upload), sink);
          std::optional<error> failed;
          if (!r)
            failed = r.error();
          else if (r->status != 200)
            failed = http_error(*r);
          else
            parts[i].etag = header_value(r->headers, "etag");
          if (failed) {
            std::lock_guard lock(error_mutex);
            if (!first_error) first_error = std::move(failed);
            co_return;
          }
        }
      });

  auto abort_upload = [&]() -> asio::awaitable<void> {
    request_spec abort;
    abort.method = http::verb::delete_;
    abort.bucket = bucket;
    abort.key = key;
    abort.query = {{"uploadId", *upload_id, true}};
    body_sink sink;
    (void)co_await async_request(std::move(abort), sink);
  };
  if (first_error) {
    co_await abort_upload();
    co_return *first_error;
  }

  const std::string body = render_complete_upload(parts);
  request_spec complete;
  complete.method = http::verb::post;
  complete.bucket = bucket;
  complete.key = key;
  complete.query = {{"uploadId", *upload_id, true}};
  complete.body = std::as_bytes(std::span(body));
  // No x-amz-checksum-crc32c here: on Complete it would be read as the
  // checksum of the XML body. The server combines the parts' CRC32Cs into
  // the FULL_OBJECT checksum that GETs return and the SDK verifies.
  complete.headers = {{"content-type", "application/xml"}};
  if (opts.if_none_match) complete.headers.push_back({"if-none-match", "*"});
  // Not retried: a repeated Complete of an upload that did complete fails.
  complete.idempotent = false;
  body_sink sink;
  auto done = co_await async_request(std::move(complete), sink);
  if (!done) {
    co_await abort_upload();
    co_return done.error();
  }
  if (done->status != 200 || is_error_document(done->text)) {
    auto e = http_error(*done);
    if (done->status == 200) e.code = sdk_errc::server_error;
    co_await abort_upload();
    co_return e;
  }
  co_return put_result{complete_etag(done->text), true, static_cast<unsigned>(part_count)};
}

}  // namespace kvgate::sdk
