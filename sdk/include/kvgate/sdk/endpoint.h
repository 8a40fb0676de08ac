// The server a client talks to and how a (bucket, key) becomes a request.
//
// An endpoint is "http://host[:port]" or "https://host[:port]" (IPv6 hosts in
// brackets); nothing after the authority except an optional "/". Path-style
// addressing sends /bucket/key to the endpoint's host; virtual-hosted style
// sends /key to bucket.host (the server must be configured with that base
// domain, e.g. `kvgate serve --domain`). `connect_to` (like curl's
// --connect-to) dials another host:port than the Host header names, for
// virtual-hosted tests without wildcard DNS. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/sdk/error.h"

namespace kvgate::sdk {

enum class addressing_style { path, virtual_hosted };

struct endpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  bool ipv6 = false;

  // "host" or "host:port" as the Host header spells it (port omitted when default).
  std::string authority() const;
};

[[nodiscard]] result<endpoint> parse_endpoint(std::string_view url);

// Where one request goes: the Host header, the dial address and the
// once-encoded path (also the path SigV4 signs).
struct request_location {
  std::string host_header;
  std::string dial_host;
  std::uint16_t dial_port = 0;
  std::string path;  // "/bucket/key" or "/key", URI-encoded with '/' kept
};

// Bucket names must be 3-63 characters of [a-z0-9.-]; virtual-hosted style
// additionally refuses IP-literal endpoints. An empty key addresses the bucket.
// Errors: invalid_argument.
[[nodiscard]] result<request_location> locate(const endpoint& server, addressing_style style,
                                              std::string_view bucket, std::string_view key,
                                              const std::optional<endpoint>& connect_to = {});

bool valid_bucket_name(std::string_view bucket) noexcept;

}  // namespace kvgate::sdk
