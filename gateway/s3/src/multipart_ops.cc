// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
// ListParts, ListMultipartUploads, CompleteMultipartUpload and
// AbortMultipartUpload.
//
// Parts stream through the body pipeline into the engine's part_writer (parts
// of one upload may arrive in parallel and in any order). Complete computes
// the multipart ETag ("<md5 of the binary part MD5s>-N") and, when the upload
// declared a checksum algorithm, the COMPOSITE ("...-N") or FULL_OBJECT (CRC
// combine) checksum from the stored parts, then lets the engine publish the
// object atomically. Errors are answered before any response head is written.
#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <charconv>
#include <map>

#include "body_upload.h"
#include "copy_source.h"
#include "copy_source_check.h"
#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/encoding.h"
#include "kvgate/protocol/uri.h"
#include "kvgate/s3/object_headers.h"
#include "kvgate/s3xml/multipart_documents.h"
#include "kvgate/s3xml/object_documents.h"
#include "kvgate/s3xml/request_documents.h"
#include "object_pump.h"
#include "operations.h"
#include "rdma_upload.h"
#include "transfer_operations.h"
#include "xml_request_body.h"

namespace kvgate::s3 {
namespace {

using protocol::checksum_algorithm;
using protocol::s3_error;

constexpr int kMaxListedParts = 1000;
constexpr std::uint64_t kMaxPartBytes = 5ull << 30;

std::string param_value(const op_context& op, std::string_view name) {
  const auto* p = op.req.param(name);
  return p ? p->value : std::string();
}

std::optional<int> parse_int(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

boost::system::result<int, s3_failure> part_number_param(const op_context& op) {
  auto n = parse_int(param_value(op, "partNumber"), 1, erasure::kMaxPartNumber);
  if (!n)
    return s3_failure{s3_error::invalid_argument,
                      "Part number must be an integer between 1 and 10000, inclusive"};
  return *n;
}

std::string unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::string checksum_header(std::string_view algorithm) {
  return "x-amz-checksum-" + boost::algorithm::to_lower_copy(std::string(algorithm));
}

std::optional<checksum_algorithm> declared_algorithm(const erasure::upload_info& upload) {
  if (upload.checksum_algorithm.empty()) return std::nullopt;
  return protocol::parse_checksum_algorithm(upload.checksum_algorithm);
}

bool is_crc(checksum_algorithm a) {
  return a == checksum_algorithm::crc32 || a == checksum_algorithm::crc32c ||
         a == checksum_algorithm::crc64nvme;
}

std::uint64_t big_endian_value(const protocol::bytes& digest) {
  std::uint64_t v = 0;
  for (const auto b : digest) v = (v << 8) | b;
  return v;
}

protocol::bytes big_endian_bytes(std::uint64_t v, std::size_t size) {
  protocol::bytes out(size);
  for (std::size_t i = size; i-- > 0; v >>= 8) out[i] = static_cast<std::uint8_t>(v & 0xFF);
  return out;
}

// CRC of the whole object from the parts' CRCs and sizes.
protocol::bytes combine_crcs(checksum_algorithm a, const std::vector<protocol::bytes>& digests,
                             const std::vector<std::uint64_t>& sizes) {
  std::uint64_t crc = big_endian_value(digests.front());
  for (std::size_t i = 1; i < digests.size(); ++i) {
    const std::uint64_t next = big_endian_value(digests[i]);
    switch (a) {
      case checksum_algorithm::crc32:
        crc = protocol::crc32_combine(static_cast<std::uint32_t>(crc),
                                      static_cast<std::uint32_t>(next), sizes[i]);
        break;
      case checksum_algorithm::crc32c:
        crc = protocol::crc32c_combine(static_cast<std::uint32_t>(crc),
                                       static_cast<std::uint32_t>(next), sizes[i]);
        break;
      default:
        crc = protocol::crc64nvme_combine(crc, next, sizes[i]);
        break;
    }
  }
  return big_endian_bytes(crc, protocol::digest_size(a));
}

asio::awaitable<void> async_release(op_context& op, auto& handle) {
  if (handle) co_await op.async_storage([&] { handle.reset(); });
}

// Every stored part of an upload, by number.
asio::awaitable<erasure::result<std::map<int, erasure::part_info>>> async_all_parts(
    op_context& op, const std::string& upload_id) {
  std::map<int, erasure::part_info> parts;
  int marker = 0;
  for (;;) {
    auto page = co_await op.async_storage([&] {
      return op.store().list_parts(op.req.bucket, op.req.key, upload_id, marker, kMaxListedParts);
    });
    if (!page) co_return page.error();
    for (auto& p : page->parts) parts.emplace(p.number, std::move(p));
    if (!page->truncated || page->next_part_number_marker <= marker) break;
    marker = page->next_part_number_marker;
  }
  co_return parts;
}

std::string object_location(const op_context& op) {
  const auto host = op.header("host");
  const std::string path = "/" +
                           protocol::uri_encode(op.req.bucket, protocol::slash_encoding::encode) +
                           "/" + protocol::uri_encode(op.req.key, protocol::slash_encoding::keep);
  if (host.empty()) return path;
  return std::string(op.ctx.tls() ? "https://" : "http://") + std::string(host) + path;
}

asio::awaitable<void> async_send_completed(op_context& op, const erasure::object_info& info) {
  s3xml::complete_upload_document doc{
      object_location(op),
      op.req.bucket,
      op.req.key,
      info.etag,
      {info.checksum.algorithm, info.checksum.value, info.checksum.type}};
  http::fields h;
  if (!info.checksum.algorithm.empty()) {
    h.set(checksum_header(info.checksum.algorithm), info.checksum.value);
    h.set("x-amz-checksum-type", info.checksum.type);
  }
  std::string xml = s3xml::render_complete_upload(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml), std::move(h));
}

// A repeated Complete after success: the object is there with the same parts.
bool same_parts(const erasure::object_info& info, const std::vector<s3xml::requested_part>& parts) {
  if (!info.multipart || info.parts.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (info.parts[i].number != parts[i].number ||
        unquoted(info.parts[i].etag) != unquoted(parts[i].etag)) {
      return false;
    }
  }
  return true;
}

}  // namespace

asio::awaitable<void> async_create_multipart_upload(op_context& op) {
  erasure::object_attrs attrs = attrs_from_headers(op.ctx.header());
  attrs.owner = op.caller.access_key;
  if (user_metadata_bytes(attrs) > kMaxUserMetadataBytes)
    co_return co_await op.async_fail(s3_error::metadata_too_large);

  std::string algorithm_name;
  std::string type;
  if (op.has_header("x-amz-checksum-algorithm")) {
    const auto algorithm =
        protocol::parse_checksum_algorithm(op.header("x-amz-checksum-algorithm"));
    if (!algorithm || *algorithm == checksum_algorithm::md5) {
      co_return co_await op.async_fail(s3_error::invalid_request,
                                       "Checksum algorithm provided is unsupported.");
    }
    algorithm_name = std::string(protocol::algorithm_name(*algorithm));
    type = boost::algorithm::to_upper_copy(std::string(op.header("x-amz-checksum-type")));
    if (type.empty())
      type = *algorithm == checksum_algorithm::crc64nvme ? "FULL_OBJECT" : "COMPOSITE";
    const bool valid = (type == "COMPOSITE" && *algorithm != checksum_algorithm::crc64nvme) ||
                       (type == "FULL_OBJECT" && is_crc(*algorithm));
    if (!valid) {
      co_return co_await op.async_fail(
          s3_error::invalid_request,
          "The checksum type is not supported with the checksum algorithm.");
    }
  } else if (op.has_header("x-amz-checksum-type")) {
    co_return co_await op.async_fail(s3_error::invalid_request,
                                     "x-amz-checksum-type requires x-amz-checksum-algorithm.");
  }

  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  // A no-evict bucket at its quota, or a full node, refuses the upload now
  // rather than after its parts (memory only, docs/cache.md).
  if (auto admitted = op.store().check_write(bucket, key, 0); !admitted)
    co_return co_await op.async_fail(admitted.error());
  auto created = co_await op.async_storage([&] {
    return op.store().create_upload(bucket, key, std::move(attrs), algorithm_name, type);
  });
  if (!created) co_return co_await op.async_fail(created.error());
  http::fields h;
  if (!algorithm_name.empty()) {
    h.set("x-amz-checksum-algorithm", algorithm_name);
    h.set("x-amz-checksum-type", type);
  }
  const s3xml::initiate_upload_document doc{bucket, key, created->upload_id};
  std::string xml = s3xml::render_initiate_upload(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml), std::move(h));
}

asio::awaitable<void> async_upload_part(op_context& op) {
  auto number = part_number_param(op);
  if (!number) co_return co_await op.async_fail(number.error());
  const std::string upload_id = param_value(op, "uploadId");
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;

  auto plan = plan_body(op.req, op.ctx.header(), op.ctx.content_length());
  if (!plan) co_return co_await op.async_fail(plan.error());
  if (!plan->chunked && !op.ctx.content_length() && !op.ctx.body_done())
    plan->decoded_length.reset();
  auto rdma = read_rdma_ask(op);
  if (!rdma) co_return co_await op.async_fail(rdma.error());
  std::optional<std::uint64_t> rdma_bytes;
  if (*rdma) {
    auto bytes = plan_rdma_upload(op, *plan);
    if (!bytes) co_return co_await op.async_fail(bytes.error());
    rdma_bytes = *bytes;
  }
  if (plan->decoded_length && *plan->decoded_length > kMaxPartBytes) {
    co_return co_await op.async_fail(s3_error::entity_too_large);
  }
  auto upload =
      co_await op.async_storage([&] { return op.store().get_upload(bucket, key, upload_id); });
  if (!upload) co_return co_await op.async_fail(upload.error());
  const auto declared = declared_algorithm(*upload);
  if (declared && plan->checksum && *plan->checksum != *declared) {
    const std::string message = "Checksum Type mismatch occurred, expected checksum Type: " +
                                boost::algorithm::to_lower_copy(upload->checksum_algorithm);
    co_return co_await op.async_fail(s3_error::invalid_request, message);
  }
  // The declared algorithm is computed here when the client did not send it,
  // so Complete can always build the whole-object checksum.
  std::optional<protocol::hasher> own;
  if (declared && !plan->checksum) own.emplace(*declared);
  std::optional<rdma::rdma_transfer> transfer;
  if (rdma_bytes) {
    // Declines answer before the part is begun (docs/rdma-protocol.md §7.2).
    transfer =
        admit_rdma_transfer(op, **rdma, rdma::transfer_direction::read_from_client, *rdma_bytes);
    if (!transfer) co_return co_await async_send_rdma_decline(op, *(*rdma)->decline);
  }

  auto begun = co_await op.async_storage(
      [&] { return op.store().begin_part(bucket, key, upload_id, *number, plan->decoded_length); });
  if (!begun) co_return co_await op.async_fail(begun.error());
  std::unique_ptr<erasure::part_writer> writer = std::move(*begun);

  body_pipeline pipeline(op.ctx, op.req, *plan, op.service.body_buffer_bytes);
  body_digests digests(*plan, op.service.etags.style_for(bucket));
  protocol::hasher* also = own ? &*own : nullptr;
  // Two statements, not `?:` around co_await: g++ 12 frees the result early.
  std::optional<upload_failure> failed;
  if (transfer)
    failed = co_await async_upload_rdma(op, *transfer, digests, *writer, also);
  else
    failed = co_await async_upload_body(op, pipeline, digests, *writer, also);
  if (failed) {
    co_await async_release(op, writer);
    if (failed->failure.error == s3_error::rdma_transfer_failed)
      co_return co_await async_send_rdma_failure(op);
    co_return co_await op.async_fail(failed->failure);
  }
  if (digests.bytes() > kMaxPartBytes) {
    co_await async_release(op, writer);
    co_return co_await op.async_fail(s3_error::entity_too_large);
  }
  digests.finish();
  auto checked = pipeline.finish(digests);
  if (!checked) {
    co_await async_release(op, writer);
    co_return co_await op.async_fail(checked.error());
  }
  erasure::s3_checksum checksum = *checked;
  if (own)
    checksum = {upload->checksum_algorithm, upload->checksum_type,
                protocol::base64_encode(own->finish())};
  const std::string etag = digests.etag();
  auto committed = co_await op.async_storage([&] { return writer->commit(etag, checksum); });
  co_await async_release(op, writer);
  if (!committed) co_return co_await op.async_fail(committed.error());

  http::fields h;
  h.set(http::field::etag, committed->etag);
  if (!checksum.algorithm.empty()) h.set(checksum_header(checksum.algorithm), checksum.value);
  if (transfer) set_rdma_success_headers(h, rdma::reply_value::ok, digests.bytes());
  co_await async_send_empty(op.ctx, http::status::ok, std::move(h));
}

asio::awaitable<void> async_upload_part_copy(op_context& op) {
  auto number = part_number_param(op);
  if (!number) co_return co_await op.async_fail(number.error());
  auto src = parse_copy_source(op.header("x-amz-copy-source"));
  if (!src) co_return co_await op.async_fail(src.error());
  const std::string upload_id = param_value(op, "uploadId");
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;

  auto upload =
      co_await op.async_storage([&] { return op.store().get_upload(bucket, key, upload_id); });
  if (!upload) co_return co_await op.async_fail(upload.error());
  std::optional<s3_failure> failure;
  auto source = co_await async_check_copy_source(op, *src, failure);
  if (failure) co_return co_await op.async_fail(*failure);
  if (!source) co_return co_await op.async_fail(source.error());

  std::optional<erasure::byte_range> range;
  std::uint64_t length = source->size;
  if (op.has_header("x-amz-copy-source-range")) {
    auto r = parse_copy_source_range(op.header("x-amz-copy-source-range"), source->size);
    if (!r) co_return co_await op.async_fail(r.error());
    range = *r;
    length = r->length();
  }
  if (length > kMaxPartBytes) co_return co_await op.async_fail(s3_error::entity_too_large);

  auto opened =
      co_await op.async_storage([&] { return op.store().open_read(src->bucket, src->key, range); });
  if (!opened) co_return co_await op.async_fail(opened.error());
  std::unique_ptr<erasure::object_reader> reader = std::move(*opened);
  auto begun = co_await op.async_storage(
      [&] { return op.store().begin_part(bucket, key, upload_id, *number, length); });
  if (!begun) {
    co_await async_release(op, reader);
    co_return co_await op.async_fail(begun.error());
  }
  std::unique_ptr<erasure::part_writer> writer = std::move(*begun);
  const auto declared = declared_algorithm(*upload);
  auto pumped = co_await async_pump_object(op, *reader, *writer, declared);
  co_await async_release(op, reader);
  if (!pumped) {
    co_await async_release(op, writer);
    co_return co_await op.async_fail(pumped.error());
  }
  erasure::s3_checksum checksum;
  if (declared && pumped->checksum) {
    checksum = {upload->checksum_algorithm, upload->checksum_type,
                protocol::base64_encode(*pumped->checksum)};
  }
  const std::string etag = "\"" + protocol::hex_encode(pumped->md5) + "\"";
  auto committed = co_await op.async_storage([&] { return writer->commit(etag, checksum); });
  co_await async_release(op, writer);
  if (!committed) co_return co_await op.async_fail(committed.error());
  s3xml::copy_result_document doc{
      committed->mtime_ns, committed->etag, {checksum.algorithm, checksum.value, std::string()}};
  std::string xml = s3xml::render_copy_part_result(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

asio::awaitable<void> async_list_parts(op_context& op) {
  const std::string upload_id = param_value(op, "uploadId");
  int marker = 0;
  int max_parts = kMaxListedParts;
  if (const auto* p = op.req.param("part-number-marker")) {
    auto v = parse_int(p->value, 0, erasure::kMaxPartNumber);
    if (!v)
      co_return co_await op.async_fail(s3_error::invalid_argument, "Invalid part-number-marker");
    marker = *v;
  }
  if (const auto* p = op.req.param("max-parts")) {
    auto v = parse_int(p->value, 0, std::numeric_limits<int>::max());
    if (!v) co_return co_await op.async_fail(s3_error::invalid_argument, "Invalid max-parts");
    max_parts = *v;
  }
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  auto upload =
      co_await op.async_storage([&] { return op.store().get_upload(bucket, key, upload_id); });
  if (!upload) co_return co_await op.async_fail(upload.error());
  erasure::list_parts_result listed;
  if (max_parts > 0) {
    auto page = co_await op.async_storage([&] {
      return op.store().list_parts(bucket, key, upload_id, marker,
                                   std::min(max_parts, kMaxListedParts));
    });
    if (!page) co_return co_await op.async_fail(page.error());
    listed = std::move(*page);
  }
  s3xml::list_parts_document doc;
  doc.bucket = bucket;
  doc.key = key;
  doc.upload_id = upload_id;
  doc.upload_owner = {upload->attrs.owner, upload->attrs.owner};
  doc.part_number_marker = marker;
  doc.next_part_number_marker = listed.next_part_number_marker;
  doc.max_parts = max_parts;
  doc.truncated = listed.truncated;
  doc.checksum_algorithm = upload->checksum_algorithm;
  doc.checksum_type = upload->checksum_type;
  for (const auto& p : listed.parts) {
    doc.parts.push_back(
        {p.number, p.mtime_ns, p.etag, p.size, {p.checksum.algorithm, p.checksum.value, {}}});
  }
  std::string xml = s3xml::render_list_parts(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

asio::awaitable<void> async_list_multipart_uploads(op_context& op) {
  erasure::list_uploads_params params;
  params.prefix = param_value(op, "prefix");
  params.delimiter = param_value(op, "delimiter");
  params.key_marker = param_value(op, "key-marker");
  params.upload_id_marker = param_value(op, "upload-id-marker");
  int requested = 1000;
  if (const auto* p = op.req.param("max-uploads")) {
    auto v = parse_int(p->value, 0, std::numeric_limits<int>::max());
    if (!v) co_return co_await op.async_fail(s3_error::invalid_argument, "Invalid max-uploads");
    requested = *v;
  }
  params.max_uploads = std::min(requested, 1000);
  bool url_encoding = false;
  if (const auto* enc = op.req.param("encoding-type")) {
    if (enc->value != "url")
      co_return co_await op.async_fail(s3_error::invalid_argument,
                                       "Invalid Encoding Method specified in Request");
    url_encoding = true;
  }
  const std::string bucket = op.req.bucket;
  erasure::list_uploads_result listed;
  if (params.max_uploads > 0) {
    auto page = co_await op.async_storage([&] { return op.store().list_uploads(bucket, params); });
    if (!page) co_return co_await op.async_fail(page.error());
    listed = std::move(*page);
  }
  s3xml::list_uploads_document doc;
  doc.bucket = bucket;
  doc.prefix = params.prefix;
  doc.delimiter = params.delimiter;
  doc.key_marker = params.key_marker;
  doc.upload_id_marker = params.upload_id_marker;
  doc.next_key_marker = listed.next_key_marker;
  doc.next_upload_id_marker = listed.next_upload_id_marker;
  doc.max_uploads = requested;
  doc.truncated = listed.truncated;
  doc.url_encoding = url_encoding;
  doc.common_prefixes = listed.common_prefixes;
  for (const auto& u : listed.uploads) {
    doc.uploads.push_back({u.key,
                           u.upload_id,
                           {u.attrs.owner, u.attrs.owner},
                           u.initiated_ns,
                           u.checksum_algorithm,
                           u.checksum_type});
  }
  std::string xml = s3xml::render_list_uploads(doc);
  co_await async_send_xml(op.ctx, http::status::ok, std::move(xml));
}

asio::awaitable<void> async_complete_multipart_upload(op_context& op) {
  const std::string upload_id = param_value(op, "uploadId");
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;

  erasure::commit_conditions conditions;
  if (op.has_header("if-none-match")) {
    if (op.header("if-none-match") != "*") {
      co_return co_await op.async_fail(s3_error::not_implemented,
                                       "If-None-Match supports only \"*\"");
    }
    conditions.if_none_match_star = true;
  }
  if (op.has_header("if-match"))
    conditions.if_match = "\"" + unquoted(op.header("if-match")) + "\"";

  auto body = co_await async_read_xml_body(op, s3xml::kMaxCompleteBodyBytes);
  if (!body) co_return co_await op.async_fail(body.error());
  auto requested = s3xml::parse_complete_upload(*body);
  if (!requested) {
    const std::string message = requested.error().message();
    co_return co_await op.async_fail(s3xml::to_s3_error(requested.error()), message);
  }

  auto upload =
      co_await op.async_storage([&] { return op.store().get_upload(bucket, key, upload_id); });
  if (!upload) {
    if (s3_error_for(upload.error()) == s3_error::no_such_upload) {
      // Completing twice succeeds when the object is the one this upload made.
      auto existing = co_await op.async_head(bucket, key);
      if (existing && same_parts(*existing, *requested))
        co_return co_await async_send_completed(op, *existing);
    }
    co_return co_await op.async_fail(upload.error());
  }
  auto stored = co_await async_all_parts(op, upload_id);
  if (!stored) co_return co_await op.async_fail(stored.error());

  const auto declared = declared_algorithm(*upload);
  std::vector<erasure::completed_part> parts;
  std::vector<protocol::bytes> md5s;  // or the parts' XXH3s (upload_etag.h)
  std::vector<protocol::bytes> checksums;
  std::vector<std::uint64_t> sizes;
  int previous = 0;
  for (const auto& want : *requested) {
    if (want.number <= previous) co_return co_await op.async_fail(s3_error::invalid_part_order);
    previous = want.number;
    const auto it = stored->find(want.number);
    if (it == stored->end() || unquoted(it->second.etag) != unquoted(want.etag)) {
      co_return co_await op.async_fail(s3_error::invalid_part);
    }
    const erasure::part_info& have = it->second;
    for (const auto& sent : want.checksums) {
      if (boost::algorithm::iequals(sent.algorithm, have.checksum.algorithm) &&
          sent.value != have.checksum.value) {
        const std::string message =
            "The checksum of part " + std::to_string(want.number) + " does not match.";
        co_return co_await op.async_fail(s3_error::invalid_part, message);
      }
    }
    auto part_digest = part_etag_digest(have.etag);
    if (!part_digest) co_return co_await op.async_fail(s3_error::internal_error);
    md5s.push_back(std::move(*part_digest));
    sizes.push_back(have.size);
    if (declared) {
      auto digest = boost::algorithm::iequals(have.checksum.algorithm, upload->checksum_algorithm)
                        ? protocol::base64_decode(have.checksum.value)
                        : protocol::result<protocol::bytes>(
                              protocol::make_error_code(protocol::protocol_errc::bad_base64));
      if (!digest || digest->size() != protocol::digest_size(*declared)) {
        const std::string message = "Part " + std::to_string(want.number) + " has no " +
                                    upload->checksum_algorithm + " checksum.";
        co_return co_await op.async_fail(s3_error::invalid_part, message);
      }
      checksums.push_back(std::move(*digest));
    }
    parts.push_back({want.number, want.etag});
  }

  const std::string etag =
      "\"" + protocol::hex_encode(protocol::digest_of_digests(checksum_algorithm::md5, md5s)) +
      "-" + std::to_string(parts.size()) + "\"";
  erasure::s3_checksum checksum;
  if (declared) {
    checksum.algorithm = upload->checksum_algorithm;
    checksum.type = upload->checksum_type;
    checksum.value = upload->checksum_type == "FULL_OBJECT"
                         ? protocol::base64_encode(combine_crcs(*declared, checksums, sizes))
                         : protocol::composite_checksum_base64(*declared, checksums);
  }
  auto completed = co_await op.async_storage([&] {
    return op.store().complete_upload(bucket, key, upload_id, parts, etag, checksum, conditions);
  });
  if (!completed) co_return co_await op.async_fail(completed.error());
  co_await async_send_completed(op, *completed);
}

asio::awaitable<void> async_abort_multipart_upload(op_context& op) {
  const std::string upload_id = param_value(op, "uploadId");
  const std::string bucket = op.req.bucket;
  const std::string key = op.req.key;
  auto aborted =
      co_await op.async_storage([&] { return op.store().abort_upload(bucket, key, upload_id); });
  if (!aborted) co_return co_await op.async_fail(aborted.error());
  co_await async_send_empty(op.ctx, http::status::no_content);
}

}  // namespace kvgate::s3
