// The pieces of the kvgate._kvgate extension module, each binding one part.
#pragma once

#include <pybind11/pybind11.h>

namespace kvgate::python {

void bind_client(pybind11::module_& module);            // client_binding.cc
void bind_native_connector(pybind11::module_& module);  // native_connector_binding.cc

}  // namespace kvgate::python
