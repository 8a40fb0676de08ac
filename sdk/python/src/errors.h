// Python exceptions for SDK errors.
//
// The C++ SDK returns errors as values (sdk::result<T>); at the Python
// boundary a failed result becomes a `kvgate.Error` (or its subclass
// `kvgate.NotFoundError` for HTTP 404) carrying the error's fields as
// attributes: code (the sdk_errc name, e.g. "server_error"), status (HTTP
// status, 0 when no response arrived), s3_code ("NoSuchKey", ...), message,
// request_id and attempts. Everything here needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <string_view>
#include <utility>

#include "kvgate/sdk/error.h"

namespace kvgate::python {

// Creates kvgate._kvgate.Error and NotFoundError in `module`.
void register_errors(pybind11::module_& module);

std::string_view errc_name(const std::error_code& code) noexcept;

// The exception object for `error` (not raised): batch calls return these.
pybind11::object error_object(const sdk::error& error);

[[noreturn]] void raise_error(const sdk::error& error);

template <class T>
T value_or_raise(sdk::result<T>&& result) {
  if (!result) raise_error(result.error());
  return std::move(*result);
}

inline void value_or_raise(sdk::result<void>&& result) {
  if (!result) raise_error(result.error());
}

}  // namespace kvgate::python
