"""Slow disks under a running `kvgate serve` (4+2 on six disks, issue #9).

The server runs with the TEST ONLY `--enable-test-faults` flag: every data
directory is wrapped in the engine's faulty_disk and the [[testing.disk_faults]]
rules of its configuration file add latency to chosen disk operations; the
test rewrites the file and sends SIGHUP to change them without a restart.

Phases, each measured (p50/max printed for the report):
  baseline     no rules;
  one slow     disk 3, every operation +200 ms;
  two slow     disks 3 and 5, every operation +200 ms;
  heavy        disk 3, every pwrite and sync +1.5 s, a body stall timeout of
               1 s (the server's own disk wait must not count as a client
               stall), and a burst of concurrent PUTs beyond
               max_inflight_requests: each ends in 200 or a clean 503 SlowDown
               with Retry-After, none hangs;
  recovered    rules removed by SIGHUP: latency back near the baseline.
Throughout: every object reads back byte-exact, HEAD (answered from the
index in memory) and /health/live stay fast while the disk work is slow, and
the server never stops answering.

The engine acknowledges a write once every online disk has it (DESIGN: write
quorum = every online disk, at least k+1), so a slow disk slows every PUT:
the figures show by how much. Reads use the k data shards when they verify,
so a slow disk slows the GETs of objects that have a data shard on it.
"""
import concurrent.futures
import hashlib
import os
import re
import signal
import statistics
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "slow-root", "slow-root-secret-key"
BUCKET = "segments"
BIG = 1024 * 1024   # streamed: shard files on every disk
SMALL = 16 * 1024   # inline: lives in the manifests
MAX_INFLIGHT = 6
STALL_MS = 1000


def boto_client(port, read_timeout=120):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ROOT_ACCESS, aws_secret_access_key=ROOT_SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout,
                                      connect_timeout=5, max_pool_connections=32))


def payload(name, size):
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def timed(fn):
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def summary(samples):
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})"


def faults_toml(rules):
    lines = ["[testing]"]
    for r in rules:
        lines.append("[[testing.disk_faults]]")
        for k, v in r.items():
            lines.append(f"{k} = {v!r}" if isinstance(v, (int, float)) else f'{k} = "{v}"')
    return "\n".join(lines) + "\n"


class SlowDisksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.confdir = tempfile.mkdtemp(prefix="kvgate-slow-conf-")
        cls.config = os.path.join(cls.confdir, "kvgate.toml")
        with open(cls.config, "w") as f:
            f.write(faults_toml([]))
        cls.srv = KvgateServer(
            kvgate_binary(),
            extra_args=["--config", cls.config, "--enable-test-faults",
                        "--max-inflight-requests", str(MAX_INFLIGHT),
                        "--body-stall-timeout-ms", str(STALL_MS), "--log-level", "info",
                        "--access-log", "off"],
            env={"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET},
            start_timeout=60)
        cls.srv.start()
        cls.s3 = boto_client(cls.srv.port)
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.stored = {}
        cls.figures = {}

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        import shutil
        shutil.rmtree(cls.confdir, ignore_errors=True)
        print("\nslow-disk figures:")
        for phase, lines in cls.figures.items():
            for line in lines:
                print(f"  {phase}: {line}")

    # --- helpers -------------------------------------------------------------

    def set_faults(self, rules):
        before = self.srv.stderr().count("SIGHUP: TEST ONLY disk faults now:")
        with open(self.config, "w") as f:
            f.write(faults_toml(rules))
        self.srv.signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.srv.stderr().count("SIGHUP: TEST ONLY disk faults now:") > before:
                return
            time.sleep(0.05)
        self.fail("SIGHUP did not apply the disk faults: " + self.srv.stderr()[-2000:])

    def put(self, key, size):
        data = payload(key, size)
        took, _ = timed(lambda: self.s3.put_object(Bucket=BUCKET, Key=key, Body=data))
        self.stored[key] = data
        return took

    def get_exact(self, key):
        took, body = timed(lambda: self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        self.assertEqual(hashlib.sha256(body).hexdigest(),
                         hashlib.sha256(self.stored[key]).hexdigest(), key)
        return took

    def head(self, key):
        took, r = timed(lambda: self.s3.head_object(Bucket=BUCKET, Key=key))
        self.assertEqual(r["ContentLength"], len(self.stored[key]))
        return took

    def live(self):
        def call():
            with urllib.request.urlopen(self.srv.url + "/health/live", timeout=10) as r:
                return r.status
        took, status = timed(call)
        self.assertEqual(status, 200)
        return took

    def measure(self, phase, puts=3, gets=3, heads=20):
        """PUT/GET (byte-exact)/HEAD/live latencies of one phase; returns them."""
        put_big = [self.put(f"{phase}/big-{i}", BIG) for i in range(puts)]
        put_small = [self.put(f"{phase}/small-{i}", SMALL) for i in range(puts)]
        keys = [k for k in self.stored if k.startswith(f"{phase}/")]
        get = [self.get_exact(k) for k in keys[:gets]] + \
              [self.get_exact(k) for k in keys[-gets:]]
        head = [self.head(keys[i % len(keys)]) for i in range(heads)]
        live = [self.live() for _ in range(heads)]
        f = {"put_1MiB": put_big, "put_16KiB": put_small, "get": get, "head": head, "live": live}
        self.figures[phase] = [f"{name} {summary(v)}" for name, v in f.items()]
        return f

    # --- the test --------------------------------------------------------------

    def test_slow_disks_do_not_wedge_the_server(self):
        base = self.measure("baseline")
        base_put = statistics.median(base["put_1MiB"])

        # One disk, every operation +200 ms.
        self.set_faults([{"disk": 3, "op": "any", "delay_ms": 200}])
        one = self.measure("one-slow")
        # Writes wait for every online disk: at least one delayed call each.
        self.assertGreaterEqual(min(one["put_16KiB"]), 0.2)
        # HEAD and liveness are answered from memory: untouched by the disk.
        self.assertLess(statistics.median(one["head"]), 0.1)
        self.assertLess(statistics.median(one["live"]), 0.05)

        # Two disks (= m) slow.
        self.set_faults([{"disk": 3, "op": "any", "delay_ms": 200},
                         {"disk": 5, "op": "any", "delay_ms": 200}])
        two = self.measure("two-slow")
        self.assertLess(statistics.median(two["head"]), 0.1)
        self.assertLess(statistics.median(two["live"]), 0.05)

        # Heavy: +1.5 s per pwrite and sync on disk 3. A 1 MiB PUT waits on the
        # disk for longer than the 1 s body stall timeout: the timer only runs
        # while the server waits for the client's bytes, so it succeeds.
        self.set_faults([{"disk": 3, "op": "write", "delay_ms": 1500},
                         {"disk": 3, "op": "sync", "delay_ms": 1500}])
        stalled_put = self.put("heavy/stall-probe", BIG)
        self.assertGreater(stalled_put, STALL_MS / 1000)
        self.get_exact("heavy/stall-probe")
        self.figures["heavy"] = [f"put_1MiB with disk waits past the {STALL_MS} ms stall "
                                 f"timeout: {stalled_put * 1000:.0f} ms, 200 OK"]

        # A burst of 3 x max_inflight concurrent PUTs while HEAD and liveness
        # are probed: every PUT ends (200 or 503 SlowDown + Retry-After), none
        # hangs; the probes stay fast.
        burst = 3 * MAX_INFLIGHT
        outcomes = []
        s3 = boto_client(self.srv.port, read_timeout=180)

        def one_put(i):
            key = f"heavy/burst-{i}"
            data = payload(key, SMALL)
            start = time.monotonic()
            try:
                s3.put_object(Bucket=BUCKET, Key=key, Body=data)
                return key, data, 200, None, time.monotonic() - start
            except s3.exceptions.ClientError as e:
                meta = e.response["ResponseMetadata"]
                return (key, data, meta["HTTPStatusCode"],
                        meta["HTTPHeaders"].get("retry-after"), time.monotonic() - start)

        probes = {"head": [], "live": []}
        probe_statuses = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=burst) as pool:
            started = time.monotonic()
            futures = [pool.submit(one_put, i) for i in range(burst)]
            time.sleep(0.5)
            while not all(f.done() for f in futures) and time.monotonic() - started < 240:
                took, status = timed(lambda: self._head_status("baseline/big-0"))
                probes["head"].append(took)
                probe_statuses.append(status)
                probes["live"].append(self.live())
                time.sleep(0.2)
            for f in futures:
                outcomes.append(f.result(timeout=240))
            burst_took = time.monotonic() - started
        statuses = [o[2] for o in outcomes]
        for key, data, status, retry_after, _ in outcomes:
            self.assertIn(status, (200, 503), key)
            if status == 503:
                self.assertEqual(retry_after, "1", key)
            else:
                self.stored[key] = data
        self.assertGreater(statuses.count(200), 0)
        # A HEAD probe that met a full house is shed (503) at once, never queued.
        self.assertTrue(all(s in (200, 503) for s in probe_statuses), probe_statuses)
        self.assertLess(statistics.median(probes["head"]), 0.1)
        self.assertLess(statistics.median(probes["live"]), 0.05)
        self.figures["heavy"] += [
            f"burst of {burst} concurrent 16 KiB PUTs (max_inflight {MAX_INFLIGHT}): "
            f"{statuses.count(200)} x 200, {statuses.count(503)} x 503 + Retry-After, "
            f"all ended in {burst_took:.1f} s; slowest {max(o[4] for o in outcomes):.1f} s",
            f"HEAD during the burst {summary(probes['head'])} "
            f"({probe_statuses.count(200)} x 200, {probe_statuses.count(503)} x 503)",
            f"live during the burst {summary(probes['live'])}"]

        # Faults removed: normal latency returns without a restart.
        self.set_faults([])
        back = self.measure("recovered")
        self.assertLess(statistics.median(back["put_1MiB"]), max(5 * base_put, base_put + 0.5))
        self.assertLess(statistics.median(back["head"]), 0.1)

        # Every object acknowledged in any phase reads back byte-exact.
        for key in list(self.stored):
            self.get_exact(key)
        self.assertIsNone(self.srv.proc.poll(), "the server exited")
        self.assertIn("TEST ONLY: --enable-test-faults", self.srv.stderr())

    def _head_status(self, key):
        try:
            self.s3.head_object(Bucket=BUCKET, Key=key)
            return 200
        except self.s3.exceptions.ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"]

    def test_z_a_disk_returning_eio_is_read_around_and_written_past(self):
        """EIO from one disk under the running server (kind "fail"): reads go
        around it byte-exact; writes continue at write quorum (the disk goes
        offline); once the fault is gone the disk comes back by itself."""
        self.set_faults([])
        for i in range(3):
            self.put(f"eio/before-big-{i}", BIG)
            self.put(f"eio/before-small-{i}", SMALL)
        keys_before = list(self.stored)
        self.set_faults([{"disk": 2, "op": "read", "kind": "fail"}])
        for key in keys_before:
            self.get_exact(key)
        self.set_faults([{"disk": 2, "op": "write", "kind": "fail"}])
        for i in range(3):
            self.put(f"eio/during-big-{i}", BIG)
            self.put(f"eio/during-small-{i}", SMALL)
        for key in self.stored:
            self.get_exact(key)
        offline = self.disk_online_gauge(2)
        self.set_faults([])
        deadline = time.monotonic() + 90  # probes back off from 5 s
        while self.disk_online_gauge(2) != 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        back = self.disk_online_gauge(2)
        for key in self.stored:
            self.get_exact(key)
        self.figures["eio"] = [f"{len(keys_before)} objects read around EIO on disk 2; 6 written "
                               f"while its writes failed (disk 2 online gauge {offline}); "
                               f"online again after the fault went: {back == 1}; "
                               f"{len(self.stored)} objects byte-exact"]
        self.assertEqual(offline, 0, "a disk whose writes fail is taken offline")
        self.assertEqual(back, 1, "the disk did not come back online after the fault went")

    def disk_online_gauge(self, disk):
        """kvgate_disk_online of the disk with 1-based number `disk` (index disk-1)."""
        with urllib.request.urlopen(self.srv.url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        for line in text.splitlines():
            if line.startswith("kvgate_disk_online{") and f'disk="{disk - 1}"' in line:
                return int(float(line.rsplit(" ", 1)[1]))
        raise AssertionError(f"no kvgate_disk_online for disk index {disk - 1}: "
                             + "\n".join(l for l in text.splitlines() if "disk_online" in l))


class TestFaultsGateTest(unittest.TestCase):
    """The [testing] table is refused without --enable-test-faults, and
    validated like every other part of the configuration."""

    def start_fails(self, toml_text, extra=()):
        import subprocess
        import tempfile
        d = tempfile.mkdtemp(prefix="kvgate-slow-gate-")
        try:
            cfg = os.path.join(d, "kvgate.toml")
            with open(cfg, "w") as f:
                f.write(toml_text)
            r = subprocess.run([kvgate_binary(), "serve", "--listen", "127.0.0.1:0",
                                "--data", os.path.join(d, "d1"), "--data", os.path.join(d, "d2"),
                                "--data", os.path.join(d, "d3"), "--config", cfg, *extra],
                               capture_output=True, text=True, timeout=60,
                               env={**os.environ, "KVGATE_ACCESS_KEY": ROOT_ACCESS,
                                    "KVGATE_SECRET_KEY": ROOT_SECRET})
            self.assertEqual(r.returncode, 2, r.stderr)
            return r.stderr
        finally:
            import shutil
            shutil.rmtree(d, ignore_errors=True)

    def test_refused_without_the_flag(self):
        err = self.start_fails(faults_toml([{"disk": 1, "delay_ms": 10}]))
        self.assertIn("refused without --enable-test-faults", err)

    def test_invalid_rules_are_refused(self):
        flag = ["--enable-test-faults"]
        cases = [
            ('[testing]\nfoo = 1\n', "unknown configuration key testing.foo"),
            ('[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nspeed = 2\n',
             "unknown configuration key testing.disk_faults[0].speed"),
            ('[[testing.disk_faults]]\ndisk = 4\ndelay_ms = 5\n',
             "testing.disk_faults.0000.disk"),
            ('[[testing.disk_faults]]\ndelay_ms = 5\n', "needs disk"),
            ('[[testing.disk_faults]]\ndisk = 1\n', "needs delay_ms"),
            ('[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nop = "fsync"\n',
             '"fsync" is not one of'),
            ('[[testing.disk_faults]]\ndisk = 1\ndelay_ms = 5\nprobability = 1.5\n',
             "expected a number in (0, 1]"),
            ('[[testing.disk_faults]]\ndisk = 1\nkind = "slow"\ndelay_ms = 5\n',
             '"slow" is not one of'),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                self.assertIn(want, self.start_fails(text, flag))


if __name__ == "__main__":
    unittest.main(verbosity=2)
