#include "client_settings.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <map>

namespace py = pybind11;

namespace kvgate::python {
namespace {

std::chrono::milliseconds seconds_option(py::handle value, const std::string& name) {
  const double seconds = value.cast<double>();
  if (!std::isfinite(seconds) || seconds <= 0) {
    throw py::value_error("kvgate: " + name + " must be a positive number of seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000.0)));
}

unsigned positive_option(py::handle value, const std::string& name) {
  const long long n = value.cast<long long>();
  if (n <= 0 || n > 1'000'000) throw py::value_error("kvgate: " + name + " must be positive");
  return static_cast<unsigned>(n);
}

unsigned count_option(py::handle value, const std::string& name) {
  const long long n = value.cast<long long>();
  if (n < 0 || n > 1'000'000)
    throw py::value_error("kvgate: " + name + " must be 0 or a positive count");
  return static_cast<unsigned>(n);
}

std::uint64_t bytes_option(py::handle value, const std::string& name) {
  const long long n = value.cast<long long>();
  if (n <= 0) throw py::value_error("kvgate: " + name + " must be a positive byte count");
  return static_cast<std::uint64_t>(n);
}

struct credential_parts {
  std::optional<std::string> access_key, secret_key, session_token;
};

using setter =
    std::function<void(sdk::client_options&, credential_parts&, py::handle, const std::string&)>;

const std::map<std::string, setter>& setters() {
  static const std::map<std::string, setter> table = {
      {"endpoint", [](auto& o, auto&, py::handle v, auto&) { o.endpoint = v.cast<std::string>(); }},
      {"access_key",
       [](auto&, auto& c, py::handle v, auto&) { c.access_key = v.cast<std::string>(); }},
      {"secret_key",
       [](auto&, auto& c, py::handle v, auto&) { c.secret_key = v.cast<std::string>(); }},
      {"session_token",
       [](auto&, auto& c, py::handle v, auto&) { c.session_token = v.cast<std::string>(); }},
      {"region",
       [](auto& o, auto&, py::handle v, auto&) { o.auth.region = v.cast<std::string>(); }},
      {"profile",
       [](auto& o, auto&, py::handle v, auto&) { o.auth.profile = v.cast<std::string>(); }},
      {"credentials_file", [](auto& o, auto&, py::handle v,
                              auto&) { o.auth.credentials_file = v.cast<std::string>(); }},
      {"ca_file", [](auto& o, auto&, py::handle v, auto&) { o.ca_file = v.cast<std::string>(); }},
      {"verify_tls", [](auto& o, auto&, py::handle v, auto&) { o.verify_tls = v.cast<bool>(); }},
      {"addressing",
       [](auto& o, auto&, py::handle v, auto&) {
         const auto s = v.cast<std::string>();
         if (s == "path") {
           o.addressing = sdk::addressing_style::path;
         } else if (s == "virtual" || s == "virtual_hosted") {
           o.addressing = sdk::addressing_style::virtual_hosted;
         } else {
           throw py::value_error("kvgate: addressing must be 'path' or 'virtual'");
         }
       }},
      {"connect_to",
       [](auto& o, auto&, py::handle v, auto&) { o.connect_to = v.cast<std::string>(); }},
      {"connect_timeout",
       [](auto& o, auto&, py::handle v, auto& n) { o.connect_timeout = seconds_option(v, n); }},
      {"request_timeout",
       [](auto& o, auto&, py::handle v, auto& n) { o.request_timeout = seconds_option(v, n); }},
      {"max_attempts",
       [](auto& o, auto&, py::handle v, auto& n) { o.retry.max_attempts = positive_option(v, n); }},
      {"retry_base_delay",
       [](auto& o, auto&, py::handle v, auto& n) { o.retry.base_delay = seconds_option(v, n); }},
      {"retry_max_delay",
       [](auto& o, auto&, py::handle v, auto& n) { o.retry.max_delay = seconds_option(v, n); }},
      {"io_threads",
       [](auto& o, auto&, py::handle v, auto& n) { o.io_threads = positive_option(v, n); }},
      {"pool_size",
       [](auto& o, auto&, py::handle v, auto& n) { o.pool_size = positive_option(v, n); }},
      {"parallelism",
       [](auto& o, auto&, py::handle v, auto& n) { o.parallelism = positive_option(v, n); }},
      {"max_requests_in_flight",
       [](auto& o, auto&, py::handle v, auto& n) {
         o.max_requests_in_flight = count_option(v, n);  // 0: no cap
       }},
      {"part_size",
       [](auto& o, auto&, py::handle v, auto& n) { o.part_size = bytes_option(v, n); }},
      {"multipart_threshold",
       [](auto& o, auto&, py::handle v, auto& n) { o.multipart_threshold = bytes_option(v, n); }},
      {"parallel_get_threshold", [](auto& o, auto&, py::handle v,
                                    auto& n) { o.parallel_get_threshold = bytes_option(v, n); }},
      {"rdma",
       [](auto& o, auto&, py::handle v, auto&) {
         const auto mode = sdk::parse_rdma_mode(v.cast<std::string>());
         if (!mode) throw py::value_error("kvgate: rdma must be 'auto', 'on' or 'off'");
         o.rdma = *mode;
       }},
      {"cluster_routing",
       [](auto& o, auto&, py::handle v, auto&) { o.cluster_routing = v.cast<bool>(); }},
      {"node_bypass",
       [](auto& o, auto&, py::handle v, auto& n) { o.node_bypass = seconds_option(v, n); }},
      {"map_refresh",
       [](auto& o, auto&, py::handle v, auto& n) { o.map_refresh = seconds_option(v, n); }},
      {"rdma_register_mappings",
       [](auto& o, auto&, py::handle v, auto&) { o.rdma_register_mappings = v.cast<bool>(); }},
      {"min_rdma_bytes",
       [](auto& o, auto&, py::handle v, auto& n) { o.min_rdma_bytes = bytes_option(v, n); }},
  };
  return table;
}

}  // namespace

sdk::client_options client_options_from(const py::dict& kwargs,
                                        const std::set<std::string>& other_keys) {
  sdk::client_options options;
  credential_parts keys;
  for (const auto& [key_object, value] : kwargs) {
    const auto key = py::str(key_object).cast<std::string>();
    const auto found = setters().find(key);
    if (found == setters().end()) {
      if (other_keys.contains(key)) continue;
      throw py::type_error("kvgate: unknown option '" + key + "'");
    }
    if (value.is_none()) continue;  // None means "the default"
    found->second(options, keys, value, key);
  }
  if (keys.access_key.has_value() != keys.secret_key.has_value()) {
    throw py::value_error("kvgate: access_key and secret_key must be given together");
  }
  if (keys.access_key) {
    options.auth.explicit_credentials =
        sdk::credentials{*keys.access_key, *keys.secret_key, keys.session_token};
  }
  return options;
}

}  // namespace kvgate::python
