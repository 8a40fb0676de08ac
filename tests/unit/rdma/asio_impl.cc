// kvgate::rdma is compiled with BOOST_ASIO_SEPARATE_COMPILATION (as
// gateway_core is); the test binary compiles Asio's implementation once here.
#include <boost/asio/impl/src.hpp>
