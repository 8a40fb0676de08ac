#include "kvgate/s3/body_pipeline.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <new>

#include "kvgate/protocol/http_view.h"
#include "kvgate/s3/storage_errors.h"
#include "kvgate/s3/upload_etag.h"

namespace kvgate::s3 {
namespace {

using protocol::s3_error;
using plan_result = boost::system::result<body_plan, s3_failure>;

bool is_hex64(std::string_view s) noexcept {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_checksum_value(protocol::checksum_algorithm a, std::string_view value) {
  auto raw = protocol::base64_decode(value);
  return raw && raw->size() == protocol::digest_size(a);
}

}  // namespace

plan_result plan_body(const s3_request& req, const http::request_header<>& header,
                      std::optional<std::uint64_t> content_length) {
  body_plan plan;
  plan.decoded_length = content_length;
  if (req.sigv4) {
    const auto& ph = req.sigv4->payload_hash;
    plan.chunked = protocol::aws_chunked_mode_for(ph);
    if (!plan.chunked && is_hex64(ph)) plan.sha256_hex = lower(ph);
  }
  if (plan.chunked) {
    plan.decoded_length.reset();
    if (auto it = header.find("x-amz-decoded-content-length"); it != header.end()) {
      std::uint64_t n = 0;
      const auto v = it->value();
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size()) {
        return s3_failure{s3_error::invalid_argument,
                          "x-amz-decoded-content-length is not a number"};
      }
      plan.decoded_length = n;
    } else if (*plan.chunked == protocol::aws_chunked_mode::signed_payload) {
      return s3_failure{s3_error::missing_content_length,
                        "x-amz-decoded-content-length is required for aws-chunked uploads"};
    }
  }
  if (auto it = header.find("content-md5"); it != header.end()) {
    auto md5 = protocol::base64_decode(it->value());
    if (!md5 || md5->size() != 16) {
      return s3_failure{s3_error::invalid_digest, "The Content-MD5 you specified was invalid."};
    }
    plan.content_md5 = std::move(*md5);
  }
  for (const auto& f : header) {
    auto alg = protocol::checksum_from_header_name(f.name_string());
    if (!alg) continue;
    if (plan.checksum) {
      return s3_failure{
          s3_error::invalid_request,
          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."};
    }
    if (!valid_checksum_value(*alg, f.value())) {
      return s3_failure{
          s3_error::invalid_request,
          fmt::format("Value for {} header is invalid.", protocol::checksum_header_name(*alg))};
    }
    plan.checksum = alg;
    plan.checksum_value = std::string(f.value());
  }
  if (auto it = header.find("x-amz-trailer"); it != header.end()) {
    const auto name = lower(it->value());
    auto alg = protocol::checksum_from_header_name(name);
    if (!alg) {
      return s3_failure{s3_error::invalid_request,
                        "The value specified in the x-amz-trailer header is not supported"};
    }
    const bool trailer_mode =
        plan.chunked && *plan.chunked != protocol::aws_chunked_mode::signed_payload;
    if (!trailer_mode) {
      return s3_failure{s3_error::invalid_request,
                        "x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256"};
    }
    if (plan.checksum) {
      return s3_failure{
          s3_error::invalid_request,
          "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."};
    }
    plan.checksum = alg;
    plan.checksum_value = std::string();  // arrives in the trailer
  }
  return plan;
}

// XXH3-128 streaming state (RAII over XXH3_createState / XXH3_freeState).
struct body_digests::xxh3_stream {
  struct free_state {
    void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
  };
  std::unique_ptr<XXH3_state_t, free_state> state{XXH3_createState()};
};

body_digests::body_digests(const body_plan& plan, gateway::etag_style etag) {
  if (etag == gateway::etag_style::md5 || plan.content_md5) {
    md5_.emplace(protocol::checksum_algorithm::md5);
  } else {
    xxh3_ = std::make_unique<xxh3_stream>();
    if (!xxh3_->state) throw std::bad_alloc();
    XXH3_128bits_reset(xxh3_->state.get());
  }
  if (plan.sha256_hex) sha256_.emplace(protocol::checksum_algorithm::sha256);
  if (plan.checksum) checksum_.emplace(*plan.checksum);
}

body_digests::body_digests(body_digests&&) noexcept = default;
body_digests& body_digests::operator=(body_digests&&) noexcept = default;
body_digests::~body_digests() = default;

void body_digests::update(std::span<const std::byte> data) {
  const protocol::byte_view v(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  if (md5_) md5_->update(v);
  if (xxh3_) XXH3_128bits_update(xxh3_->state.get(), data.data(), data.size());
  if (sha256_) sha256_->update(v);
  if (checksum_) checksum_->update(v);
  bytes_ += data.size();
}

void body_digests::finish() {
  if (md5_) md5_digest_ = md5_->finish();
  if (xxh3_) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(xxh3_->state.get()));
    xxh3_digest_.assign(std::begin(canonical.digest), std::end(canonical.digest));
  }
  if (sha256_) sha256_digest_ = sha256_->finish();
  if (checksum_) checksum_digest_ = checksum_->finish();
}

std::string body_digests::etag() const {
  return md5_ ? md5_etag(md5_digest_) : xxh3_etag(xxh3_digest_);
}

body_pipeline::body_pipeline(gateway::request_context& ctx, const s3_request& req,
                             const body_plan& plan, std::size_t buffer_bytes)
    : ctx_(ctx), plan_(plan), buffer_bytes_(std::max<std::size_t>(buffer_bytes, 64 * 1024)) {
  if (!plan.chunked) return;
  if (*plan.chunked == protocol::aws_chunked_mode::unsigned_trailer) {
    decoder_.emplace(plan.decoded_length);
  } else {
    const auto& s = *req.sigv4;
    decoder_.emplace(
        *plan.chunked,
        protocol::sigv4_chunk_chain(s.key, s.amz_date, s.credential.scope(), s.seed_signature),
        plan.decoded_length);
  }
}

s3_failure body_read_failure(const std::error_code& ec) {
  return s3_failure{s3_error_for(ec), ec.message()};
}

asio::awaitable<boost::system::result<std::span<const std::byte>, s3_failure>>
body_pipeline::async_next() {
  for (;;) {
    if (pos_ < end_) {
      if (!decoder_) {
        std::span<const std::byte> out(buffer_.get() + pos_, end_ - pos_);
        pos_ = end_;
        co_return out;
      }
      const protocol::byte_view in(reinterpret_cast<const std::uint8_t*>(buffer_.get() + pos_),
                                   end_ - pos_);
      auto step = decoder_->decode(in);
      if (!step) co_return s3_failure{s3_error_for(step.error()), step.error().message()};
      if (step->consumed == 0 && step->payload.empty()) {
        co_return s3_failure{s3_error::invalid_request, "aws-chunked decoder made no progress"};
      }
      pos_ += step->consumed;
      if (!step->payload.empty()) {
        co_return std::as_bytes(std::span(step->payload.data(), step->payload.size()));
      }
      continue;
    }
    if (eof_) co_return std::span<const std::byte>();
    pos_ = end_ = 0;
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<std::byte[]>(buffer_bytes_);
    auto n = co_await ctx_.async_read_some_body(std::span(buffer_.get(), buffer_bytes_));
    if (!n) co_return body_read_failure(n.error());
    if (*n == 0) {
      eof_ = true;
      continue;
    }
    end_ = *n;
  }
}

asio::awaitable<boost::system::result<std::size_t, s3_failure>> body_pipeline::async_fill(
    std::span<std::byte> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    if (!decoder_) {
      if (eof_) break;
      auto n = co_await ctx_.async_read_some_body(out.subspan(filled));
      if (!n) co_return body_read_failure(n.error());
      if (*n == 0) {
        eof_ = true;
        break;
      }
      filled += *n;
      continue;
    }
    if (pending_.empty()) {
      auto next = co_await async_next();
      if (!next) co_return next.error();
      if (next->empty()) break;
      pending_ = *next;
    }
    const std::size_t n = std::min(pending_.size(), out.size() - filled);
    std::memcpy(out.data() + filled, pending_.data(), n);
    pending_ = pending_.subspan(n);
    filled += n;
  }
  co_return filled;
}

boost::system::result<erasure::s3_checksum, s3_failure> body_pipeline::finish(
    const body_digests& digests) {
  if (decoder_) {
    if (auto r = decoder_->finish(); !r)
      return s3_failure{s3_error_for(r.error()), r.error().message()};
  }
  if (plan_.decoded_length && digests.bytes() != *plan_.decoded_length) {
    return s3_failure{s3_error::incomplete_body, {}};
  }
  if (plan_.sha256_hex && protocol::hex_encode(digests.sha256()) != *plan_.sha256_hex) {
    return s3_failure{s3_error::x_amz_content_sha256_mismatch, {}};
  }
  if (plan_.content_md5 && *plan_.content_md5 != digests.md5()) {
    return s3_failure{s3_error::bad_digest, {}};
  }
  erasure::s3_checksum out;
  if (!plan_.checksum) return out;
  std::string value = plan_.checksum_value.value_or(std::string());
  if (value.empty() && decoder_) {
    const auto* t = decoder_->find_trailer(protocol::checksum_header_name(*plan_.checksum));
    if (t == nullptr) {
      return s3_failure{s3_error::invalid_request,
                        "The trailer declared in x-amz-trailer was not sent."};
    }
    if (!valid_checksum_value(*plan_.checksum, t->value)) {
      return s3_failure{s3_error::invalid_request,
                        fmt::format("Value for {} trailing header is invalid.",
                                    protocol::checksum_header_name(*plan_.checksum))};
    }
    value = t->value;
  }
  if (protocol::base64_encode(digests.checksum()) != value) {
    return s3_failure{s3_error::bad_digest,
                      fmt::format("The {} you specified did not match the calculated checksum.",
                                  protocol::algorithm_name(*plan_.checksum))};
  }
  out.algorithm = std::string(protocol::algorithm_name(*plan_.checksum));
  out.type = "FULL_OBJECT";
  out.value = std::move(value);
  return out;
}

}  // namespace kvgate::s3
