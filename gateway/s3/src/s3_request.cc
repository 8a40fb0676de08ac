#include "kvgate/s3/s3_request.h"

namespace kvgate::s3 {

std::string s3_request::resource() const {
  if (bucket.empty()) return "/";
  if (key.empty()) return "/" + bucket;
  return "/" + bucket + "/" + key;
}

}  // namespace kvgate::s3
