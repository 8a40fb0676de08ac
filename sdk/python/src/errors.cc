#include "errors.h"

#include <string>

namespace py = pybind11;

namespace kvgate::python {
namespace {

// The exception types live as long as the interpreter; they are created once
// at import (the pybind11 idiom for exception types, cf. py::exception<T>).
PyObject* error_type = nullptr;
PyObject* not_found_type = nullptr;

}  // namespace

void register_errors(py::module_& module) {
  error_type = PyErr_NewExceptionWithDoc(
      "kvgate._kvgate.Error",
      "A failed kvgate operation. Attributes: code (SDK condition, e.g. 'server_error', "
      "'connection_failed', 'buffer_too_small'), status (HTTP status, 0 without a response), "
      "s3_code (S3 error Code, e.g. 'NoSuchKey'), message, request_id, attempts.",
      PyExc_Exception, nullptr);
  if (error_type == nullptr) throw py::error_already_set();
  not_found_type = PyErr_NewExceptionWithDoc("kvgate._kvgate.NotFoundError",
                                             "The object or bucket does not exist (HTTP 404).",
                                             error_type, nullptr);
  if (not_found_type == nullptr) throw py::error_already_set();
  module.attr("Error") = py::handle(error_type);
  module.attr("NotFoundError") = py::handle(not_found_type);
}

std::string_view errc_name(const std::error_code& code) noexcept {
  if (code.category() != sdk::sdk_category()) return "other";
  switch (static_cast<sdk::sdk_errc>(code.value())) {
    case sdk::sdk_errc::ok:
      return "ok";
    case sdk::sdk_errc::invalid_argument:
      return "invalid_argument";
    case sdk::sdk_errc::invalid_endpoint:
      return "invalid_endpoint";
    case sdk::sdk_errc::no_credentials:
      return "no_credentials";
    case sdk::sdk_errc::credentials_file:
      return "credentials_file";
    case sdk::sdk_errc::connection_failed:
      return "connection_failed";
    case sdk::sdk_errc::timeout:
      return "timeout";
    case sdk::sdk_errc::tls_failed:
      return "tls_failed";
    case sdk::sdk_errc::protocol_error:
      return "protocol_error";
    case sdk::sdk_errc::server_error:
      return "server_error";
    case sdk::sdk_errc::buffer_too_small:
      return "buffer_too_small";
    case sdk::sdk_errc::checksum_mismatch:
      return "checksum_mismatch";
    case sdk::sdk_errc::rdma_unavailable:
      return "rdma_unavailable";
    case sdk::sdk_errc::shut_down:
      return "shut_down";
  }
  return "other";
}

py::object error_object(const sdk::error& error) {
  PyObject* type = error.http_status == 404 ? not_found_type : error_type;
  py::object instance = py::reinterpret_borrow<py::object>(type)(error.to_string());
  instance.attr("code") = py::str(std::string(errc_name(error.code)));
  instance.attr("status") = error.http_status;
  instance.attr("s3_code") = error.s3_code;
  instance.attr("message") = error.message;
  instance.attr("request_id") = error.request_id;
  instance.attr("attempts") = error.attempts;
  return instance;
}

void raise_error(const sdk::error& error) {
  py::object instance = error_object(error);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(instance.ptr())), instance.ptr());
  throw py::error_already_set();
}

}  // namespace kvgate::python
