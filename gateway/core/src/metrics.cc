#include "kvgate/gateway/metrics.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <thread>

namespace kvgate::gateway::metrics {
namespace {

constexpr char kKeySeparator = '\xff';

std::string join_key(std::span<const std::string_view> values) {
  std::string key;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) key.push_back(kKeySeparator);
    key.append(values[i]);
  }
  return key;
}

void append_labels(std::string& out, const label_set& labels) {
  if (labels.empty()) return;
  out.push_back('{');
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(labels[i].first);
    out.append("=\"");
    out.append(escape_label_value(labels[i].second));
    out.push_back('"');
  }
  out.push_back('}');
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   metric_type type) {
  out.append("# HELP ").append(name).push_back(' ');
  out.append(escape_help(help)).push_back('\n');
  out.append("# TYPE ").append(name).push_back(' ');
  out.append(to_string(type)).push_back('\n');
}

}  // namespace

std::size_t this_thread_shard() noexcept {
  thread_local const std::size_t shard =
      std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards;
  return shard;
}

std::uint64_t counter::value() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& c : cells_) sum += c.value.load(std::memory_order_relaxed);
  return sum;
}

histogram::histogram(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()) {
  shards_.reserve(kShards);
  for (std::size_t i = 0; i < kShards; ++i) {
    shards_.push_back(std::make_unique<shard>(bounds_.size() + 1));
  }
}

void histogram::observe(double v) noexcept {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && v > bounds_[bucket]) ++bucket;
  shard& s = *shards_[this_thread_shard()];
  s.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot out;
  std::vector<std::uint64_t> per_bucket(bounds_.size() + 1, 0);
  for (const auto& s : shards_) {
    for (std::size_t b = 0; b < per_bucket.size(); ++b) {
      per_bucket[b] += s->counts[b].load(std::memory_order_relaxed);
    }
    out.sum += s->sum.load(std::memory_order_relaxed);
  }
  std::uint64_t running = 0;
  for (auto n : per_bucket) {
    running += n;
    out.cumulative.push_back(running);
  }
  out.count = running;
  return out;
}

std::string_view to_string(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void append_sample(std::string& out, std::string_view name, const label_set& labels, double value) {
  out.append(name);
  append_labels(out, labels);
  out.push_back(' ');
  out.append(format_value(value));
  out.push_back('\n');
}

family_base::family_base(std::string name, std::string help, metric_type type,
                         std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

family_base::node_base* family_base::find_or_insert(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error(fmt::format("metric {}: {} label values for {} labels", name_,
                                       values.size(), label_names_.size()));
  }
  const std::string key = join_key(values);
  const std::size_t mask = slots_.size() - 1;
  const std::size_t start = std::hash<std::string>{}(key)&mask;
  // Lock-free path: slots are only ever filled, never cleared or replaced.
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    node_base* n = slots_[(start + i) & mask].load(std::memory_order_acquire);
    if (n == nullptr) break;
    if (n->key == key) return n;
  }
  std::lock_guard lock(insert_mutex_);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& slot = slots_[(start + i) & mask];
    node_base* n = slot.load(std::memory_order_acquire);
    if (n != nullptr) {
      if (n->key == key) return n;
      continue;
    }
    if (nodes_.size() >= kMaxSeriesPerFamily) return nullptr;
    auto fresh = make_node();
    fresh->key = key;
    fresh->values.assign(values.begin(), values.end());
    node_base* raw = fresh.get();
    nodes_.push_back(std::move(fresh));
    slot.store(raw, std::memory_order_release);
    return raw;
  }
  return nullptr;
}

label_set family_base::labels_of(const node_base& n) const {
  label_set out;
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    out.emplace_back(label_names_[i], n.values[i]);
  }
  return out;
}

void family_base::render(std::string& out) const {
  append_header(out, name_, help_, type_);
  std::vector<const node_base*> nodes;
  {
    std::lock_guard lock(insert_mutex_);
    for (const auto& n : nodes_) nodes.push_back(n.get());
  }
  for (const node_base* n : nodes) render_node(out, *n);
  render_callbacks(out);
}

template <>
void family<counter>::render_node(std::string& out, const node_base& n) const {
  append_sample(out, name_, labels_of(n),
                static_cast<double>(static_cast<const node&>(n).metric->value()));
}

template <>
void family<gauge>::render_node(std::string& out, const node_base& n) const {
  append_sample(out, name_, labels_of(n), static_cast<const node&>(n).metric->value());
}

template <>
void family<histogram>::render_node(std::string& out, const node_base& n) const {
  const histogram& h = *static_cast<const node&>(n).metric;
  const auto snap = h.read();
  label_set labels = labels_of(n);
  const std::string bucket_name = name_ + "_bucket";
  const auto bounds = h.bounds();
  for (std::size_t b = 0; b <= bounds.size(); ++b) {
    label_set with_le = labels;
    with_le.emplace_back("le", b < bounds.size() ? format_value(bounds[b]) : "+Inf");
    append_sample(out, bucket_name, with_le, static_cast<double>(snap.cumulative[b]));
  }
  append_sample(out, name_ + "_sum", labels, snap.sum);
  append_sample(out, name_ + "_count", labels, static_cast<double>(snap.count));
}

void scrape_writer::add(std::string_view name, std::string_view help, metric_type type,
                        const std::vector<sample>& samples) {
  append_header(out_, name, help, type);
  for (const auto& s : samples) append_sample(out_, name, s.labels, s.value);
}

registry::registry() = default;

template <class F>
F& registry::add_family(std::unique_ptr<F> f) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() != f->name()) continue;
    auto* same = dynamic_cast<F*>(existing.get());
    if (same == nullptr || existing->type() != f->type()) {
      throw std::logic_error("metric " + f->name() + " registered twice with different types");
    }
    return *same;
  }
  F& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

counter_family& registry::add_counter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return add_family(std::make_unique<counter_family>(std::move(name), std::move(help),
                                                     metric_type::counter, std::move(label_names)));
}

gauge_family& registry::add_gauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  return add_family(std::make_unique<gauge_family>(std::move(name), std::move(help),
                                                   metric_type::gauge, std::move(label_names)));
}

histogram_family& registry::add_histogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::logic_error("histogram " + name + ": bounds must be finite and ascending");
    }
  }
  return add_family(std::make_unique<histogram_family>(std::move(name), std::move(help),
                                                       metric_type::histogram,
                                                       std::move(label_names), std::move(bounds)));
}

void registry::add_collector(collector c) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(c));
}

std::string registry::render() const {
  std::vector<const family_base*> families;
  std::vector<collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) families.push_back(f.get());
    collectors = collectors_;
  }
  std::string out;
  std::uint64_t dropped = 0;
  for (const family_base* f : families) {
    f->render(out);
    dropped += f->dropped();
  }
  append_header(out, "kvgate_metrics_dropped_series_total",
                "Samples recorded into no series because a family held its maximum of label "
                "combinations.",
                metric_type::counter);
  append_sample(out, "kvgate_metrics_dropped_series_total", {}, static_cast<double>(dropped));
  for (const auto& c : collectors) {
    scrape_writer w;
    c(w);
    out.append(w.text());
  }
  return out;
}

}  // namespace kvgate::gateway::metrics
