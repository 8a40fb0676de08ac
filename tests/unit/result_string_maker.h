// Teaches Catch2 to print boost::system::result<T, std::error_code> (the
// project's result type) as "value" or the error's message, so REQUIRE(r) and
// CHECK(r.error() == ...) compile and report readably for any T.
#pragma once

#include <boost/system/result.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <system_error>

namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, std::error_code>> {
  static std::string convert(const boost::system::result<T, std::error_code>& r) {
    return r ? std::string("value") : "error: " + r.error().message();
  }
};
}  // namespace Catch
