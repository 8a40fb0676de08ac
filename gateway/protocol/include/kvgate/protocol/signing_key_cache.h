// Cache of SigV4 signing keys keyed by (secret, date, region, service).
//
// A signing key costs four HMACs and stays valid for a whole day, so the
// gateway keeps one cache for the process and passes it to the verifier.
// Thread-safe (one mutex; the critical section is a hash lookup). Bounded:
// when `capacity` keys are held the cache is emptied and refilled, which is
// enough for keys that all roll over at midnight UTC.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kvgate/protocol/sigv4.h"

namespace kvgate::protocol {

class signing_key_cache {
 public:
  explicit signing_key_cache(std::size_t capacity = 4096) : capacity_(capacity) {}

  signing_key get(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service);

  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, signing_key> keys_;
};

}  // namespace kvgate::protocol
