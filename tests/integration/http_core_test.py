"""Integration tests for the HTTP server core of `kvgate serve` over real
loopback sockets. Run: python3 http_core_test.py (KVGATE_BINARY=path/to/kvgate)."""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvgate_harness import KvgateServer  # noqa: E402

TIMEOUT = 5.0


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def read_response(sock_file):
    """Reads one HTTP/1.1 response (Content-Length bodies) from a file object."""
    status = sock_file.readline().decode()
    if not status:
        return None
    headers = {}
    while True:
        line = sock_file.readline().decode()
        if line in ("\r\n", "\n", ""):
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = sock_file.read(int(headers.get("content-length", "0")))
    return int(status.split()[1]), headers, body


def recv_all_until_close(sock, limit=1 << 20):
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


class HttpCoreTest(unittest.TestCase):
    def test_ready_line_and_health_endpoints(self):
        with KvgateServer() as srv:
            self.assertTrue(any(l.startswith("kvgate ready on http://127.0.0.1:")
                                for l in srv.stdout_lines))
            self.assertIsNotNone(srv.access_key)
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
            for path, status in (("/health/live", "live"), ("/health/ready", "ready")):
                c.request("GET", path)
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["status"], status)
                self.assertEqual(r.getheader("Server"), "kvgate")
                self.assertEqual(len(r.getheader("x-amz-request-id")), 16)
                self.assertIsNotNone(r.getheader("Date"))

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        with KvgateServer() as srv:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
            ids = set()
            for i in range(5):
                c.request("GET", f"/bucket/key{i}")
                r = c.getresponse()
                body = r.read()
                # Anonymous S3 requests are refused by the S3 layer.
                self.assertEqual(r.status, 403)
                self.assertIn(b"<Code>AccessDenied</Code>", body)
                ids.add(r.getheader("x-amz-request-id"))
            self.assertEqual(len(ids), 5)
            self.assertEqual(c.sock is not None, True)

    def test_pipelined_requests_are_answered_in_order(self):
        with KvgateServer() as srv:
            s = connect(srv.port)
            reqs = b"".join(f"GET {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                            for p in ("/health/live", "/b/k", "/health/ready"))
            s.sendall(reqs)
            f = s.makefile("rb")
            got = [read_response(f) for _ in range(3)]
            self.assertEqual([g[0] for g in got], [200, 403, 200])
            self.assertIn(b"live", got[0][2])
            self.assertIn(b"ready", got[2][2])
            ids = [int(g[1]["x-amz-request-id"], 16) for g in got]
            self.assertEqual(ids, sorted(ids))
            s.close()

    def test_header_too_large_gets_an_error_and_closes(self):
        with KvgateServer(extra_args=["--max-header-bytes", "2048"]) as srv:
            s = connect(srv.port)
            s.sendall(b"GET /b/k HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
            data = recv_all_until_close(s)
            self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:100])
            self.assertIn(b"RequestHeaderSectionTooLarge", data)
            self.assertIn(b"Connection: close", data)
            s.close()

    def test_slow_header_client_is_timed_out(self):
        with KvgateServer(extra_args=["--header-timeout-ms", "300"]) as srv:
            s = connect(srv.port)
            s.sendall(b"GET /b/k HTTP/1.1\r\nHo")
            start = time.monotonic()
            data = recv_all_until_close(s)
            self.assertEqual(data, b"")
            self.assertLess(time.monotonic() - start, 3.0)
            s.close()

    def test_idle_keep_alive_connection_is_closed(self):
        with KvgateServer(extra_args=["--idle-timeout-ms", "300"]) as srv:
            s = connect(srv.port)
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            f = s.makefile("rb")
            self.assertEqual(read_response(f)[0], 200)
            start = time.monotonic()
            self.assertEqual(f.read(1), b"")
            self.assertLess(time.monotonic() - start, 3.0)

    def test_expect_continue_is_not_answered_when_the_handler_rejects_early(self):
        with KvgateServer() as srv:
            s = connect(srv.port)
            s.sendall(b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                      b"Expect: 100-continue\r\n\r\n")
            f = s.makefile("rb")
            status, headers, body = read_response(f)
            self.assertEqual(status, 403)  # refused before the body: not 100
            self.assertEqual(headers.get("connection"), "close")
            s.close()

    def test_unread_body_is_drained_so_keep_alive_survives(self):
        with KvgateServer() as srv:
            s = connect(srv.port)
            body = b"x" * 200000
            s.sendall(b"PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: "
                      + str(len(body)).encode() + b"\r\n\r\n" + body
                      + b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            f = s.makefile("rb")
            self.assertEqual(read_response(f)[0], 403)
            self.assertEqual(read_response(f)[0], 200)
            s.close()

    def test_chunked_request_body_is_drained(self):
        with KvgateServer() as srv:
            s = connect(srv.port)
            s.sendall(b"PUT /b/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                      b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            f = s.makefile("rb")
            self.assertEqual(read_response(f)[0], 403)
            self.assertEqual(read_response(f)[0], 200)
            s.close()

    def test_connection_limit_answers_503_slow_down_with_retry_after(self):
        with KvgateServer(extra_args=["--max-connections", "1"]) as srv:
            first = connect(srv.port)
            first.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_response(first.makefile("rb"))[0], 200)
            second = connect(srv.port)
            second.sendall(b"GET /b/k HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = read_response(second.makefile("rb"))
            self.assertEqual(status, 503)
            self.assertEqual(headers.get("retry-after"), "1")
            self.assertIn(b"<Code>SlowDown</Code>", body)
            first.close()
            second.close()

    def test_sigterm_closes_idle_connections_and_exits_zero(self):
        srv = KvgateServer().start()
        try:
            s = connect(srv.port)
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            f = s.makefile("rb")
            self.assertEqual(read_response(f)[0], 200)
            srv.signal(signal.SIGTERM)
            self.assertEqual(srv.wait(timeout=10), 0)
            self.assertEqual(f.read(1), b"")
        finally:
            srv.stop()
            srv.cleanup()

    def test_tls_serves_https_and_refuses_plaintext(self):
        tmp = tempfile.mkdtemp(prefix="kvgate-it-tls-")
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True, timeout=30)
        with KvgateServer(tls_listen=True,
                          extra_args=["--tls-cert", cert, "--tls-key", key]) as srv:
            self.assertTrue(any(l.startswith("kvgate ready on https://") for l in srv.stdout_lines))
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = http.client.HTTPSConnection("127.0.0.1", srv.tls_port, timeout=TIMEOUT,
                                            context=ctx)
            c.request("GET", "/health/live")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            self.assertIn(c.sock.version(), ("TLSv1.2", "TLSv1.3"))
            r.read()
            c.close()
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.check_hostname = False
            old.verify_mode = ssl.CERT_NONE
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
                with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=TIMEOUT) as raw:
                    old.wrap_socket(raw).close()
            s = connect(srv.tls_port)
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = recv_all_until_close(s)
            self.assertFalse(data.startswith(b"HTTP/1.1"))
            s.close()
            # SIGHUP reloads the certificate; the server keeps serving.
            srv.signal(signal.SIGHUP)
            time.sleep(0.3)
            c = http.client.HTTPSConnection("127.0.0.1", srv.tls_port, timeout=TIMEOUT,
                                            context=ctx)
            c.request("GET", "/health/ready")
            self.assertEqual(c.getresponse().status, 200)
            c.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        os.environ["KVGATE_BINARY"] = sys.argv.pop(1)
    unittest.main()
