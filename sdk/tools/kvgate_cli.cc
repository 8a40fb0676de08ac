// kvgate-cli: put/get/cp/head/ls/rm/mb against kvgate (or any S3 server) with
// the SDK. Objects are named s3://bucket/key. Files are memory-mapped, so a
// put sends the file's pages and a get writes straight into the file's.
// Large transfers show a progress bar when stderr is a terminal. `bench`
// runs a bounded workload (cli_bench.h).
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "cli_bench.h"
#include "kvgate/sdk/client.h"

namespace sdk = kvgate::sdk;

namespace {

struct object_name {
  std::string bucket;
  std::string key;
};

std::optional<object_name> parse_object(const std::string& url) {
  if (!url.starts_with("s3://")) return std::nullopt;
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return object_name{rest, ""};
  return object_name{rest.substr(0, slash), rest.substr(slash + 1)};
}

// A whole file mapped into memory; unmapped and closed on destruction.
class mapped_file {
 public:
  ~mapped_file() {
    if (data_ != nullptr && data_ != MAP_FAILED) munmap(data_, size_);
    if (fd_ >= 0) close(fd_);
  }
  bool open_read(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd_ < 0 || fstat(fd_, &st) != 0) return false;
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ == 0) return true;
    data_ = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    return data_ != MAP_FAILED;
  }
  bool create(const std::string& path, std::size_t size) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) return false;
    size_ = size;
    if (size_ == 0) return true;
    data_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    return data_ != MAP_FAILED;
  }
  bool truncate(std::size_t size) { return ftruncate(fd_, static_cast<off_t>(size)) == 0; }
  std::span<std::byte> bytes() {
    return size_ == 0 ? std::span<std::byte>{} : std::span(static_cast<std::byte*>(data_), size_);
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// Waits for `done`, drawing a bar from the client's byte counters meanwhile.
template <class Future>
auto wait_with_progress(sdk::client& c, Future& done, std::uint64_t total, bool sending,
                        bool show) {
  using namespace std::chrono_literals;
  const auto start = std::chrono::steady_clock::now();
  const auto base = sending ? c.stats().bytes_sent : c.stats().bytes_received;
  bool drawn = false;
  while (done.wait_for(show ? 200ms : 1h) != std::future_status::ready) {
    const auto s = c.stats();
    const std::uint64_t moved = std::min(total, (sending ? s.bytes_sent : s.bytes_received) - base);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int width = 40;
    const int filled = total ? static_cast<int>(width * moved / total) : width;
    fmt::print(stderr, "\r[{:<{}}] {:5.1f}% {:.1f} MiB/s", std::string(filled, '#'), width,
               total ? 100.0 * moved / total : 100.0, secs > 0 ? moved / secs / 1048576.0 : 0.0);
    drawn = true;
  }
  if (drawn) fmt::print(stderr, "\r{:<70}\r", "");
  return done.get();
}

int fail(const sdk::error& e) {
  fmt::print(stderr, "kvgate-cli: {}\n", e.to_string());
  return 1;
}

constexpr std::uint64_t kProgressBytes = 64ull << 20;

// Anonymous memory registered for RDMA (client::register_memory): file
// pages cannot be registered for the gateway to write into or read from
// (a read-only mapping refuses REMOTE_WRITE, and the page cache may replace
// a file's pages), so with --rdma auto|on a transfer of RDMA size is staged
// here: one copy between the file and this buffer, the transfer itself
// zero-copy. Empty when the client cannot use RDMA (rdma=off, no device,
// below the RDMA threshold): the transfer then uses the file's pages over TCP.
class rdma_staging {
 public:
  rdma_staging(sdk::client& client, const sdk::client_options& options, std::uint64_t size) {
    if (options.rdma == sdk::rdma_mode::off || size < options.min_rdma_bytes || size == 0) return;
    auto bytes = std::make_unique_for_overwrite<std::byte[]>(size);
    auto reg = client.register_memory(bytes.get(), size);
    if (!reg) return;  // rdma=on then fails the transfer itself, saying why
    bytes_ = std::move(bytes);
    size_ = size;
    registration_.emplace(std::move(*reg));
  }
  explicit operator bool() const noexcept { return registration_.has_value(); }
  std::span<std::byte> bytes() { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t size_ = 0;
  std::optional<sdk::registered_memory> registration_;  // deregistered before bytes_ is freed
};

// FILE -> s3://bucket/key from the file's mapped pages (or, for RDMA, from
// a registered copy of them).
int put_file(sdk::client& client, const sdk::client_options& options, const std::string& path,
             const object_name& o, bool if_none_match, bool progress) {
  mapped_file file;
  if (!file.open_read(path)) {
    fmt::print(stderr, "kvgate-cli: cannot read {}\n", path);
    return 1;
  }
  sdk::put_options po;
  po.if_none_match = if_none_match;
  auto data = file.bytes();
  rdma_staging staged(client, options, data.size());
  if (staged) {
    std::memcpy(staged.bytes().data(), data.data(), data.size());
    data = staged.bytes();
  }
  auto fut = client.async_put(o.bucket, o.key, data, po);
  auto r =
      wait_with_progress(client, fut, data.size(), true, progress && data.size() >= kProgressBytes);
  if (!r) return fail(r.error());
  fmt::print("{} bytes -> s3://{}/{} etag {}{}\n", data.size(), o.bucket, o.key, r->etag,
             r->multipart ? fmt::format(" ({} parts)", r->parts) : "");
  return 0;
}

// s3://bucket/key -> FILE (its pages written in place, or for RDMA a
// registered buffer copied to them) or stdout ("-").
int get_file(sdk::client& client, const sdk::client_options& options, const object_name& o,
             const std::string& path, bool progress) {
  auto info = client.head(o.bucket, o.key);
  if (!info) return fail(info.error());
  std::vector<std::byte> memory;
  mapped_file file;
  std::span<std::byte> buffer;
  rdma_staging staged(client, options, info->size);
  if (staged) {
    buffer = staged.bytes();
    if (path != "-" && !file.create(path, info->size)) {
      fmt::print(stderr, "kvgate-cli: cannot write {}\n", path);
      return 1;
    }
  } else if (path == "-") {
    memory.resize(info->size);
    buffer = memory;
  } else {
    if (!file.create(path, info->size)) {
      fmt::print(stderr, "kvgate-cli: cannot write {}\n", path);
      return 1;
    }
    buffer = file.bytes();
  }
  auto fut = client.async_get(o.bucket, o.key, buffer);
  auto r =
      wait_with_progress(client, fut, info->size, false, progress && info->size >= kProgressBytes);
  if (!r) return fail(r.error());
  if (staged && path != "-") std::memcpy(file.bytes().data(), buffer.data(), r->bytes);
  if (path == "-") {
    fwrite(buffer.data(), 1, r->bytes, stdout);
  } else {
    if (r->bytes != info->size && !file.truncate(r->bytes)) return 1;
    fmt::print(stderr, "s3://{}/{} -> {} ({} bytes{})\n", o.bucket, o.key, path, r->bytes,
               r->checksum_verified ? ", CRC32C verified" : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kvgate-cli: put/get/head/ls/rm objects on kvgate (S3) with the kvgate SDK"};
  app.require_subcommand(1);
  sdk::client_options options;
  if (const char* e = std::getenv("KVGATE_ENDPOINT")) options.endpoint = e;
  std::string addressing = "path", rdma = "auto", profile, region;
  bool show_stats = false, no_progress = false, verbose = false;
  app.add_option("--endpoint", options.endpoint, "http(s)://host:port ($KVGATE_ENDPOINT)");
  app.add_option("--ca-file", options.ca_file, "CA certificates (PEM) for https");
  app.add_option("--addressing", addressing, "path or virtual")
      ->check(CLI::IsMember({"path", "virtual"}));
  app.add_option("--rdma", rdma,
                 "auto|on|off: with auto and on, transfers of RDMA size are staged in registered "
                 "memory and moved over RDMA when the host and the gateway can (on: or fail)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--profile", profile, "profile in ~/.aws/credentials");
  app.add_option("--region", region, "SigV4 region");
  app.add_option("--part-size", options.part_size, "multipart part / parallel range size, bytes");
  app.add_option("--parallelism", options.parallelism, "parts or ranges in flight");
  app.add_option("--pool-size", options.pool_size, "idle keep-alive connections kept");
  app.add_option("--max-in-flight", options.max_requests_in_flight,
                 "HTTP requests in flight to one server, per node when routing (0: no cap)");
  app.add_option("--io-threads", options.io_threads, "threads running the client's I/O");
  app.add_flag("--stats", show_stats, "print the client's counters at the end");
  app.add_flag("--no-progress", no_progress, "no progress bar");
  app.add_flag("-v,--verbose", verbose, "log retries and RDMA path changes");

  std::string src, dst;
  bool if_none_match = false;
  auto* put = app.add_subcommand("put", "upload FILE to s3://bucket/key");
  put->add_option("file", src)->required();
  put->add_option("object", dst)->required();
  put->add_flag("--if-none-match", if_none_match, "fail when the key exists");
  auto* get = app.add_subcommand("get", "download s3://bucket/key to FILE (- for stdout)");
  get->add_option("object", src)->required();
  get->add_option("file", dst)->required();
  auto* cp = app.add_subcommand("cp", "copy FILE to s3://bucket/key or s3://bucket/key to FILE|-");
  cp->add_option("source", src)->required();
  cp->add_option("destination", dst)->required();
  cp->add_flag("--if-none-match", if_none_match, "upload: fail when the key exists");
  auto* head = app.add_subcommand("head", "show size, ETag and checksum of s3://bucket/key");
  head->add_option("object", src)->required();
  auto* ls = app.add_subcommand("ls", "list s3://bucket[/prefix]");
  ls->add_option("prefix", src)->required();
  auto* rm = app.add_subcommand("rm", "delete s3://bucket/key");
  rm->add_option("object", src)->required();
  auto* mb = app.add_subcommand("mb", "create bucket s3://bucket");
  mb->add_option("bucket", src)->required();
  kvgate::sdk::tools::bench_options bench_opts;
  std::string bench_size = "32MiB";
  auto* bench = app.add_subcommand(
      "bench", "bounded workload on s3://bucket[/prefix]: throughput and latency percentiles");
  bench->add_option("prefix", src, "s3://bucket[/prefix] the objects are written under")
      ->required();
  bench->add_option("--op", bench_opts.op, "put, get, mix (--write-percent) or exists")
      ->check(CLI::IsMember({"put", "get", "mix", "exists"}));
  bench->add_option("--size", bench_size, "object size (4096, 4KiB, 32MiB)");
  bench->add_option("--concurrency", bench_opts.concurrency, "operations in flight");
  bench->add_option("--count", bench_opts.count, "operations at most (exists: rounds of each)");
  bench->add_option("--seconds", bench_opts.seconds, "time budget");
  bench->add_option("--keys", bench_opts.keys,
                    "distinct objects (default 2 x concurrency; exists: keys a round, 80)");
  bench->add_option("--write-percent", bench_opts.write_percent, "mix: share of puts")
      ->check(CLI::Range(0, 100));
  bench->add_option("--miss-percent", bench_opts.miss_percent, "exists: keys never written")
      ->check(CLI::Range(0, 100));
  bool bench_no_populate = false;
  bench->add_flag("--no-populate", bench_no_populate,
                  "the objects exist already (a put run wrote them)");
  bench->add_flag("--json", bench_opts.json, "one JSON object instead of a table line");
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  options.addressing =
      addressing == "virtual" ? sdk::addressing_style::virtual_hosted : sdk::addressing_style::path;
  options.rdma = *sdk::parse_rdma_mode(rdma);
  if (!profile.empty()) options.auth.profile = profile;
  if (!region.empty()) options.auth.region = region;
  auto created = sdk::client::create(options);
  if (!created) return fail(created.error());
  sdk::client& client = **created;
  const bool progress = !no_progress && isatty(STDERR_FILENO);

  auto object_arg = [&](const std::string& url) -> std::optional<object_name> {
    auto o = parse_object(url);
    if (!o || o->bucket.empty())
      fmt::print(stderr, "kvgate-cli: expected s3://bucket/key, got {}\n", url);
    return o;
  };

  int rc = 0;
  if (*put) {
    auto o = object_arg(dst);
    if (!o) return 2;
    rc = put_file(client, options, src, *o, if_none_match, progress);
  } else if (*get) {
    auto o = object_arg(src);
    if (!o) return 2;
    rc = get_file(client, options, *o, dst, progress);
  } else if (*cp) {
    const bool upload = !src.starts_with("s3://") && dst.starts_with("s3://");
    const bool download = src.starts_with("s3://") && !dst.starts_with("s3://");
    if (!upload && !download) {
      fmt::print(stderr,
                 "kvgate-cli: cp copies FILE to s3://bucket/key or s3://bucket/key to "
                 "FILE|-\n");
      return 2;
    }
    auto o = object_arg(upload ? dst : src);
    if (!o) return 2;
    rc = upload ? put_file(client, options, src, *o, if_none_match, progress)
                : get_file(client, options, *o, dst, progress);
  } else if (*head) {
    auto o = object_arg(src);
    if (!o) return 2;
    auto info = client.head(o->bucket, o->key);
    if (!info) return fail(info.error());
    fmt::print("size {}\netag {}\nlast-modified {}\ncontent-type {}\n", info->size, info->etag,
               info->last_modified, info->content_type);
    if (!info->checksum_crc32c.empty()) fmt::print("crc32c {}\n", info->checksum_crc32c);
  } else if (*ls) {
    auto o = object_arg(src);
    if (!o) return 2;
    auto lister = client.list(o->bucket, o->key);
    while (!lister.done()) {
      auto page = lister.next();
      if (!page) return fail(page.error());
      for (const auto& e : page->entries)
        fmt::print("{:>12} {} {}\n", e.size, e.last_modified, e.key);
    }
  } else if (*rm) {
    auto o = object_arg(src);
    if (!o) return 2;
    if (auto r = client.remove(o->bucket, o->key); !r) return fail(r.error());
  } else if (*bench) {
    auto o = object_arg(src);
    if (!o) return 2;
    auto size = kvgate::sdk::tools::parse_size(bench_size);
    if (!size) {
      fmt::print(stderr, "kvgate-cli: bad --size {}\n", bench_size);
      return 2;
    }
    bench_opts.bucket = o->bucket;
    bench_opts.prefix = o->key;
    bench_opts.size = *size;
    bench_opts.populate = !bench_no_populate;
    rc = kvgate::sdk::tools::run_bench(client, bench_opts);
  } else if (*mb) {
    auto o = object_arg(src);
    if (!o) return 2;
    if (auto r = client.create_bucket(o->bucket); !r) return fail(r.error());
  }
  if (show_stats) {
    const auto s = client.stats();
    fmt::print(stderr,
               "requests {} retries {} errors {} sent {} received {} connections {}+{} reused "
               "transport {} rdma_state {} rdma_ops {}\n",
               s.requests, s.retries, s.errors, s.bytes_sent, s.bytes_received,
               s.connections_opened, s.connections_reused, s.transport, to_string(s.rdma_state),
               s.rdma.rdma_ops);
  }
  return rc;
}
