// Builds the S3 front end: the kvgate::gateway router over the erasure store,
// with the core's default S3-style renderer for transport errors.
#include "s3_handler_factory.h"

#include "kvgate/s3/s3_handler.h"
#include "s3_metrics.h"

namespace kvgate::cli {

boost::system::result<s3_frontend, std::string> make_s3_frontend(
    const gateway::server_config& config, const gateway::credentials& root,
    boost::asio::thread_pool& blocking_pool) {
  auto handler = s3::make_s3_handler(config, root, blocking_pool);
  if (!handler) return handler.error();
  s3_frontend f;
  const s3::s3_handler* s3_handler = handler->get();
  f.register_metrics = [s3_handler](gateway::metrics::registry& r) {
    register_s3_metrics(r, s3_handler->service());
  };
  f.reload_users = [s3_handler](const gateway::credentials& r, const std::filesystem::path& file) {
    return s3_handler->reload_users(r, file);
  };
  f.handler = std::move(*handler);
  f.hooks.render_error = gateway::default_render_error;
  f.hooks.ready = [] { return true; };
  return f;
}

}  // namespace kvgate::cli
