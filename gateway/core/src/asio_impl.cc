// The one translation unit that compiles Boost.Asio (and its SSL support);
// every target linking kvgate::gateway_core gets BOOST_ASIO_SEPARATE_COMPILATION.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
