#include "held_bytes.h"

#include <cstdint>
#include <string>
#include <utility>

namespace py = pybind11;

namespace kvgate::python {
namespace {

bool looks_like_torch_tensor(py::handle object) {
  return py::hasattr(object, "data_ptr") && py::hasattr(object, "element_size") &&
         py::hasattr(object, "numel") && py::hasattr(object, "is_contiguous") &&
         py::hasattr(object, "device");
}

}  // namespace

held_bytes held_bytes::from(py::handle object, bool writable) {
  held_bytes held;
  if (PyObject_CheckBuffer(object.ptr())) {
    const int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object.ptr(), &held.view_, flags) != 0) throw py::error_already_set();
    held.has_view_ = true;
    held.data_ = static_cast<std::byte*>(held.view_.buf);
    held.size_ = static_cast<std::size_t>(held.view_.len);
    return held;
  }
  if (looks_like_torch_tensor(object)) {
    const auto device = py::str(object.attr("device").attr("type")).cast<std::string>();
    if (device != "cpu") {
      throw py::type_error("kvgate: only CPU tensors can be used as buffers (tensor is on " +
                           device + ")");
    }
    if (!object.attr("is_contiguous")().cast<bool>()) {
      throw py::value_error("kvgate: the tensor is not contiguous (use .contiguous())");
    }
    held.owner_ = py::reinterpret_borrow<py::object>(object);
    held.data_ = reinterpret_cast<std::byte*>(object.attr("data_ptr")().cast<std::uintptr_t>());
    held.size_ = object.attr("numel")().cast<std::size_t>() *
                 object.attr("element_size")().cast<std::size_t>();
    return held;
  }
  throw py::type_error(
      std::string("kvgate: expected a bytes-like object (bytes, bytearray, memoryview, numpy "
                  "array) or a CPU torch.Tensor, got ") +
      Py_TYPE(object.ptr())->tp_name);
}

held_bytes::held_bytes(held_bytes&& other) noexcept
    : view_(other.view_),
      has_view_(std::exchange(other.has_view_, false)),
      owner_(std::move(other.owner_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

held_bytes& held_bytes::operator=(held_bytes&& other) noexcept {
  if (this != &other) {
    release();
    view_ = other.view_;
    has_view_ = std::exchange(other.has_view_, false);
    owner_ = std::move(other.owner_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

held_bytes::~held_bytes() {
  release();
}

void held_bytes::release() noexcept {
  if (has_view_) {
    PyBuffer_Release(&view_);
    has_view_ = false;
  }
  owner_ = py::object();
}

}  // namespace kvgate::python
