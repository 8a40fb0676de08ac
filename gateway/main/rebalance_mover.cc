#include "rebalance_mover.h"

#include <fmt/format.h>

#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/encoding.h"
#include "kvgate/s3/upload_etag.h"

namespace kvgate::cli {
namespace {

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string md5_hex(std::string_view body) {
  protocol::hasher md5(protocol::checksum_algorithm::md5);
  md5.update(body);
  return protocol::hex_encode(md5.finish());
}

// An opaque XXH3 ETag (s3/upload_etag.h) names its bytes like an MD5 one.
bool xxh3_etag(std::string_view etag) {
  return etag.ends_with(s3::kXxh3EtagSuffix);
}

std::string xxh3_hex(std::string_view body) {
  return protocol::hex_encode(s3::xxh3_128(protocol::as_bytes(body))) +
         std::string(s3::kXxh3EtagSuffix);
}

bool multipart_etag(std::string_view etag) {
  return etag.find('-') != std::string_view::npos && !xxh3_etag(etag);
}

// The headers of the holder's answer that describe the object and go with
// the copy: content type and encoding, caching, user metadata.
std::vector<std::pair<std::string, std::string>> object_headers(const node_response& got) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : got.headers) {
    if (name == "content-type" || name == "content-encoding" || name == "cache-control" ||
        name == "content-disposition" || name == "content-language" || name == "expires" ||
        name.starts_with("x-amz-meta-"))
      out.emplace_back(name, value);
  }
  return out;
}

move_outcome outcome(move_result r, std::string message = {}) {
  return {r, std::move(message), false};
}

move_outcome refused(const node_response& res, std::string_view what, const std::string& where) {
  const std::string text = fmt::format("{} on {}: {} {}", what, where, res.status, res.body);
  return outcome(res.status == 421 ? move_result::map_mismatch : move_result::failed, text);
}

}  // namespace

mover::mover(const mover_settings& settings)
    : settings_(settings), clients_(settings.map->members.size()) {}

boost::system::result<node_client*, std::string> mover::client(std::size_t member) {
  auto& slot = clients_.at(member);
  if (!slot) {
    auto made = node_client::create(settings_.map->members[member].s3_endpoint, settings_.root,
                                    settings_.region, settings_.map->routing,
                                    settings_.max_object_size, settings_.ca_file);
    if (!made) return made.error();
    slot.emplace(std::move(*made));
  }
  return &*slot;
}

move_outcome mover::remove_old(const planned_move& m, move_result result) {
  move_outcome out = outcome(result);
  if (settings_.keep) return out;
  auto holder = client(m.object.holder);
  if (!holder) return outcome(move_result::failed, holder.error());
  node_request del;
  del.method = "DELETE";
  del.bucket = m.object.bucket;
  del.key = m.object.key;
  auto res = (*holder)->send(del);
  if (!res) return outcome(move_result::failed, "copied, but the old copy stays: " + res.error());
  if (res->status != 204 && res->status != 200)
    return refused(*res, "DELETE of the old copy", (*holder)->endpoint());
  out.old_removed = true;
  return out;
}

move_outcome mover::move(const planned_move& m) {
  auto holder = client(m.object.holder);
  if (!holder) return outcome(move_result::failed, holder.error());
  auto owner = client(m.owner);
  if (!owner) return outcome(move_result::failed, owner.error());
  if (m.already_there) {
    // Listed on the owner: drop the old copy only if the owner still has it
    // (not evicted since the listing); otherwise copy it after all.
    node_request head;
    head.method = "HEAD";
    head.bucket = m.object.bucket;
    head.key = m.object.key;
    auto there = (*owner)->send(head);
    if (!there) return outcome(move_result::failed, there.error());
    if (there->status == 200) return remove_old(m, move_result::already_there);
    if (there->status != 404) return refused(*there, "HEAD", (*owner)->endpoint());
  }
  if (settings_.rate) settings_.rate->take(static_cast<double>(m.object.size));

  node_request get;
  get.bucket = m.object.bucket;
  get.key = m.object.key;
  auto got = (*holder)->send(get);
  if (!got) return outcome(move_result::failed, got.error());
  if (got->status == 404) return outcome(move_result::vanished);
  if (got->status != 200) return refused(*got, "GET", (*holder)->endpoint());
  const std::string etag = unquote(got->header("etag"));
  const std::string sent_md5 = md5_hex(got->body);
  const std::string sent_xxh3 = xxh3_hex(got->body);
  if (xxh3_etag(etag) && etag != sent_xxh3)
    return outcome(move_result::failed,
                   fmt::format("GET from {}: the body's XXH3 {} differs from its ETag {}",
                               (*holder)->endpoint(), sent_xxh3, etag));
  if (!multipart_etag(etag) && !xxh3_etag(etag) && etag != sent_md5)
    return outcome(move_result::failed,
                   fmt::format("GET from {}: the body's MD5 {} differs from its ETag {}",
                               (*holder)->endpoint(), sent_md5, etag));
  // A multipart ETag says nothing about the bytes; a whole-object CRC32C does.
  const std::string crc = got->header("x-amz-checksum-crc32c");
  if (multipart_etag(etag) && !crc.empty() && crc.find('-') == std::string::npos &&
      crc != protocol::checksum_base64(protocol::checksum_algorithm::crc32c,
                                       protocol::as_bytes(got->body)))
    return outcome(move_result::failed,
                   fmt::format("GET from {}: the body's CRC32C differs from x-amz-checksum-crc32c",
                               (*holder)->endpoint()));

  node_request put;
  put.method = "PUT";
  put.bucket = m.object.bucket;
  put.key = m.object.key;
  put.headers = object_headers(*got);
  put.headers.emplace_back("if-none-match", "*");
  const std::uint64_t size = got->body.size();
  put.body = std::move(got->body);
  auto stored = (*owner)->send(put);
  if (stored && stored->status == 404 && stored->body.find("NoSuchBucket") != std::string::npos) {
    node_request create;
    create.method = "PUT";
    create.bucket = m.object.bucket;
    auto made = (*owner)->send(create);
    if (!made) return outcome(move_result::failed, made.error());
    if (made->status != 200 && made->status != 409)
      return refused(*made, "CreateBucket " + m.object.bucket, (*owner)->endpoint());
    stored = (*owner)->send(put);
  }
  if (!stored) return outcome(move_result::failed, stored.error());
  if (stored->status == 412) return remove_old(m, move_result::already_there);
  if (stored->status != 200) return refused(*stored, "PUT", (*owner)->endpoint());
  const std::string new_etag = unquote(stored->header("etag"));
  // The owner's bucket may make either ETag style; both name the bytes.
  if (new_etag != sent_md5 && new_etag != sent_xxh3)
    return outcome(move_result::failed,
                   fmt::format("PUT to {}: ETag {} is neither the MD5 {} nor the XXH3 {} of the "
                               "bytes sent",
                               (*owner)->endpoint(), new_etag, sent_md5, sent_xxh3));

  node_request head;
  head.method = "HEAD";
  head.bucket = m.object.bucket;
  head.key = m.object.key;
  auto check = (*owner)->send(head);
  if (!check) return outcome(move_result::failed, check.error());
  if (check->status != 200) return refused(*check, "HEAD after PUT", (*owner)->endpoint());
  if (check->header("content-length") != std::to_string(size) ||
      unquote(check->header("etag")) != new_etag)
    return outcome(move_result::failed,
                   fmt::format("HEAD on {} after PUT: size {} ETag {}, expected {} and {}",
                               (*owner)->endpoint(), check->header("content-length"),
                               check->header("etag"), size, new_etag));
  return remove_old(m, move_result::moved);
}

}  // namespace kvgate::cli
