// kvgate_rdma_client: end-to-end test client of the RDMA fast path against a
// running `kvgate serve --rdma-listen ...` (docs/rdma-protocol.md). Control
// plane over SigV4-signed HTTP/1.1 (s3_test_http.h), data over an rc1 session
// (client_connection.h) into / out of a registered window with guard bytes.
//
//   kvgate_rdma_client --endpoint 192.0.2.1:9000 --access-key AK --secret-key SK
//       [--other-access-key AK2 --other-secret-key SK2] [--bucket NAME]
//       [--case NAME]... [--measure] [--gateway-pid PID]
//
// Prints "CASE <name> PASS|FAIL <why>" per case; exit 0 only when every case
// run passed (2 for a usage error). --measure adds per-request latency of
// 1 MiB GETs over RDMA and TCP and the gateway's CPU per GiB (MEASURE lines).
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "kvgate/protocol/checksum.h"
#include "kvgate/rdma/client_connection.h"
#include "kvgate/rdma/reply.h"
#include "s3_test_http.h"

namespace rt = kvgate::rdma_tools;
namespace rdma = kvgate::rdma;
namespace proto = kvgate::protocol;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kWindowBytes = 32 * kMiB;
constexpr std::size_t kGuardBytes = 4096;
constexpr std::byte kUntouched{0xa5};

struct options {
  std::string ip;
  std::uint16_t port = 0;
  std::string access_key, secret_key, other_access_key, other_secret_key;
  std::string bucket = "rdma-e2e";
  std::vector<std::string> cases;
  bool measure = false;
  int gateway_pid = 0;
};

// A case failure: thrown by check() and caught by the case runner, so case
// bodies read as a sequence of expectations.
struct case_failure {
  std::string why;
};

void check(bool ok, const std::string& why) {
  if (!ok) throw case_failure{why};
}

std::string describe(const rt::http_reply& r) {
  std::string s = "status " + std::to_string(r.status);
  if (r.has_header("x-amz-rdma-reply")) s += ", rdma-reply " + r.header("x-amz-rdma-reply");
  if (r.has_header("x-amz-rdma-reason")) s += ", reason " + r.header("x-amz-rdma-reason");
  if (r.status >= 300 && !r.body.empty()) s += ", body " + r.body.substr(0, 300);
  return s;
}

void fill(std::span<std::byte> s, unsigned seed) {
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::byte>((i * 2654435761u + seed) >> 13);
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  fill(std::as_writable_bytes(std::span(s)), seed);
  return s;
}

bool equal_bytes(std::span<const std::byte> a, std::string_view b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), b.size()) == 0;
}

bool all_untouched(std::span<const std::byte> s) {
  return std::all_of(s.begin(), s.end(), [](std::byte b) { return b == kUntouched; });
}

std::string crc32c_of(std::span<const std::byte> data) {
  return proto::checksum_base64(
      proto::checksum_algorithm::crc32c,
      proto::byte_view(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

// Page-aligned memory: [guard | window | guard], all of it registered, so a
// write beyond the window would land (and be caught) rather than fault.
class guarded_buffer {
 public:
  explicit guarded_buffer(std::size_t window) : window_(window) {
    total_ = window + 2 * kGuardBytes;
    void* p = ::mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(p != MAP_FAILED, "mmap failed");
    base_ = static_cast<std::byte*>(p);
    reset();
  }
  ~guarded_buffer() { ::munmap(base_, total_); }
  guarded_buffer(const guarded_buffer&) = delete;
  guarded_buffer& operator=(const guarded_buffer&) = delete;

  void reset() { std::memset(base_, static_cast<int>(kUntouched), total_); }
  std::span<std::byte> all() { return {base_, total_}; }
  std::span<std::byte> window() { return {base_ + kGuardBytes, window_}; }
  bool guards_untouched() const {
    return all_untouched({base_, kGuardBytes}) &&
           all_untouched({base_ + kGuardBytes + window_, kGuardBytes});
  }

 private:
  std::byte* base_ = nullptr;
  std::size_t window_ = 0;
  std::size_t total_ = 0;
};

// An rc1 session: created over HTTP, its queue pair connected, the buffer
// registered.
struct rdma_session {
  rdma::session_created grant;
  std::unique_ptr<rdma::client_connection> conn;
  rdma::client_region region;

  // Token for [offset, offset + length) of the buffer's window.
  std::string token(std::uint64_t offset, std::uint64_t length) const {
    auto t = conn->token(region, kGuardBytes + offset, length);
    check(static_cast<bool>(t), "token: " + (t ? std::string() : t.error().message()));
    return *t;
  }
};

class test_client {
 public:
  explicit test_client(const options& o)
      : opt_(o),
        http_(o.ip, o.port, {o.access_key, o.secret_key, std::nullopt, "us-east-1", "s3"}),
        buffer_(kWindowBytes) {}

  int run() {
    const std::vector<std::pair<std::string, std::function<void()>>> all = {
        {"capabilities", [this] { capabilities(); }},
        {"create_bucket", [this] { create_bucket(); }},
        {"tcp_put_32mib", [this] { tcp_put_32mib(); }},
        {"rdma_get_32mib", [this] { rdma_get_32mib(); }},
        {"rdma_ranged_get", [this] { rdma_ranged_get(); }},
        {"rdma_put_32mib", [this] { rdma_put_32mib(); }},
        {"rdma_multipart", [this] { rdma_multipart(); }},
        {"decline_fallback", [this] { decline_fallback(); }},
        {"foreign_session", [this] { foreign_session(); }},
        {"wrong_rkey", [this] { wrong_rkey(); }},
        {"expired_session", [this] { expired_session(); }},
        {"killed_client", [this] { killed_client(); }},
    };
    int failed = 0;
    for (const auto& [name, body] : all) {
      if (!opt_.cases.empty() &&
          std::find(opt_.cases.begin(), opt_.cases.end(), name) == opt_.cases.end())
        continue;
      failed += run_case(name, body) ? 0 : 1;
    }
    if (opt_.measure) failed += run_case("measure", [this] { measure(); }) ? 0 : 1;
    return failed == 0 ? 0 : 1;
  }

 private:
  bool run_case(const std::string& name, const std::function<void()>& body) {
    const auto start = std::chrono::steady_clock::now();
    std::string why;
    try {
      body();
    } catch (const case_failure& f) {
      why = f.why;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (why.empty())
      std::printf("CASE %s PASS %.1fs\n", name.c_str(), secs);
    else
      std::printf("CASE %s FAIL %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
    return why.empty();
  }

  // ---- HTTP helpers ------------------------------------------------------

  rt::http_reply send(rt::s3_http_client& c, const rt::http_request& req) {
    auto r = c.send(req);
    check(static_cast<bool>(r),
          req.method + " " + req.path + ": " + (r ? std::string() : r.error().message()));
    return std::move(*r);
  }
  rt::http_reply send(const rt::http_request& req) { return send(http_, req); }

  std::string object_path(const std::string& key) const {
    return "/" + opt_.bucket + "/" + proto::uri_encode(key, proto::slash_encoding::keep);
  }

  rt::http_reply tcp_put(const std::string& key, std::string body) {
    rt::http_request req{"PUT", object_path(key), {}, {}, std::move(body)};
    auto r = send(req);
    check(r.status == 200, "TCP PUT " + key + ": " + describe(r));
    return r;
  }

  rt::http_reply tcp_get(const std::string& key) {
    return send(rt::http_request{"GET", object_path(key), {}, {}, {}});
  }

  void expect_absent(const std::string& key) {
    auto r = send(rt::http_request{"HEAD", object_path(key), {}, {}, {}});
    check(r.status == 404, "HEAD " + key + " after the failed upload: " + describe(r));
  }

  void expect_tcp_object(const std::string& key, std::string_view want) {
    auto r = tcp_get(key);
    check(r.status == 200, "TCP GET " + key + ": " + describe(r));
    check(r.body.size() == want.size(), "TCP GET " + key + ": " + std::to_string(r.body.size()) +
                                            " bytes, want " + std::to_string(want.size()));
    check(r.body == want, "TCP GET " + key + ": bytes differ");
  }

  // The fixtures other cases rely on; idempotent.
  void ensure_bucket() {
    if (bucket_ready_) return;
    auto r = send(rt::http_request{"PUT", "/" + opt_.bucket, {}, {}, {}});
    check(r.status == 200 ||
              (r.status == 409 && r.body.find("BucketAlreadyOwnedByYou") != std::string::npos),
          "CreateBucket: " + describe(r));
    bucket_ready_ = true;
  }
  // The 32 MiB object; stored over TCP unless an earlier run (each VM case
  // is its own process) left it there with the same content (ETag = MD5).
  const std::string& ensure_object32() {
    if (object32_.empty()) {
      ensure_bucket();
      std::string data = pattern(kWindowBytes, 1);
      auto head = send(rt::http_request{"HEAD", object_path("object-32mib"), {}, {}, {}});
      if (head.status != 200 || head.header("etag") != "\"" + md5_hex(data) + "\"")
        tcp_put("object-32mib", data);
      object32_ = std::move(data);
    }
    return object32_;
  }

  static std::string md5_hex(std::string_view data) {
    proto::hasher h(proto::checksum_algorithm::md5);
    h.update(data);
    std::string hex;
    for (const std::uint8_t b : h.finish()) {
      constexpr char kDigits[] = "0123456789abcdef";
      hex += kDigits[b >> 4];
      hex += kDigits[b & 15];
    }
    return hex;
  }

  // POST /.rdma/v1/sessions with `c`'s key.
  rdma::session_created create_session(rt::s3_http_client& c) {
    auto r = send(c, rt::http_request{"POST", std::string(rdma::kSessionsPath), {}, {}, {}});
    check(r.status == 201, "POST sessions: " + describe(r));
    auto created = rdma::parse_session_created(r.body);
    check(static_cast<bool>(created), "session document: " + r.body);
    check(r.header("x-amz-rdma-session") == rdma::to_string(created->session),
          "x-amz-rdma-session differs from the document");
    return *created;
  }

  // A connected session with `buffer` registered.
  rdma_session open_session(guarded_buffer& buffer) {
    rdma_session s;
    s.grant = create_session(http_);
    rdma::client_connection_config cc;
    cc.listener = s.grant.listener;
    cc.session = s.grant.session;
    cc.secret = s.grant.secret;
    auto conn = rdma::client_connection::connect(cc);
    check(static_cast<bool>(conn), "rdma connect to " + cc.listener.address + ":" +
                                       std::to_string(cc.listener.port) + ": " +
                                       (conn ? std::string() : conn.error().message()));
    s.conn = std::move(*conn);
    auto region = s.conn->register_memory(buffer.all());
    check(static_cast<bool>(region),
          "register_memory: " + (region ? std::string() : region.error().message()));
    s.region = *region;
    return s;
  }

  rt::http_request rdma_get_request(const std::string& key, const std::string& token,
                                    std::string_view fallback) {
    rt::http_request req{"GET", object_path(key), {}, {}, {}};
    req.headers.push_back({"x-amz-rdma-fallback", std::string(fallback)});
    req.headers.push_back({"x-amz-rdma-token", token});
    return req;
  }

  rt::http_request rdma_put_request(const std::string& path, const std::string& token,
                                    std::span<const std::byte> payload) {
    rt::http_request req{"PUT", path, {}, {}, {}};
    req.headers.push_back({"x-amz-checksum-crc32c", crc32c_of(payload)});
    req.headers.push_back({"x-amz-rdma-content-length", std::to_string(payload.size())});
    req.headers.push_back({"x-amz-rdma-token", token});
    return req;
  }

  void expect_rdma_success(const rt::http_reply& r, int status, std::size_t bytes,
                           const std::string& what) {
    check(r.status == status, what + ": " + describe(r) + ", want " + std::to_string(status));
    check(r.header("x-amz-rdma-reply") == std::to_string(status),
          what + ": x-amz-rdma-reply '" + r.header("x-amz-rdma-reply") + "'");
    check(r.header("x-amz-rdma-bytes-transferred") == std::to_string(bytes),
          what + ": x-amz-rdma-bytes-transferred '" + r.header("x-amz-rdma-bytes-transferred") +
              "', want " + std::to_string(bytes));
    check(r.body.empty(), what + ": " + std::to_string(r.body.size()) + " body bytes");
  }

  void expect_decline(const rt::http_reply& r, int status, std::string_view reason,
                      const std::string& what) {
    check(r.status == status && r.header("x-amz-rdma-reply") == rdma::reply_value::declined &&
              r.header("x-amz-rdma-reason") == reason,
          what + ": " + describe(r) + ", want " + std::to_string(status) + " + " +
              std::string(reason));
  }

  // ---- cases -------------------------------------------------------------

  void capabilities() {
    auto r = send(rt::http_request{"GET", std::string(rdma::kCapabilitiesPath), {}, {}, {}});
    check(r.status == 200, "GET capabilities: " + describe(r));
    auto caps = rdma::parse_capabilities(r.body);
    check(static_cast<bool>(caps), "capabilities document: " + r.body);
    check(std::find(caps->transports.begin(), caps->transports.end(), "rc1") !=
              caps->transports.end(),
          "no rc1 transport: " + r.body);
    check(caps->listener.has_value(), "no listener: " + r.body);
    std::printf("  capabilities: %s\n", r.body.c_str());
  }

  void create_bucket() {
    bucket_ready_ = false;
    ensure_bucket();
  }

  void tcp_put_32mib() {
    ensure_bucket();
    object32_ = pattern(kWindowBytes, 1);
    tcp_put("object-32mib", object32_);
    expect_tcp_object("object-32mib", object32_);
  }

  void rdma_get_32mib() {
    const std::string& want = ensure_object32();
    buffer_.reset();
    auto s = open_session(buffer_);
    auto r = send(rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    expect_rdma_success(r, 200, kWindowBytes, "RDMA GET");
    check(equal_bytes(buffer_.window(), want), "window bytes differ from the object");
    check(buffer_.guards_untouched(), "guard bytes written");
  }

  void rdma_ranged_get() {
    const std::string& want = ensure_object32();
    buffer_.reset();
    auto s = open_session(buffer_);
    constexpr std::size_t first = 1000, last = 9000999, n = last - first + 1;
    auto req = rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none");
    req.headers.push_back({"range", "bytes=1000-9000999"});
    auto r = send(req);
    expect_rdma_success(r, 206, n, "RDMA ranged GET");
    check(r.header("content-range") == "bytes 1000-9000999/33554432",
          "Content-Range '" + r.header("content-range") + "'");
    check(equal_bytes(buffer_.window().first(n), std::string_view(want).substr(first, n)),
          "window bytes differ from the range");
    check(all_untouched(buffer_.window().subspan(n)), "bytes written past the range");
    check(buffer_.guards_untouched(), "guard bytes written");
  }

  void rdma_put_32mib() {
    ensure_bucket();
    buffer_.reset();
    fill(buffer_.window(), 2);
    auto s = open_session(buffer_);
    auto r = send(rdma_put_request(object_path("rdma-put-32mib"), s.token(0, kWindowBytes),
                                   buffer_.window()));
    expect_rdma_success(r, 200, kWindowBytes, "RDMA PUT");
    check(!r.header("etag").empty(), "RDMA PUT: no ETag");
    expect_tcp_object("rdma-put-32mib", pattern(kWindowBytes, 2));
  }

  void rdma_multipart() {
    ensure_bucket();
    const std::string key = "rdma-multipart";
    constexpr std::size_t part = 8 * kMiB;
    buffer_.reset();
    fill(buffer_.window().first(2 * part), 3);
    auto s = open_session(buffer_);
    auto created =
        send(rt::http_request{"POST", object_path(key), {{"uploads", "", false}}, {}, {}});
    check(created.status == 200, "CreateMultipartUpload: " + describe(created));
    const auto b = created.body.find("<UploadId>"), e = created.body.find("</UploadId>");
    check(b != std::string::npos && e != std::string::npos, "no UploadId: " + created.body);
    const std::string upload_id = created.body.substr(b + 10, e - b - 10);
    std::string complete = "<CompleteMultipartUpload>";
    for (int number = 1; number <= 2; ++number) {
      const std::size_t offset = static_cast<std::size_t>(number - 1) * part;
      auto req = rdma_put_request(object_path(key), s.token(offset, part),
                                  buffer_.window().subspan(offset, part));
      req.query = {{"partNumber", std::to_string(number), true}, {"uploadId", upload_id, true}};
      auto r = send(req);
      expect_rdma_success(r, 200, part, "RDMA UploadPart " + std::to_string(number));
      check(!r.header("etag").empty(), "UploadPart: no ETag");
      complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" +
                  r.header("etag") + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    auto done = send(rt::http_request{
        "POST", object_path(key), {{"uploadId", upload_id, true}}, {}, std::move(complete)});
    check(done.status == 200 && done.body.find("<Error>") == std::string::npos,
          "CompleteMultipartUpload: " + describe(done) + " " + done.body.substr(0, 300));
    expect_tcp_object(key, pattern(2 * part, 3));
  }

  void decline_fallback() {
    ensure_bucket();
    const std::string tiny = pattern(1000, 4);
    tcp_put("tiny", tiny);
    buffer_.reset();
    auto s = open_session(buffer_);
    // GET below the threshold: declined, the body carries the object.
    auto r = send(rdma_get_request("tiny", s.token(0, kWindowBytes), "body"));
    expect_decline(r, 200, "below-threshold", "RDMA GET of 1000 bytes");
    check(r.body == tiny, "fallback body differs (" + std::to_string(r.body.size()) + " bytes)");
    check(all_untouched(buffer_.all()), "bytes landed in the window");
    // The same with fallback=none: 501 RdmaDeclined, no body.
    auto none = send(rdma_get_request("tiny", s.token(0, kWindowBytes), "none"));
    expect_decline(none, 501, "below-threshold", "RDMA GET fallback=none");
    check(none.body.find("RdmaDeclined") != std::string::npos, "no RdmaDeclined: " + none.body);
    // PUT below the threshold: a real 501, nothing stored.
    fill(buffer_.window().first(1000), 4);
    auto put = send(rdma_put_request(object_path("tiny-rdma-put"), s.token(0, 1000),
                                     buffer_.window().first(1000)));
    expect_decline(put, 501, "below-threshold", "RDMA PUT of 1000 bytes");
    check(!put.has_header("etag"), "declined PUT has an ETag");
    expect_absent("tiny-rdma-put");
  }

  void foreign_session() {
    check(!opt_.other_access_key.empty(), "needs --other-access-key / --other-secret-key");
    ensure_object32();
    buffer_.reset();
    auto s = open_session(buffer_);
    rt::s3_http_client eve(
        opt_.ip, opt_.port,
        {opt_.other_access_key, opt_.other_secret_key, std::nullopt, "us-east-1", "s3"});
    // Another key naming this session: no-session, nothing moves.
    auto r = send(eve, rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    expect_decline(r, 501, "no-session", "GET signed by another key");
    auto put = send(eve, rdma_put_request(object_path("foreign-put"), s.token(0, kWindowBytes),
                                          buffer_.window()));
    check(put.status != 200, "PUT signed by another key stored: " + describe(put));
    check(all_untouched(buffer_.all()), "bytes landed in the window");
    // The owner's session is untouched by the attempt.
    auto own = send(rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    expect_rdma_success(own, 200, kWindowBytes, "owner's GET afterwards");
    expect_absent("foreign-put");
  }

  void wrong_rkey() {
    ensure_object32();
    buffer_.reset();
    fill(buffer_.window(), 5);
    auto s = open_session(buffer_);
    auto forged = rdma::parse_token(s.token(0, kWindowBytes));
    check(static_cast<bool>(forged), "own token does not parse");
    forged->rkey ^= 0x5a5a5a5au;
    auto r = send(
        rdma_put_request(object_path("wrong-rkey"), rdma::format_token(*forged), buffer_.window()));
    check(r.status == 500 && r.body.find("RdmaTransferFailed") != std::string::npos &&
              r.header("x-amz-rdma-reason") == "transport-error",
          "PUT with a wrong rkey: " + describe(r));
    expect_absent("wrong-rkey");
    // The session is fenced: the next request is declined before any transfer.
    auto after = send(rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    expect_decline(after, 501, "transport-error", "GET on the fenced session");
  }

  void expired_session() {
    auto caps_reply =
        send(rt::http_request{"GET", std::string(rdma::kCapabilitiesPath), {}, {}, {}});
    auto caps = rdma::parse_capabilities(caps_reply.body);
    check(static_cast<bool>(caps), "capabilities: " + describe(caps_reply));
    const auto ttl = caps->limits.session_ttl_seconds;
    check(ttl <= 30, "session TTL " + std::to_string(ttl) +
                         " s: start the gateway with --rdma-session-ttl-seconds <= 30");
    ensure_object32();
    buffer_.reset();
    auto s = open_session(buffer_);
    std::this_thread::sleep_for(std::chrono::seconds(ttl + 1));
    // Expired, whether or not the reaper has run yet (a reaped session is
    // remembered for one more TTL): the owner hears session-expired.
    auto r = send(rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    const std::string reason = r.header("x-amz-rdma-reason");
    expect_decline(r, 501, "session-expired", "GET after the TTL");
    std::printf("  after %llu s idle: %s\n", static_cast<unsigned long long>(ttl + 1),
                reason.c_str());
    check(all_untouched(buffer_.all()), "bytes landed in the window");
  }

  // The killed client's part: connect the session, register the payload,
  // send the PUT's head, tell the parent, wait for SIGKILL.
  void start_put_and_wait(const rdma::session_created& grant, const std::string& key,
                          std::size_t bytes, int ready_fd) {
    guarded_buffer mem(bytes);
    fill(mem.window(), 6);
    rdma::client_connection_config cc;
    cc.listener = grant.listener;
    cc.session = grant.session;
    cc.secret = grant.secret;
    auto conn = rdma::client_connection::connect(cc);
    if (!conn) ::_exit(3);
    auto region = (*conn)->register_memory(mem.all());
    if (!region) ::_exit(4);
    auto token = (*conn)->token(*region, kGuardBytes, bytes);
    if (!token) ::_exit(5);
    rt::s3_http_client c(opt_.ip, opt_.port,
                         {opt_.access_key, opt_.secret_key, std::nullopt, "us-east-1", "s3"});
    if (!c.send_only(rdma_put_request(object_path(key), *token, mem.window()))) ::_exit(6);
    const char one = 1;
    (void)!::write(ready_fd, &one, 1);
    ::pause();
  }

  // A child starts a 64 MiB RDMA PUT and is SIGKILLed mid-transfer: no
  // object, the session ends, the gateway stays healthy.
  void killed_client() {
    ensure_object32();
    const std::string key = "killed-mid-put";
    constexpr std::size_t bytes = 64 * kMiB;
    auto grant = create_session(http_);
    int ready[2];
    check(::pipe(ready) == 0, "pipe");
    std::fflush(stdout);
    const pid_t child = ::fork();
    check(child >= 0, "fork");
    if (child == 0) {
      ::close(ready[0]);
      try {
        start_put_and_wait(grant, key, bytes, ready[1]);
      } catch (const case_failure&) {
      }
      ::_exit(7);
    }
    ::close(ready[1]);
    char got = 0;
    const bool started = ::read(ready[0], &got, 1) == 1;
    ::close(ready[0]);
    if (started) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    check(started, "the child did not start its PUT (exit " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
    // Wait until the gateway has ended the child's session (the CM
    // disconnect or the failed transfer fences it): a probe naming it is
    // then declined. A probe admitted before that fails (bogus rkey) and
    // fences the session itself; it is reported, not counted as a failure.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    rdma::rc1_token probe{0x10000, kWindowBytes, grant.session, 1};
    const std::string probe_token = rdma::format_token(probe);
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
    for (;;) {
      auto r = send(rdma_get_request("object-32mib", probe_token, "none"));
      seen += (seen.empty() ? "" : "; ") + describe(r);
      if (r.status == 501 && r.header("x-amz-rdma-reason") != "busy") break;
      check(r.status != 200, "probe GET on the dead client's session moved bytes");
      check(std::chrono::steady_clock::now() < deadline,
            "the dead client's session is still usable after 40 s: " + seen);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::printf("  probes of the dead client's session: %s\n", seen.c_str());
    expect_absent(key);
    auto ready_reply = send(rt::http_request{"GET", "/health/ready", {}, {}, {}});
    check(ready_reply.status == 200, "/health/ready: " + describe(ready_reply));
    // And RDMA still works for others.
    buffer_.reset();
    auto s = open_session(buffer_);
    auto r = send(rdma_get_request("object-32mib", s.token(0, kWindowBytes), "none"));
    expect_rdma_success(r, 200, kWindowBytes, "RDMA GET after the kill");
    check(equal_bytes(buffer_.window(), object32_), "window bytes differ after the kill");
  }

  // ---- measurements ------------------------------------------------------

  static double gateway_cpu_seconds(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    check(close != std::string::npos, "/proc/" + std::to_string(pid) + "/stat unreadable");
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14, 15 (1-based)
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  static int find_gateway_pid() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      std::ifstream comm(entry.path() / "comm");
      std::string name;
      if (comm >> name && name == "kvgate") return std::atoi(entry.path().filename().c_str());
    }
    return 0;
  }

  static void print_latency(const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    double sum = 0;
    for (double v : ms) sum += v;
    std::printf("MEASURE %s n=%zu mean=%.2fms p50=%.2fms min=%.2fms max=%.2fms\n", what, ms.size(),
                sum / static_cast<double>(ms.size()), ms[ms.size() / 2], ms.front(), ms.back());
  }

  template <class F>
  static double timed_ms(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  // RDMA first (the session must not sit idle past its TTL), then TCP.
  void measure() {
    const std::string& big = ensure_object32();
    const std::string one_mib = pattern(kMiB, 7);
    tcp_put("measure-1mib", one_mib);
    const int pid = opt_.gateway_pid != 0 ? opt_.gateway_pid : find_gateway_pid();
    check(pid != 0, "no kvgate process found (--gateway-pid)");
    buffer_.reset();
    auto s = open_session(buffer_);
    constexpr int kReps = 20;
    std::vector<double> rdma_ms, tcp_ms;
    const std::string token = s.token(0, kMiB);
    for (int i = -2; i < kReps; ++i) {  // two warm-ups
      rt::http_reply r;
      const double ms =
          timed_ms([&] { r = send(rdma_get_request("measure-1mib", token, "none")); });
      expect_rdma_success(r, 200, kMiB, "RDMA GET 1 MiB");
      if (i >= 0) rdma_ms.push_back(ms);
    }
    check(equal_bytes(buffer_.window().first(kMiB), one_mib), "RDMA 1 MiB bytes differ");

    constexpr int kBig = 8;   // GETs x 32 MiB = 0.25 GiB
    constexpr int kPuts = 4;  // PUTs (slower under emulation)
    const std::string big_token = s.token(0, kWindowBytes);
    double cpu0 = gateway_cpu_seconds(pid);
    const double rdma_wall = timed_ms([&] {
      for (int i = 0; i < kBig; ++i) {
        auto r = send(rdma_get_request("object-32mib", big_token, "none"));
        expect_rdma_success(r, 200, kWindowBytes, "RDMA GET 32 MiB");
      }
    });
    const double rdma_cpu = gateway_cpu_seconds(pid) - cpu0;
    check(equal_bytes(buffer_.window(), big), "RDMA 32 MiB bytes differ");
    cpu0 = gateway_cpu_seconds(pid);
    const double put_wall = timed_ms([&] {
      for (int i = 0; i < kPuts; ++i) {
        auto r =
            send(rdma_put_request(object_path("measure-rdma-put"), big_token, buffer_.window()));
        expect_rdma_success(r, 200, kWindowBytes, "RDMA PUT 32 MiB");
      }
    });
    const double put_cpu = gateway_cpu_seconds(pid) - cpu0;

    for (int i = -2; i < kReps; ++i) {
      rt::http_reply r;
      const double ms = timed_ms([&] { r = tcp_get("measure-1mib"); });
      check(r.status == 200 && r.body == one_mib, "TCP GET 1 MiB: " + describe(r));
      if (i >= 0) tcp_ms.push_back(ms);
    }
    cpu0 = gateway_cpu_seconds(pid);
    const double tcp_wall = timed_ms([&] {
      for (int i = 0; i < kBig; ++i) {
        auto r = tcp_get("object-32mib");
        check(r.status == 200 && r.body.size() == kWindowBytes, "TCP GET 32 MiB: " + describe(r));
      }
    });
    const double tcp_cpu = gateway_cpu_seconds(pid) - cpu0;
    cpu0 = gateway_cpu_seconds(pid);
    const double tcp_put_wall = timed_ms([&] {
      for (int i = 0; i < kPuts; ++i) tcp_put("measure-tcp-put", big);
    });
    const double tcp_put_cpu = gateway_cpu_seconds(pid) - cpu0;

    print_latency("rdma_get_1mib", rdma_ms);
    print_latency("tcp_get_1mib", tcp_ms);
    const auto line = [](const char* what, int n, double wall_ms, double cpu) {
      std::printf("MEASURE %s 32MiBx%d: %.0f MiB/s, gateway CPU %.2f s/GiB\n", what, n,
                  n * 32.0 / (wall_ms / 1000), cpu / (n * 32.0 / 1024.0));
    };
    line("rdma_get", kBig, rdma_wall, rdma_cpu);
    line("rdma_put", kPuts, put_wall, put_cpu);
    line("tcp_get", kBig, tcp_wall, tcp_cpu);
    line("tcp_put", kPuts, tcp_put_wall, tcp_put_cpu);
  }

  options opt_;
  rt::s3_http_client http_;
  guarded_buffer buffer_;
  bool bucket_ready_ = false;
  std::string object32_;
};

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --endpoint IP:PORT --access-key AK --secret-key SK\n"
               "          [--other-access-key AK2 --other-secret-key SK2] [--bucket NAME]\n"
               "          [--case NAME]... [--measure] [--gateway-pid PID]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  std::string endpoint;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--measure") {
      o.measure = true;
    } else if (!has_value) {
      return usage(argv[0]);
    } else if (a == "--endpoint") {
      endpoint = argv[++i];
    } else if (a == "--access-key") {
      o.access_key = argv[++i];
    } else if (a == "--secret-key") {
      o.secret_key = argv[++i];
    } else if (a == "--other-access-key") {
      o.other_access_key = argv[++i];
    } else if (a == "--other-secret-key") {
      o.other_secret_key = argv[++i];
    } else if (a == "--bucket") {
      o.bucket = argv[++i];
    } else if (a == "--case") {
      o.cases.emplace_back(argv[++i]);
    } else if (a == "--gateway-pid") {
      o.gateway_pid = std::atoi(argv[++i]);
    } else {
      return usage(argv[0]);
    }
  }
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || o.access_key.empty() || o.secret_key.empty())
    return usage(argv[0]);
  o.ip = endpoint.substr(0, colon);
  o.port = static_cast<std::uint16_t>(std::atoi(endpoint.c_str() + colon + 1));
  test_client client(o);
  return client.run();
}
