#include "kvgate/s3/upload_etag.h"

#include <xxhash.h>

#include <iterator>

namespace kvgate::s3 {

gateway::etag_style etag_policy::style_for(std::string_view bucket) const {
  const auto it = buckets.find(bucket);
  return it == buckets.end() ? default_style : it->second;
}

etag_policy etag_policy::from_config(const gateway::server_config& config) {
  etag_policy p;
  p.default_style = config.etag;
  for (const auto& [name, bucket] : config.cache.buckets) {
    if (bucket.etag) p.buckets.emplace(name, *bucket.etag);
  }
  return p;
}

std::string md5_etag(const protocol::bytes& md5) {
  return "\"" + protocol::hex_encode(md5) + "\"";
}

std::string xxh3_etag(const protocol::bytes& xxh3) {
  return "\"" + protocol::hex_encode(xxh3) + std::string(kXxh3EtagSuffix) + "\"";
}

protocol::bytes xxh3_128(protocol::byte_view data) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return protocol::bytes(std::begin(canonical.digest), std::end(canonical.digest));
}

std::optional<protocol::bytes> part_etag_digest(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  if (etag.ends_with(kXxh3EtagSuffix)) etag.remove_suffix(kXxh3EtagSuffix.size());
  if (etag.size() != 32) return std::nullopt;
  auto digest = protocol::hex_decode(etag);
  if (!digest) return std::nullopt;
  return std::move(*digest);
}

}  // namespace kvgate::s3
