#include "kvgate/sdk/rdma_fallback.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace kvgate::sdk {
namespace {

std::size_t index_of(decline_reason r) noexcept {
  const auto& all = rdma::kAllDeclineReasons;
  return static_cast<std::size_t>(std::find(all.begin(), all.end(), r) - all.begin());
}

void log_state_change(const std::string& name, path_state from, path_state to,
                      std::string_view why) {
  spdlog::info("kvgate sdk: RDMA path {}: {} -> {} ({})", name, to_string(from), to_string(to),
               why);
}

}  // namespace

std::string_view to_string(rdma_mode m) noexcept {
  switch (m) {
    case rdma_mode::off:
      return "off";
    case rdma_mode::automatic:
      return "auto";
    case rdma_mode::on:
      return "on";
  }
  return "?";
}

std::optional<rdma_mode> parse_rdma_mode(std::string_view s) noexcept {
  if (s == "off") return rdma_mode::off;
  if (s == "auto") return rdma_mode::automatic;
  if (s == "on") return rdma_mode::on;
  return std::nullopt;
}

std::string_view to_string(path_state s) noexcept {
  switch (s) {
    case path_state::unknown:
      return "unknown";
    case path_state::supported:
      return "supported";
    case path_state::unsupported:
      return "unsupported";
    case path_state::degraded:
      return "degraded";
  }
  return "?";
}

std::string_view to_string(ineligible_reason r) noexcept {
  switch (r) {
    case ineligible_reason::mode_off:
      return "mode-off";
    case ineligible_reason::no_device:
      return "no-device";
    case ineligible_reason::buffer_not_registered:
      return "buffer-not-registered";
    case ineligible_reason::below_min_size:
      return "below-min-size";
    case ineligible_reason::above_max_size:
      return "above-max-size";
    case ineligible_reason::operation_not_supported:
      return "operation-not-supported";
  }
  return "?";
}

rdma_path::rdma_path(std::string name, rdma_fallback_config config, state_observer observer)
    : name_(std::move(name)), config_(config), observer_(std::move(observer)) {
  if (!observer_) {
    observer_ = [n = name_](path_state from, path_state to, std::string_view why) {
      log_state_change(n, from, to, why);
    };
  }
}

std::chrono::milliseconds rdma_path::current_cooldown() const noexcept {
  const unsigned n = std::max(consecutive_failures_, 1u);
  auto cooldown = config_.degraded_initial_cooldown;
  for (unsigned i = 1; i < n && cooldown < config_.degraded_max_cooldown; ++i) cooldown *= 2;
  return std::min(cooldown, config_.degraded_max_cooldown);
}

route_decision rdma_path::route_for(const rdma_request_facts& facts, steady_time now) {
  const bool required = config_.mode == rdma_mode::on;
  auto ineligible = [&](ineligible_reason r, std::string_view why, bool fails_when_required) {
    ++counters_.ineligible[static_cast<std::size_t>(r)];
    return route_decision{required && fails_when_required ? route::fail : route::tcp, r, why};
  };
  // Size and operation rules hold in every mode: small objects go TCP by design.
  if (config_.mode == rdma_mode::off)
    return ineligible(ineligible_reason::mode_off, "rdma off", false);
  if (facts.operation == rdma_operation::other)
    return ineligible(ineligible_reason::operation_not_supported, "operation has no RDMA form",
                      false);
  if (facts.bytes < std::max(config_.min_rdma_bytes, limits_.min_rdma_bytes))
    return ineligible(ineligible_reason::below_min_size, "below the RDMA threshold", false);
  if (facts.bytes > limits_.max_request_bytes)
    return ineligible(ineligible_reason::above_max_size, "above the server's RDMA limit", false);
  if (!facts.device_present)
    return ineligible(ineligible_reason::no_device, "no RDMA device on this host", true);
  if (!facts.buffer_registered)
    return ineligible(ineligible_reason::buffer_not_registered, "buffer not registered", true);

  auto fallback = [&](std::string_view why) {
    if (required) return route_decision{route::fail, std::nullopt, why};
    ++counters_.fallbacks;
    return route_decision{route::tcp, std::nullopt, why};
  };
  if (state_ == path_state::unsupported && now >= state_until_)
    change_state(path_state::unknown, now, "unsupported TTL expired");
  switch (state_) {
    case path_state::unknown:
      return {route::discover, std::nullopt, "capabilities not known yet"};
    case path_state::supported:
      return {route::rdma, std::nullopt, "rdma supported"};
    case path_state::unsupported:
      return fallback("server does not offer RDMA");
    case path_state::degraded:
      if (now < state_until_) return fallback("RDMA path degraded (cooling down)");
      if (probe_in_flight_) return fallback("RDMA path degraded (probe in flight)");
      probe_in_flight_ = true;
      if (!capabilities_known_) return {route::discover, std::nullopt, "probe: rediscover"};
      return {route::rdma, std::nullopt, "probe after cool-down"};
  }
  return fallback("unreachable");
}

void rdma_path::on_discovery(discovery_outcome outcome, const server_limits& limits,
                             steady_time now) {
  ++counters_.discoveries;
  probe_in_flight_ = false;
  switch (outcome) {
    case discovery_outcome::rc1_offered:
      limits_ = limits;
      capabilities_known_ = true;
      change_state(path_state::supported, now, "server offers rc1");
      return;
    case discovery_outcome::no_transports:
    case discovery_outcome::not_supported:
      capabilities_known_ = false;
      state_until_ = now + config_.unsupported_ttl;
      change_state(path_state::unsupported, now,
                   outcome == discovery_outcome::no_transports ? "server has RDMA disabled"
                                                               : "server has no RDMA protocol");
      return;
    case discovery_outcome::failed:
      capabilities_known_ = false;
      record_failure(now, "capabilities request failed");
      return;
  }
}

void rdma_path::change_state(path_state to, steady_time, std::string_view why) {
  if (to == state_) return;
  const path_state from = state_;
  state_ = to;
  ++counters_.state_changes;
  observer_(from, to, why);
}

void rdma_path::record_failure(steady_time now, std::string_view why) {
  ++counters_.failures;
  ++consecutive_failures_;
  state_until_ = now + current_cooldown();
  change_state(path_state::degraded, now, why);
}

reply_action rdma_path::fall_back(reply_action action) noexcept {
  if (action.step != next_step::tcp) return action;
  if (config_.mode == rdma_mode::on) {
    action.step = next_step::fail;
  } else {
    ++counters_.fallbacks;
  }
  return action;
}

reply_action rdma_path::on_reply(const rdma_reply& reply, steady_time now) {
  probe_in_flight_ = false;
  reply_action action;
  switch (reply.kind) {
    case reply_kind::completed:
      ++counters_.rdma_ops;
      counters_.rdma_bytes += reply.bytes;
      consecutive_failures_ = 0;
      change_state(path_state::supported, now, "transfer completed");
      return action;

    case reply_kind::declined: {
      if (!reply.reason) {  // a decline must name its reason (§7.2): treat as a failure
        record_failure(now, "decline without a reason");
        action.step = next_step::tcp;
        return fall_back(action);
      }
      ++counters_.declines[index_of(*reply.reason)];
      // A declined GET with fallback=body already has its bytes (over TCP).
      const next_step after = reply.body_delivered ? next_step::done : next_step::tcp;
      if (reply.body_delivered) ++counters_.fallbacks;
      switch (*reply.reason) {
        case decline_reason::not_enabled:
        case decline_reason::transport_unsupported:
          action.drop_session = true;
          capabilities_known_ = false;
          state_until_ = now + config_.unsupported_ttl;
          change_state(path_state::unsupported, now, rdma::to_string(*reply.reason));
          action.step = after;
          break;
        case decline_reason::too_large:
        case decline_reason::below_threshold:
        case decline_reason::window_too_small:
        case decline_reason::busy:
          // Per request: the path stays as it is.
          action.step = after;
          break;
        case decline_reason::no_session:
        case decline_reason::session_expired:
          action.drop_session = true;
          if (reply.body_delivered) {
            action.step = next_step::done;
          } else if (reply.attempt <= 1) {
            ++counters_.session_retries;
            action.step = next_step::retry_rdma_new_session;
          } else {
            action.step = next_step::tcp;
          }
          break;
        case decline_reason::transport_error:
          action.drop_session = true;
          record_failure(now, "session fenced by the server");
          action.step = after;
          break;
      }
      return fall_back(action);
    }

    case reply_kind::transfer_failed:
      action.drop_session = true;
      record_failure(now, "RDMA transfer failed");
      action.step = next_step::tcp;
      return fall_back(action);

    case reply_kind::malformed_token:
      record_failure(now, "server refused the token");
      action.step = next_step::tcp;
      return fall_back(action);

    case reply_kind::timed_out:
    case reply_kind::connection_lost:
      // No reply: the gateway may still write into the window. Fence first.
      ++counters_.fences;
      action.drop_session = true;
      action.must_fence_window = true;
      record_failure(now, reply.kind == reply_kind::timed_out ? "RDMA request timed out"
                                                              : "connection lost mid-request");
      action.step = next_step::tcp;
      return fall_back(action);
  }
  return action;
}

}  // namespace kvgate::sdk
