#include "kvgate/s3/addressing.h"

#include <algorithm>
#include <cctype>

#include "kvgate/protocol/http_view.h"
#include "kvgate/protocol/uri.h"

namespace kvgate::s3 {
namespace {

// Drops ":port" from a Host value ("[::1]:9000" keeps the brackets' content).
std::string_view strip_port(std::string_view host) noexcept {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const auto colon = host.rfind(':');
  if (colon == std::string_view::npos) return host;
  // More than one ':' without brackets is a bare IPv6 literal: keep it.
  if (host.find(':') != colon) return host;
  return host.substr(0, colon);
}

bool is_ipv4(std::string_view s) noexcept {
  int dots = 0;
  int digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

}  // namespace

std::string bucket_from_host(std::string_view host, std::span<const std::string> domains) {
  std::string_view name = strip_port(host);
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // FQDN dot
  for (const auto& domain : domains) {
    std::string_view d = domain;
    while (!d.empty() && d.back() == '.') d.remove_suffix(1);
    if (d.empty() || name.size() <= d.size() + 1) continue;
    const auto suffix = name.substr(name.size() - d.size());
    if (name[name.size() - d.size() - 1] != '.' || !protocol::iequals(suffix, d)) continue;
    std::string bucket(name.substr(0, name.size() - d.size() - 1));
    std::transform(bucket.begin(), bucket.end(), bucket.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return bucket;
  }
  return {};
}

protocol::result<address> resolve_address(std::string_view host, std::string_view raw_path,
                                          std::span<const std::string> domains) {
  address out;
  out.bucket = bucket_from_host(host, domains);
  std::string_view path = raw_path;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!out.bucket.empty()) {
    out.virtual_hosted = true;
    auto key = protocol::percent_decode(path);
    if (!key) return key.error();
    out.key = std::move(*key);
    return out;
  }
  const auto slash = path.find('/');
  auto bucket = protocol::percent_decode(path.substr(0, slash));
  if (!bucket) return bucket.error();
  out.bucket = std::move(*bucket);
  if (slash != std::string_view::npos) {
    auto key = protocol::percent_decode(path.substr(slash + 1));
    if (!key) return key.error();
    out.key = std::move(*key);
  }
  return out;
}

bool is_valid_bucket_name(std::string_view name) noexcept {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '-') return false;
  }
  if (name.find("..") != std::string_view::npos) return false;
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos)
    return false;
  if (name.starts_with("xn--") || name.ends_with("-s3alias")) return false;
  return !is_ipv4(name);
}

}  // namespace kvgate::s3
