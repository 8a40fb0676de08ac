#include "kvgate/rdma/staging_pool.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace kvgate::rdma {
namespace {
constexpr std::size_t kPageBytes = 4096;
}

void staging_pool::aligned_free::operator()(std::byte* p) const noexcept {
  std::free(p);
}

result<std::shared_ptr<staging_pool>> staging_pool::create(transport& t,
                                                           staging_pool_config config) {
  if (config.chunk_bytes == 0 || config.chunk_bytes % kPageBytes != 0 ||
      config.chunk_bytes > kMaxWorkRequestBytes || config.chunk_count == 0)
    return rdma_errc::invalid_argument;
  const std::size_t total = config.chunk_bytes * config.chunk_count;
  auto* raw = static_cast<std::byte*>(std::aligned_alloc(kPageBytes, total));
  if (raw == nullptr) throw std::bad_alloc();
  std::unique_ptr<std::byte[], aligned_free> memory(raw);
  std::shared_ptr<staging_pool> pool(new staging_pool(config, std::move(memory)));
  auto registration = t.register_memory({pool->memory_.get(), total});
  if (!registration) return registration.error();
  pool->registration_ = std::move(*registration);
  return pool;
}

staging_pool::staging_pool(staging_pool_config config,
                           std::unique_ptr<std::byte[], aligned_free> memory)
    : config_(config), memory_(std::move(memory)) {
  free_.reserve(config_.chunk_count);
  for (std::size_t i = config_.chunk_count; i > 0; --i) free_.push_back(i - 1);
}

// The registration is released before the memory it covers.
staging_pool::~staging_pool() {
  registration_.reset();
}

std::span<std::byte> staging_pool::chunk(std::size_t index) const noexcept {
  return {memory_.get() + index * config_.chunk_bytes, config_.chunk_bytes};
}

result<staging_lease> staging_pool::try_acquire(std::size_t wanted, const session_id& owner) {
  if (wanted == 0) return rdma_errc::invalid_argument;
  std::vector<std::size_t> granted;
  {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return rdma_errc::busy;
    const auto mine = held_.find(owner);
    const std::size_t held = mine == held_.end() ? 0 : mine->second;
    const std::size_t sessions = held_.size() + (mine == held_.end() ? 1 : 0);
    const std::size_t share = std::max<std::size_t>(1, config_.chunk_count / sessions);
    if (held >= share) return rdma_errc::busy;
    const std::size_t n = std::min({wanted, free_.size(), share - held});
    granted.assign(free_.end() - static_cast<std::ptrdiff_t>(n), free_.end());
    free_.resize(free_.size() - n);
    held_[owner] += n;
  }
  return staging_lease(shared_from_this(), owner, std::move(granted));
}

std::size_t staging_pool::available() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

std::size_t staging_pool::held_by(const session_id& owner) const {
  std::lock_guard lock(mutex_);
  const auto it = held_.find(owner);
  return it == held_.end() ? 0 : it->second;
}

void staging_pool::release(const session_id& owner,
                           const std::vector<std::size_t>& indices) noexcept {
  if (indices.empty()) return;
  std::lock_guard lock(mutex_);
  free_.insert(free_.end(), indices.begin(), indices.end());
  const auto it = held_.find(owner);
  if (it != held_.end() && (it->second -= std::min(it->second, indices.size())) == 0)
    held_.erase(it);
}

staging_lease& staging_lease::operator=(staging_lease&& o) noexcept {
  if (this != &o) {
    if (pool_) pool_->release(owner_, indices_);
    pool_ = std::move(o.pool_);
    owner_ = o.owner_;
    indices_ = std::move(o.indices_);
  }
  return *this;
}

staging_lease::~staging_lease() {
  if (pool_) pool_->release(owner_, indices_);
}

}  // namespace kvgate::rdma
