// kvgate::rdma uses separately compiled Asio; this tool compiles it once.
#include <boost/asio/impl/src.hpp>
