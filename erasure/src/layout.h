// Where things live on a disk (docs/formats/erasure-layout.md, "Directory
// layout"). Every path the engine touches is built here from fixed names,
// bucket names (validated, S3 rules) and hex hashes — never from object keys,
// so keys of any bytes cannot escape or collide with the layout.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvgate::erasure::layout {

inline constexpr std::string_view kSystemDir = ".kvgate";
inline constexpr std::string_view kFormatFile = ".kvgate/format.json";
inline constexpr std::string_view kTmpDir = ".kvgate/tmp";
inline constexpr std::string_view kTrashDir = ".kvgate/trash";
inline constexpr std::string_view kUploadsDir = ".kvgate/mpu";
inline constexpr std::string_view kBucketsDir = "buckets";
inline constexpr std::string_view kManifestName = "meta";
inline constexpr std::string_view kBucketMarkerName = "bucket.json";

// 128-bit XXH3 of bucket || 0x00 || key, as 32 lowercase hex characters.
std::string key_hash(std::string_view bucket, std::string_view key);

// 128 random bits as 32 lowercase hex characters (data ids, upload ids, op ids).
std::string random_id();

std::string bucket_dir(std::string_view bucket);
std::string bucket_marker(std::string_view bucket);
std::string bucket_objects_dir(std::string_view bucket);
// buckets/<bucket>/obj/<h0h1>/<h2h3>/<hash>
std::string object_dir(std::string_view bucket, std::string_view hash);
std::string manifest_path(std::string_view bucket, std::string_view hash);
std::string data_dir(std::string_view bucket, std::string_view hash, std::string_view data_id);
std::string part_file(std::string_view dir, int part_number);
std::string tmp_dir(std::string_view op_id);
std::string trash_dir(std::string_view op_id);
std::string upload_dir(std::string_view upload_id);
std::string upload_manifest(std::string_view upload_id);
std::string upload_part_manifest(std::string_view upload_id, int part_number);
std::string upload_part_file(std::string_view upload_id, int part_number, std::string_view nonce);

// True for a well-formed 32-hex-character id (guards ids that come from clients).
bool is_hex_id(std::string_view id) noexcept;

}  // namespace kvgate::erasure::layout
