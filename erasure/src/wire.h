// Little-endian binary encoding shared by the manifest and index records
// (docs/formats/erasure-layout.md, "Encoding"). Integers are fixed-width
// little-endian; strings and byte blocks are a u32 length then the bytes.
//
// wire_reader never reads past its input: every accessor returns false once the
// input is exhausted or malformed, and the caller turns that into errc::corrupt.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace kvgate::erasure {

class wire_writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put_le(v); }
  void u32(std::uint32_t v) { put_le(v); }
  void u64(std::uint64_t v) { put_le(v); }
  void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  std::string& buffer() noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  template <class T>
  void put_le(T v) {
    char b[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, sizeof(T));
  }
  std::string out_;
};

class wire_reader {
 public:
  explicit wire_reader(std::string_view in) : in_(in) {}
  bool u8(std::uint8_t& v) { return get_le(v); }
  bool u16(std::uint16_t& v) { return get_le(v); }
  bool u32(std::uint32_t& v) { return get_le(v); }
  bool u64(std::uint64_t& v) { return get_le(v); }
  bool i64(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!get_le(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  // Reads a length-prefixed string of at most max_len bytes.
  bool str(std::string& v, std::size_t max_len = 1 << 20) {
    std::uint32_t n = 0;
    if (!u32(n) || n > max_len || n > in_.size() - pos_) return false;
    v.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool raw(std::string_view& v, std::size_t n) {
    if (n > in_.size() - pos_) return false;
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::size_t position() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }

 private:
  template <class T>
  bool get_le(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    T r = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      r |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i));
    v = r;
    pos_ += sizeof(T);
    return true;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace kvgate::erasure
