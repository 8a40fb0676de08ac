// Lets Catch2 print kvgate::protocol::result<T> in failed assertions without
// requiring T to be streamable: it prints "value" or the error message.
#pragma once

#include <catch2/catch.hpp>

#include "kvgate/protocol/result.h"

namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, std::error_code>> {
  static std::string convert(const boost::system::result<T, std::error_code>& r) {
    return r.has_value() ? std::string("result{value}")
                         : "result{error: " + r.error().message() + "}";
  }
};
}  // namespace Catch
