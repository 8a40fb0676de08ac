// One line per completed request (text or JSON) to stdout, stderr or a file.
// Secrets never appear: only method, target, status, sizes, timing and ids.
// Thread-safe (spdlog *_mt sinks).
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kvgate/gateway/config.h"

namespace kvgate::gateway {

struct access_record {
  std::string remote;
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::chrono::microseconds duration{0};
  std::string_view request_id;
  bool tls = false;
};

class access_log {
 public:
  // target: "off", "stdout", "stderr" or a file path (appended).
  access_log(std::string_view target, access_log_style style);
  bool enabled() const noexcept { return logger_ != nullptr; }
  void write(const access_record& r);

 private:
  access_log_style style_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace kvgate::gateway
