// S3 requests of the KV workload generator at the wire level: the request
// heads (SigV4-signed with kvgate::protocol's client signer, payload
// UNSIGNED-PAYLOAD, as awscrt sends them for LMCache), one keep-alive
// connection per s3_channel that reopens after a transport error or a
// "Connection: close", and the shared request budget of a run.
//
// Lifetime: an s3_channel refers to its s3_endpoint and run_budget, which
// outlive it. Thread safety: s3_endpoint and run_budget are shared by all
// threads (immutable / atomic); an s3_channel belongs to one thread at a time.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench_report.h"
#include "kv_http_client.h"
#include "kv_op_stats.h"
#include "kv_pattern.h"
#include "kvgate/protocol/sigv4.h"
#include "kvgate/protocol/sigv4_signer.h"
#include "kvgate/protocol/uri.h"

namespace kvgate::perf {

namespace proto = kvgate::protocol;

// Where requests go and how they are signed (unsigned when no credentials).
struct s3_endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string bucket;
  std::optional<proto::signing_credentials> credentials;

  std::string host_header() const { return fmt::format("{}:{}", host, port); }

  // A request head for /<bucket>[/<key>] with `query` and `extra` header
  // lines ("name: value\r\n" each, not signed). Signs with the current time.
  result<std::string> head(std::string_view method, std::string_view key,
                           const proto::query_params& query = {}, std::string_view extra = {},
                           std::optional<std::size_t> content_length = std::nullopt) const {
    std::string path = "/" + bucket;
    if (!key.empty()) path += "/" + proto::uri_encode(key, proto::slash_encoding::keep);
    std::string target = path;
    for (std::size_t i = 0; i < query.size(); ++i) {
      target += i == 0 ? '?' : '&';
      target += proto::uri_encode(query[i].name, proto::slash_encoding::encode);
      if (query[i].has_value)
        target += "=" + proto::uri_encode(query[i].value, proto::slash_encoding::encode);
    }
    const std::string host_value = host_header();
    std::string h = fmt::format("{} {} HTTP/1.1\r\nhost: {}\r\n", method, target, host_value);
    if (content_length) h += fmt::format("content-length: {}\r\n", *content_length);
    h += extra;
    if (credentials) {
      proto::request_to_sign req{std::string(method),
                                 path,
                                 query,
                                 {{"host", host_value}},
                                 std::string(proto::kUnsignedPayload)};
      const auto now =
          std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
      auto signed_req = proto::sign_request(*credentials, req, now);
      if (!signed_req) return signed_req.error();
      for (const auto& a : signed_req->added_headers)
        h += fmt::format("{}: {}\r\n", a.name, a.value);
    }
    h += "\r\n";
    return h;
  }
};

// Bounds a run: no new unit of work (an object, a prompt, a chat round)
// starts after the deadline or once max_requests HTTP requests were sent.
struct run_budget {
  bench_clock::time_point deadline;
  std::size_t max_requests = 0;
  std::atomic<std::size_t> sent{0};

  bool may_start() const {
    return sent.load(std::memory_order_relaxed) < max_requests && bench_clock::now() < deadline;
  }
};

inline double ms_since(bench_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(bench_clock::now() - start).count();
}

// One keep-alive connection plus the tallies and scratch buffer of the thread using it.
class s3_channel {
 public:
  s3_channel(const s3_endpoint& endpoint, run_budget& budget)
      : endpoint_(&endpoint), budget_(&budget) {}

  const s3_endpoint& endpoint() const { return *endpoint_; }
  op_stats& stats() { return stats_; }

  // The pattern bytes [offset, offset + size) of the object with `seed`, in
  // this channel's scratch buffer. Refilling for another key at the same
  // offset and size only rewrites the stamps.
  std::span<const char> pattern_body(std::uint64_t seed, std::uint64_t offset, std::size_t size) {
    if (filled_ && filled_offset_ == offset && scratch_.size() == size) {
      if (filled_seed_ != seed) segment_pattern::restamp(seed, offset, std::span<char>(scratch_));
    } else {
      scratch_.resize(size);
      segment_pattern::fill(seed, offset, std::span<char>(scratch_.data(), size));
      filled_ = true;
      filled_offset_ = offset;
    }
    filled_seed_ = seed;
    return {scratch_.data(), size};
  }

  // Opens the connection if needed, sends one request and reads its reply.
  // A transport failure drops the connection (the next call reconnects).
  result<kv_http_reply> send(std::string_view head, std::span<const char> body = {},
                             bool head_request = false, const body_sink* sink = nullptr,
                             std::size_t capture = 0) {
    budget_->sent.fetch_add(1, std::memory_order_relaxed);
    if (!conn_) {
      auto c = kv_http_connection::open(endpoint_->host, endpoint_->port);
      if (!c) return c.error();
      conn_.emplace(std::move(*c));
    }
    auto reply = conn_->exchange(head, body, head_request, sink, capture);
    if (!reply || reply->close) conn_.reset();
    return reply;
  }

  void disconnect() { conn_.reset(); }

 private:
  const s3_endpoint* endpoint_;
  run_budget* budget_;
  std::optional<kv_http_connection> conn_;
  op_stats stats_;
  std::vector<char> scratch_;  // request body: pattern bytes of (filled_seed_, filled_offset_)
  bool filled_ = false;
  std::uint64_t filled_seed_ = 0;
  std::uint64_t filled_offset_ = 0;
};

// "HTTP 404: <first bytes of the body>" for an unexpected status.
inline std::string describe_status(const kv_http_reply& r) {
  std::string body = r.body.substr(0, 300);
  for (auto& c : body)
    if (c == '\r' || c == '\n') c = ' ';
  return fmt::format("HTTP {}: {}", r.status, body);
}

}  // namespace kvgate::perf
