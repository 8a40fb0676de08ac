#include "lmcache_connector.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "kvgate/sdk/endpoint.h"

namespace kvgate::python {

// One submitted batch; shared by its tasks, completed by the last one.
struct lmcache_connector::batch {
  batch_op op = batch_op::get;
  std::uint64_t future_id = 0;
  std::vector<std::string> keys;
  std::vector<std::span<std::byte>> read_into;         // get
  std::vector<std::span<const std::byte>> write_from;  // set
  std::vector<std::uint8_t> per_key;                   // each task writes its own index
  std::atomic<std::size_t> tasks_left{0};
  std::mutex error_mutex;
  bool failed = false;      // guarded by error_mutex
  std::string first_error;  // guarded by error_mutex

  void record_error(std::string message, bool fails_batch) {
    std::lock_guard lock(error_mutex);
    if (fails_batch) failed = true;
    if (first_error.empty()) first_error = std::move(message);
  }
};

sdk::result<std::unique_ptr<lmcache_connector>> lmcache_connector::create(
    lmcache_connector_options options) {
  if (!sdk::valid_bucket_name(options.bucket)) {
    return sdk::make_error(sdk::sdk_errc::invalid_argument,
                           "invalid bucket name '" + options.bucket + "'");
  }
  if (options.num_workers == 0) {
    return sdk::make_error(sdk::sdk_errc::invalid_argument, "num_workers must be positive");
  }
  auto client = sdk::client::create(options.client);
  if (!client) return client.error();
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    return sdk::make_error(sdk::sdk_errc::invalid_argument,
                           "eventfd: " + std::system_category().message(errno));
  }
  std::unique_ptr<lmcache_connector> connector(
      new lmcache_connector(std::move(options), std::move(*client), fd));
  return connector;
}

lmcache_connector::lmcache_connector(lmcache_connector_options options,
                                     std::unique_ptr<sdk::client> client, int event_fd)
    : options_(std::move(options)), client_(std::move(client)), event_fd_(event_fd) {
  workers_.reserve(options_.num_workers);
  for (unsigned i = 0; i < options_.num_workers; ++i) {
    workers_.emplace_back([this] { worker_loop(); });
  }
}

lmcache_connector::~lmcache_connector() {
  close();
  client_.reset();
  ::close(event_fd_);
}

std::uint64_t lmcache_connector::submit_get(std::vector<std::string> keys,
                                            std::vector<std::span<std::byte>> buffers) {
  auto b = std::make_shared<batch>();
  b->op = batch_op::get;
  b->keys = std::move(keys);
  b->read_into = std::move(buffers);
  b->per_key.assign(b->keys.size(), 0);
  const auto n = b->keys.size();
  return submit(std::move(b), n);
}

std::uint64_t lmcache_connector::submit_set(std::vector<std::string> keys,
                                            std::vector<std::span<const std::byte>> buffers) {
  auto b = std::make_shared<batch>();
  b->op = batch_op::set;
  b->keys = std::move(keys);
  b->write_from = std::move(buffers);
  const auto n = b->keys.size();
  return submit(std::move(b), n);
}

std::uint64_t lmcache_connector::submit_exists(std::vector<std::string> keys) {
  auto b = std::make_shared<batch>();
  b->op = batch_op::exists;
  b->keys = std::move(keys);
  b->per_key.assign(b->keys.size(), 0);
  return submit(std::move(b), 1);  // one exists_batch call
}

std::uint64_t lmcache_connector::submit_delete(std::vector<std::string> keys) {
  auto b = std::make_shared<batch>();
  b->op = batch_op::remove;
  b->keys = std::move(keys);
  b->per_key.assign(b->keys.size(), 0);
  const auto n = b->keys.size();
  return submit(std::move(b), n);
}

std::uint64_t lmcache_connector::submit(std::shared_ptr<batch> b, std::size_t tasks) {
  b->future_id = next_future_id_.fetch_add(1, std::memory_order_relaxed);
  b->tasks_left.store(tasks, std::memory_order_relaxed);
  const auto id = b->future_id;
  bool refused = false;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) {
      refused = true;
    } else {
      for (std::size_t i = 0; i < tasks; ++i) queue_.push_back(task{b, i});
    }
  }
  if (refused) {
    b->record_error("connector closed", true);
    b->tasks_left.store(1, std::memory_order_relaxed);
    finish_task(*b);
    return id;
  }
  if (tasks == 1) {
    queue_ready_.notify_one();
  } else {
    queue_ready_.notify_all();
  }
  return id;
}

void lmcache_connector::worker_loop() {
  for (;;) {
    task t;
    {
      std::unique_lock lock(queue_mutex_);
      queue_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      t = std::move(queue_.front());
      queue_.pop_front();
      if (stopping_) {
        lock.unlock();
        t.owner->record_error("connector closed", true);
        finish_task(*t.owner);
        continue;
      }
    }
    run(t);
    finish_task(*t.owner);
  }
}

void lmcache_connector::run(const task& t) {
  batch& b = *t.owner;
  const std::string& bucket = options_.bucket;
  switch (b.op) {
    case batch_op::get: {
      auto buffer = b.read_into[t.index];
      auto got = client_->get(bucket, object_key(b.keys[t.index]), buffer);
      if (!got) {
        // A miss is an expected answer, not worth the batch's error text.
        if (got.error().http_status != 404) b.record_error(got.error().to_string(), false);
      } else if (got->object_size != buffer.size() || got->bytes != buffer.size()) {
        b.record_error("object " + b.keys[t.index] + " has " + std::to_string(got->object_size) +
                           " bytes, the buffer " + std::to_string(buffer.size()),
                       false);
      } else {
        b.per_key[t.index] = 1;
      }
      return;
    }
    case batch_op::set: {
      auto put = client_->put(bucket, object_key(b.keys[t.index]), b.write_from[t.index]);
      if (!put) b.record_error(put.error().to_string(), true);
      return;
    }
    case batch_op::exists: {
      std::vector<std::string> keys;
      keys.reserve(b.keys.size());
      for (const auto& k : b.keys) keys.push_back(object_key(k));
      auto found = client_->exists_batch(bucket, keys);
      if (!found) {
        b.record_error(found.error().to_string(), true);
        return;
      }
      for (std::size_t i = 0; i < found->size() && i < b.per_key.size(); ++i) {
        b.per_key[i] = (*found)[i] ? 1 : 0;
      }
      return;
    }
    case batch_op::remove: {
      auto removed = client_->remove(bucket, object_key(b.keys[t.index]));
      if (removed) {
        b.per_key[t.index] = 1;
      } else {
        b.record_error(removed.error().to_string(), false);
      }
      return;
    }
  }
}

void lmcache_connector::finish_task(batch& b) {
  if (b.tasks_left.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  lmcache_completion c;
  c.future_id = b.future_id;
  {
    std::lock_guard lock(b.error_mutex);
    c.ok = !b.failed;
    c.error = b.first_error;
  }
  if (b.op != batch_op::set && c.ok) {
    c.has_per_key = true;
    c.per_key = std::move(b.per_key);
  }
  push_completion(std::move(c));
}

void lmcache_connector::push_completion(lmcache_completion c) {
  {
    std::lock_guard lock(completion_mutex_);
    completions_.push_back(std::move(c));
  }
  // After the push: a drain that consumed this wake-up also sees the
  // completion; a drain that ran between push and write leaves a spurious
  // wake-up (an empty drain), never a lost one.
  const std::uint64_t one = 1;
  while (::write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

std::vector<lmcache_completion> lmcache_connector::drain_completions() {
  std::uint64_t count = 0;
  while (::read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::vector<lmcache_completion> out;
  std::lock_guard lock(completion_mutex_);
  out.swap(completions_);
  return out;
}

void lmcache_connector::close() {
  std::lock_guard close_lock(close_mutex_);
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Nothing is left in the queue: the workers failed every task they did
  // not start. The eventfd stays open until destruction so a poller of it
  // never sees a reused descriptor number.
}

}  // namespace kvgate::python
