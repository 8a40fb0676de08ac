// One blocking, keep-alive HTTP/1.1 client connection over a loopback TCP
// socket, for load generation in perf/. Sends a prepared request head plus an
// optional body, reads the response head, and reads and discards the body
// (counting its bytes) so a benchmark measures the server, not the client's
// parsing. Only Content-Length framed responses are supported (kvgate and
// nginx frame every response this way); chunked responses fail.
//
// Lifetime: owns its socket (closed by the destructor); movable, not copyable.
// Thread safety: one thread per connection.
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

// What a response carried: status, body bytes read, whether the server asked
// to close, and the first bytes of the body of an error response.
struct http_response_info {
  int status = 0;
  std::size_t body_bytes = 0;
  bool close = false;
  std::string error_body;  // up to kErrorBodyKeep bytes, non-2xx only
};

class http_connection {
 public:
  static constexpr std::size_t kReadChunk = std::size_t{1} << 20;  // bytes per recv()
  static constexpr std::size_t kMaxHead = 64 * 1024;
  static constexpr std::size_t kErrorBodyKeep = 512;

  // Connects to an IPv4 address (callers pass loopback) and sets TCP_NODELAY.
  static result<http_connection> open(const std::string& ipv4, std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1)
      return std::make_error_code(std::errc::invalid_argument);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::error_code(errno, std::generic_category());
    http_connection c(fd);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return std::error_code(errno, std::generic_category());
    return c;
  }

  http_connection(http_connection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), buf_(std::move(other.buf_)) {}
  http_connection& operator=(http_connection&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
      buf_ = std::move(other.buf_);
    }
    return *this;
  }
  http_connection(const http_connection&) = delete;
  http_connection& operator=(const http_connection&) = delete;
  ~http_connection() { reset(); }

  // Sends `head` (request line, headers, blank line) and `body`, then reads
  // the whole response. `head_request` tells that the response has no body
  // whatever its Content-Length says.
  result<http_response_info> exchange(std::string_view head, std::span<const char> body,
                                      bool head_request) {
    if (auto r = send_all(head, body.empty() ? 0 : MSG_MORE); !r) return r.error();
    if (!body.empty())
      if (auto r = send_all(std::string_view(body.data(), body.size()), 0); !r) return r.error();
    return read_response(head_request);
  }

 private:
  explicit http_connection(int fd) : fd_(fd), buf_(kReadChunk) {}

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

  result<http_response_info> read_response(bool head_request) {
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
    const std::size_t already = head.size() - (end + 4);
    std::string_view lines(head.data(), end);

    http_response_info info;
    const auto first_eol = lines.find("\r\n");
    const std::string_view status_line = lines.substr(0, first_eol);
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1."))
      return std::make_error_code(std::errc::protocol_error);
    std::from_chars(status_line.data() + 9, status_line.data() + 12, info.status);
    info.close = status_line.starts_with("HTTP/1.0");

    std::optional<std::size_t> length;
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
        std::from_chars(value.data(), value.data() + value.size(), v);
        length = v;
      } else if (iequals(name, "connection")) {
        info.close = iequals(value, "close");
      } else if (iequals(name, "transfer-encoding")) {
        return std::make_error_code(std::errc::not_supported);
      }
    }
    const bool ok = info.status >= 200 && info.status < 300;
    const std::size_t want =
        head_request || info.status == 204 || info.status == 304 ? 0 : length.value_or(0);
    if (!length && !head_request && info.status != 204 && info.status != 304)
      return std::make_error_code(std::errc::not_supported);  // close-delimited body
    std::size_t got = std::min(already, want);
    if (!ok) info.error_body.assign(head, end + 4, std::min(got, kErrorBodyKeep));
    while (got < want) {
      auto n = receive();
      if (!n) return n.error();
      const std::size_t used = std::min(*n, want - got);
      if (!ok && info.error_body.size() < kErrorBodyKeep)
        info.error_body.append(buf_.data(),
                               std::min(used, kErrorBodyKeep - info.error_body.size()));
      got += used;
    }
    info.body_bytes = got;
    return info;
  }

  int fd_ = -1;
  std::vector<char> buf_;
};

}  // namespace kvgate::perf
