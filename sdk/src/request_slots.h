// A cap on HTTP requests in flight from one client to one server
// (client_options::max_requests_in_flight). Every attempt of every request
// holds one slot of the server it dials from just before it takes a
// connection until its response is read; the back-off sleep between attempts
// holds none. With a server's cap reached, the next request to it waits,
// first come first served, for one of that server's slots. Servers are told
// apart by the address dialled (host:port), so a cluster-routing client gets
// the cap once per node.
//
// Why: a gateway's write path is bound by its disks (fdatasync of every
// part); 128 parts in flight from one client (32 PUTs x 4 parts) contend
// there and store less per second than a dozen do (docs/sdk.md).
//
// Thread-safe: each server's slots are an Asio concurrent_channel whose
// buffer holds one message per taken slot, so waiting, waking and releasing
// work from any io thread. A limit of 0 means no cap (acquire never waits).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "kvgate/sdk/error.h"

namespace kvgate::sdk::detail {

namespace asio = boost::asio;

class request_slots {
  using channel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

 public:
  request_slots(asio::any_io_executor executor, unsigned limit);

  // One taken slot; released when destroyed or by release().
  class slot {
   public:
    slot() = default;
    explicit slot(channel* taken) noexcept : taken_(taken) {}
    slot(slot&& other) noexcept : taken_(std::exchange(other.taken_, nullptr)) {}
    slot& operator=(slot&& other) noexcept {
      if (this != &other) {
        release();
        taken_ = std::exchange(other.taken_, nullptr);
      }
      return *this;
    }
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot() { release(); }
    void release() noexcept {
      if (auto* t = std::exchange(taken_, nullptr))
        t->try_receive([](boost::system::error_code) {});
    }

   private:
    channel* taken_ = nullptr;
  };

  // Waits for a free slot of `server` ("host:port"). Errors: shut_down when
  // the slots are closed while waiting (the client is being destroyed).
  asio::awaitable<result<slot>> async_acquire(const std::string& server);

  unsigned limit() const noexcept { return limit_; }

 private:
  channel& slots_of(const std::string& server);

  asio::any_io_executor executor_;
  unsigned limit_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<channel>> servers_;  // never shrinks
};

}  // namespace kvgate::sdk::detail
