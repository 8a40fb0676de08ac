#include "rdma_memory.h"

#include <spdlog/spdlog.h>

#include "kvgate/rdma/token.h"

namespace kvgate::sdk::detail {

// Lock order: the registry's mutex before a session's.

std::optional<std::string> live_session::token(const memory_region& region, const std::byte* data,
                                               std::uint64_t size) const {
  std::lock_guard lock(mutex_);
  if (fenced_) return std::nullopt;
  const auto it = rkeys_.find(region.id);
  if (it == rkeys_.end()) return std::nullopt;
  return rdma::format_token(
      {reinterpret_cast<std::uint64_t>(data), size, grant_.session, it->second});
}

void live_session::fence() {
  std::lock_guard lock(mutex_);
  if (fenced_) return;
  fenced_ = true;
  link_->fence();
}

bool live_session::usable() const {
  std::lock_guard lock(mutex_);
  return !fenced_ && link_->connected();
}

std::uint64_t rdma_memory_registry::add(std::span<std::byte> bytes) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  regions_.emplace(id, bytes);
  if (current_) {
    std::lock_guard session_lock(current_->mutex_);
    if (!current_->fenced_) {
      if (auto rkey = current_->link_->register_memory(bytes)) {
        current_->rkeys_.emplace(id, *rkey);
      } else {
        spdlog::warn("kvgate sdk: registering {} bytes with the RDMA session failed: {}",
                     bytes.size(), rkey.error().message());
      }
    }
  }
  return id;
}

void rdma_memory_registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto region = regions_.find(id);
  if (region == regions_.end()) return;
  if (current_) {
    std::lock_guard session_lock(current_->mutex_);
    if (auto it = current_->rkeys_.find(id); it != current_->rkeys_.end()) {
      current_->link_->deregister_memory(region->second, it->second);
      current_->rkeys_.erase(it);
    }
  }
  regions_.erase(region);
}

std::optional<memory_region> rdma_memory_registry::find(const std::byte* data,
                                                        std::uint64_t size) const {
  std::lock_guard lock(mutex_);
  const auto p = reinterpret_cast<std::uintptr_t>(data);
  for (const auto& [id, bytes] : regions_) {
    const auto start = reinterpret_cast<std::uintptr_t>(bytes.data());
    if (p >= start && p - start <= bytes.size() && size <= bytes.size() - (p - start))
      return memory_region{id, bytes};
  }
  return std::nullopt;
}

bool rdma_memory_registry::empty() const {
  std::lock_guard lock(mutex_);
  return regions_.empty();
}

std::shared_ptr<live_session> rdma_memory_registry::current() const {
  std::shared_ptr<live_session> s;
  {
    std::lock_guard lock(mutex_);
    s = current_;
  }
  if (s && !s->usable()) return nullptr;
  return s;
}

rdma::result<std::shared_ptr<live_session>> rdma_memory_registry::install(
    std::shared_ptr<live_session> fresh) {
  std::lock_guard lock(mutex_);
  if (current_ && current_ != fresh) {
    std::lock_guard session_lock(current_->mutex_);
    if (!current_->fenced_ && current_->link_->connected()) return current_;
  }
  {
    std::lock_guard session_lock(fresh->mutex_);
    for (const auto& [id, bytes] : regions_) {
      auto rkey = fresh->link_->register_memory(bytes);
      if (!rkey) return rkey.error();
      fresh->rkeys_.emplace(id, *rkey);
    }
  }
  current_ = fresh;
  return fresh;
}

void rdma_memory_registry::drop(const std::shared_ptr<live_session>& s, bool fence) {
  if (!s) return;
  if (fence) s->fence();
  std::lock_guard lock(mutex_);
  if (current_ == s) current_.reset();
}

bool rdma_memory_registry::begin_creation() {
  std::lock_guard lock(mutex_);
  if (creating_) return false;
  creating_ = true;
  return true;
}

void rdma_memory_registry::end_creation() {
  std::lock_guard lock(mutex_);
  creating_ = false;
}

bool rdma_memory_registry::creating() const {
  std::lock_guard lock(mutex_);
  return creating_;
}

}  // namespace kvgate::sdk::detail

namespace kvgate::sdk {

registered_memory::registered_memory(registered_memory&& other) noexcept
    : owner_(std::move(other.owner_)), id_(other.id_), bytes_(other.bytes_) {
  other.owner_.reset();
}

registered_memory& registered_memory::operator=(registered_memory&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::move(other.owner_);
    id_ = other.id_;
    bytes_ = other.bytes_;
    other.owner_.reset();
  }
  return *this;
}

void registered_memory::reset() noexcept {
  if (!owner_) return;
  owner_->remove(id_);
  owner_.reset();
  bytes_ = {};
}

}  // namespace kvgate::sdk
