#include "kvgate/s3/s3_service.h"

namespace kvgate::s3 {

std::chrono::sys_seconds s3_service::current_time() const {
  if (now) return now();
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace kvgate::s3
