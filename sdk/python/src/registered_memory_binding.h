// kvgate.RegisteredMemory: a Python buffer registered for the RDMA fast path
// (Client.register_memory, docs/sdk.md "Python").
//
// The buffer is pinned (held_bytes: the object stays alive and cannot be
// resized) for as long as the registration lives; close() (or leaving the
// `with` block) deregisters it and lets the object go. Transfers whose buffer
// lies inside a registered one are then eligible for RDMA.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>

#include "held_bytes.h"
#include "kvgate/sdk/registered_memory.h"

namespace kvgate::python {

class py_registered_memory {
 public:
  py_registered_memory(held_bytes held, sdk::registered_memory registration)
      : held_(std::move(held)), registration_(std::move(registration)) {}

  std::size_t size() const noexcept { return registration_.bytes().size(); }
  bool registered() const noexcept { return static_cast<bool>(registration_); }
  // Deregisters (with the GIL released: ibv_dereg_mr may block), then
  // releases the buffer. Idempotent; needs the GIL.
  void close();

 private:
  std::optional<held_bytes> held_;
  sdk::registered_memory registration_;
};

void bind_registered_memory(pybind11::module_& module);

}  // namespace kvgate::python
