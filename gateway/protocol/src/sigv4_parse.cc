// Parsing of SigV4 credentials, Authorization headers and presigned queries.
#include <charconv>

#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {
namespace {

std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_lower_hex(std::string_view s, std::size_t size) noexcept {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

result<std::vector<std::string>> parse_signed_headers(std::string_view text, protocol_errc err) {
  std::vector<std::string> names;
  if (text.empty()) return err;
  while (true) {
    const auto semi = text.find(';');
    const std::string_view name = text.substr(0, semi);
    if (name.empty()) return err;
    for (char c : name) {
      // Lower-case token characters only: SigV4 lower-cases names before signing.
      if (c <= ' ' || c >= 0x7f || (c >= 'A' && c <= 'Z') || c == ':' || c == ',') return err;
    }
    names.emplace_back(name);
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return names;
}

}  // namespace

std::string credential_scope::scope() const {
  std::string s;
  s.reserve(date.size() + region.size() + service.size() + 16);
  s.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");
  return s;
}

result<credential_scope> parse_credential(std::string_view text) {
  std::string_view parts[5];
  for (int i = 0; i < 5; ++i) {
    const auto slash = text.find('/');
    if ((slash == std::string_view::npos) != (i == 4)) return protocol_errc::bad_credential_scope;
    parts[i] = text.substr(0, slash);
    if (parts[i].empty()) return protocol_errc::bad_credential_scope;
    text = slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
  }
  if (parts[4] != "aws4_request") return protocol_errc::bad_credential_scope;
  if (parts[1].size() != 8) return protocol_errc::bad_credential_scope;
  for (char c : parts[1]) {
    if (c < '0' || c > '9') return protocol_errc::bad_credential_scope;
  }
  return credential_scope{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                          std::string(parts[3])};
}

result<sigv4_authorization> parse_sigv4_authorization(std::string_view header) {
  header = trim_spaces(header);
  if (header.substr(0, kSigV4Algorithm.size()) != kSigV4Algorithm) {
    return protocol_errc::unsupported_auth_algorithm;
  }
  std::string_view rest = header.substr(kSigV4Algorithm.size());
  if (!rest.empty() && rest.front() != ' ') return protocol_errc::unsupported_auth_algorithm;
  rest = trim_spaces(rest);

  std::optional<std::string_view> credential, signed_headers, signature;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view field = trim_spaces(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos) return protocol_errc::auth_header_malformed;
    const std::string_view key = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential")
      slot = &credential;
    else if (key == "SignedHeaders")
      slot = &signed_headers;
    else if (key == "Signature")
      slot = &signature;
    else
      return protocol_errc::auth_header_malformed;
    if (slot->has_value()) return protocol_errc::auth_header_malformed;  // duplicate field
    *slot = value;
  }
  if (!credential || !signed_headers || !signature) return protocol_errc::missing_auth_field;

  auto scope = parse_credential(*credential);
  if (!scope) return scope.error();
  auto names = parse_signed_headers(*signed_headers, protocol_errc::auth_header_malformed);
  if (!names) return names.error();
  if (!is_lower_hex(*signature, 64)) return protocol_errc::bad_signature_format;
  return sigv4_authorization{std::move(*scope), std::move(*names), std::string(*signature)};
}

bool has_sigv4_query_auth(const query_params& query) noexcept {
  return find_param(query, "X-Amz-Algorithm") != nullptr;
}

result<sigv4_presigned> parse_sigv4_presigned(const query_params& query) {
  const auto* algorithm = find_param(query, "X-Amz-Algorithm");
  const auto* credential = find_param(query, "X-Amz-Credential");
  const auto* date = find_param(query, "X-Amz-Date");
  const auto* expires = find_param(query, "X-Amz-Expires");
  const auto* signed_headers = find_param(query, "X-Amz-SignedHeaders");
  const auto* signature = find_param(query, "X-Amz-Signature");
  if (!algorithm || !credential || !date || !expires || !signed_headers || !signature) {
    return protocol_errc::query_auth_malformed;
  }
  if (algorithm->value != kSigV4Algorithm) return protocol_errc::unsupported_auth_algorithm;
  auto scope = parse_credential(credential->value);
  if (!scope) return scope.error();
  if (!parse_amz_date(date->value)) return protocol_errc::bad_amz_date;

  const std::string& e = expires->value;
  std::uint64_t seconds = 0;
  if (e.empty() || e.size() > 12 || e.find_first_not_of("0123456789") != std::string::npos) {
    return protocol_errc::query_auth_malformed;
  }
  std::from_chars(e.data(), e.data() + e.size(), seconds);
  if (seconds == 0) return protocol_errc::query_auth_malformed;
  if (seconds > static_cast<std::uint64_t>(kMaxPresignExpiry.count()))
    return protocol_errc::expires_too_large;

  auto names = parse_signed_headers(signed_headers->value, protocol_errc::query_auth_malformed);
  if (!names) return names.error();
  if (!is_lower_hex(signature->value, 64)) return protocol_errc::bad_signature_format;
  return sigv4_presigned{std::move(*scope), date->value, std::chrono::seconds(seconds),
                         std::move(*names), signature->value};
}

}  // namespace kvgate::protocol
