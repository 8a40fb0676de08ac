// held_bytes — the contiguous bytes of a Python object, pinned while the SDK
// reads or writes them (no copy).
//
// Accepted: any object with the buffer protocol that can present itself as
// one C-contiguous block (bytes, bytearray, memoryview, numpy arrays, array,
// mmap, ctypes arrays — LMCache's MemoryObj.byte_array is one), and CPU
// torch tensors, which have no buffer protocol: their data_ptr() and
// numel() * element_size() are used, with the tensor kept alive.
//
// Lifetime: a held_bytes keeps a reference to the object (and the buffer
// export, so a bytearray cannot be resized under the SDK). It must be
// created and destroyed with the GIL held; bytes() may be used without it.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <span>

namespace kvgate::python {

class held_bytes {
 public:
  // Throws TypeError (unsupported object, non-CPU tensor), BufferError (not
  // writable, not contiguous) or ValueError (non-contiguous tensor).
  static held_bytes from(pybind11::handle object, bool writable);

  held_bytes(held_bytes&& other) noexcept;
  held_bytes& operator=(held_bytes&& other) noexcept;
  held_bytes(const held_bytes&) = delete;
  held_bytes& operator=(const held_bytes&) = delete;
  ~held_bytes();

  std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  std::span<const std::byte> const_bytes() const noexcept { return {data_, size_}; }

 private:
  held_bytes() = default;
  void release() noexcept;

  Py_buffer view_{};
  bool has_view_ = false;
  pybind11::object owner_;  // torch tensors: the tensor itself
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace kvgate::python
