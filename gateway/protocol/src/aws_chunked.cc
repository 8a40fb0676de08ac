// aws-chunked push decoder (see aws_chunked.h).
#include "kvgate/protocol/aws_chunked.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kvgate::protocol {
namespace {

constexpr std::string_view kSignaturePrefix = "chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_lower_hex64(std::string_view s) noexcept {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

sha256_digest to_digest(const bytes& b) {
  sha256_digest d{};
  std::copy_n(b.begin(), d.size(), d.begin());
  return d;
}

}  // namespace

std::optional<aws_chunked_mode> aws_chunked_mode_for(std::string_view content_sha256) noexcept {
  if (content_sha256 == kStreamingSignedPayload) return aws_chunked_mode::signed_payload;
  if (content_sha256 == kStreamingUnsignedPayloadTrailer) return aws_chunked_mode::unsigned_trailer;
  if (content_sha256 == kStreamingSignedPayloadTrailer) return aws_chunked_mode::signed_trailer;
  return std::nullopt;
}

aws_chunked_decoder::aws_chunked_decoder(std::optional<std::uint64_t> decoded_length,
                                         aws_chunked_limits limits)
    : mode_(aws_chunked_mode::unsigned_trailer), decoded_length_(decoded_length), limits_(limits) {}

aws_chunked_decoder::aws_chunked_decoder(aws_chunked_mode mode, sigv4_chunk_chain chain,
                                         std::optional<std::uint64_t> decoded_length,
                                         aws_chunked_limits limits)
    : mode_(mode), chain_(std::move(chain)), decoded_length_(decoded_length), limits_(limits) {}

const trailer_field* aws_chunked_decoder::find_trailer(std::string_view name) const noexcept {
  for (const auto& t : trailers_) {
    if (iequals(t.name, name)) return &t;
  }
  return nullptr;
}

result<void> aws_chunked_decoder::fail(protocol_errc e) {
  state_ = state::failed;
  error_ = make_error_code(e);
  return error_;
}

result<aws_chunked_decoder::step> aws_chunked_decoder::decode(byte_view input) {
  std::size_t pos = 0;
  while (pos < input.size()) {
    switch (state_) {
      case state::failed:
        return error_;
      case state::done:
        return fail(protocol_errc::chunk_bad_framing).error();  // bytes after the end of the body
      case state::chunk_data: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - pos));
        const byte_view payload = input.subspan(pos, n);
        if (chunk_hash_) chunk_hash_->update(payload);
        remaining_ -= n;
        decoded_ += n;
        if (remaining_ == 0) state_ = state::chunk_crlf;
        return step{pos + n, payload};
      }
      case state::chunk_crlf: {
        const char expected = crlf_seen_ == 0 ? '\r' : '\n';
        if (static_cast<char>(input[pos++]) != expected)
          return fail(protocol_errc::chunk_bad_framing).error();
        if (++crlf_seen_ == 2) {
          if (auto r = on_chunk_end(); !r) return r.error();
        }
        break;
      }
      case state::chunk_header:
      case state::trailer: {
        // Accumulate one CRLF-terminated line.
        const auto* begin = reinterpret_cast<const char*>(input.data()) + pos;
        const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', input.size() - pos));
        const std::size_t take = nl ? static_cast<std::size_t>(nl - begin) + 1 : input.size() - pos;
        line_.append(begin, take);
        pos += take;
        const bool header = state_ == state::chunk_header;
        if (header && line_.size() > limits_.max_chunk_header)
          return fail(protocol_errc::chunk_header_too_long).error();
        if (!header && trailer_bytes_ + line_.size() > limits_.max_trailer) {
          return fail(protocol_errc::trailer_too_long).error();
        }
        if (!nl) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
          return fail(protocol_errc::chunk_bad_framing).error();
        const std::string line = line_.substr(0, line_.size() - 2);
        trailer_bytes_ += header ? 0 : line_.size();
        line_.clear();
        auto r = header ? on_header_line(line) : on_trailer_line(line);
        if (!r) return r.error();
        break;
      }
    }
  }
  return step{pos, {}};
}

result<void> aws_chunked_decoder::on_header_line(std::string_view line) {
  const auto semi = line.find(';');
  const std::string_view size_text = line.substr(0, semi);
  if (size_text.empty() || size_text.size() > 16) return fail(protocol_errc::chunk_bad_hex);
  std::uint64_t size = 0;
  for (char c : size_text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return fail(protocol_errc::chunk_bad_hex);
    size = size << 4 | static_cast<std::uint64_t>(v);
  }
  if (is_signed()) {
    if (semi == std::string_view::npos) return fail(protocol_errc::chunk_bad_framing);
    const std::string_view ext = line.substr(semi + 1);
    if (ext.substr(0, kSignaturePrefix.size()) != kSignaturePrefix)
      return fail(protocol_errc::chunk_bad_framing);
    const std::string_view sig = ext.substr(kSignaturePrefix.size());
    if (!is_lower_hex64(sig)) return fail(protocol_errc::chunk_bad_framing);
    chunk_signature_.assign(sig);
    chunk_hash_.emplace(checksum_algorithm::sha256);
  } else if (semi != std::string_view::npos) {
    return fail(protocol_errc::chunk_bad_framing);
  }
  if (decoded_length_ && size > *decoded_length_ - decoded_)
    return fail(protocol_errc::body_too_long);
  if (size == 0) {
    if (is_signed()) {
      if (!chain_->verify_chunk(sha256(byte_view{}), chunk_signature_)) {
        return fail(protocol_errc::chunk_signature_mismatch);
      }
    }
    chunk_hash_.reset();
    state_ = state::trailer;
    return {};
  }
  remaining_ = size;
  crlf_seen_ = 0;
  state_ = state::chunk_data;
  return {};
}

result<void> aws_chunked_decoder::on_chunk_end() {
  if (is_signed()) {
    if (!chain_->verify_chunk(to_digest(chunk_hash_->finish()), chunk_signature_)) {
      return fail(protocol_errc::chunk_signature_mismatch);
    }
  }
  chunk_hash_.reset();
  state_ = state::chunk_header;
  return {};
}

result<void> aws_chunked_decoder::on_trailer_line(std::string_view line) {
  if (line.empty()) return on_trailer_end();
  if (mode_ == aws_chunked_mode::signed_payload) return fail(protocol_errc::chunk_bad_framing);
  if (!trailer_signature_.empty())
    return fail(protocol_errc::chunk_bad_framing);  // signature must be last
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail(protocol_errc::chunk_bad_framing);
  std::string name(trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string_view value = trim(line.substr(colon + 1));
  if (name == kTrailerSignature) {
    if (mode_ != aws_chunked_mode::signed_trailer || !is_lower_hex64(value)) {
      return fail(protocol_errc::chunk_bad_framing);
    }
    trailer_signature_.assign(value);
    return {};
  }
  trailers_.push_back({std::move(name), std::string(value)});
  return {};
}

result<void> aws_chunked_decoder::on_trailer_end() {
  if (mode_ == aws_chunked_mode::signed_trailer) {
    if (trailer_signature_.empty()) return fail(protocol_errc::chunk_bad_framing);
    std::string canonical;
    for (const auto& t : trailers_)
      canonical.append(t.name).append(":").append(t.value).append("\n");
    if (!chain_->verify_trailer(sha256(canonical), trailer_signature_)) {
      return fail(protocol_errc::chunk_signature_mismatch);
    }
  }
  if (decoded_length_ && decoded_ != *decoded_length_) return fail(protocol_errc::incomplete_body);
  state_ = state::done;
  return {};
}

result<void> aws_chunked_decoder::finish() {
  if (state_ == state::failed) return error_;
  if (state_ != state::done) return fail(protocol_errc::chunk_truncated);
  return {};
}

}  // namespace kvgate::protocol
