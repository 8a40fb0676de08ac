// A minimal blocking HTTP/1.1 S3 client for the RDMA test client
// (kvgate_rdma_client): one keep-alive TCP connection, requests SigV4-signed
// with kvgate::protocol's signer (payload UNSIGNED-PAYLOAD; every extra
// header the caller passes is signed, so x-amz-rdma-* land in SignedHeaders),
// whole responses with all their headers. The idea of perf/kv_http_client.h,
// keeping headers and body instead of streaming them to a sink.
//
// Only Content-Length framed responses (kvgate frames every response so).
// Lifetime: owns its socket; not copyable. One thread per client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kvgate/protocol/result.h"
#include "kvgate/protocol/sigv4_signer.h"

namespace kvgate::rdma_tools {

namespace proto = kvgate::protocol;
using proto::result;

struct http_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  // The first header named `name` (lowercase), or "".
  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return {};
  }
  bool has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [name](const auto& h) { return h.first == name; });
  }
};

// One request: path already URI-encoded, headers lowercase (all signed).
struct http_request {
  std::string method = "GET";
  std::string path = "/";
  proto::query_params query;
  std::vector<proto::owned_header> headers;
  std::string body;
};

class s3_http_client {
 public:
  s3_http_client(std::string ipv4, std::uint16_t port, proto::signing_credentials credentials)
      : ip_(std::move(ipv4)), port_(port), credentials_(std::move(credentials)) {}
  s3_http_client(const s3_http_client&) = delete;
  s3_http_client& operator=(const s3_http_client&) = delete;
  ~s3_http_client() { disconnect(); }

  const proto::signing_credentials& credentials() const noexcept { return credentials_; }

  // Signs and sends `req`, returns the whole response. A request on a
  // keep-alive connection the server closed meanwhile is retried once.
  result<http_reply> send(const http_request& req) {
    auto head = render(req);
    if (!head) return head.error();
    const bool is_head = req.method == "HEAD";
    for (int attempt = 0;; ++attempt) {
      const bool fresh = fd_ < 0;
      if (fresh)
        if (auto c = connect(); !c) return c.error();
      auto reply = exchange(*head, req.body, is_head);
      if (reply || fresh || attempt > 0) {
        if (!reply || close_after_) disconnect();
        return reply;
      }
      disconnect();
    }
  }

  // Sends the signed head of `req` (and its body) without reading the
  // answer: for a client that is about to be killed mid-request.
  result<void> send_only(const http_request& req) {
    auto head = render(req);
    if (!head) return head.error();
    if (fd_ < 0)
      if (auto c = connect(); !c) return c.error();
    if (auto r = send_all(*head); !r) return r;
    return send_all(req.body);
  }

  void disconnect() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  static constexpr std::size_t kReadChunk = std::size_t{1} << 20;
  static constexpr std::size_t kMaxHead = 64 * 1024;

  result<std::string> render(const http_request& req) const {
    std::string target = req.path;
    for (std::size_t i = 0; i < req.query.size(); ++i) {
      target += i == 0 ? '?' : '&';
      target += proto::uri_encode(req.query[i].name, proto::slash_encoding::encode);
      if (req.query[i].has_value)
        target += "=" + proto::uri_encode(req.query[i].value, proto::slash_encoding::encode);
    }
    const std::string host = ip_ + ":" + std::to_string(port_);
    proto::request_to_sign to_sign{
        req.method, req.path, req.query, {{"host", host}}, std::string(proto::kUnsignedPayload)};
    for (const auto& h : req.headers) to_sign.headers.push_back(h);
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto signed_req = proto::sign_request(credentials_, to_sign, now);
    if (!signed_req) return signed_req.error();
    std::string head = req.method + " " + target + " HTTP/1.1\r\n";
    for (const auto& h : to_sign.headers) head += h.name + ": " + h.value + "\r\n";
    for (const auto& h : signed_req->added_headers) head += h.name + ": " + h.value + "\r\n";
    head += "content-length: " + std::to_string(req.body.size()) + "\r\n\r\n";
    return head;
  }

  result<void> connect() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    if (::inet_pton(AF_INET, ip_.c_str(), &addr.sin_addr) != 1)
      return std::make_error_code(std::errc::invalid_argument);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return std::error_code(errno, std::generic_category());
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const std::error_code ec(errno, std::generic_category());
      disconnect();
      return ec;
    }
    return {};
  }

  result<void> send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return std::error_code(errno, std::generic_category());
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  result<std::size_t> receive(std::vector<char>& buf) {
    for (;;) {
      const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return std::make_error_code(std::errc::connection_reset);
      if (errno != EINTR) return std::error_code(errno, std::generic_category());
    }
  }

  static std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
      v.remove_suffix(1);
    return v;
  }

  result<http_reply> exchange(std::string_view head, std::string_view body, bool head_request) {
    if (auto r = send_all(head); !r) return r.error();
    if (auto r = send_all(body); !r) return r.error();
    std::vector<char> buf(kReadChunk);
    std::string raw;
    std::size_t end = std::string::npos;
    while (end == std::string::npos) {
      auto n = receive(buf);
      if (!n) return n.error();
      raw.append(buf.data(), *n);
      end = raw.find("\r\n\r\n");
      if (end == std::string::npos && raw.size() > kMaxHead)
        return std::make_error_code(std::errc::message_size);
    }
    http_reply reply;
    const std::string_view lines(raw.data(), end);
    const auto first_eol = lines.find("\r\n");
    const std::string_view status_line = lines.substr(0, first_eol);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, reply.status).ec !=
            std::errc())
      return std::make_error_code(std::errc::protocol_error);
    close_after_ = status_line.starts_with("HTTP/1.0");
    std::optional<std::size_t> length;
    std::size_t pos = first_eol == std::string_view::npos ? lines.size() : first_eol + 2;
    while (pos < lines.size()) {
      auto eol = lines.find("\r\n", pos);
      if (eol == std::string_view::npos) eol = lines.size();
      const std::string_view line = lines.substr(pos, eol - pos);
      pos = eol + 2;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const std::string value(trim(line.substr(colon + 1)));
      if (name == "content-length") {
        std::size_t v = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), v).ec != std::errc())
          return std::make_error_code(std::errc::protocol_error);
        length = v;
      } else if (name == "connection") {
        close_after_ = value == "close";
      } else if (name == "transfer-encoding") {
        return std::make_error_code(std::errc::not_supported);
      }
      reply.headers.emplace_back(std::move(name), value);
    }
    const bool no_body = head_request || reply.status == 204 || reply.status == 304;
    if (!no_body && !length) return std::make_error_code(std::errc::not_supported);
    const std::size_t want = no_body ? 0 : *length;
    reply.body.reserve(want);
    reply.body.append(raw, end + 4, std::string::npos);
    if (reply.body.size() > want) return std::make_error_code(std::errc::protocol_error);
    while (reply.body.size() < want) {
      auto n = receive(buf);
      if (!n) return n.error();
      reply.body.append(buf.data(), std::min(*n, want - reply.body.size()));
    }
    return reply;
  }

  std::string ip_;
  std::uint16_t port_;
  proto::signing_credentials credentials_;
  int fd_ = -1;
  bool close_after_ = false;
};

}  // namespace kvgate::rdma_tools
