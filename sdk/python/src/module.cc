// kvgate._kvgate: the extension behind `import kvgate` (sdk/python/kvgate).
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "errors.h"

PYBIND11_MODULE(_kvgate, m) {
  m.doc() = "kvgate client SDK (C++ kvgate::sdk) for Python; see docs/sdk.md";
  kvgate::python::register_errors(m);
  kvgate::python::bind_client(m);
  kvgate::python::bind_native_connector(m);
}
