"""S3 error paths over raw sockets against a real `kvgate serve`.

Every request is hand-built and SigV4-signed (s3_signing.py, independent of
the gateway's signer) and sent on a plain socket, so the test controls the
exact bytes: truncated, reset and stalled bodies, lying or ambiguous
Content-Length, HTTP chunked and aws-chunked framing, wrong digests, Expect:
100-continue, oversized heads, bad targets, methods, ranges, pipelining and
multipart mistakes. For each it asserts the
status, the XML `Code`, `x-amz-request-id` == the body's `RequestId`, whether
the connection stays usable or is closed, and that no object or partial
object is visible afterwards (HEAD 404, or the previous version intact).

What `test_s3_operations.py` already checks through http.client (each code
once, on a fresh connection) is repeated here only where the raw socket adds
something: keep-alive after the error, multi-MiB bodies already streamed into
the engine, the previous version surviving.
"""
import hashlib
import os
import socket
import struct
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
import s3_signing as sig  # noqa: E402

MIB = 1024 * 1024
BUCKET = "rawerr"
# Short server timeouts so the slow-client cases finish quickly.
BODY_STALL_MS = 1500
HEADER_TIMEOUT_MS = 2500
# How long a case may wait for the server beyond its configured timeout.
SLACK_S = 8.0
GW = None


def setUpModule():
    global GW
    GW = s3_gateway.Gateway(extra_args=["--body-stall-timeout-ms", str(BODY_STALL_MS),
                                        "--header-timeout-ms", str(HEADER_TIMEOUT_MS)])
    r = sig.request(GW, "PUT", f"/{BUCKET}")
    if r.status != 200:
        raise RuntimeError(f"CreateBucket answered {r.status}: {r.body!r}")


def tearDownModule():
    if GW is None:
        return
    log = GW.server.stderr()
    code = GW.server.stop()
    GW.stop()
    # Error paths must not crash, leak (ASan) or leave a request unanswered.
    for bad in ("AddressSanitizer", "LeakSanitizer", "without a response", "handler failed"):
        if bad in log:
            raise AssertionError(f"gateway log shows {bad!r}:\n{log[-4000:]}")
    if code not in (0, None):
        raise AssertionError(f"gateway exited with {code}:\n{log[-4000:]}")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


class Conn:
    """One client connection; reads HTTP/1.1 responses off a byte buffer so
    pipelined answers can be taken one at a time."""

    def __init__(self, timeout=15.0):
        self.sock = socket.create_connection((GW.host, GW.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def half_close(self):
        self.sock.shutdown(socket.SHUT_WR)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, method="GET"):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if method == "HEAD" or status < 200 or status in (204, 304):
            body = b""
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._take(size)
                self._take(2)
        else:
            body = self.read_until_close()
        return Response(status, headers, body)

    def read_until_close(self):
        out = self.buf
        self.buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                out += chunk
        except ConnectionResetError:
            pass
        return out

    def closed_within(self, seconds):
        """True when the server closes (EOF or reset) within `seconds`
        without sending anything more."""
        self.sock.settimeout(seconds)
        try:
            data = self.buf or self.sock.recv(4096)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""


def request_head(method, path, query=(), headers=None, body=b"", payload_hash=None,
                 content_length=None, secret=None, sign=True, omit_length=False):
    """The head of a signed request as bytes, plus the signing state
    (seed signature, key, scope, date) for aws-chunked bodies."""
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h.setdefault("host", f"{GW.host}:{GW.port}")
    if content_length is None and not omit_length and (body or method in ("PUT", "POST")):
        content_length = len(body)
    if content_length is not None:
        h["content-length"] = str(content_length)
    state = (None, None, None, None)
    if sign:
        h, seed, key, scope, amz = sig.sign_headers(
            method, path, query, h, s3_gateway.ROOT_ACCESS_KEY,
            secret or s3_gateway.ROOT_SECRET_KEY, payload_hash or sha256_hex(body))
        state = (seed, key, scope, amz)
    target = path
    if query:
        target += "?" + "&".join(f"{urllib.parse.quote(k, safe='-_.~')}="
                                 f"{urllib.parse.quote(v, safe='-_.~')}" for k, v in query)
    text = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    return (text + "\r\n").encode(), state


def signed(method, path, query=(), headers=None, body=b"", payload_hash=None, secret=None):
    """A complete signed request (head + body) as bytes."""
    head, _ = request_head(method, path, query, headers, body, payload_hash, secret=secret)
    return head + body


class RawErrorTestBase(unittest.TestCase):
    def setUp(self):
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()

    def conn(self):
        c = Conn()
        self.conns.append(c)
        return c

    def assert_error(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertIn(f"<Code>{code}</Code>".encode(), r.body, r)
        rid = r.headers.get("x-amz-request-id")
        self.assertTrue(rid, r)
        self.assertIn(f"<RequestId>{rid}</RequestId>".encode(), r.body, r)

    def assert_reusable(self, c):
        """The connection still carries requests: a signed HEAD of the bucket."""
        c.send(signed("HEAD", f"/{BUCKET}"))
        self.assertEqual(c.read_response("HEAD").status, 200)

    def assert_closed(self, c, r=None):
        if r is not None:
            self.assertEqual(r.headers.get("connection", "").lower(), "close", r)
        self.assertTrue(c.closed_within(SLACK_S), "the server kept the connection open")

    def put(self, key, data):
        r = sig.request(GW, "PUT", f"/{BUCKET}/{key}", body=data)
        self.assertEqual(r.status, 200, r.body)

    def assert_content(self, key, data):
        r = sig.request(GW, "GET", f"/{BUCKET}/{key}")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(len(r.body), len(data))
        self.assertTrue(r.body == data, f"{key}: content differs")

    def assert_absent(self, key):
        r = sig.request(GW, "HEAD", f"/{BUCKET}/{key}")
        self.assertEqual(r.status, 404, f"{key} exists after a failed upload")


class TruncatedAndSlowBodyTests(RawErrorTestBase):
    def test_truncated_body_then_client_closes_keeps_previous_version(self):
        old = os.urandom(1000)
        for size, payload in ((200_000, "UNSIGNED-PAYLOAD"), (3 * MIB + 5, None)):
            with self.subTest(size=size, payload=payload or "sha256"):
                key = f"trunc-{size}"
                self.put(key, old)
                body = os.urandom(size)
                for k in (key, key + "-new"):
                    c = self.conn()
                    head, _ = request_head("PUT", f"/{BUCKET}/{k}", body=body,
                                           payload_hash=payload or sha256_hex(body))
                    c.send(head + body[:size // 2])
                    c.half_close()
                    r = c.read_response()
                    self.assert_error(r, 400, "IncompleteBody")
                    self.assert_closed(c, r)
                    # A client that vanishes (RST) instead of half-closing.
                    c = self.conn()
                    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                    c.send(head + body[:size // 3])
                    c.close()
                self.assert_content(key, old)
                self.assert_absent(key + "-new")

    def test_stalled_body_is_timed_out_and_nothing_is_stored(self):
        old = b"previous version"
        self.put("stall", old)
        body = os.urandom(300_000)
        for key in ("stall", "stall-new"):
            c = self.conn()
            head, _ = request_head("PUT", f"/{BUCKET}/{key}", body=body,
                                   payload_hash="UNSIGNED-PAYLOAD")
            c.send(head + body[:100_000])
            start = time.monotonic()
            c.sock.settimeout(BODY_STALL_MS / 1000 + SLACK_S)
            try:
                data = c.read_until_close()
            except socket.timeout:
                self.fail("the server did not time the stalled body out")
            elapsed = time.monotonic() - start
            self.assertGreater(elapsed, BODY_STALL_MS / 1000 * 0.8)
            self.assertLess(elapsed, BODY_STALL_MS / 1000 + SLACK_S)
            # As AWS: 400 RequestTimeout, then the connection closes.
            self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:200])
            self.assertIn(b"<Code>RequestTimeout</Code>", data)
        self.assert_content("stall", old)
        self.assert_absent("stall-new")


    def test_client_that_stops_reading_a_get_is_dropped(self):
        data = os.urandom(12 * MIB)
        self.put("slow-reader", data)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # before connect
        s.settimeout(15)
        s.connect((GW.host, GW.port))
        try:
            s.sendall(signed("GET", f"/{BUCKET}/slow-reader"))
            time.sleep(2 * BODY_STALL_MS / 1000 + 1.0)  # read nothing meanwhile
            got = 0
            try:
                while True:
                    chunk = s.recv(1 << 20)
                    if not chunk:
                        break
                    got += len(chunk)
            except ConnectionResetError:
                pass
            # The server gave up writing: the response is cut short and closed.
            self.assertLess(got, len(data))
        finally:
            s.close()
        self.assert_content("slow-reader", data)


class LyingContentLengthTests(RawErrorTestBase):
    EXTRA = b"these bytes are no request\r\n\r\n"

    def test_declared_bytes_are_stored_when_their_hash_matches(self):
        data = os.urandom(1000)
        c = self.conn()
        head, _ = request_head("PUT", f"/{BUCKET}/lying-ok", body=data)
        c.send(head + data + self.EXTRA)
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["etag"], '"%s"' % hashlib.md5(data).hexdigest())
        # The extra bytes are the next "request": 400 and close, at once.
        start = time.monotonic()
        r = c.read_response()
        self.assert_error(r, 400, "BadRequest")
        self.assert_closed(c, r)
        self.assertLess(time.monotonic() - start, SLACK_S)
        self.assert_content("lying-ok", data)

    def test_hash_over_the_longer_body_is_rejected(self):
        data = os.urandom(1000)
        sent = data + self.EXTRA
        old = b"old lying content"
        self.put("lying-bad", old)
        cases = [
            # x-amz-content-sha256 of everything sent, Content-Length of a part
            ({}, sha256_hex(sent), "XAmzContentSHA256Mismatch"),
            ({"content-md5": sig.md5_b64(sent)}, "UNSIGNED-PAYLOAD", "BadDigest"),
            ({"x-amz-checksum-crc32": sig.crc32_b64(sent)}, "UNSIGNED-PAYLOAD", "BadDigest"),
        ]
        for headers, payload_hash, code in cases:
            with self.subTest(code=code, headers=headers):
                for key in ("lying-bad", "lying-bad-new"):
                    c = self.conn()
                    head, _ = request_head("PUT", f"/{BUCKET}/{key}", headers=headers,
                                           body=data, payload_hash=payload_hash)
                    c.send(head + sent)
                    self.assert_error(c.read_response(), 400, code)
                    r = c.read_response()
                    self.assert_error(r, 400, "BadRequest")
                    self.assert_closed(c, r)
        self.assert_content("lying-bad", old)
        self.assert_absent("lying-bad-new")

    def test_binary_extra_bytes_never_hang_the_connection(self):
        data = os.urandom(100)
        c = self.conn()
        head, _ = request_head("PUT", f"/{BUCKET}/lying-bin", body=data)
        c.send(head + data + bytes(range(1, 200)))
        self.assertEqual(c.read_response().status, 200)
        # No header terminator ever comes: the header timeout ends it.
        start = time.monotonic()
        c.sock.settimeout(HEADER_TIMEOUT_MS / 1000 + SLACK_S)
        rest = c.read_until_close()
        self.assertLess(time.monotonic() - start, HEADER_TIMEOUT_MS / 1000 + SLACK_S)
        self.assertTrue(rest == b"" or rest.startswith(b"HTTP/1.1 400"), rest[:200])
        self.assert_content("lying-bin", data)


class HttpFramingTests(RawErrorTestBase):
    def chunked_head(self, key, payload_hash="UNSIGNED-PAYLOAD"):
        head, _ = request_head("PUT", f"/{BUCKET}/{key}", headers={"transfer-encoding": "chunked"},
                               payload_hash=payload_hash, omit_length=True)
        return head

    def test_http_chunked_bodies(self):
        c = self.conn()
        body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        c.send(self.chunked_head("te", sha256_hex(b"hello world")) + body)
        self.assertEqual(c.read_response().status, 200)
        c.send(self.chunked_head("te-badhash", sha256_hex(b"other")) + body)
        self.assert_error(c.read_response(), 400, "XAmzContentSHA256Mismatch")
        self.assert_reusable(c)
        self.assert_content("te", b"hello world")
        self.assert_absent("te-badhash")
        # Framing that does not parse: 400 and close (the stream is lost).
        c = self.conn()
        c.send(self.chunked_head("te-bad") + b"zz\r\nhello\r\n0\r\n\r\n")
        r = c.read_response()
        self.assert_error(r, 400, "InvalidRequest")
        self.assert_closed(c, r)
        # Ends inside a chunk.
        c = self.conn()
        c.send(self.chunked_head("te-cut") + b"5\r\nhello\r\n6\r\n wo")
        c.half_close()
        r = c.read_response()
        self.assert_error(r, 400, "IncompleteBody")
        self.assert_closed(c, r)
        self.assert_absent("te-bad")
        self.assert_absent("te-cut")

    def test_ambiguous_lengths_are_refused_and_closed(self):
        head, _ = request_head("PUT", f"/{BUCKET}/ambiguous", body=b"abc")
        for name, raw in (
                ("two Content-Lengths", head[:-2] + b"Content-Length: 5\r\n\r\nabcde"),
                ("Content-Length and chunked",
                 head[:-2] + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                ("negative Content-Length",
                 b"PUT /%s/ambiguous HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
                 % BUCKET.encode())):
            with self.subTest(name):
                c = self.conn()
                c.send(raw)
                r = c.read_response()
                self.assert_error(r, 400, "BadRequest")
                self.assert_closed(c, r)
        self.assert_absent("ambiguous")

    def test_methods_and_http_1_0(self):
        self.put("verbs", b"v")
        c = self.conn()
        c.send(signed("PATCH", f"/{BUCKET}/verbs", body=b"x"))
        self.assert_error(c.read_response(), 405, "MethodNotAllowed")
        c.send(signed("POST", f"/{BUCKET}/verbs", body=b"x"))
        self.assert_error(c.read_response(), 501, "NotImplemented")
        self.assert_reusable(c)
        # HTTP/1.0 without keep-alive: answered, then closed.
        c = self.conn()
        head, _ = request_head("GET", f"/{BUCKET}/verbs")
        c.send(head.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"v"))
        self.assert_closed(c)
        self.assert_content("verbs", b"v")


class AwsChunkedTests(RawErrorTestBase):
    CHUNK = 64 * 1024

    def chunked_request(self, key, data, payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                        trailer=None, decoded_length=None):
        """(head bytes without Content-Length, body) for an aws-chunked PUT."""
        headers = {"content-encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data) if decoded_length is None
                                                       else decoded_length)}
        if trailer:
            headers["x-amz-trailer"] = trailer[0][0]
        # Content-Length is not known before the body is built; it is not
        # signed, so it is added to the head afterwards.
        head, (seed, key_bytes, scope, amz) = request_head(
            "PUT", f"/{BUCKET}/{key}", headers=headers, payload_hash=payload_hash,
            omit_length=True)
        if payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
            body = sig.unsigned_trailer_body(data, self.CHUNK, trailer)
        else:
            body = sig.signed_chunked_body(data, self.CHUNK, key_bytes, scope, amz, seed, trailer)
        return head, body

    @staticmethod
    def with_length(head, n):
        return head[:-2] + f"content-length: {n}\r\n\r\n".encode()

    def test_truncated_mid_chunk_with_matching_content_length(self):
        data = os.urandom(200_000)
        head, body = self.chunked_request("chunk-cut", data)
        cut = body[:body.index(b"chunk-signature", 100) + 200]  # inside chunk 2
        c = self.conn()
        c.send(self.with_length(head, len(cut)) + cut)
        self.assert_error(c.read_response(), 400, "IncompleteBody")
        self.assert_reusable(c)
        self.assert_absent("chunk-cut")

    def test_truncated_mid_chunk_then_client_closes(self):
        data = os.urandom(200_000)
        head, body = self.chunked_request("chunk-cut-close", data)
        c = self.conn()
        c.send(self.with_length(head, len(body)) + body[:100_000])
        c.half_close()
        r = c.read_response()
        self.assert_error(r, 400, "IncompleteBody")
        self.assert_closed(c, r)
        self.assert_absent("chunk-cut-close")

    def test_bad_signature_on_a_later_chunk(self):
        old = b"before the bad chunk"
        self.put("chunk-badsig", old)
        data = os.urandom(3 * self.CHUNK)
        head, body = self.chunked_request("chunk-badsig", data)
        second = body.index(b"chunk-signature=", body.index(b"\r\n") + self.CHUNK)
        i = second + len("chunk-signature=") + 5
        flipped = b"0" if body[i:i + 1] != b"0" else b"1"
        body = body[:i] + flipped + body[i + 1:]
        c = self.conn()
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 403, "SignatureDoesNotMatch")
        self.assert_reusable(c)
        self.assert_content("chunk-badsig", old)

    def test_signed_trailer_with_wrong_checksum_or_signature(self):
        data = os.urandom(100_000)
        payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        c = self.conn()
        head, body = self.chunked_request("trailer-bad", data, payload,
                                          [("x-amz-checksum-crc32", sig.crc32_b64(b"other"))])
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 400, "BadDigest")
        head, body = self.chunked_request("trailer-bad", data, payload,
                                          [("x-amz-checksum-crc32", sig.crc32_b64(data))])
        i = body.index(b"x-amz-trailer-signature:") + len("x-amz-trailer-signature:")
        body = body[:i] + (b"0" if body[i:i + 1] != b"0" else b"1") + body[i + 1:]
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 403, "SignatureDoesNotMatch")
        # The trailer names one checksum, the body carries another.
        head, body = self.chunked_request("trailer-bad", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                          [("x-amz-checksum-crc32", sig.crc32_b64(data))])
        body = body.replace(b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32c:")
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 400, "InvalidRequest")
        self.assert_reusable(c)
        self.assert_absent("trailer-bad")

    def test_decoded_content_length_mismatch(self):
        data = os.urandom(70_000)
        c = self.conn()
        # Declared larger than the chunks carry: the body ends short.
        head, body = self.chunked_request("declen", data, decoded_length=len(data) + 1)
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 400, "IncompleteBody")
        # Declared smaller: the chunk that exceeds it is refused.
        head, body = self.chunked_request("declen", data, decoded_length=len(data) - 1)
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 400, "InvalidRequest")
        # Not a number.
        head, body = self.chunked_request("declen", data, decoded_length="12x")
        c.send(self.with_length(head, len(body)) + body)
        self.assert_error(c.read_response(), 400, "InvalidArgument")
        self.assert_reusable(c)
        self.assert_absent("declen")


class DigestTests(RawErrorTestBase):
    def test_digest_errors_on_one_keep_alive_connection(self):
        old = os.urandom(5000)
        self.put("digest", old)
        small = b"new small body"
        big = os.urandom(3 * MIB + 11)  # several body buffers reach the engine first
        cases = [
            ("BadDigest", 400, small, {"content-md5": sig.md5_b64(b"other")}, "UNSIGNED-PAYLOAD"),
            ("InvalidDigest", 400, small, {"content-md5": "bm90IGFuIG1kNQ=="}, "UNSIGNED-PAYLOAD"),
            ("InvalidDigest", 400, small, {"content-md5": "%%%"}, "UNSIGNED-PAYLOAD"),
            ("XAmzContentSHA256Mismatch", 400, small, {}, sha256_hex(b"other")),
            ("BadDigest", 400, small, {"x-amz-checksum-crc32": sig.crc32_b64(b"other")}, None),
            ("InvalidRequest", 400, small, {"x-amz-checksum-crc32": "AAAAAAAA"}, None),
            ("BadDigest", 400, big, {"content-md5": sig.md5_b64(b"other")}, "UNSIGNED-PAYLOAD"),
            ("XAmzContentSHA256Mismatch", 400, big, {}, sha256_hex(b"other")),
            ("BadDigest", 400, big, {"x-amz-checksum-crc32": sig.crc32_b64(b"other")}, None),
        ]
        c = self.conn()
        for code, status, body, headers, payload_hash in cases:
            with self.subTest(code=code, size=len(body), headers=headers):
                c.send(signed("PUT", f"/{BUCKET}/digest", headers=headers, body=body,
                              payload_hash=payload_hash))
                self.assert_error(c.read_response(), status, code)
        self.assert_reusable(c)
        self.assert_content("digest", old)

    def test_early_error_with_a_large_unread_body_closes(self):
        # Answered before the body is read; more than body_drain_limit_bytes
        # (1 MiB) of body would follow, so the server closes instead of draining.
        c = self.conn()
        head, _ = request_head("PUT", f"/{BUCKET}/early", headers={"content-md5": "bad"},
                               content_length=2 * MIB, payload_hash="UNSIGNED-PAYLOAD")
        c.send(head + os.urandom(100_000))
        r = c.read_response()
        self.assert_error(r, 400, "InvalidDigest")
        self.assert_closed(c, r)
        self.assert_absent("early")


class ExpectContinueTests(RawErrorTestBase):
    def test_bad_auth_is_answered_before_the_body(self):
        old = b"protected"
        self.put("expect", old)
        cases = [
            ({}, "wrong-secret", 403, "SignatureDoesNotMatch"),
            ({"content-md5": "not-md5"}, None, 400, "InvalidDigest"),
        ]
        for headers, secret, status, code in cases:
            with self.subTest(code=code):
                c = self.conn()
                h = dict(headers, expect="100-continue")
                head, _ = request_head("PUT", f"/{BUCKET}/expect", headers=h,
                                       content_length=500_000, payload_hash="UNSIGNED-PAYLOAD",
                                       secret=secret)
                c.send(head)  # and no body: the answer must come without it
                r = c.read_response()
                self.assertNotEqual(r.status, 100, r)
                self.assert_error(r, status, code)
                # The client may or may not send the body now: the stream
                # position is unknown, so the server closes.
                self.assert_closed(c, r)
        self.assert_content("expect", old)

    def test_body_sent_anyway_after_the_error_does_not_leak_into_a_request(self):
        c = self.conn()
        head, _ = request_head("PUT", f"/{BUCKET}/expect2", headers={"expect": "100-continue"},
                               content_length=20, payload_hash="UNSIGNED-PAYLOAD",
                               secret="wrong-secret")
        c.send(head)
        r = c.read_response()
        self.assert_error(r, 403, "SignatureDoesNotMatch")
        # A client that does not wait sends the body (here: a request
        # lookalike); it must not be executed.
        try:
            c.send(b"DELETE /%s/expect HTTP/1.1\r\n\r\n" % BUCKET.encode())
        except OSError:
            pass
        self.assert_closed(c, r)
        self.assert_absent("expect2")


class HeadAndTargetTests(RawErrorTestBase):
    def test_oversized_header_section_on_a_signed_put(self):
        c = self.conn()
        body = b"x" * 100
        c.send(signed("PUT", f"/{BUCKET}/bighead", headers={"x-amz-meta-big": "v" * 20_000},
                      body=body))
        r = c.read_response()
        self.assert_error(r, 400, "RequestHeaderSectionTooLarge")
        self.assert_closed(c, r)
        self.assert_absent("bighead")

    def test_user_metadata_over_2_kib_in_a_small_head(self):
        c = self.conn()
        c.send(signed("PUT", f"/{BUCKET}/bigmeta", headers={"x-amz-meta-m": "v" * 2100},
                      body=b"x" * 1000))
        self.assert_error(c.read_response(), 400, "MetadataTooLarge")
        self.assert_reusable(c)
        self.assert_absent("bigmeta")

    def test_key_length_limit_in_the_request_line(self):
        c = self.conn()
        c.send(signed("PUT", f"/{BUCKET}/" + "k" * 1025, body=b"too long"))
        self.assert_error(c.read_response(), 400, "KeyTooLongError")
        c.send(signed("GET", f"/{BUCKET}/" + "k" * 1025))
        self.assert_error(c.read_response(), 400, "KeyTooLongError")
        # 1024 bytes, percent-encoded multi-byte characters included, is fine.
        key = "\u20ac" * 300 + "k" * 124
        self.assertEqual(len(key.encode()), 1024)
        path = f"/{BUCKET}/" + "".join(f"%{b:02X}" for b in key.encode())
        c.send(signed("PUT", path, body=b"exactly 1024"))
        self.assertEqual(c.read_response().status, 200)
        c.send(signed("PUT", path + "k", body=b"1025 once decoded"))
        self.assert_error(c.read_response(), 400, "KeyTooLongError")
        c.send(signed("GET", path))
        r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b"exactly 1024"))

    def test_invalid_percent_encoding(self):
        c = self.conn()
        for path in (f"/{BUCKET}/a%zzb", f"/{BUCKET}/a%4", f"/{BUCKET}/trailing%"):
            with self.subTest(path=path):
                c.send(signed("GET", path))
                self.assert_error(c.read_response(), 400, "InvalidArgument")
        c.send(signed("PUT", f"/{BUCKET}/bad%g1", body=b"body"))
        self.assert_error(c.read_response(), 400, "InvalidArgument")
        self.assert_reusable(c)

    def test_unknown_subresources_are_not_implemented(self):
        self.put("subres", b"x")
        c = self.conn()
        cases = [
            ("GET", f"/{BUCKET}/subres", [("acl", "")], b""),
            ("PUT", f"/{BUCKET}/subres", [("tagging", "")],
             b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"),
            ("GET", f"/{BUCKET}", [("tagging", "")], b""),
            ("PUT", f"/{BUCKET}", [("versioning", "")],
             b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"),
            ("DELETE", f"/{BUCKET}", [("cors", "")], b""),
            ("PUT", f"/{BUCKET}/subres", [("retention", "")], b"<Retention/>"),
        ]
        for method, path, query, body in cases:
            with self.subTest(method=method, query=query):
                c.send(signed(method, path, query, body=body))
                self.assert_error(c.read_response(method), 501, "NotImplemented")
        self.assert_reusable(c)
        self.assert_content("subres", b"x")
        # Objects carry no tags, but reading them works (the aws cli v2 does
        # for multipart copies): an empty TagSet, NoSuchKey for a missing key.
        c.send(signed("GET", f"/{BUCKET}/subres", [("tagging", "")]))
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"<TagSet/>", r.body)
        c.send(signed("GET", f"/{BUCKET}/no-such-key", [("tagging", "")]))
        self.assert_error(c.read_response(), 404, "NoSuchKey")

    def test_range_forms_pipelined_on_one_connection(self):
        data = os.urandom(1000)
        self.put("ranges", data)
        cases = [
            ("bytes=5-2", 200, data),          # end before start: ignored
            ("bytes=0-1,5-6", 200, data),      # multi-range: ignored
            ("bytes=abc", 200, data),
            ("bytes 0-9", 200, data),
            ("bytes=--5", 200, data),
            ("bytes=1-2", 206, data[1:3]),
            ("bytes=1000-", 416, None),
            ("bytes=5000-6000", 416, None),
        ]
        c = self.conn()
        c.send(b"".join(signed("GET", f"/{BUCKET}/ranges", headers={"range": rng})
                        for rng, _, _ in cases))
        for rng, status, body in cases:
            r = c.read_response()
            with self.subTest(range=rng):
                if status == 416:
                    self.assert_error(r, 416, "InvalidRange")
                    self.assertEqual(r.headers.get("content-range"), "bytes */1000")
                else:
                    self.assertEqual(r.status, status)
                    self.assertEqual(r.body, body)
        self.assert_reusable(c)


class PipelineTests(RawErrorTestBase):
    def test_put_get_head_in_one_send(self):
        data = os.urandom(150_000)
        c = self.conn()
        c.send(signed("PUT", f"/{BUCKET}/piped", body=data)
               + signed("GET", f"/{BUCKET}/piped")
               + signed("HEAD", f"/{BUCKET}/piped")
               + signed("PUT", f"/{BUCKET}/piped", headers={"content-md5": sig.md5_b64(b"x")},
                        body=b"not stored")
               + signed("GET", f"/{BUCKET}/piped", headers={"range": "bytes=10-19"})
               + signed("DELETE", f"/{BUCKET}/piped")
               + signed("HEAD", f"/{BUCKET}/piped"))
        etag = '"%s"' % hashlib.md5(data).hexdigest()
        put = c.read_response()
        self.assertEqual((put.status, put.headers.get("etag")), (200, etag))
        get = c.read_response()
        self.assertEqual((get.status, get.headers.get("etag")), (200, etag))
        self.assertTrue(get.body == data)
        head = c.read_response("HEAD")
        self.assertEqual((head.status, head.headers.get("content-length")), (200, str(len(data))))
        self.assert_error(c.read_response(), 400, "BadDigest")
        ranged = c.read_response()
        self.assertEqual((ranged.status, ranged.body), (206, data[10:20]))
        self.assertEqual(c.read_response().status, 204)
        self.assertEqual(c.read_response("HEAD").status, 404)
        ids = [int(x.headers["x-amz-request-id"], 16) for x in (put, get, head, ranged)]
        self.assertEqual(ids, sorted(ids))
        self.assert_reusable(c)


class MultipartTests(RawErrorTestBase):
    def xml(self, parts):
        return ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts)
            + "</CompleteMultipartUpload>").encode()

    def test_multipart_mistakes_on_one_connection(self):
        key = "mp-errors"
        path = f"/{BUCKET}/{key}"
        c = self.conn()
        c.send(signed("POST", path, [("uploads", "")]))
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        upload = r.body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
        etags = []
        for n, body in ((1, b"a"), (2, b"b")):
            c.send(signed("PUT", path, [("partNumber", str(n)), ("uploadId", upload)], body=body))
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            etags.append(r.headers["etag"])

        c.send(signed("PUT", path, [("partNumber", "1"), ("uploadId", "no-such-upload")],
                      body=b"part"))
        self.assert_error(c.read_response(), 404, "NoSuchUpload")
        c.send(signed("PUT", path, [("partNumber", "10001"), ("uploadId", upload)], body=b"p"))
        self.assert_error(c.read_response(), 400, "InvalidArgument")
        bad_etag = '"%s"' % ("0" * 32)
        cases = [
            (self.xml([(1, bad_etag), (2, etags[1])]), 400, "InvalidPart"),
            (self.xml([(1, etags[0]), (3, etags[1])]), 400, "InvalidPart"),
            (self.xml([(2, etags[1]), (1, etags[0])]), 400, "InvalidPartOrder"),
            (self.xml([(1, etags[0]), (2, etags[1])]), 400, "EntityTooSmall"),
            (b"<CompleteMultipartUpload><Part><PartNumber>1", 400, "MalformedXML"),
            (b"not xml at all", 400, "MalformedXML"),
            (b"<CompleteMultipartUpload></CompleteMultipartUpload>", 400, "MalformedXML"),
        ]
        for body, status, code in cases:
            with self.subTest(code=code, body=body[:60]):
                c.send(signed("POST", path, [("uploadId", upload)], body=body))
                self.assert_error(c.read_response("POST"), status, code)
        c.send(signed("POST", path, [("uploadId", "no-such-upload")],
                      body=self.xml([(1, etags[0])])))
        self.assert_error(c.read_response(), 404, "NoSuchUpload")
        self.assert_reusable(c)
        self.assert_absent(key)

        # A failed part upload leaves no part and does not replace an old one.
        c.send(signed("PUT", path, [("partNumber", "1"), ("uploadId", upload)],
                      headers={"content-md5": sig.md5_b64(b"other")}, body=b"replacement"))
        self.assert_error(c.read_response(), 400, "BadDigest")
        part = os.urandom(300_000)
        t = self.conn()
        head, _ = request_head("PUT", path, [("partNumber", "3"), ("uploadId", upload)],
                               body=part, payload_hash="UNSIGNED-PAYLOAD")
        t.send(head + part[:100_000])
        t.half_close()
        r = t.read_response()
        self.assert_error(r, 400, "IncompleteBody")
        self.assert_closed(t, r)
        c.send(signed("GET", path, [("uploadId", upload)]))
        r = c.read_response()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body.count(b"<PartNumber>"), 2, r.body)
        self.assertNotIn(b"<PartNumber>3</PartNumber>", r.body)
        self.assertIn(etags[0].replace('"', "&quot;").encode() if b"&quot;" in r.body
                      else etags[0].encode(), r.body)

        # The upload survived the failed completions; abort ends it.
        c.send(signed("DELETE", path, [("uploadId", upload)]))
        self.assertEqual(c.read_response().status, 204)
        c.send(signed("PUT", path, [("partNumber", "3"), ("uploadId", upload)], body=b"late"))
        self.assert_error(c.read_response(), 404, "NoSuchUpload")
        self.assert_absent(key)


if __name__ == "__main__":
    if len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        os.environ["KVGATE_BINARY"] = sys.argv.pop(1)
    unittest.main(verbosity=2)
