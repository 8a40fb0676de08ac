#include "registered_memory_binding.h"

namespace py = pybind11;

namespace kvgate::python {

void py_registered_memory::close() {
  {
    py::gil_scoped_release no_gil;
    registration_.reset();
  }
  held_.reset();
}

void bind_registered_memory(py::module_& m) {
  py::class_<py_registered_memory>(m, "RegisteredMemory", R"doc(
A buffer registered for RDMA by Client.register_memory(). While it is open,
get() into and put() from (a slice of) that buffer may move over RDMA. close()
or the end of a `with` block deregisters it; no operation on the buffer may be
in flight then.)doc")
      .def_property_readonly("size", &py_registered_memory::size, "bytes registered")
      .def_property_readonly("registered", &py_registered_memory::registered, "False once closed")
      .def("close", &py_registered_memory::close, "Deregisters the buffer (idempotent).")
      .def("__enter__", [](py_registered_memory& self) -> py_registered_memory& { return self; })
      .def("__exit__", [](py_registered_memory& self, const py::args&) { self.close(); })
      .def("__repr__", [](const py_registered_memory& self) {
        return "RegisteredMemory(size=" + std::to_string(self.size()) +
               (self.registered() ? ")" : ", closed)");
      });
}

}  // namespace kvgate::python
