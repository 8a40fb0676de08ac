#include "manifest.h"

#include <xxhash.h>

#include "geometry.h"
#include "wire.h"

namespace kvgate::erasure {

namespace {

// Upper bounds that keep a corrupt length field from allocating wildly.
constexpr std::size_t kMaxStringBytes = 64 * 1024;
constexpr std::uint32_t kMaxMetadataPairs = 4096;
constexpr std::uint32_t kMaxParts = 10000;
constexpr std::uint64_t kMaxBlocksPerPart = 1ull << 24;
constexpr std::size_t kHeaderBytes = 12;  // magic u32, major u16, minor u16, length u32
constexpr std::size_t kTrailerBytes = 8;

void encode_checksum(wire_writer& w, const s3_checksum& c) {
  w.str(c.algorithm);
  w.str(c.type);
  w.str(c.value);
}

bool decode_checksum(wire_reader& r, s3_checksum& c) {
  return r.str(c.algorithm, kMaxStringBytes) && r.str(c.type, kMaxStringBytes) &&
         r.str(c.value, kMaxStringBytes);
}

void encode_part_info(wire_writer& w, const part_info& p) {
  w.u32(static_cast<std::uint32_t>(p.number));
  w.u64(p.size);
  w.str(p.etag);
  encode_checksum(w, p.checksum);
  w.i64(p.mtime_ns);
}

bool decode_part_info(wire_reader& r, part_info& p) {
  std::uint32_t number = 0;
  if (!r.u32(number) || number > kMaxParts) return false;
  p.number = static_cast<int>(number);
  return r.u64(p.size) && r.str(p.etag, kMaxStringBytes) && decode_checksum(r, p.checksum) &&
         r.i64(p.mtime_ns);
}

}  // namespace

void encode_object_info(wire_writer& w, const object_info& o) {
  w.str(o.bucket);
  w.str(o.key);
  w.u64(o.size);
  w.str(o.etag);
  w.i64(o.mtime_ns);
  w.str(o.data_id);
  const object_attrs& a = o.attrs;
  w.str(a.content_type);
  w.str(a.content_encoding);
  w.str(a.content_disposition);
  w.str(a.content_language);
  w.str(a.cache_control);
  w.str(a.expires);
  w.str(a.owner);
  w.u32(static_cast<std::uint32_t>(a.user_metadata.size()));
  for (const auto& [name, value] : a.user_metadata) {
    w.str(name);
    w.str(value);
  }
  encode_checksum(w, o.checksum);
  w.u8(o.multipart ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(o.parts.size()));
  for (const part_info& p : o.parts) encode_part_info(w, p);
}

bool decode_object_info(wire_reader& r, object_info& o) {
  object_attrs& a = o.attrs;
  std::uint32_t pairs = 0;
  if (!(r.str(o.bucket, kMaxStringBytes) && r.str(o.key, kMaxStringBytes) && r.u64(o.size) &&
        r.str(o.etag, kMaxStringBytes) && r.i64(o.mtime_ns) && r.str(o.data_id, 64) &&
        r.str(a.content_type, kMaxStringBytes) && r.str(a.content_encoding, kMaxStringBytes) &&
        r.str(a.content_disposition, kMaxStringBytes) &&
        r.str(a.content_language, kMaxStringBytes) && r.str(a.cache_control, kMaxStringBytes) &&
        r.str(a.expires, kMaxStringBytes) && r.str(a.owner, kMaxStringBytes) && r.u32(pairs) &&
        pairs <= kMaxMetadataPairs))
    return false;
  a.user_metadata.resize(pairs);
  for (auto& [name, value] : a.user_metadata)
    if (!r.str(name, kMaxStringBytes) || !r.str(value, kMaxStringBytes)) return false;
  std::uint8_t multipart = 0;
  std::uint32_t parts = 0;
  if (!decode_checksum(r, o.checksum) || !r.u8(multipart) || !r.u32(parts) || parts > kMaxParts)
    return false;
  o.multipart = multipart != 0;
  o.parts.resize(parts);
  for (part_info& p : o.parts)
    if (!decode_part_info(r, p)) return false;
  return true;
}

std::string encode_manifest(const manifest& m) {
  wire_writer w;
  w.u32(kManifestMagic);
  w.u16(kManifestMajor);
  w.u16(kManifestMinor);
  w.u32(0);  // total length, patched below
  encode_object_info(w, m.object);
  w.u64(m.seq);
  w.str(m.matrix);
  w.u32(m.k);
  w.u32(m.m);
  w.u32(m.block_size);
  w.u32(m.rotation);
  w.u8(m.inlined ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(m.parts.size()));
  for (const part_layout& p : m.parts) {
    encode_part_info(w, p.info);
    w.u64(p.block_checksums.size());
    for (std::uint64_t c : p.block_checksums) w.u64(c);
  }
  w.str(m.inline_shard);
  w.str(m.prev);
  std::string out = w.take();
  const std::uint64_t total = out.size() + kTrailerBytes;
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<char>((total >> (8 * i)) & 0xff);
  wire_writer trailer;
  trailer.u64(XXH3_64bits(out.data(), out.size()));
  out += trailer.take();
  return out;
}

result<manifest> decode_manifest(std::string_view bytes) {
  const auto corrupt = [] { return result<manifest>(make_error_code(errc::corrupt)); };
  if (bytes.size() < kHeaderBytes + kTrailerBytes) return corrupt();
  wire_reader trailer(bytes.substr(bytes.size() - kTrailerBytes));
  std::uint64_t stored = 0;
  if (!trailer.u64(stored) || stored != XXH3_64bits(bytes.data(), bytes.size() - kTrailerBytes))
    return corrupt();
  wire_reader r(bytes.substr(0, bytes.size() - kTrailerBytes));
  std::uint32_t magic = 0, total = 0;
  std::uint16_t major = 0, minor = 0;
  if (!r.u32(magic) || magic != kManifestMagic || !r.u16(major) || major != kManifestMajor ||
      !r.u16(minor) || !r.u32(total) || total != bytes.size())
    return corrupt();
  manifest m;
  std::uint8_t inlined = 0;
  std::uint32_t parts = 0;
  if (!decode_object_info(r, m.object) || !r.u64(m.seq) || !r.str(m.matrix, 64) || !r.u32(m.k) ||
      !r.u32(m.m) || !r.u32(m.block_size) || !r.u32(m.rotation) || !r.u8(inlined) ||
      !r.u32(parts) || parts > kMaxParts)
    return corrupt();
  if (m.matrix != kMatrixCauchy1 || m.k == 0 || m.k > 32 || m.m > m.k || m.block_size == 0 ||
      m.block_size % 64 != 0)
    return corrupt();
  m.inlined = inlined != 0;
  m.parts.resize(parts);
  for (part_layout& p : m.parts) {
    std::uint64_t blocks = 0;
    if (!decode_part_info(r, p.info) || !r.u64(blocks) || blocks > kMaxBlocksPerPart ||
        blocks * 8 > r.remaining())
      return corrupt();
    const part_geometry g{p.info.size, m.k, m.block_size};
    if (blocks != g.stripes() * (m.k + m.m)) return corrupt();
    p.block_checksums.resize(blocks);
    for (std::uint64_t& c : p.block_checksums)
      if (!r.u64(c)) return corrupt();
  }
  if (!r.str(m.inline_shard, 64u << 20) || !r.str(m.prev, 64u << 20) || r.remaining() != 0)
    return corrupt();
  return m;
}

}  // namespace kvgate::erasure
