#include "kvgate/gateway/server_hooks.h"

#include <pugixml.hpp>
#include <sstream>

namespace kvgate::gateway {

std::string_view default_error_code(transport_error e) noexcept {
  switch (e) {
    case transport_error::header_too_large:
      return "RequestHeaderSectionTooLarge";
    case transport_error::slow_down:
      return "SlowDown";
    case transport_error::bad_request:
      return "BadRequest";
    case transport_error::internal_error:
      return "InternalError";
  }
  return "InternalError";
}

std::string render_s3_error_xml(std::string_view code, std::string_view message,
                                std::string_view request_id) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto error = doc.append_child("Error");
  error.append_child("Code").text().set(std::string(code).c_str());
  error.append_child("Message").text().set(std::string(message).c_str());
  error.append_child("RequestId").text().set(std::string(request_id).c_str());
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

error_response default_render_error(transport_error e, std::string_view request_id) {
  namespace http = boost::beast::http;
  http::status status = http::status::internal_server_error;
  std::string_view message = "We encountered an internal error. Please try again.";
  switch (e) {
    case transport_error::header_too_large:
      status = http::status::bad_request;
      message = "Your request header section exceeds the maximum allowed size.";
      break;
    case transport_error::slow_down:
      status = http::status::service_unavailable;
      message = "Please reduce your request rate.";
      break;
    case transport_error::bad_request:
      status = http::status::bad_request;
      message = "The request could not be parsed.";
      break;
    case transport_error::internal_error:
      break;
  }
  return {status, "application/xml",
          render_s3_error_xml(default_error_code(e), message, request_id)};
}

}  // namespace kvgate::gateway
