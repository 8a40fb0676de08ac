"""Overload and slow clients against a real `kvgate serve` (bounded, loopback).

Overload: the gateway runs with max_inflight_requests = 4. A steady phase with
4 uploaders measures the sustainable rate (every answer 200); then 40
uploaders (10x) run for a bounded time: the gateway sheds the excess with 503
SlowDown + Retry-After and nothing else, while a probe keeps getting 200 for
HEAD of an existing object (HEADs have their own admission lane) and for
/health/ready; as soon as the flood stops, 4 uploaders again see only 200s.

Slow clients (default admission limits): 30 connections that send a header a byte at a time, stall in the
middle of a body, or never read a response are closed by the server after
header_timeout_ms / body_stall_timeout_ms, while a well-behaved client
keeps being served at normal speed.
"""
import hashlib
import http.client
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402
from s3_signing import sign_headers  # noqa: E402

ACCESS, SECRET = "overload-root", "overload-root-secret-key"
BUCKET = "segments"
INFLIGHT = 4
TIMEOUT_MS = 1500
SLOW_EACH = 10  # connections per kind of slow client


class Signed:
    """One keep-alive connection sending SigV4-signed requests."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=b""):
        headers = {"host": f"127.0.0.1:{self.port}", "content-length": str(len(body))}
        headers, *_ = sign_headers(method, path, [], headers, ACCESS, SECRET,
                                   hashlib.sha256(body).hexdigest())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read()
        except (ConnectionError, http.client.HTTPException, socket.timeout):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        if r.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def run_uploaders(port, count, seconds, body):
    """`count` threads PUT `body` in a loop for `seconds`; returns the tally."""
    tally = {"ok": 0, "slow_down": 0, "slow_down_without_retry_after": 0, "other": []}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def uploader(t):
        client = Signed(port)
        i = 0
        while time.monotonic() < deadline:
            try:
                status, headers, data = client.call("PUT", f"/{BUCKET}/load/{t}/{i % 8}", body)
            except Exception as e:  # a transport error is a failure of the gateway here
                with lock:
                    tally["other"].append(repr(e))
                continue
            with lock:
                if status == 200:
                    tally["ok"] += 1
                elif status == 503 and b"<Code>SlowDown</Code>" in data:
                    tally["slow_down"] += 1
                    if headers.get("retry-after") != "1":
                        tally["slow_down_without_retry_after"] += 1
                else:
                    tally["other"].append((status, data[:200]))
            i += 1

    threads = [threading.Thread(target=uploader, args=(t,)) for t in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=seconds + 120)
    tally["seconds"] = seconds
    return tally


class Overload(unittest.TestCase):
    def setUp(self):
        self.srv = None

    def start(self, inflight):
        env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        self.srv = KvgateServer(kvgate_binary(), env=env, start_timeout=120.0, extra_args=[
            "--max-inflight-requests", str(inflight), "--header-timeout-ms", str(TIMEOUT_MS),
            "--body-stall-timeout-ms", str(TIMEOUT_MS)]).start()
        self.port = self.srv.port
        c = Signed(self.port)
        self.assertEqual(c.call("PUT", f"/{BUCKET}")[0], 200)
        self.assertEqual(c.call("PUT", f"/{BUCKET}/probe", b"p" * 1024)[0], 200)
        self.big = os.urandom(8 * 1024 * 1024)
        self.assertEqual(c.call("PUT", f"/{BUCKET}/big", self.big)[0], 200)

    def tearDown(self):
        if self.srv:
            self.srv.stop()
            self.srv.cleanup()

    def test_ten_times_the_sustainable_load_is_shed_with_503_and_heads_keep_working(self):
        self.start(INFLIGHT)
        body = os.urandom(256 * 1024)
        steady = run_uploaders(self.port, INFLIGHT, 4, body)
        self.assertEqual(steady["other"], [])
        self.assertGreater(steady["ok"], 0)

        probe = {"head": [], "ready": [], "head_ms": []}
        stop = threading.Event()

        def prober():
            client = Signed(self.port)
            while not stop.is_set():
                started = time.monotonic()
                probe["head"].append(client.call("HEAD", f"/{BUCKET}/probe")[0])
                probe["head_ms"].append((time.monotonic() - started) * 1000)
                ready = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                ready.request("GET", "/health/ready")
                probe["ready"].append(ready.getresponse().status)
                ready.close()
                time.sleep(0.05)

        th = threading.Thread(target=prober)
        th.start()
        try:
            flood = run_uploaders(self.port, 10 * INFLIGHT, 8, body)
        finally:
            stop.set()
            th.join(timeout=60)
        recovered = run_uploaders(self.port, INFLIGHT, 3, body)

        print(f"overload: steady {steady['ok']} PUTs in 4 s; flood {flood['ok']} PUTs + "
              f"{flood['slow_down']} x 503 SlowDown in 8 s; {len(probe['head'])} probe HEADs "
              f"(max {max(probe['head_ms']):.1f} ms); after: {recovered['ok']} PUTs, "
              f"{recovered['slow_down']} x 503", flush=True)
        self.assertEqual(flood["other"], [])
        self.assertGreater(flood["slow_down"], 0, "10x load was not shed")
        self.assertGreater(flood["ok"], 0, "nothing served under overload")
        self.assertEqual(flood["slow_down_without_retry_after"], 0)
        self.assertGreater(len(probe["head"]), 5)
        self.assertEqual(set(probe["head"]), {200}, "HEAD was refused under overload")
        self.assertEqual(set(probe["ready"]), {200}, "readiness failed under overload")
        self.assertEqual(recovered["other"], [])
        self.assertEqual(recovered["slow_down"], 0, "did not recover when the load dropped")
        self.assertGreater(recovered["ok"], 0)

    def test_slow_clients_are_cut_off_without_hurting_others(self):
        # The default admission limits: slow clients hold no more than their
        # own connections, and only until their timeouts.
        self.start(256)
        def connect():
            return socket.create_connection(("127.0.0.1", self.port), timeout=30)

        def closed_within(sock, seconds):
            """True if the server closes (EOF or reset) within `seconds`,
            reading and discarding whatever it sends first."""
            sock.settimeout(0.5)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    if not sock.recv(1 << 20):
                        return True
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return True
            return False

        # Slow header: a byte now and then, never finished.
        slow_header = [connect() for _ in range(SLOW_EACH)]
        for s in slow_header:
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        # Stalled body: an upload that stops after a few bytes.
        stalled_body = []
        for i in range(SLOW_EACH):
            s = connect()
            path = f"/{BUCKET}/stalled/{i}"
            headers = {"host": f"127.0.0.1:{self.port}", "content-length": str(1 << 20)}
            headers, *_ = sign_headers("PUT", path, [], headers, ACCESS, SECRET,
                                       "UNSIGNED-PAYLOAD")
            head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n"
                                                       for k, v in headers.items())
            s.sendall(head.encode() + b"\r\n" + b"x" * 100)
            stalled_body.append(s)
        # Stalled read: GET of 8 MiB, never read (small receive buffer).
        stalled_read = []
        for _ in range(SLOW_EACH):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", self.port))
            path = f"/{BUCKET}/big"
            headers = {"host": f"127.0.0.1:{self.port}"}
            headers, *_ = sign_headers("GET", path, [], headers, ACCESS, SECRET,
                                       hashlib.sha256(b"").hexdigest())
            head = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n"
                                                       for k, v in headers.items())
            s.sendall(head.encode() + b"\r\n")
            stalled_read.append(s)

        # Meanwhile a good client works normally.
        good = Signed(self.port)
        worst = 0.0
        for i in range(12):
            started = time.monotonic()
            body = os.urandom(512 * 1024)
            self.assertEqual(good.call("PUT", f"/{BUCKET}/good/{i}", body)[0], 200)
            status, _, data = good.call("GET", f"/{BUCKET}/good/{i}")
            self.assertEqual((status, data == body), (200, True))
            worst = max(worst, time.monotonic() - started)
            for s in slow_header:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass
            time.sleep(0.1)
        self.assertLess(worst, 10.0, "a good client was held up by slow ones")

        # Let every stall timeout expire before looking: reading a stalled
        # GET would unstall it.
        time.sleep(TIMEOUT_MS / 1000 + 2)
        bound = 15
        for what, socks in (("slow header", slow_header), ("stalled body", stalled_body),
                            ("stalled read", stalled_read)):
            for s in socks:
                self.assertTrue(closed_within(s, bound), f"{what} connection not closed")
                s.close()
        # And the server is still fine.
        self.assertEqual(good.call("HEAD", f"/{BUCKET}/probe")[0], 200)
        good.conn.close()
        print(f"slow clients: {3 * SLOW_EACH} connections cut off; good client's worst PUT+GET "
              f"{worst * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    unittest.main()
