// kvgate_engine_bench: the storage engine's PUT and GET throughput for large
// objects (LLM KV-cache segments), next to CPU and raw-disk baselines measured
// in the same run on the same filesystem, with the ratios DESIGN.md §7 sets as
// targets (research/erasure-storage.md §6.1: assert ratios, not absolute rates).
//
// Baselines: memcpy, ISA-L encode and XXH3 at the store's k+m and block size
// (codec_measure.h); raw sequential file writes (fdatasync per file) and reads
// (cold after POSIX_FADV_DONTNEED, and warm) spread over the disk directories.
// Engine: put, get (cold and warm) and degraded get (one disk taken offline:
// that disk is wrapped in a faulty_disk and set offline after the store opens,
// so the engine sees EIO from it like a dead drive and rebuilds from parity).
// Rates are MiB/s (2^20 bytes) of object or file bytes; CPU baselines GB/s.
#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "codec_measure.h"
#include "kvgate/erasure/codec.h"
#include "kvgate/erasure/faulty_disk.h"
#include "kvgate/erasure/store.h"
#include "page_cache.h"
#include "raw_disk.h"
#include "stream_runner.h"

namespace {

namespace er = kvgate::erasure;
namespace fs = std::filesystem;
namespace perf = kvgate::perf;

constexpr std::size_t kIoChunk = std::size_t{1} << 20;  // bytes per write()/read() call
constexpr std::string_view kBucket = "bench";
constexpr double kColdResidentLimit = 0.01;  // "cold" if < 1% of the bytes stayed cached

struct bench_options {
  fs::path dir = "/var/tmp";
  int disks = 6;
  std::size_t size_mib = 32;
  std::size_t objects = 2;  // per stream
  std::vector<std::size_t> streams{1, 8};
  double seconds = 2.0;
  double cpu_seconds = 0.5;
  bool json = false;
};

// A fresh directory (mkdtemp) under the chosen base, removed with its contents
// when the benchmark ends. Not copyable.
class scratch_dir {
 public:
  explicit scratch_dir(const fs::path& base) {
    fs::create_directories(base);
    std::string pattern = (base / "kvgate-engine-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = pattern;
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

[[noreturn]] void fail(std::string_view what, const std::error_code& ec) {
  throw std::runtime_error(fmt::format("{}: {}", what, ec.message()));
}

// Puts and gets whole objects through a store; one instance per open store.
// Thread safety: the store is thread-safe; each stream uses its own writer,
// reader and buffer.
class engine_client {
 public:
  engine_client(er::store& s, std::span<const std::byte> object) : store_(s), object_(object) {}

  void put(const std::string& key) const {
    er::put_options po;
    po.size = object_.size();
    auto w = store_.begin_put(kBucket, key, po);
    if (!w) fail("begin_put " + key, w.error());
    for (std::size_t off = 0; off < object_.size(); off += kIoChunk) {
      const auto piece = object_.subspan(off, std::min(kIoChunk, object_.size() - off));
      if (auto r = (*w)->write(piece); !r) fail("write " + key, r.error());
    }
    if (auto r = (*w)->commit("\"bench\"", {}, {}); !r) fail("commit " + key, r.error());
  }

  // Reads the object (or its first `limit` bytes) into `buf` chunk by chunk;
  // returns whether the read had to rebuild from parity.
  bool get(const std::string& key, std::span<std::byte> buf,
           std::optional<er::byte_range> range = {}) const {
    auto r = store_.open_read(kBucket, key, range);
    if (!r) fail("open_read " + key, r.error());
    std::uint64_t left = (*r)->length();
    while (left > 0) {
      auto n = (*r)->read(buf.first(std::min<std::uint64_t>(buf.size(), left)));
      if (!n) fail("read " + key, n.error());
      if (*n == 0) throw std::runtime_error("early end of " + key);
      left -= *n;
    }
    return (*r)->degraded();
  }

  // Reads the whole object and compares it with what was written.
  bool verify(const std::string& key) const {
    auto r = store_.open_read(kBucket, key, std::nullopt);
    if (!r) fail("open_read " + key, r.error());
    std::vector<std::byte> all(object_.size());
    std::size_t done = 0;
    while (done < all.size()) {
      auto n = (*r)->read(std::span(all).subspan(done, std::min(kIoChunk, all.size() - done)));
      if (!n) fail("read " + key, n.error());
      if (*n == 0) break;
      done += *n;
    }
    return done == all.size() && std::memcmp(all.data(), object_.data(), all.size()) == 0;
  }

 private:
  er::store& store_;
  std::span<const std::byte> object_;
};

// Evicts the engine's shard files (part.N under buckets/) on every disk.
perf::residency drop_shard_files(const std::vector<fs::path>& disk_dirs) {
  perf::residency r;
  for (const auto& d : disk_dirs) {
    r += perf::drop_tree(d / "buckets", [](const fs::path& p) {
      return p.filename().string().rfind("part.", 0) == 0;
    });
  }
  return r;
}

// One measured rate with the cache state it was measured in.
struct rate {
  perf::pass_totals totals;
  std::optional<double> resident_fraction;  // worst case over passes, for cold reads
  bool cold() const { return resident_fraction && *resident_fraction < kColdResidentLimit; }
};

struct stream_results {
  rate raw_write, raw_read_cold, raw_read_warm;
  rate put, get_cold, get_warm, degraded_cold, degraded_warm;
  bool verified = false;
  bool degraded_verified = false;
  std::uint64_t healthy_rebuilds = 0;  // healthy gets that rebuilt (should be 0)
  std::uint64_t degraded_reads = 0;    // degraded-phase gets that rebuilt from parity
  std::uint64_t total_reads = 0;       // degraded-phase gets in all
};

struct bench_results {
  int k = 0;
  int m = 0;
  std::size_t block_size = 0;
  perf::rates memcpy;
  perf::rates encode;
  perf::rates xxh3;
  int offline_disk = 0;          // set index (0-based) of the disk taken offline
  std::size_t rebuild_keys = 0;  // planned keys that keep a data shard on that disk
  std::map<std::size_t, stream_results> by_streams;
  std::string loadavg_start;  // /proc/loadavg: the machine may be shared
  std::string loadavg_end;
};

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return in ? fmt::format("{} {} {}", a, b, c) : std::string("unknown");
}

// Repeats a pass that evicts `drop` first; records the worst residency seen.
rate cold_passes(double budget, double bytes, const std::function<perf::residency()>& drop,
                 const std::function<double()>& pass) {
  rate out;
  double worst = 0;
  out.totals = perf::repeat_passes(
      budget, bytes, [&] { worst = std::max(worst, drop().resident_fraction()); }, pass);
  out.resident_fraction = worst;
  return out;
}

rate warm_passes(double budget, double bytes, const std::function<double()>& pass) {
  pass();  // untimed: brings everything into the page cache
  rate out;
  out.totals = perf::repeat_passes(budget, bytes, {}, pass);
  return out;
}

void measure_raw(const bench_options& o, const std::vector<fs::path>& dirs,
                 std::span<const std::byte> object, bench_results& res) {
  for (const std::size_t s : o.streams) {
    stream_results& sr = res.by_streams[s];
    const perf::raw_file_set files(dirs, s, o.objects, object.size());
    const auto bytes = static_cast<double>(files.bytes_per_pass());
    sr.raw_write.totals = perf::repeat_passes(o.seconds, bytes, {}, [&] {
      return perf::run_streams(s, [&](std::size_t i) { files.write_stream(i, object, kIoChunk); });
    });
    const auto read_pass = [&] {
      return perf::run_streams(s, [&](std::size_t i) {
        std::vector<std::byte> buf(kIoChunk);
        files.read_stream(i, buf);
      });
    };
    sr.raw_read_cold = cold_passes(
        o.seconds, bytes, [&] { return files.drop(); }, read_pass);
    sr.raw_read_warm = warm_passes(o.seconds, bytes, read_pass);
    files.remove();
  }
}

// Which keys each stream of each stream count works on: keys[s][i] are the
// objects of stream i when s streams run.
using key_plan = std::map<std::size_t, std::vector<std::vector<std::string>>>;

double get_pass(const engine_client& c, const std::vector<std::vector<std::string>>& keys,
                std::atomic<std::uint64_t>& rebuilt) {
  return perf::run_streams(keys.size(), [&](std::size_t i) {
    std::vector<std::byte> buf(kIoChunk);
    for (const auto& key : keys[i]) {
      if (c.get(key, buf)) rebuilt.fetch_add(1);
    }
  });
}

std::unique_ptr<er::store> open_store(er::store_options o) {
  o.background_heal = false;  // nothing may compete with the measured work
  auto s = er::store::open(std::move(o));
  if (!s) fail("store::open", s.error());
  return std::move(*s);
}

std::unique_ptr<er::store> open_plain(const std::vector<fs::path>& dirs) {
  er::store_options so;
  so.disk_paths = dirs;
  return open_store(std::move(so));
}

// Opens the store with disk `victim` behind a faulty_disk (online for now).
std::unique_ptr<er::store> open_with_victim(const std::vector<fs::path>& dirs, std::size_t victim,
                                            std::shared_ptr<er::faulty_disk>& out) {
  er::store_options so;
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    auto d = er::open_posix_disk(dirs[i]);
    if (!d) fail("open_posix_disk", d.error());
    if (i == victim) {
      out = er::make_faulty_disk(std::move(*d));
      so.disks.push_back(out);
    } else {
      so.disks.push_back(std::move(*d));
    }
  }
  return open_store(std::move(so));
}

// Chooses keys whose objects keep a DATA shard on the victim disk, so that
// every measured degraded read needs a rebuild (the shard rotation depends on
// the key alone). Writes one-stripe objects under candidate keys, takes the
// victim offline and keeps the keys whose first stripe reads degraded. If too
// few qualify, the plan is topped up with other candidates (reported).
key_plan plan_keys(const bench_options& o, const std::vector<fs::path>& dirs, std::size_t victim,
                   std::span<const std::byte> object, std::size_t stripe_bytes,
                   std::size_t& rebuild_keys) {
  std::size_t needed = 0;
  for (const std::size_t s : o.streams) needed += s * o.objects;
  const std::size_t candidates = 4 * needed + 8;
  const auto probe_object = object.first(std::min(stripe_bytes, object.size()));
  std::vector<std::string> qualifying;
  std::vector<std::string> others;
  {
    auto st = open_plain(dirs);
    const engine_client c(*st, probe_object);
    for (std::size_t n = 0; n < candidates; ++n) c.put(fmt::format("seg/{:06}", n));
  }
  {
    std::shared_ptr<er::faulty_disk> faulty;
    auto st = open_with_victim(dirs, victim, faulty);
    faulty->set_offline(true);
    const engine_client c(*st, probe_object);
    std::vector<std::byte> buf(kIoChunk);
    for (std::size_t n = 0; n < candidates; ++n) {
      const std::string key = fmt::format("seg/{:06}", n);
      (c.get(key, buf) ? qualifying : others).push_back(key);
    }
  }
  rebuild_keys = std::min(qualifying.size(), needed);
  qualifying.insert(qualifying.end(), others.begin(), others.end());
  key_plan plan;
  std::size_t next = 0;
  for (const std::size_t s : o.streams) {
    auto& streams = plan[s];
    streams.resize(s);
    for (std::size_t i = 0; i < s; ++i)
      for (std::size_t j = 0; j < o.objects; ++j) streams[i].push_back(qualifying[next++]);
  }
  return plan;
}

void measure_engine(const bench_options& o, const std::vector<fs::path>& dirs,
                    std::span<const std::byte> object, const key_plan& plan, bench_results& res) {
  auto st = open_plain(dirs);
  {
    const engine_client c(*st, object);
    for (const auto& [s, keys] : plan) {
      stream_results& sr = res.by_streams[s];
      const auto bytes = static_cast<double>(s * o.objects * object.size());
      sr.put.totals = perf::repeat_passes(o.seconds, bytes, {}, [&] {
        return perf::run_streams(s, [&](std::size_t i) {
          for (const auto& key : keys[i]) c.put(key);
        });
      });
      sr.verified = c.verify(keys[0][0]);
      std::atomic<std::uint64_t> rebuilt{0};
      const auto pass = [&] { return get_pass(c, keys, rebuilt); };
      sr.get_cold = cold_passes(
          o.seconds, bytes, [&] { return drop_shard_files(dirs); }, pass);
      sr.get_warm = warm_passes(o.seconds, bytes, pass);
      sr.healthy_rebuilds = rebuilt.load();
    }
  }
  st.reset();
  if (res.m == 0) return;

  std::shared_ptr<er::faulty_disk> faulty;
  st = open_with_victim(dirs, static_cast<std::size_t>(res.offline_disk), faulty);
  faulty->set_offline(true);
  const engine_client c(*st, object);
  for (const auto& [s, keys] : plan) {
    stream_results& sr = res.by_streams[s];
    const auto bytes = static_cast<double>(s * o.objects * object.size());
    sr.degraded_verified = c.verify(keys[0][0]);
    std::atomic<std::uint64_t> rebuilt{0};
    const auto pass = [&] { return get_pass(c, keys, rebuilt); };
    sr.degraded_cold = cold_passes(
        o.seconds, bytes, [&] { return drop_shard_files(dirs); }, pass);
    sr.degraded_warm = warm_passes(o.seconds, bytes, pass);
    sr.degraded_reads = rebuilt.load();
    sr.total_reads = static_cast<std::uint64_t>(sr.degraded_cold.totals.passes +
                                                sr.degraded_warm.totals.passes + 1) *
                     s * o.objects;
  }
}

bench_results run(const bench_options& o, const fs::path& root) {
  bench_results res;
  res.loadavg_start = loadavg();
  std::vector<fs::path> dirs;
  for (int i = 0; i < o.disks; ++i) dirs.push_back(root / fmt::format("disk{}", i + 1));
  std::vector<std::byte> object(o.size_mib << 20);
  {
    perf::aligned_buffer pattern(object.size());  // deterministic, incompressible enough
    std::memcpy(object.data(), pattern.data(), object.size());
  }

  {
    auto st = open_plain(dirs);
    auto info = st->info();
    if (!info) fail("store::info", info.error());
    res.k = info->k;
    res.m = info->m;
    res.block_size = info->block_size;
    if (auto r = st->create_bucket(kBucket, "bench"); !r) fail("create_bucket", r.error());
  }
  res.offline_disk = o.disks - 1;

  // CPU baselines at the store's geometry.
  const auto c = er::codec::create(res.k, res.m);
  if (!c) fail("codec::create", c.error());
  constexpr std::size_t kWorkingSet = std::size_t{64} << 20;
  res.memcpy = perf::measure_memcpy(o.cpu_seconds, kWorkingSet);
  {
    const perf::stripe_set set(res.k, res.m, res.block_size, kWorkingSet);
    if (res.m > 0) res.encode = perf::measure_encode(o.cpu_seconds, **c, set);
    res.xxh3 = perf::measure_xxh3(o.cpu_seconds, set);
  }

  measure_raw(o, dirs, object, res);
  const auto plan = plan_keys(o, dirs, static_cast<std::size_t>(res.offline_disk), object,
                              static_cast<std::size_t>(res.k) * res.block_size, res.rebuild_keys);
  measure_engine(o, dirs, object, plan, res);
  res.loadavg_end = loadavg();
  return res;
}

// ---------------------------------------------------------------------------
// Reporting

struct target {
  std::string name;
  std::optional<double> ratio;
  double threshold = 0;
  std::string basis;
  bool pass() const { return ratio && *ratio >= threshold; }
};

std::optional<double> mib(const rate& r) {
  return r.totals.passes > 0 ? std::optional<double>(r.totals.mib_per_s()) : std::nullopt;
}
std::optional<double> divide(std::optional<double> a, std::optional<double> b) {
  return (a && b && *b > 0) ? std::optional<double>(*a / *b) : std::nullopt;
}
std::string cache_note(const rate& r) {
  if (!r.resident_fraction) return "page cache warm";
  return fmt::format("{} ({:.1f}% still cached after fadvise DONTNEED)",
                     r.cold() ? "cold" : "NOT cold", 100.0 * *r.resident_fraction);
}

std::vector<target> targets(const bench_results& res) {
  std::vector<target> out;
  const double data_share = static_cast<double>(res.k) / (res.k + res.m);
  for (const auto& [s, sr] : res.by_streams) {
    const std::string tag = fmt::format("{} stream{}", s, s == 1 ? "" : "s");
    const auto raw_budget =
        mib(sr.raw_write) ? std::optional<double>(*mib(sr.raw_write) * data_share) : std::nullopt;
    out.push_back({"put / (raw write x k/(k+m)), " + tag, divide(mib(sr.put), raw_budget), 0.8,
                   "raw write with fdatasync per file, same stream count"});
    out.push_back({"get cold / raw read cold, " + tag,
                   divide(mib(sr.get_cold), mib(sr.raw_read_cold)), 0.8,
                   sr.get_cold.cold() && sr.raw_read_cold.cold() ? "both cold"
                                                                 : "cold not forced: see notes"});
    out.push_back({"get warm / raw read warm, " + tag,
                   divide(mib(sr.get_warm), mib(sr.raw_read_warm)), 0.8, "both page cache"});
    out.push_back({"degraded get / healthy get (cold), " + tag,
                   divide(mib(sr.degraded_cold), mib(sr.get_cold)), 0.5, "same cache state"});
    out.push_back({"degraded get / healthy get (warm), " + tag,
                   divide(mib(sr.degraded_warm), mib(sr.get_warm)), 0.5, "same cache state"});
    // DESIGN.md §7: encode inside PUT costs < 10% of a core at the PUT rate.
    // Per CPU-second of the encoding thread: the share of one core encoding
    // needs at the put rate, independent of other load on the machine.
    const double encode_mib = res.encode.cpu_gbps * 1e9 / (1 << 20);
    out.push_back({"encode core share at put rate, " + tag,
                   divide(mib(sr.put), encode_mib > 0 ? std::optional(encode_mib) : std::nullopt),
                   0.0, "put rate / ISA-L encode rate of this run"});
  }
  return out;
}

std::string verdict(const target& t) {
  if (!t.ratio) return "n/a";
  if (t.threshold == 0) return *t.ratio < 0.10 ? "PASS" : "MISS";  // an upper bound
  return t.pass() ? "PASS" : "MISS";
}

perf::report_table make_table(const bench_options& o, const bench_results& res) {
  perf::report_table t;
  t.section(fmt::format("CPU baselines (codec {}+{}, block {} KiB, {:.2f} s each)", res.k, res.m,
                        res.block_size >> 10, o.cpu_seconds));
  const auto both = [&](const std::string& name, const perf::rates& r, const std::string& note) {
    t.add(name, r.wall_gbps, "GB/s", note);
    t.add(name + " per CPU-second", r.cpu_gbps, "GB/s", "thread CPU time: steady under load");
  };
  both("memcpy", res.memcpy, "");
  both("ISA-L encode", res.encode, "data bytes");
  both("xxh3-64", res.xxh3, "");
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  t.add("encode / memcpy", ratio(res.encode.cpu_gbps, res.memcpy.cpu_gbps), "x", "per CPU-second");
  t.add("xxh3 / memcpy", ratio(res.xxh3.cpu_gbps, res.memcpy.cpu_gbps), "x", "per CPU-second");

  for (const auto& [s, sr] : res.by_streams) {
    t.section(fmt::format("Raw disk, {} stream(s), {} x {} MiB files per stream, {} dirs", s,
                          o.objects, o.size_mib, o.disks));
    t.add("write + fdatasync per file", mib(sr.raw_write), "MiB/s");
    t.add("write CPU", sr.raw_write.totals.cpu_s_per_gib(), "s/GiB", "process CPU, all threads");
    t.add("read, cold", mib(sr.raw_read_cold), "MiB/s", cache_note(sr.raw_read_cold));
    t.add("read, cold CPU", sr.raw_read_cold.totals.cpu_s_per_gib(), "s/GiB");
    t.add("read, warm", mib(sr.raw_read_warm), "MiB/s", cache_note(sr.raw_read_warm));
    t.add("read, warm CPU", sr.raw_read_warm.totals.cpu_s_per_gib(), "s/GiB");
  }
  std::size_t planned = 0;
  for (const std::size_t s : o.streams) planned += s * o.objects;
  for (const auto& [s, sr] : res.by_streams) {
    t.section(fmt::format(
        "Engine {}+{}, {} stream(s), {} x {} MiB objects per stream ({} of {} "
        "keys hold a data shard on disk{})",
        res.k, res.m, s, o.objects, o.size_mib, res.rebuild_keys, planned, res.offline_disk + 1));
    t.add("put", mib(sr.put), "MiB/s", sr.verified ? "read back verified" : "READ-BACK MISMATCH");
    t.add("put CPU", sr.put.totals.cpu_s_per_gib(), "s/GiB", "process CPU, all threads");
    t.add("get, cold", mib(sr.get_cold), "MiB/s",
          cache_note(sr.get_cold) +
              (sr.healthy_rebuilds ? fmt::format("; {} REBUILT", sr.healthy_rebuilds) : ""));
    t.add("get, cold CPU", sr.get_cold.totals.cpu_s_per_gib(), "s/GiB");
    t.add("get, warm", mib(sr.get_warm), "MiB/s", cache_note(sr.get_warm));
    t.add("get, warm CPU", sr.get_warm.totals.cpu_s_per_gib(), "s/GiB");
    const std::string deg =
        fmt::format("disk{} offline (faulty_disk set_offline); {} of {} gets rebuilt from parity{}",
                    res.offline_disk + 1, sr.degraded_reads, sr.total_reads,
                    sr.degraded_verified ? ", bytes verified" : ", BYTES MISMATCH");
    t.add("degraded get, cold", mib(sr.degraded_cold), "MiB/s",
          cache_note(sr.degraded_cold) + "; " + deg);
    t.add("degraded get, cold CPU", sr.degraded_cold.totals.cpu_s_per_gib(), "s/GiB");
    t.add("degraded get, warm", mib(sr.degraded_warm), "MiB/s", cache_note(sr.degraded_warm));
    t.add("degraded get, warm CPU", sr.degraded_warm.totals.cpu_s_per_gib(), "s/GiB");
  }
  t.section("Targets (ratios measured in this run)");
  for (const auto& tg : targets(res)) {
    const std::string bound =
        tg.threshold == 0 ? "target < 0.10" : fmt::format("target >= {:.2f}", tg.threshold);
    t.add(tg.name, tg.ratio, "x", fmt::format("{:<15} {:<4}  {}", bound, verdict(tg), tg.basis));
  }
  return t;
}

nlohmann::json to_json(const bench_options& o, const bench_results& res,
                       const perf::report_table& t) {
  nlohmann::json tj = nlohmann::json::array();
  for (const auto& tg : targets(res)) {
    tj.push_back({{"name", tg.name},
                  {"ratio", tg.ratio ? nlohmann::json(*tg.ratio) : nlohmann::json(nullptr)},
                  {"threshold", tg.threshold == 0 ? 0.10 : tg.threshold},
                  {"kind", tg.threshold == 0 ? "upper_bound" : "lower_bound"},
                  {"verdict", verdict(tg)}});
  }
  return {{"config",
           {{"disks", o.disks},
            {"k", res.k},
            {"m", res.m},
            {"block_size_bytes", res.block_size},
            {"object_mib", o.size_mib},
            {"objects_per_stream", o.objects},
            {"streams", o.streams},
            {"seconds_per_measurement", o.seconds},
            {"offline_disk", res.offline_disk + 1},
            {"loadavg_start", res.loadavg_start},
            {"loadavg_end", res.loadavg_end}}},
          {"rows", t.to_json()},
          {"targets", tj}};
}

}  // namespace

int main(int argc, char** argv) {
  bench_options o;
  CLI::App app{"Engine PUT/GET throughput next to raw-disk and CPU baselines, with target ratios"};
  app.add_option("--dir", o.dir, "base directory; a fresh subdirectory is created and removed")
      ->capture_default_str();
  app.add_option("--disks", o.disks, "disk directories (erasure set size)")
      ->check(CLI::Range(2, 32))
      ->capture_default_str();
  app.add_option("--size-mib", o.size_mib, "object (and raw file) size in MiB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--objects", o.objects, "objects (raw files) per stream in each pass")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--streams", o.streams, "stream counts to measure, comma separated")
      ->delimiter(',')
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "timed seconds per I/O measurement (at least one pass)")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--cpu-seconds", o.cpu_seconds, "seconds per CPU baseline")
      ->check(CLI::Range(0.01, 60.0))
      ->capture_default_str();
  app.add_flag("--json", o.json, "print JSON instead of a table");
  CLI11_PARSE(app, argc, argv);

  // The engine logs (e.g. the offline disk) go to stderr so --json stays clean.
  spdlog::set_default_logger(spdlog::stderr_color_mt("engine"));
  try {
    const scratch_dir root(o.dir);
    const auto res = run(o, root.path());
    const auto table = make_table(o, res);
    if (o.json) {
      fmt::print("{}\n", to_json(o, res, table).dump(2));
    } else {
      fmt::print(
          "kvgate_engine_bench: data under {} (removed at exit); load average {} at start, "
          "{} at end ({} CPUs)\n",
          root.path().string(), res.loadavg_start, res.loadavg_end,
          std::thread::hardware_concurrency());
      table.print();
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "kvgate_engine_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
