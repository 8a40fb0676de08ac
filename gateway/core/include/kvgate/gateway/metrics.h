// A small Prometheus metrics registry: counters, gauges and histograms with
// labels, rendered in the text exposition format 0.0.4 (docs/operations.md,
// "Metrics"). Debian 12 ships no Prometheus client library, hence this one.
//
// Hot path: recording a value is a relaxed atomic add on one of kShards
// cache-line-sized cells picked by the calling thread (counters, histograms)
// or on one atomic (gauges); no mutex. Finding a labelled series
// (family::with) is lock-free once the series exists: families keep their
// series in a fixed-size open-addressed table of atomic pointers, and only the
// first use of a label combination takes the family's mutex to insert it.
// Callers on the hot path look a series up once and keep the reference.
//
// Lifetime: series live as long as their family, families as long as the
// registry; references returned by with() and add_*() stay valid until then.
//
// Scrape time: render() reads every series (a sum over the shards, so a
// scrape racing with updates sees each cell's value at some moment, which is
// what Prometheus expects) and then runs the collectors, callbacks that report
// values owned elsewhere (the erasure store, the cache tier, the RDMA fast
// path) without hooks on their hot paths. render() may block in collectors:
// call it off the network threads.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kvgate::gateway::metrics {

// Cells per counter/histogram; a thread always uses the same one.
inline constexpr std::size_t kShards = 8;
// Label combinations one family holds at most; later ones are dropped
// (recorded into a series that is never rendered) and counted in
// kvgate_metrics_dropped_series_total.
inline constexpr std::size_t kMaxSeriesPerFamily = 512;

// The shard of the calling thread (stable for the thread's life).
std::size_t this_thread_shard() noexcept;

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    cells_[this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept;

 private:
  struct alignas(64) cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<cell, kShards> cells_{};
};

class gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
  void inc() noexcept { add(1); }
  void dec() noexcept { add(-1); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with upper bounds `bounds` (ascending, finite) plus +Inf.
class histogram {
 public:
  explicit histogram(std::span<const double> bounds);
  void observe(double v) noexcept;

  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const;
  std::span<const double> bounds() const noexcept { return bounds_; }

 private:
  struct alignas(64) shard {
    explicit shard(std::size_t buckets) : counts(buckets) {}
    std::vector<std::atomic<std::uint64_t>> counts;  // per bucket, not cumulative
    std::atomic<double> sum{0};
  };
  std::vector<double> bounds_;
  std::vector<std::unique_ptr<shard>> shards_;
};

enum class metric_type { counter, gauge, histogram };
std::string_view to_string(metric_type t) noexcept;

using label_pair = std::pair<std::string, std::string>;
using label_set = std::vector<label_pair>;

// Appends one sample line: name{labels} value\n (escaping label values).
void append_sample(std::string& out, std::string_view name, const label_set& labels, double value);
// Prometheus float text: integers without a fraction, +Inf/-Inf/NaN.
std::string format_value(double v);
// Escapes a label value (\\, \", \n) or HELP text (\\, \n).
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);

class family_base {
 public:
  family_base(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names);
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const noexcept { return name_; }
  metric_type type() const noexcept { return type_; }
  // HELP, TYPE and every series (in first-use order).
  void render(std::string& out) const;
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 protected:
  struct node_base {
    virtual ~node_base() = default;
    std::string key;  // label values joined by '\xff'
    std::vector<std::string> values;
  };
  // Finds or inserts the series for `values`; nullptr when the table is full.
  node_base* find_or_insert(std::span<const std::string_view> values);
  virtual std::unique_ptr<node_base> make_node() const = 0;
  virtual void render_node(std::string& out, const node_base& n) const = 0;
  virtual void render_callbacks(std::string& out) const = 0;
  label_set labels_of(const node_base& n) const;

  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
  mutable std::atomic<std::uint64_t> dropped_{0};

 private:
  std::array<std::atomic<node_base*>, kMaxSeriesPerFamily * 2> slots_{};
  mutable std::mutex insert_mutex_;
  std::vector<std::unique_ptr<node_base>> nodes_;  // insertion order; guarded by insert_mutex_
};

// A family of one metric type; `with(values...)` returns the series for those
// label values (one per label name, in order).
template <class Metric>
class family final : public family_base {
 public:
  family(std::string name, std::string help, metric_type type, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : family_base(std::move(name), std::move(help), type, std::move(label_names)),
        bounds_(std::move(bounds)) {
    overflow_ = make_metric();
  }

  Metric& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Metric& with(std::span<const std::string_view> values) {
    if (auto* n = find_or_insert(values)) return *static_cast<node&>(*n).metric;
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return *overflow_;
  }
  // A series whose value is read from `read` at scrape time (counters and
  // gauges only), e.g. a value another component already counts.
  void add_callback(label_set labels, std::function<double()> read) {
    std::lock_guard lock(callbacks_mutex_);
    callbacks_.push_back({std::move(labels), std::move(read)});
  }

 private:
  struct node final : node_base {
    std::unique_ptr<Metric> metric;
  };
  struct callback_series {
    label_set labels;
    std::function<double()> read;
  };

  std::unique_ptr<Metric> make_metric() const {
    if constexpr (std::is_same_v<Metric, histogram>) {
      return std::make_unique<histogram>(bounds_);
    } else {
      return std::make_unique<Metric>();
    }
  }
  std::unique_ptr<node_base> make_node() const override {
    auto n = std::make_unique<node>();
    n->metric = make_metric();
    return n;
  }
  void render_node(std::string& out, const node_base& n) const override;
  void render_callbacks(std::string& out) const override {
    std::lock_guard lock(callbacks_mutex_);
    for (const auto& c : callbacks_) append_sample(out, name_, c.labels, c.read());
  }

  std::vector<double> bounds_;
  std::unique_ptr<Metric> overflow_;
  mutable std::mutex callbacks_mutex_;
  std::vector<callback_series> callbacks_;
};

template <>
void family<counter>::render_node(std::string& out, const node_base& n) const;
template <>
void family<gauge>::render_node(std::string& out, const node_base& n) const;
template <>
void family<histogram>::render_node(std::string& out, const node_base& n) const;

using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

// What a collector reports at scrape time: whole families of samples.
class scrape_writer {
 public:
  struct sample {
    label_set labels;
    double value = 0;
  };
  void add(std::string_view name, std::string_view help, metric_type type,
           const std::vector<sample>& samples);
  const std::string& text() const noexcept { return out_; }

 private:
  std::string out_;
};

using collector = std::function<void(scrape_writer&)>;

class registry {
 public:
  registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Families are registered at start-up; names must be unique (a second
  // registration of a name returns the first family of that name when the
  // type matches and throws std::logic_error otherwise).
  counter_family& add_counter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  gauge_family& add_gauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  histogram_family& add_histogram(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);
  // Collectors run at every render(), in registration order, after the
  // registered families. Each must report each of its metric names once.
  void add_collector(collector c);

  // The whole exposition (text format 0.0.4).
  std::string render() const;

 private:
  template <class F>
  F& add_family(std::unique_ptr<F> f);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family_base>> families_;
  std::vector<collector> collectors_;
};

// Content-Type of render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace kvgate::gateway::metrics
