// Bounded, thread-safe SigV4 signing-key cache.
#include "kvgate/protocol/signing_key_cache.h"

namespace kvgate::protocol {

signing_key signing_key_cache::get(std::string_view secret, std::string_view date,
                                   std::string_view region, std::string_view service) {
  std::string id;
  id.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  id.append(date).push_back('\0');
  id.append(region).push_back('\0');
  id.append(service).push_back('\0');
  id.append(secret);
  {
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(id); it != keys_.end()) return it->second;
  }
  const signing_key key = derive_signing_key(secret, date, region, service);
  std::lock_guard lock(mutex_);
  if (keys_.size() >= capacity_) keys_.clear();
  keys_.emplace(std::move(id), key);
  return key;
}

std::size_t signing_key_cache::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace kvgate::protocol
