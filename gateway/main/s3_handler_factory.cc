// Builds the S3 front end: the kvgate::gateway router over the erasure store,
// with the core's default S3-style renderer for transport errors.
#include "s3_handler_factory.h"

#include <fmt/format.h>

#include <algorithm>

#include "kvgate/s3/cache_policy.h"
#include "kvgate/s3/s3_handler.h"
#include "s3_metrics.h"

namespace kvgate::cli {

boost::system::result<s3_frontend, std::string> make_s3_frontend(
    const gateway::server_config& config, const gateway::credentials& root,
    boost::asio::thread_pool& blocking_pool, std::vector<std::shared_ptr<erasure::disk>> disks) {
  auto handler = s3::make_s3_handler(config, root, blocking_pool, std::move(disks));
  if (!handler) return handler.error();
  s3_frontend f;
  const s3::s3_handler* s3_handler = handler->get();
  f.register_metrics = [s3_handler](gateway::metrics::registry& r) {
    register_s3_metrics(r, s3_handler->service());
  };
  f.reload_users = [s3_handler](const gateway::credentials& r, const std::filesystem::path& file) {
    return s3_handler->reload_users(r, file);
  };
  f.check_cache =
      [s3_handler](const gateway::cache_config& cache) -> boost::system::result<void, std::string> {
    if (!s3_handler->service().cache_policy) return std::string("no cache policy keeper");
    auto current = s3_handler->service().cache_policy->current();
    if (!current) return current.error();
    if (auto next = s3::apply_change(std::move(*current), s3::change_from_config(cache)); !next)
      return next.error();
    return {};
  };
  f.reload_cache =
      [s3_handler](
          const gateway::cache_config& cache) -> boost::system::result<std::string, std::string> {
    using boost::system::in_place_error;
    if (!s3_handler->service().cache_policy) return {in_place_error, "no cache policy keeper"};
    auto p = s3::install_startup_policy(*s3_handler->service().cache_policy, cache);
    if (!p) return {in_place_error, p.error()};
    return {boost::system::in_place_value,
            fmt::format("max_bytes {}, max_objects {}, watermarks {}/{}, {} bucket policies",
                        p->max_bytes, p->max_objects, p->high_watermark, p->low_watermark,
                        p->buckets.size())};
  };
  f.reload_cluster = [s3_handler](const gateway::cluster_config& next)
      -> boost::system::result<s3_frontend::map_reload, std::string> {
    auto& live = *s3_handler->service().cluster;
    const auto running = live.current();
    auto change = gateway::check_map_change(*running, next);
    if (!change) return change.error();
    if (!*change)
      return s3_frontend::map_reload{
          false, running->enabled() ? fmt::format("map version {} unchanged", running->map_version)
                                    : std::string("not in a cluster")};
    live.replace(next);
    return s3_frontend::map_reload{
        true, fmt::format("map version {} -> {} of cluster \"{}\" ({} -> {} members)",
                          running->map_version, next.map_version, next.id, running->members.size(),
                          next.members.size())};
  };
  f.hooks.cluster_map = s3_handler->service().cluster;
  f.handler = std::move(*handler);
  f.hooks.render_error = gateway::default_render_error;
  // Ready: the store is open (so its index is loaded) and enough disks are
  // online to acknowledge writes (min(k + 1, k + m), the store's write quorum).
  f.hooks.ready = [s3_handler] {
    auto info = s3_handler->service().store->info();
    if (!info) return false;
    std::size_t online = 0;
    for (const auto& d : info->disks) online += d.online ? 1 : 0;
    return online >= static_cast<std::size_t>(std::min(info->k + 1, info->k + info->m));
  };
  return f;
}

}  // namespace kvgate::cli
