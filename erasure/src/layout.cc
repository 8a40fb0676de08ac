#include "layout.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <xxhash.h>

#include <stdexcept>

namespace kvgate::erasure::layout {

namespace {
std::string hex128(std::uint64_t high, std::uint64_t low) {
  return fmt::format("{:016x}{:016x}", high, low);
}
}  // namespace

std::string key_hash(std::string_view bucket, std::string_view key) {
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, bucket.data(), bucket.size());
  const char zero = 0;
  XXH3_128bits_update(state, &zero, 1);
  XXH3_128bits_update(state, key.data(), key.size());
  const XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  return hex128(h.high64, h.low64);
}

std::string random_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  out.reserve(32);
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string bucket_dir(std::string_view bucket) {
  return fmt::format("{}/{}", kBucketsDir, bucket);
}
std::string bucket_marker(std::string_view bucket) {
  return fmt::format("{}/{}/{}", kBucketsDir, bucket, kBucketMarkerName);
}
std::string bucket_objects_dir(std::string_view bucket) {
  return fmt::format("{}/{}/obj", kBucketsDir, bucket);
}
std::string object_dir(std::string_view bucket, std::string_view hash) {
  return fmt::format("{}/{}/obj/{}/{}/{}", kBucketsDir, bucket, hash.substr(0, 2),
                     hash.substr(2, 2), hash);
}
std::string manifest_path(std::string_view bucket, std::string_view hash) {
  return fmt::format("{}/{}", object_dir(bucket, hash), kManifestName);
}
std::string data_dir(std::string_view bucket, std::string_view hash, std::string_view data_id) {
  return fmt::format("{}/{}", object_dir(bucket, hash), data_id);
}
std::string part_file(std::string_view dir, int part_number) {
  return fmt::format("{}/part.{}", dir, part_number);
}
std::string tmp_dir(std::string_view op_id) {
  return fmt::format("{}/{}", kTmpDir, op_id);
}
std::string trash_dir(std::string_view op_id) {
  return fmt::format("{}/{}", kTrashDir, op_id);
}
std::string upload_dir(std::string_view upload_id) {
  return fmt::format("{}/{}", kUploadsDir, upload_id);
}
std::string upload_manifest(std::string_view upload_id) {
  return fmt::format("{}/{}/upload.meta", kUploadsDir, upload_id);
}
std::string upload_part_manifest(std::string_view upload_id, int part_number) {
  return fmt::format("{}/{}/part.{}.meta", kUploadsDir, upload_id, part_number);
}
std::string upload_part_file(std::string_view upload_id, int part_number, std::string_view nonce) {
  return fmt::format("{}/{}/part.{}.{}", kUploadsDir, upload_id, part_number, nonce);
}

bool is_hex_id(std::string_view id) noexcept {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace kvgate::erasure::layout
