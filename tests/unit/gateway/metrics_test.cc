#include "kvgate/gateway/metrics.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace kvgate::gateway::metrics;

namespace {

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("counters and gauges render with HELP, TYPE and labels", "[metrics]") {
  registry r;
  auto& requests =
      r.add_counter("kvgate_test_requests_total", "Requests.", {"operation", "status"});
  requests.with({"GetObject", "200"}).inc();
  requests.with({"GetObject", "200"}).inc(2);
  requests.with({"PutObject", "403"}).inc();
  auto& open = r.add_gauge("kvgate_test_open", "Open things.");
  open.with({}).inc();
  open.with({}).inc();
  open.with({}).dec();

  const std::string text = r.render();
  CHECK(contains(text, "# HELP kvgate_test_requests_total Requests.\n"));
  CHECK(contains(text, "# TYPE kvgate_test_requests_total counter\n"));
  CHECK(contains(text, "kvgate_test_requests_total{operation=\"GetObject\",status=\"200\"} 3\n"));
  CHECK(contains(text, "kvgate_test_requests_total{operation=\"PutObject\",status=\"403\"} 1\n"));
  CHECK(contains(text, "# TYPE kvgate_test_open gauge\nkvgate_test_open 1\n"));
  // The HELP/TYPE block comes before its samples.
  CHECK(text.find("# TYPE kvgate_test_requests_total") < text.find("kvgate_test_requests_total{"));
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
  registry r;
  auto& f = r.add_counter("kvgate_test_escape_total", "Back\\slash and\nnewline.", {"v"});
  f.with({"a\"b\\c\nd"}).inc();
  const std::string text = r.render();
  CHECK(contains(text, "# HELP kvgate_test_escape_total Back\\\\slash and\\nnewline.\n"));
  CHECK(contains(text, "kvgate_test_escape_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_CASE("values render as Prometheus floats", "[metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(-3) == "-3");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(5e-05) == "5e-05");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("histograms render cumulative buckets, +Inf, sum and count", "[metrics]") {
  registry r;
  auto& h = r.add_histogram("kvgate_test_seconds", "Latency.", {"operation"}, {0.001, 0.01, 0.1});
  auto& get = h.with({"GetObject"});
  get.observe(0.0005);  // <= 0.001
  get.observe(0.001);   // le is inclusive
  get.observe(0.05);    // <= 0.1
  get.observe(3);       // +Inf only
  const std::string text = r.render();
  CHECK(contains(text, "# TYPE kvgate_test_seconds histogram\n"));
  CHECK(contains(text, "kvgate_test_seconds_bucket{operation=\"GetObject\",le=\"0.001\"} 2\n"));
  CHECK(contains(text, "kvgate_test_seconds_bucket{operation=\"GetObject\",le=\"0.01\"} 2\n"));
  CHECK(contains(text, "kvgate_test_seconds_bucket{operation=\"GetObject\",le=\"0.1\"} 3\n"));
  CHECK(contains(text, "kvgate_test_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"} 4\n"));
  CHECK(contains(text, "kvgate_test_seconds_sum{operation=\"GetObject\"} 3.05"));
  CHECK(contains(text, "kvgate_test_seconds_count{operation=\"GetObject\"} 4\n"));
  auto snap = get.read();
  CHECK(snap.count == 4);
  CHECK(snap.sum == Approx(3.0515));
  CHECK(snap.cumulative.back() == snap.count);
}

TEST_CASE("a name registered twice is one family, a type clash throws", "[metrics]") {
  registry r;
  auto& a = r.add_counter("kvgate_test_bytes_total", "Bytes.", {"transport"});
  auto& b = r.add_counter("kvgate_test_bytes_total", "", {"transport"});
  CHECK(&a == &b);
  a.with({"tcp"}).inc(10);
  b.add_callback({{"transport", "rdma"}}, [] { return 7.0; });
  const std::string text = r.render();
  CHECK(contains(text, "kvgate_test_bytes_total{transport=\"tcp\"} 10\n"));
  CHECK(contains(text, "kvgate_test_bytes_total{transport=\"rdma\"} 7\n"));
  // One HELP line only.
  CHECK(text.find("# HELP kvgate_test_bytes_total") ==
        text.rfind("# HELP kvgate_test_bytes_total"));
  CHECK_THROWS_AS(r.add_gauge("kvgate_test_bytes_total", "x"), std::logic_error);
}

TEST_CASE("collectors report families at scrape time", "[metrics]") {
  registry r;
  int calls = 0;
  r.add_collector([&calls](scrape_writer& w) {
    ++calls;
    w.add("kvgate_test_disk_online", "Online.", metric_type::gauge,
          {{{{"disk", "0"}}, 1}, {{{"disk", "1"}}, 0}});
  });
  const std::string text = r.render();
  CHECK(calls == 1);
  CHECK(contains(text, "# TYPE kvgate_test_disk_online gauge\n"));
  CHECK(contains(text, "kvgate_test_disk_online{disk=\"0\"} 1\n"));
  CHECK(contains(text, "kvgate_test_disk_online{disk=\"1\"} 0\n"));
}

TEST_CASE("a family past its series limit drops samples and counts them", "[metrics]") {
  registry r;
  auto& f = r.add_counter("kvgate_test_many_total", "Many.", {"i"});
  for (std::size_t i = 0; i < kMaxSeriesPerFamily + 3; ++i) f.with({std::to_string(i)}).inc();
  CHECK(f.dropped() == 3);
  const std::string text = r.render();
  CHECK(contains(text, "kvgate_metrics_dropped_series_total 3\n"));
  CHECK_FALSE(
      contains(text, "kvgate_test_many_total{i=\"" + std::to_string(kMaxSeriesPerFamily) + "\"}"));
}

TEST_CASE("a wrong number of label values is a programming error", "[metrics]") {
  registry r;
  auto& f = r.add_counter("kvgate_test_arity_total", "Arity.", {"a", "b"});
  CHECK_THROWS_AS(f.with({"only-one"}), std::logic_error);
}

// Run under TSan too: series inserted and updated from many threads while
// another thread renders; the totals must be exact afterwards.
TEST_CASE("concurrent updates, inserts and scrapes lose nothing", "[metrics][concurrency]") {
  registry r;
  auto& requests = r.add_counter("kvgate_test_conc_total", "Requests.", {"operation", "status"});
  auto& latency =
      r.add_histogram("kvgate_test_conc_seconds", "Latency.", {"operation"}, {0.001, 0.01, 0.1, 1});
  auto& inflight = r.add_gauge("kvgate_test_conc_in_flight", "In flight.").with({});
  constexpr int kThreads = 6;
  constexpr int kIterations = 20000;
  const std::vector<std::string> ops{"GetObject", "PutObject", "HeadObject", "UploadPart"};
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) (void)r.render();
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        const std::string& op = ops[static_cast<std::size_t>(i + t) % ops.size()];
        inflight.inc();
        requests.with({op, (i % 10 == 0) ? "404" : "200"}).inc();
        latency.with({op}).observe(0.0001 * (i % 50));
        inflight.dec();
      }
    });
  }
  for (auto& w : workers) w.join();
  done.store(true);
  scraper.join();

  std::uint64_t total = 0;
  std::uint64_t observed = 0;
  for (const auto& op : ops) {
    total += requests.with({op, "200"}).value() + requests.with({op, "404"}).value();
    observed += latency.with({op}).read().count;
  }
  CHECK(total == std::uint64_t{kThreads} * kIterations);
  CHECK(observed == total);
  CHECK(inflight.value() == 0);
  CHECK(requests.with({"GetObject", "404"}).value() + requests.with({"PutObject", "404"}).value() +
            requests.with({"HeadObject", "404"}).value() +
            requests.with({"UploadPart", "404"}).value() ==
        std::uint64_t{kThreads} * (kIterations / 10));
}
