// The SDK's one translation unit compiling Boost.Asio and its SSL support
// (kvgate::rdma, which the SDK links, sets BOOST_ASIO_SEPARATE_COMPILATION).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
