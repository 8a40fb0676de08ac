// Teaches Catch2 to print kvgate::sdk::result<T> as "value" or the error's
// text, so REQUIRE(r) and CHECK_FALSE(r) compile and report readably.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "kvgate/sdk/error.h"

namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, kvgate::sdk::error>> {
  static std::string convert(const boost::system::result<T, kvgate::sdk::error>& r) {
    return r ? std::string("value") : "error: " + r.error().to_string();
  }
};
}  // namespace Catch
