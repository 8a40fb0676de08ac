// lmcache_connector — LMCache's native connector contract over kvgate::sdk.
//
// LMCache (LMCache/LMCache: csrc/storage_backends/connector_base.h and
// connector_pybind_utils.h, wrapped by NativeConnectorL2Adapter) drives a
// native connector through batches: submit_batch_{get,set,exists,delete}
// return a future id at once, worker threads do the I/O, and each finished
// batch becomes one completion in a queue; an eventfd becomes readable
// when completions are waiting, and drain_completions() takes them all.
// This class is that contract with kvgate's SDK as the I/O engine:
//
//   get     GetObject into the caller's buffer, one request per key; per-key
//           result 1 only when the object filled the buffer exactly (a
//           missing object, an error or a size mismatch is 0); the batch
//           itself is ok (LMCache reads the per-key results).
//   set     PutObject (multipart above the SDK's threshold) per key; the
//           batch is ok only when every key was stored, else its error is
//           the first failure. A failed put never leaves a partial object.
//   exists  one exists_batch over all keys (kvgate's BatchExists, 1000 keys
//           a request; parallel HEADs against other S3 servers); per-key
//           results; a failure makes the batch not ok.
//   delete  DeleteObject per key; per-key 1 when the request succeeded (S3
//           answers 204 whether or not the key existed).
//
// Keys are used verbatim as S3 keys (after an optional prefix), so objects
// written here are the ones LMCache's stock S3 adapter and `aws s3 ls` see.
//
// Threads: `num_workers` threads run the requests (one key at a time each;
// the SDK client multiplexes them over its keep-alive pool). All public
// methods are thread-safe. Buffers: the caller keeps every buffer valid
// until its batch's completion has been drained (or close() returned).
// close() stops the workers: queued work that has not started completes
// as failed ("connector closed") without touching its buffers; requests in
// flight finish first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "kvgate/sdk/client.h"

namespace kvgate::python {

struct lmcache_connector_options {
  sdk::client_options client;
  std::string bucket;
  std::string key_prefix;    // prepended to every key ("" = keys as given)
  unsigned num_workers = 8;  // threads issuing requests
};

struct lmcache_completion {
  std::uint64_t future_id = 0;
  bool ok = false;
  std::string error;
  bool has_per_key = false;           // get, exists, delete
  std::vector<std::uint8_t> per_key;  // 1/0 per key, in submission order
};

class lmcache_connector {
 public:
  // Errors: those of sdk::client::create, invalid_argument (bucket name,
  // num_workers 0).
  [[nodiscard]] static sdk::result<std::unique_ptr<lmcache_connector>> create(
      lmcache_connector_options options);
  ~lmcache_connector();
  lmcache_connector(const lmcache_connector&) = delete;
  lmcache_connector& operator=(const lmcache_connector&) = delete;

  int event_fd() const noexcept { return event_fd_; }

  // Each returns the batch's future id. Preconditions: keys non-empty, one
  // buffer per key (checked by the binding).
  std::uint64_t submit_get(std::vector<std::string> keys,
                           std::vector<std::span<std::byte>> buffers);
  std::uint64_t submit_set(std::vector<std::string> keys,
                           std::vector<std::span<const std::byte>> buffers);
  std::uint64_t submit_exists(std::vector<std::string> keys);
  std::uint64_t submit_delete(std::vector<std::string> keys);

  // Every completion queued so far (possibly none); consumes the eventfd.
  std::vector<lmcache_completion> drain_completions();

  void close();
  sdk::client_stats stats() const { return client_->stats(); }

 private:
  enum class batch_op { get, set, exists, remove };
  struct batch;
  struct task {
    std::shared_ptr<batch> owner;
    std::size_t index = 0;  // key index; exists: the whole batch
  };

  lmcache_connector(lmcache_connector_options options, std::unique_ptr<sdk::client> client,
                    int event_fd);
  std::uint64_t submit(std::shared_ptr<batch> b, std::size_t tasks);
  void worker_loop();
  void run(const task& t);
  void finish_task(batch& b);
  void push_completion(lmcache_completion c);
  std::string object_key(const std::string& key) const { return options_.key_prefix + key; }

  lmcache_connector_options options_;
  std::unique_ptr<sdk::client> client_;
  int event_fd_ = -1;
  std::atomic<std::uint64_t> next_future_id_{1};

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<task> queue_;
  bool stopping_ = false;  // guarded by queue_mutex_

  std::mutex completion_mutex_;
  std::vector<lmcache_completion> completions_;

  std::mutex close_mutex_;
  bool closed_ = false;  // guarded by close_mutex_
  std::vector<std::thread> workers_;
};

}  // namespace kvgate::python
