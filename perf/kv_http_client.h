// One blocking keep-alive HTTP/1.1 client connection for the KV workload
// generator (perf/kv_load.cc). Unlike http_connection.h (which discards
// bodies), it hands every body byte to a caller's sink with its offset, so a
// GET can be verified as it streams in, and it keeps the response headers a
// KV client relies on (ETag, Content-Range, Content-Length) and small bodies
// (S3 XML replies, error documents).
//
// Only Content-Length framed responses are supported (kvgate frames every
// response this way); chunked or close-delimited bodies fail with
// errc::not_supported.
//
// Lifetime: owns its socket (closed by the destructor); movable, not
// copyable. Thread safety: one thread per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kvgate/protocol/result.h"

namespace kvgate::perf {

using kvgate::protocol::result;

// What a response carried.
struct kv_http_reply {
  int status = 0;
  std::size_t body_bytes = 0;
  bool close = false;  // the server asked to close (or spoke HTTP/1.0)
  std::optional<std::size_t> content_length;
  std::string etag;           // as sent, quotes included
  std::string content_range;  // e.g. "bytes 0-8388607/33554432"
  std::string body;           // the captured part of the body (see exchange())
};

// Receives a response body piece by piece: (offset of the piece in the body, bytes).
using body_sink = std::function<void(std::size_t, std::span<const char>)>;

class kv_http_connection {
 public:
  static constexpr std::size_t kReadChunk = std::size_t{1} << 20;  // bytes per recv()
  static constexpr std::size_t kMaxHead = 64 * 1024;
  static constexpr std::size_t kErrorBodyKeep = 4096;

  // Connects to an IPv4 address (callers pass loopback) with TCP_NODELAY.
  static result<kv_http_connection> open(const std::string& ipv4, std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1)
      return std::make_error_code(std::errc::invalid_argument);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::error_code(errno, std::generic_category());
    kv_http_connection c(fd);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return std::error_code(errno, std::generic_category());
    return c;
  }

  kv_http_connection(kv_http_connection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), buf_(std::move(other.buf_)) {}
  kv_http_connection& operator=(kv_http_connection&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      buf_ = std::move(other.buf_);
    }
    return *this;
  }
  kv_http_connection(const kv_http_connection&) = delete;
  kv_http_connection& operator=(const kv_http_connection&) = delete;
  ~kv_http_connection() { reset(); }

  // Sends `head` (request line, headers, blank line) and `body`, then reads
  // the whole response. `head_request`: the response has no body whatever its
  // Content-Length says. Body bytes of a 2xx response go to `sink` when it is
  // set; the first `capture` bytes of a 2xx body (and the first
  // kErrorBodyKeep bytes of any other) are also kept in reply.body.
  result<kv_http_reply> exchange(std::string_view head, std::span<const char> body,
                                 bool head_request, const body_sink* sink = nullptr,
                                 std::size_t capture = 0) {
    if (auto r = send_all(head, body.empty() ? 0 : MSG_MORE); !r) return r.error();
    if (!body.empty())
      if (auto r = send_all(std::string_view(body.data(), body.size()), 0); !r) return r.error();
    return read_response(head_request, sink, capture);
  }

 private:
  explicit kv_http_connection(int fd) : fd_(fd), buf_(kReadChunk) {}

  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  result<void> send_all(std::string_view data, int flags) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return std::error_code(errno, std::generic_category());
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }

  result<std::size_t> receive() {
    for (;;) {
      const ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) return std::make_error_code(std::errc::connection_reset);
      if (errno != EINTR) return std::error_code(errno, std::generic_category());
    }
  }

  static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return (x | 0x20) == (y | 0x20);
           });
  }

  static std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r'))
      v.remove_suffix(1);
    return v;
  }

  // Parses the status line and the headers of `lines` (the head without its blank line).
  static result<kv_http_reply> parse_head(std::string_view lines) {
    kv_http_reply info;
    const auto first_eol = lines.find("\r\n");
    const std::string_view status_line = lines.substr(0, first_eol);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1."))
      return std::make_error_code(std::errc::protocol_error);
    if (std::from_chars(status_line.data() + 9, status_line.data() + 12, info.status).ec !=
        std::errc())
      return std::make_error_code(std::errc::protocol_error);
    info.close = status_line.starts_with("HTTP/1.0");
    std::size_t pos = first_eol == std::string_view::npos ? lines.size() : first_eol + 2;
    while (pos < lines.size()) {
      auto eol = lines.find("\r\n", pos);
      if (eol == std::string_view::npos) eol = lines.size();
      const std::string_view line = lines.substr(pos, eol - pos);
      pos = eol + 2;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) {
        std::size_t v = 0;
        const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || p != value.data() + value.size())
          return std::make_error_code(std::errc::protocol_error);
        info.content_length = v;
      } else if (iequals(name, "connection")) {
        info.close = iequals(value, "close");
      } else if (iequals(name, "transfer-encoding")) {
        return std::make_error_code(std::errc::not_supported);
      } else if (iequals(name, "etag")) {
        info.etag = value;
      } else if (iequals(name, "content-range")) {
        info.content_range = value;
      }
    }
    return info;
  }

  result<kv_http_reply> read_response(bool head_request, const body_sink* sink,
                                      std::size_t capture) {
    std::string head;
    std::size_t end = std::string::npos;
    while (end == std::string::npos) {
      auto n = receive();
      if (!n) return n.error();
      head.append(buf_.data(), *n);
      end = head.find("\r\n\r\n");
      if (end == std::string::npos && head.size() > kMaxHead)
        return std::make_error_code(std::errc::message_size);
    }
    auto parsed = parse_head(std::string_view(head.data(), end));
    if (!parsed) return parsed.error();
    kv_http_reply info = std::move(*parsed);
    const bool no_body = head_request || info.status == 204 || info.status == 304;
    if (!info.content_length && !no_body)
      return std::make_error_code(std::errc::not_supported);  // close-delimited body
    const std::size_t want = no_body ? 0 : *info.content_length;
    const bool ok = info.status >= 200 && info.status < 300;
    const std::size_t keep = ok ? capture : kErrorBodyKeep;
    const body_sink* to = ok && sink != nullptr && *sink ? sink : nullptr;

    std::size_t got = 0;
    const auto deliver = [&](const char* data, std::size_t n) {
      if (info.body.size() < keep) info.body.append(data, std::min(n, keep - info.body.size()));
      if (to != nullptr) (*to)(got, std::span<const char>(data, n));
      got += n;
    };
    const std::size_t already = head.size() - (end + 4);
    if (already > want) return std::make_error_code(std::errc::protocol_error);  // pipelining
    if (already > 0) deliver(head.data() + end + 4, already);
    while (got < want) {
      auto n = receive();
      if (!n) return n.error();
      if (*n > want - got) return std::make_error_code(std::errc::protocol_error);
      deliver(buf_.data(), *n);
    }
    info.body_bytes = got;
    return info;
  }

  int fd_ = -1;
  std::vector<char> buf_;
};

}  // namespace kvgate::perf
