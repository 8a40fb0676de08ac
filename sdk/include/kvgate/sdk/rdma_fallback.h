// The SDK's RDMA fallback state machine, one per (endpoint, rail)
// (DESIGN.md §5, docs/rdma-protocol.md §2, §7, §8; documented in docs/sdk.md).
//
//   unknown --discovery: rc1 offered--> supported
//   unknown --discovery: no transports / not kvgate--> unsupported (for unsupported_ttl,
//                                                      then unknown again)
//   unknown|supported --failure, timeout, discovery error--> degraded (circuit breaker:
//        cool-down initial * 2^(n-1), capped; after it one probe request may use RDMA:
//        success -> supported, failure -> degraded with the next cool-down)
//
// The machine only decides; the client does the I/O and reports back:
//   route_for(facts, now)    -> rdma | tcp | discover | fail   (eligibility is local)
//   on_discovery(outcome)    -> after GET /.rdma/v1/capabilities
//   on_reply(reply, now)     -> done | retry_rdma_new_session | tcp | fail, with
//                               must_fence_window / drop_session flags
// Rules encoded here: every decline reason of docs/rdma-protocol.md §7.2 has one
// handling; a request with no reply (timeout, connection lost) must fence its
// window (move the QP to error or deregister the MR) before the buffer is reused
// or the bytes are re-sent over TCP; session-expired/no-session are retried once
// over RDMA with a new session, then TCP; with rdma_mode::on every fallback
// becomes a failure instead (never a silent TCP transfer).
//
// Pure and deterministic: time is a parameter, nothing is global. Not
// thread-safe: the client serialises calls (one mutex per path). Each state
// change is reported once to the observer (default: one spdlog line).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kvgate/rdma/reply.h"

namespace kvgate::sdk {

using rdma::decline_reason;
using steady_time = std::chrono::steady_clock::time_point;

enum class rdma_mode { off, automatic, on };
std::string_view to_string(rdma_mode m) noexcept;
std::optional<rdma_mode> parse_rdma_mode(std::string_view s) noexcept;  // off|auto|on

enum class path_state { unknown, supported, unsupported, degraded };
std::string_view to_string(path_state s) noexcept;

enum class rdma_operation { get, put, upload_part, other };

// Why a request goes over TCP without asking the server (decided locally).
enum class ineligible_reason {
  mode_off,
  no_device,              // no RDMA device / verbs libraries on this host
  buffer_not_registered,  // the caller's memory is not in a registered region
  below_min_size,         // smaller than max(options.min_rdma_bytes, server min_rdma_bytes)
  above_max_size,         // larger than the server's max_request_bytes
  operation_not_supported,
};
inline constexpr std::size_t kIneligibleReasonCount = 6;
std::string_view to_string(ineligible_reason r) noexcept;

struct rdma_request_facts {
  rdma_operation operation = rdma_operation::get;
  std::uint64_t bytes = 0;
  bool device_present = false;
  bool buffer_registered = false;
};

enum class route { rdma, tcp, discover, fail };

struct route_decision {
  route path = route::tcp;
  std::optional<ineligible_reason> local_reason;  // set when ineligible locally
  std::string_view why;                           // short text for logs and errors
};

enum class discovery_outcome {
  rc1_offered,    // 200 with "rc1" in transports
  no_transports,  // 200 with transports [] (gateway has RDMA disabled or no device)
  not_supported,  // 4xx: not a kvgate, or an older one
  failed,         // connection error or 5xx
};

struct server_limits {
  std::uint64_t min_rdma_bytes = 0;
  std::uint64_t max_request_bytes = UINT64_MAX;
};

enum class reply_kind {
  completed,        // x-amz-rdma-reply 200/206: bytes moved over RDMA
  declined,         // x-amz-rdma-reply 501 + reason
  transfer_failed,  // 500 RdmaTransferFailed (the server fenced the session)
  malformed_token,  // 400 InvalidRdmaToken (a client bug)
  timed_out,        // no response within the request timeout
  connection_lost,  // the HTTP connection broke before the response
};

struct rdma_reply {
  reply_kind kind = reply_kind::completed;
  std::optional<decline_reason> reason;  // with declined / transfer_failed
  rdma_operation operation = rdma_operation::get;
  std::uint64_t bytes = 0;      // bytes moved over RDMA (completed)
  bool body_delivered = false;  // a declined GET with x-amz-rdma-fallback: body got its bytes
  unsigned attempt = 1;         // 1 = first RDMA attempt, 2 = the retry with a new session
};

enum class next_step {
  done,                    // the request is complete (over RDMA, or the GET body fallback)
  retry_rdma_new_session,  // create a new session and try once more over RDMA
  tcp,                     // send the request over TCP now (after fencing when asked)
  fail,                    // rdma_mode::on: report the failure, no TCP transfer
};

struct reply_action {
  next_step step = next_step::done;
  bool drop_session = false;       // the session is unusable (expired, unknown, fenced)
  bool must_fence_window = false;  // fence QP/MR before the window's memory is reused
};

struct rdma_fallback_config {
  rdma_mode mode = rdma_mode::automatic;
  std::uint64_t min_rdma_bytes = 256 * 1024;
  std::chrono::seconds unsupported_ttl{300};
  std::chrono::milliseconds degraded_initial_cooldown{1000};
  std::chrono::milliseconds degraded_max_cooldown{300000};
};

// Counters kept by the machine (read by stats()).
struct rdma_path_counters {
  std::uint64_t rdma_ops = 0;  // completed over RDMA
  std::uint64_t rdma_bytes = 0;
  std::array<std::uint64_t, rdma::kAllDeclineReasons.size()> declines{};  // by decline_reason
  std::array<std::uint64_t, kIneligibleReasonCount> ineligible{};         // by ineligible_reason
  std::uint64_t fallbacks = 0;  // requests the machine sent to TCP after trying or deciding
  std::uint64_t failures = 0;   // transfer failures, timeouts, lost connections, bad tokens
  std::uint64_t fences = 0;     // windows that had to be fenced
  std::uint64_t session_retries = 0;
  std::uint64_t discoveries = 0;
  std::uint64_t state_changes = 0;
};

using state_observer = std::function<void(path_state from, path_state to, std::string_view why)>;

class rdma_path {
 public:
  // `name` identifies the (endpoint, rail) in logs, e.g. "https://gw:9000 rail 0".
  rdma_path(std::string name, rdma_fallback_config config, state_observer observer = {});

  path_state state() const noexcept { return state_; }
  const rdma_path_counters& counters() const noexcept { return counters_; }
  const server_limits& limits() const noexcept { return limits_; }
  const std::string& name() const noexcept { return name_; }
  // Cool-down of the current (or next) degraded period.
  std::chrono::milliseconds current_cooldown() const noexcept;

  // Where a request goes. Moves unsupported -> unknown after its TTL. While a
  // discovery or a degraded probe is in flight, other requests go TCP.
  route_decision route_for(const rdma_request_facts& facts, steady_time now);

  void on_discovery(discovery_outcome outcome, const server_limits& limits, steady_time now);

  reply_action on_reply(const rdma_reply& reply, steady_time now);

 private:
  void change_state(path_state to, steady_time now, std::string_view why);
  void record_failure(steady_time now, std::string_view why);
  reply_action fall_back(reply_action action) noexcept;

  std::string name_;
  rdma_fallback_config config_;
  state_observer observer_;
  path_state state_ = path_state::unknown;
  server_limits limits_;
  bool discovery_in_flight_ = false;
  bool probe_in_flight_ = false;
  bool capabilities_known_ = false;
  unsigned consecutive_failures_ = 0;
  steady_time state_until_{};  // end of the unsupported TTL or the degraded cool-down
  rdma_path_counters counters_;
};

}  // namespace kvgate::sdk
