// Incremental decoder for aws-chunked request bodies (Content-Encoding:
// aws-chunked), after HTTP chunked transfer decoding.
//
//   signed_payload   STREAMING-AWS4-HMAC-SHA256-PAYLOAD
//                    <hex>;chunk-signature=<64 hex>\r\n<data>\r\n ... 0;chunk-signature=..\r\n\r\n
//   unsigned_trailer STREAMING-UNSIGNED-PAYLOAD-TRAILER
//                    <hex>\r\n<data>\r\n ... 0\r\n<name>:<value>\r\n...\r\n
//   signed_trailer   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
//                    signed chunks, then trailer lines ending with
//                    x-amz-trailer-signature:<64 hex>\r\n\r\n
//
// A push parser: feed any byte slices (split anywhere). decode() consumes a
// prefix of its input and returns at most one payload span, which points into
// that input (no copy). Call it again with the rest until everything is
// consumed, then call finish() at end of body. Chunk data is hashed while it
// streams (never buffered), so payload bytes are handed out before their
// chunk signature is checked: the caller must not commit the object until
// finish() succeeds. Trailer values (e.g. x-amz-checksum-crc32) are exposed,
// not checked: comparing them with the body is the caller's job (checksum.h).
//
// After an error every later call returns the same error. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kvgate/protocol/checksum.h"
#include "kvgate/protocol/sigv4_chunk.h"

namespace kvgate::protocol {

enum class aws_chunked_mode { signed_payload, unsigned_trailer, signed_trailer };

// The mode an x-amz-content-sha256 value selects, or nullopt if it is not aws-chunked.
std::optional<aws_chunked_mode> aws_chunked_mode_for(std::string_view content_sha256) noexcept;

struct aws_chunked_limits {
  std::size_t max_chunk_header = 4096;  // one "<hex>;chunk-signature=...\r\n" line
  std::size_t max_trailer = 16 * 1024;  // all trailer lines together
};

struct trailer_field {
  std::string name;   // lower case
  std::string value;  // trimmed
};

class aws_chunked_decoder {
 public:
  // For unsigned_trailer. decoded_length is x-amz-decoded-content-length, if sent.
  explicit aws_chunked_decoder(std::optional<std::uint64_t> decoded_length,
                               aws_chunked_limits limits = {});
  // For signed_payload / signed_trailer; `chain` is seeded with the request signature.
  aws_chunked_decoder(aws_chunked_mode mode, sigv4_chunk_chain chain,
                      std::optional<std::uint64_t> decoded_length, aws_chunked_limits limits = {});

  struct step {
    std::size_t consumed = 0;  // bytes of the input used
    byte_view payload;         // decoded bytes, a sub-span of the input (may be empty)
  };
  [[nodiscard]] result<step> decode(byte_view input);

  // End of body: chunk_truncated unless the final chunk and trailer were seen.
  [[nodiscard]] result<void> finish();

  bool done() const noexcept { return state_ == state::done; }
  aws_chunked_mode mode() const noexcept { return mode_; }
  std::uint64_t decoded_bytes() const noexcept { return decoded_; }
  const std::vector<trailer_field>& trailers() const noexcept { return trailers_; }
  const trailer_field* find_trailer(std::string_view name) const noexcept;

 private:
  enum class state { chunk_header, chunk_data, chunk_crlf, trailer, done, failed };

  result<void> on_header_line(std::string_view line);
  result<void> on_chunk_end();
  result<void> on_trailer_line(std::string_view line);
  result<void> on_trailer_end();
  result<void> fail(protocol_errc e);
  bool is_signed() const noexcept { return mode_ != aws_chunked_mode::unsigned_trailer; }

  aws_chunked_mode mode_;
  std::optional<sigv4_chunk_chain> chain_;
  std::optional<std::uint64_t> decoded_length_;
  aws_chunked_limits limits_;

  state state_ = state::chunk_header;
  std::error_code error_;
  std::string line_;  // partial header / trailer line
  std::size_t trailer_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // data bytes left in the current chunk
  std::size_t crlf_seen_ = 0;
  std::string chunk_signature_;
  std::optional<hasher> chunk_hash_;
  std::uint64_t decoded_ = 0;
  std::vector<trailer_field> trailers_;
  std::string trailer_signature_;
};

}  // namespace kvgate::protocol
