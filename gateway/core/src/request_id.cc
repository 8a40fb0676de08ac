#include "kvgate/gateway/request_id.h"

#include <random>

namespace kvgate::gateway {

request_id_generator::request_id_generator() {
  std::random_device rd;
  base_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

std::string request_id_generator::next() {
  return format(base_ + counter_.fetch_add(1, std::memory_order_relaxed));
}

std::string request_id_generator::format(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[value & 0xF];
    value >>= 4;
  }
  return out;
}

}  // namespace kvgate::gateway
