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

void live_session::register_region(std::uint64_t id, std::span<std::byte> bytes) {
  if (fenced_) return;
  if (auto rkey = link_->register_memory(bytes)) {
    rkeys_.emplace(id, *rkey);
  } else {
    spdlog::warn("kvgate sdk: registering {} bytes with the RDMA session to {} failed: {}",
                 bytes.size(), node_, rkey.error().message());
  }
}

std::uint64_t rdma_memory_registry::add(std::span<std::byte> bytes) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  regions_.emplace(id, bytes);
  for (const auto& [node, session] : current_) {
    std::lock_guard session_lock(session->mutex_);
    session->register_region(id, bytes);
  }
  return id;
}

void rdma_memory_registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto region = regions_.find(id);
  if (region == regions_.end()) return;
  for (const auto& [node, session] : current_) {
    std::lock_guard session_lock(session->mutex_);
    if (auto it = session->rkeys_.find(id); it != session->rkeys_.end()) {
      session->link_->deregister_memory(region->second, it->second);
      session->rkeys_.erase(it);
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

std::shared_ptr<live_session> rdma_memory_registry::current(const std::string& node) const {
  std::shared_ptr<live_session> s;
  {
    std::lock_guard lock(mutex_);
    if (auto it = current_.find(node); it != current_.end()) s = it->second;
  }
  if (s && !s->usable()) return nullptr;
  return s;
}

rdma::result<std::shared_ptr<live_session>> rdma_memory_registry::install(
    std::shared_ptr<live_session> fresh) {
  std::lock_guard lock(mutex_);
  auto& slot = current_[fresh->node()];
  if (slot && slot != fresh) {
    std::lock_guard session_lock(slot->mutex_);
    if (!slot->fenced_ && slot->link_->connected()) return slot;
  }
  {
    std::lock_guard session_lock(fresh->mutex_);
    for (const auto& [id, bytes] : regions_) {
      auto rkey = fresh->link_->register_memory(bytes);
      if (!rkey) {
        if (!slot) current_.erase(fresh->node());
        return rkey.error();
      }
      fresh->rkeys_.emplace(id, *rkey);
    }
  }
  slot = fresh;
  return fresh;
}

void rdma_memory_registry::drop(const std::shared_ptr<live_session>& s, bool fence) {
  if (!s) return;
  if (fence) s->fence();
  std::lock_guard lock(mutex_);
  if (auto it = current_.find(s->node()); it != current_.end() && it->second == s)
    current_.erase(it);
}

std::size_t rdma_memory_registry::session_count() const {
  std::lock_guard lock(mutex_);
  return current_.size();
}

bool rdma_memory_registry::begin_creation(const std::string& node) {
  std::lock_guard lock(mutex_);
  return creating_.insert(node).second;
}

void rdma_memory_registry::end_creation(const std::string& node) {
  std::lock_guard lock(mutex_);
  creating_.erase(node);
}

bool rdma_memory_registry::creating(const std::string& node) const {
  std::lock_guard lock(mutex_);
  return creating_.contains(node);
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
