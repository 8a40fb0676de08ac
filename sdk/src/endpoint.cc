#include "kvgate/sdk/endpoint.h"

#include <charconv>

#include "kvgate/protocol/uri.h"

namespace kvgate::sdk {
namespace {

bool is_ip_literal(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  if (host.empty()) return false;
  for (char c : host)
    if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::uint16_t default_port(bool tls) {
  return tls ? 443 : 80;
}

}  // namespace

std::string endpoint::authority() const {
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != default_port(tls)) out += ":" + std::to_string(port);
  return out;
}

result<endpoint> parse_endpoint(std::string_view url) {
  endpoint e;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    e.tls = true;
    url.remove_prefix(8);
  } else {
    return make_error(sdk_errc::invalid_endpoint, "endpoint must start with http:// or https://");
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find_first_of("/?#@ ") != std::string_view::npos)
    return make_error(sdk_errc::invalid_endpoint, "endpoint must be scheme://host[:port]");
  std::string_view port_text;
  if (url.front() == '[') {
    const auto close = url.find(']');
    if (close == std::string_view::npos)
      return make_error(sdk_errc::invalid_endpoint, "unterminated IPv6 address");
    e.host = std::string(url.substr(1, close - 1));
    e.ipv6 = true;
    url.remove_prefix(close + 1);
    if (!url.empty()) {
      if (url.front() != ':') return make_error(sdk_errc::invalid_endpoint, "bad port");
      port_text = url.substr(1);
    }
  } else {
    const auto colon = url.find(':');
    e.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port_text = url.substr(colon + 1);
  }
  if (e.host.empty()) return make_error(sdk_errc::invalid_endpoint, "empty host");
  e.port = default_port(e.tls);
  if (!port_text.empty() || url.ends_with(':')) {
    unsigned port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      return make_error(sdk_errc::invalid_endpoint, "bad port");
    e.port = static_cast<std::uint16_t>(port);
  }
  return e;
}

bool valid_bucket_name(std::string_view bucket) noexcept {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return bucket.front() != '.' && bucket.front() != '-' && bucket.back() != '.' &&
         bucket.back() != '-';
}

result<request_location> locate(const endpoint& server, addressing_style style,
                                std::string_view bucket, std::string_view key,
                                const std::optional<endpoint>& connect_to) {
  if (!bucket.empty() && !valid_bucket_name(bucket))
    return make_error(sdk_errc::invalid_argument, "invalid bucket name: " + std::string(bucket));
  if (bucket.empty() && !key.empty())
    return make_error(sdk_errc::invalid_argument, "a key needs a bucket");
  if (key.size() > 1024)
    return make_error(sdk_errc::invalid_argument, "key longer than 1024 bytes");
  request_location loc;
  const std::string encoded_key = protocol::uri_encode(key, protocol::slash_encoding::keep);
  if (style == addressing_style::virtual_hosted && !bucket.empty()) {
    if (is_ip_literal(server.host))
      return make_error(sdk_errc::invalid_argument,
                        "virtual-hosted addressing needs a host name endpoint, not an IP");
    endpoint host = server;
    host.host = std::string(bucket) + "." + server.host;
    loc.host_header = host.authority();
    loc.path = "/" + encoded_key;
  } else {
    loc.host_header = server.authority();
    loc.path =
        bucket.empty() ? "/" : "/" + std::string(bucket) + (key.empty() ? "" : "/") + encoded_key;
  }
  const endpoint& dial = connect_to ? *connect_to : server;
  loc.dial_host = dial.host;
  loc.dial_port = dial.port;
  if (style == addressing_style::virtual_hosted && !bucket.empty() && !connect_to)
    loc.dial_host = std::string(bucket) + "." + server.host;
  return loc;
}

}  // namespace kvgate::sdk
