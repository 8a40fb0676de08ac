"""Wall-clock jumps under a running `kvgate serve` (issue #9).

The server runs under libfaketime (Debian `libfaketime`): its wall clock
(CLOCK_REALTIME, time(), gettimeofday) is offset by what the test writes to a
timestamp file (FAKETIME_TIMESTAMP_FILE, read on every call with
FAKETIME_NO_CACHE=1). The monotonic clock is left alone
(FAKETIME_DONT_FAKE_MONOTONIC=1): CLOCK_MONOTONIC cannot jump on a real
machine (NTP only slews it), and kvgate's timers (idle, header, body stall,
disk probe, heal, lifecycle pacing) run on it. Faking it too is not a
machine that exists: libfaketime then offsets the readings but not the
kernel's waits on that clock (pthread_cond_clockwait, timerfd), so even at
+0 the lifecycle thread never woke and idle timers stopped firing after a
jump (measured, docs/reliability.md); that mode is not tested.

While a background workload (liveness and signed HEADs, bounded) runs, the
clock goes +2 h, -2 h, back, then +8 days, then back:
  - the server keeps answering: /health/live and /health/ready 200 throughout;
  - the idle keep-alive timer fires on time at every offset, and the
    lifecycle worker keeps finishing its walks (its pacing is monotonic);
  - requests signed with the client's real time get 403 RequestTimeTooSkewed
    (S3 XML body with that Code) while the server is more than 15 min off, and
    succeed again once it is back; requests signed with the server's time work
    during the jump (PUT, GET byte-exact, HEAD);
  - an overwrite made while the clock is 2 h behind stays the current version,
    also after a reindex job checks the index against the disks (the engine
    orders versions by its write sequence, not the wall clock);
  - nothing expires on +2 h, nor on +8 days: the lifecycle worker measures
    ages on a clock that catches up with a forward jump at twice the real
    pace (gateway/s3 age_clock), so an object in a bucket with a 3-day default
    TTL and a 7-day "abandoned" upload survive, and the upload completes;
  - every object written before the jumps reads back byte-exact after them.

SKIPPED (with the reason) when libfaketime is not installed or does not take
hold of the binary.
"""
import datetime
import email.utils
import hashlib
import json
import os
import re
import sys
import tempfile
import threading
import time
import types
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402
import s3_signing  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "clock-root", "clock-root-secret-key"
LIBFAKETIME = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
               "/usr/lib/faketime/libfaketimeMT.so.1"]
DATA, TTL = "data", "ttl"
HOUR = 3600
IDLE_MS = 3000


def libfaketime():
    for path in LIBFAKETIME:
        if os.path.exists(path):
            return path
    return None


def payload(name, size):
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


class ClockJumpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = libfaketime()
        if cls.lib is None:
            raise unittest.SkipTest("SKIPPED: libfaketime not installed (tests/install-deps.sh)")
        cls.dir = tempfile.mkdtemp(prefix="kvgate-clock-")
        cls.rc = os.path.join(cls.dir, "faketime.rc")
        cls.offset = 0
        cls.set_offset_file(0)
        cls.config = os.path.join(cls.dir, "kvgate.toml")
        with open(cls.config, "w") as f:
            f.write(f'[buckets.{TTL}]\ndefault_ttl = "3d"\n')
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {
            "LD_PRELOAD": cls.lib,
            "FAKETIME_TIMESTAMP_FILE": cls.rc,
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            # ASan wants its runtime first in the library list; libfaketime
            # only wraps libc time calls and allocates nothing ASan tracks.
            "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0",
            "KVGATE_ACCESS_KEY": ROOT_ACCESS,
            "KVGATE_SECRET_KEY": ROOT_SECRET,
        }
        cls.srv = KvgateServer(kvgate_binary(), env=env, start_timeout=60,
                               extra_args=["--config", cls.config,
                                           "--lifecycle-interval-seconds", "1",
                                           "--idle-timeout-ms", str(IDLE_MS),
                                           "--access-log", "off"])
        cls.srv.start()
        cls.gw = types.SimpleNamespace(host="127.0.0.1", port=cls.srv.port)
        cls.stored = {}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        import shutil
        shutil.rmtree(cls.dir, ignore_errors=True)

    # --- clock and requests --------------------------------------------------

    @classmethod
    def set_offset_file(cls, seconds):
        tmp = cls.rc + ".new"
        with open(tmp, "w") as f:
            f.write(f"{'+' if seconds >= 0 else '-'}{abs(seconds)}\n")
        os.replace(tmp, cls.rc)
        cls.offset = seconds

    def jump(self, seconds):
        """Sets the server's wall clock to real time + `seconds` and waits until
        its Date header shows it."""
        self.set_offset_file(seconds)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            skew = self.server_skew()
            if abs(skew - seconds) < 60:
                return
            time.sleep(0.1)
        self.fail(f"the server clock did not follow the jump to {seconds} s")

    def server_skew(self):
        with urllib.request.urlopen(self.srv.url + "/health/live", timeout=10) as r:
            date = email.utils.parsedate_to_datetime(r.headers["Date"])
        return date.timestamp() - time.time()

    def s3(self, method, path, body=b"", query=(), at=None, headers=None):
        """A SigV4 request signed at real time + `at` seconds (default: the
        server's current offset, i.e. a client whose clock agrees with it)."""
        at = self.offset if at is None else at
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=at)
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        orig = s3_signing.amz_now
        s3_signing.amz_now = lambda: amz_date
        try:
            return s3_signing.request(self.gw, method, path, query=query, headers=headers,
                                      body=body, access_key=ROOT_ACCESS, secret=ROOT_SECRET)
        finally:
            s3_signing.amz_now = orig

    def put(self, bucket, key, size):
        data = payload(f"{key}@{self.offset}", size)
        r = self.s3("PUT", f"/{bucket}/{key}", body=data)
        self.assertEqual(r.status, 200, r.body)
        self.stored[(bucket, key)] = data

    def check_exact(self, bucket, key):
        r = self.s3("GET", f"/{bucket}/{key}")
        self.assertEqual(r.status, 200, f"{bucket}/{key}: {r.body[:300]}")
        self.assertEqual(hashlib.sha256(r.body).hexdigest(),
                         hashlib.sha256(self.stored[(bucket, key)]).hexdigest(), key)

    def health(self, which):
        try:
            with urllib.request.urlopen(f"{self.srv.url}/health/{which}", timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def metric(self, name):
        r = self.s3("GET", "/metrics")
        text = r.body.decode() if r.status == 200 else ""
        if r.status != 200:
            with urllib.request.urlopen(self.srv.url + "/metrics", timeout=10) as m:
                text = m.read().decode()
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.split()[-1])
        return None

    def wait_lifecycle_cycles(self, n):
        """Waits until the lifecycle worker finished `n` more walks."""
        start = self.metric("kvgate_lifecycle_cycles_total") or 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (self.metric("kvgate_lifecycle_cycles_total") or 0) >= start + n:
                return
            time.sleep(0.2)
        self.fail("the lifecycle worker stopped running")

    def uploads(self, bucket):
        r = self.s3("GET", f"/{bucket}", query=[("uploads", "")])
        self.assertEqual(r.status, 200, r.body)
        return re.findall(rb"<UploadId>([^<]+)</UploadId>", r.body)

    def assert_idle_timer(self):
        """A keep-alive connection left idle is kept for 1 s and closed once
        idle_timeout_ms has passed: the idle timer neither fires early nor
        stops firing when the wall clock jumps."""
        import socket
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        try:
            s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while b'"live"}' not in answer:  # the whole response, body included
                chunk = s.recv(4096)
                self.assertTrue(chunk, answer)
                answer += chunk
            self.assertIn(b" 200 ", answer)
            s.settimeout(1.0)
            with self.assertRaises(socket.timeout):
                s.recv(1)  # nothing (not even a close) within the first second
            s.settimeout(IDLE_MS / 1000 + 3)
            start = time.monotonic()
            self.assertEqual(s.recv(1), b"")  # closed by the server
            self.assertLess(time.monotonic() - start, IDLE_MS / 1000 + 2)
        finally:
            s.close()

    def assert_skewed(self):
        r = self.s3("HEAD", f"/{DATA}/small", at=0)
        self.assertEqual(r.status, 403)
        r = self.s3("GET", f"/{DATA}/small", at=0)
        self.assertEqual(r.status, 403)
        self.assertIn(b"<Code>RequestTimeTooSkewed</Code>", r.body)
        self.assertIn(b"<Error>", r.body)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/xml"),
                        r.headers)

    # --- the test ------------------------------------------------------------

    def test_clock_jumps(self):
        # Before: objects in both buckets, an upload with one part.
        self.assertEqual(self.s3("PUT", f"/{DATA}").status, 200)
        self.assertEqual(self.s3("PUT", f"/{TTL}").status, 200)
        self.put(DATA, "small", 10 * 1024)     # inline
        self.put(DATA, "big", 1024 * 1024)     # shard files
        self.put(DATA, "overwritten", 4 * 1024)
        self.put(TTL, "cached", 10 * 1024)
        r = self.s3("POST", f"/{DATA}/upload", query=[("uploads", "")])
        self.assertEqual(r.status, 200, r.body)
        upload_id = re.search(rb"<UploadId>([^<]+)</UploadId>", r.body).group(1).decode()
        r = self.s3("PUT", f"/{DATA}/upload", body=payload("part", 5 * 1024 * 1024),
                    query=[("partNumber", "1"), ("uploadId", upload_id)])
        self.assertEqual(r.status, 200, r.body)
        part_etag = r.headers["etag"]
        self.assertAlmostEqual(self.server_skew(), 0, delta=60)
        self.wait_lifecycle_cycles(2)

        # The background workload: liveness and real-time signed HEADs, ~5/s.
        stop = threading.Event()
        seen = []

        def workload():
            for _ in range(3000):  # bounded: ~10 min at most
                if stop.is_set():
                    return
                t = time.monotonic()
                live = self.health("live")
                head = self.s3("HEAD", f"/{DATA}/big", at=0).status
                seen.append((self.offset, live, head, time.monotonic() - t))
                time.sleep(0.2)

        worker = threading.Thread(target=workload, daemon=True)
        worker.start()
        try:
            for offset in (2 * HOUR, -2 * HOUR):
                self.jump(offset)
                self.assertEqual(self.health("live"), 200)
                self.assertEqual(self.health("ready"), 200)
                self.assert_skewed()
                self.assert_idle_timer()
                # A client whose clock agrees with the server's works.
                self.assertEqual(self.s3("HEAD", f"/{DATA}/big").status, 200)
                self.check_exact(DATA, "small")
                self.check_exact(DATA, "big")
                self.put(DATA, f"written-at-{offset}", 200 * 1024)
                self.check_exact(DATA, f"written-at-{offset}")
                if offset < 0:
                    # Overwrite with the clock 2 h behind the first write.
                    self.put(DATA, "overwritten", 4 * 1024)
                    self.check_exact(DATA, "overwritten")
                    self.run_reindex()
                    self.check_exact(DATA, "overwritten")
                self.wait_lifecycle_cycles(2)
                self.check_exact(TTL, "cached")
                self.assertEqual(len(self.uploads(DATA)), 1)

            self.jump(0)
            for key in ("small", "big", "overwritten"):
                r = self.s3("HEAD", f"/{DATA}/{key}", at=0)
                self.assertEqual(r.status, 200, key)
            time.sleep(1)
        finally:
            stop.set()
            worker.join(timeout=30)

        # The workload saw the server answer throughout; real-time HEADs were
        # refused exactly while the clock was off and served otherwise.
        self.assertGreater(len(seen), 10)
        self.assertTrue(all(live == 200 for _, live, _, _ in seen), seen)
        for offset, _, head, _ in seen:
            self.assertEqual(head, 200 if offset == 0 else 403, (offset, head))
        slowest = max(t for *_, t in seen)
        self.assertLess(slowest, 5.0)
        print(f"\nworkload: {len(seen)} rounds, slowest live+HEAD {slowest * 1000:.0f} ms")

        # +8 days: past the bucket's 3-day TTL and the 7-day abandoned-upload
        # age by the wall clock, but only seconds of real time. The lifecycle
        # worker measures ages on a clock that catches up with a forward jump
        # at twice the real pace: nothing expires now, and it says why.
        expired_before = self.metric("kvgate_lifecycle_expired_objects_total") or 0
        aborted_before = self.metric("kvgate_lifecycle_aborted_uploads_total") or 0
        self.jump(8 * 24 * HOUR)
        self.wait_lifecycle_cycles(3)
        expired = (self.metric("kvgate_lifecycle_expired_objects_total") or 0) - expired_before
        aborted = (self.metric("kvgate_lifecycle_aborted_uploads_total") or 0) - aborted_before
        print(f"+8 d: lifecycle expired {expired:.0f} object(s), aborted {aborted:.0f} upload(s)")
        self.assertEqual(expired, 0)
        self.assertEqual(aborted, 0)
        self.check_exact(TTL, "cached")
        self.assertEqual(len(self.uploads(DATA)), 1)
        self.assertIn("lifecycle: the wall clock jumped forward by", self.srv.stderr())
        # The upload still completes.
        r = self.s3("POST", f"/{DATA}/upload", query=[("uploadId", upload_id)],
                    body=(b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                          b"<ETag>" + part_etag.encode() + b"</ETag></Part>"
                          b"</CompleteMultipartUpload>"))
        self.assertEqual(r.status, 200, r.body)
        self.stored[(DATA, "upload")] = payload("part", 5 * 1024 * 1024)

        # Back to the real time: everything else is there, byte-exact.
        self.jump(0)
        for bucket, key in self.stored:
            self.check_exact(bucket, key)
        self.assertIsNone(self.srv.proc.poll(), "the server exited")

    def run_reindex(self):
        """The admin API's reindex job: the index checked against the disks."""
        body = json.dumps({"kind": "reindex"}).encode()
        r = self.s3("POST", "/.kvgate/v1/admin/jobs", body=body,
                    headers={"content-type": "application/json"})
        self.assertEqual(r.status, 202, r.body)
        job = json.loads(r.body)["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = self.s3("GET", f"/.kvgate/v1/admin/jobs/{job}")
            state = json.loads(r.body)
            if state.get("state") not in ("running", "stopping"):
                self.assertEqual(state.get("state"), "done", state)
                report = state.get("result") or {}
                print(f"reindex at -2 h: {json.dumps(report)}")
                self.assertEqual(report.get("index_updated", 0), 0, report)
                return
            time.sleep(0.2)
        self.fail("reindex job did not finish")


if __name__ == "__main__":
    unittest.main(verbosity=2)
