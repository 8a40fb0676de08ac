// pending_operation — one asynchronous SDK call as seen from Python
// (kvgate.Future): the SDK's std::future plus the caller's buffer, pinned
// until the operation has finished.
//
// Threads: ready()/wait_for() may run without the GIL (result() releases it
// while waiting); take() and destruction need the GIL. Destroying a pending
// operation whose I/O is still running waits for it (with the GIL released)
// before the buffer is unpinned, so the SDK never writes into freed memory.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <future>
#include <optional>
#include <utility>

#include "errors.h"
#include "held_bytes.h"
#include "kvgate/sdk/error.h"

namespace kvgate::python {

class pending_operation {
 public:
  virtual ~pending_operation() = default;
  virtual bool ready() const = 0;
  // Waits up to `timeout` (forever when nullopt); true when finished. No GIL needed.
  virtual bool wait_for(std::optional<std::chrono::duration<double>> timeout) = 0;
  // The result as a Python object, or raises kvgate.Error. Needs the GIL.
  virtual pybind11::object take() = 0;
};

template <class T, class Convert>
class pending_result final : public pending_operation {
 public:
  pending_result(std::future<sdk::result<T>> future, std::optional<held_bytes> buffer,
                 Convert convert)
      : future_(std::move(future)), buffer_(std::move(buffer)), convert_(std::move(convert)) {}

  ~pending_result() override {
    if (future_.valid()) {
      pybind11::gil_scoped_release no_gil;
      future_.wait();
    }
  }

  bool ready() const override {
    return outcome_.has_value() ||
           future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  bool wait_for(std::optional<std::chrono::duration<double>> timeout) override {
    if (outcome_) return true;
    if (!timeout) {
      future_.wait();
      return true;
    }
    return future_.wait_for(*timeout) == std::future_status::ready;
  }

  pybind11::object take() override {
    if (!outcome_) {
      {
        pybind11::gil_scoped_release no_gil;
        outcome_.emplace(future_.get());
      }
      buffer_.reset();
    }
    if (!*outcome_) raise_error(outcome_->error());
    if constexpr (std::is_void_v<T>) {
      return convert_();
    } else {
      return convert_(**outcome_);
    }
  }

 private:
  std::future<sdk::result<T>> future_;
  std::optional<held_bytes> buffer_;
  Convert convert_;
  std::optional<sdk::result<T>> outcome_;
};

template <class T, class Convert>
std::unique_ptr<pending_operation> make_pending(std::future<sdk::result<T>> future,
                                                std::optional<held_bytes> buffer, Convert convert) {
  return std::make_unique<pending_result<T, Convert>>(std::move(future), std::move(buffer),
                                                      std::move(convert));
}

}  // namespace kvgate::python
