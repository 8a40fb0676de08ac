#include "http_request_head.h"

#include <algorithm>

namespace kvgate::sdk::detail {
namespace {

bool splits_head(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

result<std::string> render_request_head(const outgoing_request& req) {
  if (splits_head(req.target) || req.target.find(' ') != std::string::npos)
    return make_error(sdk_errc::invalid_argument, "request target holds a space or line break");
  std::string head;
  std::size_t size = 64 + req.target.size();
  for (const auto& h : req.headers) size += h.name.size() + h.value.size() + 4;
  head.reserve(size);
  head.append(http::to_string(req.method));
  head += ' ';
  head += req.target;
  head += " HTTP/1.1\r\n";
  for (const auto& h : req.headers) {
    if (h.name.empty() || splits_head(h.name) || h.name.find(':') != std::string::npos ||
        splits_head(h.value))
      return make_error(sdk_errc::invalid_argument, "header " + h.name + " cannot be sent");
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  if (req.send_content_length || !req.body.empty()) {
    head += "content-length: ";
    head += std::to_string(req.body.size());
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace kvgate::sdk::detail
