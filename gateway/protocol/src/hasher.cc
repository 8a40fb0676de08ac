// Streaming hasher: CRC register or an OpenSSL EVP_MD_CTX behind one interface.
#include <openssl/evp.h>

#include <memory>
#include <new>
#include <variant>

#include "kvgate/protocol/checksum.h"

namespace kvgate::protocol {
namespace {

struct evp_ctx_free {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using evp_ctx_ptr = std::unique_ptr<EVP_MD_CTX, evp_ctx_free>;

const EVP_MD* evp_md(checksum_algorithm a) noexcept {
  switch (a) {
    case checksum_algorithm::md5:
      return EVP_md5();
    case checksum_algorithm::sha1:
      return EVP_sha1();
    default:
      return EVP_sha256();
  }
}

template <class T>
void put_big_endian(bytes& out, T value) {
  for (int shift = static_cast<int>(sizeof(T) * 8) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

}  // namespace

struct hasher::state {
  std::variant<std::uint32_t, std::uint64_t, evp_ctx_ptr> value;
};

hasher::hasher(checksum_algorithm algorithm)
    : algorithm_(algorithm), state_(std::make_unique<state>()) {
  switch (algorithm) {
    case checksum_algorithm::crc32:
    case checksum_algorithm::crc32c:
      state_->value = std::uint32_t{0};
      break;
    case checksum_algorithm::crc64nvme:
      state_->value = std::uint64_t{0};
      break;
    default: {
      evp_ctx_ptr ctx(EVP_MD_CTX_new());
      if (!ctx || EVP_DigestInit_ex(ctx.get(), evp_md(algorithm), nullptr) != 1) {
        throw std::bad_alloc();
      }
      state_->value = std::move(ctx);
    }
  }
}

hasher::hasher(hasher&&) noexcept = default;
hasher& hasher::operator=(hasher&&) noexcept = default;
hasher::~hasher() = default;

void hasher::update(byte_view data) {
  switch (algorithm_) {
    case checksum_algorithm::crc32: {
      auto& crc = std::get<std::uint32_t>(state_->value);
      crc = crc32_update(crc, data);
      break;
    }
    case checksum_algorithm::crc32c: {
      auto& crc = std::get<std::uint32_t>(state_->value);
      crc = crc32c_update(crc, data);
      break;
    }
    case checksum_algorithm::crc64nvme: {
      auto& crc = std::get<std::uint64_t>(state_->value);
      crc = crc64nvme_update(crc, data);
      break;
    }
    default:
      if (EVP_DigestUpdate(std::get<evp_ctx_ptr>(state_->value).get(), data.data(), data.size()) !=
          1) {
        throw std::bad_alloc();
      }
  }
}

bytes hasher::finish() {
  bytes out;
  out.reserve(digest_size(algorithm_));
  switch (algorithm_) {
    case checksum_algorithm::crc32:
    case checksum_algorithm::crc32c:
      put_big_endian(out, std::get<std::uint32_t>(state_->value));
      break;
    case checksum_algorithm::crc64nvme:
      put_big_endian(out, std::get<std::uint64_t>(state_->value));
      break;
    default: {
      out.resize(EVP_MAX_MD_SIZE);
      unsigned int len = 0;
      if (EVP_DigestFinal_ex(std::get<evp_ctx_ptr>(state_->value).get(), out.data(), &len) != 1) {
        throw std::bad_alloc();
      }
      out.resize(len);
    }
  }
  return out;
}

std::string checksum_base64(checksum_algorithm a, byte_view data) {
  hasher h(a);
  h.update(data);
  return base64_encode(h.finish());
}

bytes digest_of_digests(checksum_algorithm a, std::span<const bytes> part_digests) {
  hasher h(a);
  for (const auto& d : part_digests) h.update(byte_view(d));
  return h.finish();
}

std::string composite_checksum_base64(checksum_algorithm a, std::span<const bytes> part_digests) {
  return base64_encode(digest_of_digests(a, part_digests)) + "-" +
         std::to_string(part_digests.size());
}

}  // namespace kvgate::protocol
