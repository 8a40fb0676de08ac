// The KV-cache workloads of kvgate_kv_load (perf/kv_load.cc). Each worker is
// one simulated client (an LMCache process's request stream, a chat user, a
// HEAD-storming prompt loop) with its own connections; a workload function is
// the loop one worker runs until the run budget says stop. Units of work (an
// object, a prompt, a chat round) are never cut short, so the budget bounds
// when work starts, and a run ends at most one unit after it.
//
// Keys: segments are <prefix><i> for i < objects; chat uses <prefix>sys-<i>
// (shared system-prompt segments) and <prefix>user-<u>-turn-<r> (history);
// HEAD misses go to <prefix>absent-<random>, never written.
//
// Thread safety: kv_workload_context is shared read-only (plus atomics);
// a kv_worker belongs to its thread.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kv_s3_ops.h"

namespace kvgate::perf {

struct kv_workload_options {
  std::string workload = "lmcache-put";
  std::size_t segment_bytes = std::size_t{32} << 20;
  std::size_t objects = 16;
  std::string prefix = "seg-";
  bool verify = false;
  std::size_t heads_per_prompt = 80;
  double miss_ratio = 0.1;
  std::size_t rounds = 4;
  std::size_t system_segments = 2;
  unsigned mix_get = 60, mix_put = 20, mix_head = 20;  // weights
  std::uint64_t seed = 1;
};

// True for the workloads whose workers send LMCache-shaped requests over
// several connections.
inline bool uses_lmcache_shape(const std::string& workload) {
  return workload == "lmcache-put" || workload == "lmcache-get" || workload == "chat";
}

struct kv_workload_context {
  const kv_workload_options& options;
  run_budget& budget;
  std::atomic<std::size_t> next_object{0};

  std::string segment_key(std::size_t i) const { return fmt::format("{}{}", options.prefix, i); }
  std::string system_key(std::size_t i) const { return fmt::format("{}sys-{}", options.prefix, i); }
  std::string history_key(std::size_t user, std::size_t turn) const {
    return fmt::format("{}user-{}-turn-{}", options.prefix, user, turn);
  }
};

// One simulated client: its connections ("lanes"; the first one leads, the
// others carry an object's parts or ranges in parallel) and its random stream.
class kv_worker {
 public:
  kv_worker(std::size_t index, std::size_t connections, const s3_endpoint& endpoint,
            run_budget& budget, std::uint64_t seed)
      : index_(index), rng_(seed * 1000003 + index) {
    lanes_.reserve(connections);  // never reallocated afterwards: threads hold references
    for (std::size_t c = 0; c < connections; ++c) lanes_.emplace_back(endpoint, budget);
  }

  std::size_t index() const { return index_; }
  std::mt19937_64& rng() { return rng_; }
  s3_channel& lead() { return lanes_.front(); }
  std::span<s3_channel> all() { return {lanes_.data(), lanes_.size()}; }

 private:
  std::size_t index_;
  std::mt19937_64 rng_;
  std::vector<s3_channel> lanes_;
};

// Writes what a read workload needs (untimed): the segments, or chat's
// system-prompt segments, with the shape the workload will read.
inline std::vector<std::string> keys_to_populate(const kv_workload_context& ctx) {
  const auto& o = ctx.options;
  std::vector<std::string> keys;
  if (o.workload == "chat") {
    for (std::size_t i = 0; i < o.system_segments; ++i) keys.push_back(ctx.system_key(i));
  } else if (o.workload == "get" || o.workload == "lmcache-get" || o.workload == "head-storm" ||
             o.workload == "exists-storm" || o.workload == "mix") {
    for (std::size_t i = 0; i < o.objects; ++i) keys.push_back(ctx.segment_key(i));
  }
  return keys;
}

inline void populate_worker(kv_worker& w, const kv_workload_context& ctx,
                            const std::vector<std::string>& keys, std::atomic<std::size_t>& next) {
  const auto& o = ctx.options;
  for (std::size_t i; (i = next.fetch_add(1)) < keys.size();) {
    if (uses_lmcache_shape(o.workload))
      lmcache_put(w.all(), keys[i], o.segment_bytes, "populate", o.seed + i);
    else
      put_object(w.lead(), keys[i], o.segment_bytes, "populate");
  }
}

inline void run_put(kv_worker& w, kv_workload_context& ctx) {
  while (ctx.budget.may_start()) {
    const std::size_t i = ctx.next_object.fetch_add(1) % ctx.options.objects;
    put_object(w.lead(), ctx.segment_key(i), ctx.options.segment_bytes);
  }
}

inline void run_get(kv_worker& w, kv_workload_context& ctx) {
  while (ctx.budget.may_start()) {
    const std::size_t i = ctx.next_object.fetch_add(1) % ctx.options.objects;
    get_object(w.lead(), ctx.segment_key(i), ctx.options.segment_bytes, ctx.options.verify);
  }
}

inline void run_lmcache_put(kv_worker& w, kv_workload_context& ctx) {
  while (ctx.budget.may_start()) {
    const std::size_t n = ctx.next_object.fetch_add(1);
    lmcache_put(w.all(), ctx.segment_key(n % ctx.options.objects), ctx.options.segment_bytes,
                "lmcache-put", ctx.options.seed ^ (n * 0x9e3779b97f4a7c15ULL));
  }
}

inline void run_lmcache_get(kv_worker& w, kv_workload_context& ctx) {
  while (ctx.budget.may_start()) {
    const std::size_t i = ctx.next_object.fetch_add(1) % ctx.options.objects;
    lmcache_get(w.all(), ctx.segment_key(i), ctx.options.segment_bytes, ctx.options.verify,
                "lmcache-get");
  }
}

// Prompts of heads_per_prompt serial HEADs; a fraction miss_ratio of them
// asks for keys that were never written (404 expected).
inline void run_head_storm(kv_worker& w, kv_workload_context& ctx) {
  const auto& o = ctx.options;
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  while (ctx.budget.may_start()) {
    const auto start = bench_clock::now();
    bool ok = true;
    for (std::size_t h = 0; h < o.heads_per_prompt; ++h) {
      const bool miss = coin(w.rng()) < o.miss_ratio;
      const std::string key = miss ? fmt::format("{}absent-{}", o.prefix, w.rng()())
                                   : ctx.segment_key(w.rng()() % o.objects);
      ok &= head_object(w.lead(), key, o.segment_bytes, !miss, miss ? "head-miss" : "head")
                .has_value();
    }
    if (ok)
      w.lead().stats().ok("prompt", op_level::object, ms_since(start), 0);
    else
      w.lead().stats().fail("prompt", op_level::object, "a HEAD of the prompt failed");
  }
}

// The same prompts as run_head_storm, each checked with one BatchExists
// (kvgate's extension) instead of heads_per_prompt serial HEADs.
inline void run_exists_storm(kv_worker& w, kv_workload_context& ctx) {
  const auto& o = ctx.options;
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<std::string> keys;
  while (ctx.budget.may_start()) {
    const auto start = bench_clock::now();
    keys.clear();
    std::size_t present = 0;
    for (std::size_t h = 0; h < o.heads_per_prompt; ++h) {
      const bool miss = coin(w.rng()) < o.miss_ratio;
      keys.push_back(miss ? fmt::format("{}absent-{}", o.prefix, w.rng()())
                          : ctx.segment_key(w.rng()() % o.objects));
      present += miss ? 0 : 1;
    }
    if (batch_exists(w.lead(), keys, present))
      w.lead().stats().ok("prompt", op_level::object, ms_since(start), 0);
    else
      w.lead().stats().fail("prompt", op_level::object, "the prompt's BatchExists failed");
  }
}

// User w.index(): each round re-reads the shared system-prompt segments and
// the user's own earlier history segments, then writes this round's one.
inline void run_chat(kv_worker& w, kv_workload_context& ctx) {
  const auto& o = ctx.options;
  for (std::size_t round = 0; round < o.rounds && ctx.budget.may_start(); ++round) {
    const auto start = bench_clock::now();
    bool ok = true;
    for (std::size_t s = 0; s < o.system_segments; ++s)
      ok &= lmcache_get(w.all(), ctx.system_key(s), o.segment_bytes, o.verify, "system-read");
    for (std::size_t t = 0; t < round; ++t)
      ok &= lmcache_get(w.all(), ctx.history_key(w.index(), t), o.segment_bytes, o.verify,
                        "history-read");
    ok &= lmcache_put(w.all(), ctx.history_key(w.index(), round), o.segment_bytes, "history-write",
                      o.seed ^ (w.index() << 20) ^ round);
    if (ok)
      w.lead().stats().ok("round", op_level::object, ms_since(start), 0);
    else
      w.lead().stats().fail("round", op_level::object, "an operation of the round failed");
  }
}

// Steady mix of whole-object GET / PUT (overwrite, same bytes) / HEAD over the
// populated segments, chosen by weight.
inline void run_mix(kv_worker& w, kv_workload_context& ctx) {
  const auto& o = ctx.options;
  const unsigned total = o.mix_get + o.mix_put + o.mix_head;
  while (ctx.budget.may_start()) {
    const std::string key = ctx.segment_key(w.rng()() % o.objects);
    const unsigned pick = static_cast<unsigned>(w.rng()() % total);
    if (pick < o.mix_get)
      get_object(w.lead(), key, o.segment_bytes, o.verify);
    else if (pick < o.mix_get + o.mix_put)
      put_object(w.lead(), key, o.segment_bytes);
    else
      head_object(w.lead(), key, o.segment_bytes, true);
  }
}

inline void run_workload(kv_worker& w, kv_workload_context& ctx) {
  const std::string& name = ctx.options.workload;
  if (name == "put") return run_put(w, ctx);
  if (name == "get") return run_get(w, ctx);
  if (name == "lmcache-put") return run_lmcache_put(w, ctx);
  if (name == "lmcache-get") return run_lmcache_get(w, ctx);
  if (name == "head-storm") return run_head_storm(w, ctx);
  if (name == "exists-storm") return run_exists_storm(w, ctx);
  if (name == "chat") return run_chat(w, ctx);
  if (name == "mix") return run_mix(w, ctx);
}

}  // namespace kvgate::perf
