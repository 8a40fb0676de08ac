"""Soak driver (issue #9): a mixed KV-segment workload over many concurrent
keep-alive connections against a real `kvgate serve`, sampled every few
seconds. Used by tests/integration/test_soak.py (short variant, ASan build)
and perf/soak.sh (30 minutes, Release build).

Workload. `connections` asyncio tasks, each with its own signed keep-alive
connection (soak_http.py), all open at once. Each connection owns
`keys_per_connection` keys, so a key has at most one operation in flight and
its expected content is exactly what was last acknowledged; every connection
also reads `shared_keys` segments written once at the start (many readers of
one object). Operations, by weight (--mix): GET of an own key (byte-exact
against the acknowledged body, or 404 when deleted), GET of a shared key,
PUT (a body different from the key's current one), HEAD (Content-Length
checked), DELETE, and now and then a 2-part multipart upload (a 5 MiB part
plus a segment-sized tail; S3's minimum part size). Bodies come from a
seeded catalogue of segments of 64 KiB - 1 MiB (log-uniform; KV-cache
segments scaled down to fit a 2-core machine) whose SHA-256 are computed once.

Only 503 SlowDown with Retry-After is an allowed failure: the client waits
Retry-After x 2^(n-1) (n-th 503 in a row, capped at 8x) x a 1-1.5 jitter and
retries, up to 6 times, then gives the operation up (counted). Anything else
(another status, a transport error, a wrong byte) is counted as an error, and
a key whose write failed is no longer checked until it is written again.
After the run one connection reads every key back once more.

Sampling: every `interval` seconds one row: requests, 503s and errors in the
interval, p50/p99 of all single-request operations and p99 per operation,
the server's VmRSS (/proc/PID/status) and open descriptors (/proc/PID/fd).
The descriptor baseline is taken before the clients connect, and again after
they all closed. Bounded: `seconds`, `max_requests`, a 60 s timeout per
request.

CLI (perf/soak.sh): python3 soak_driver.py --binary build-perf/kvgate
--seconds 1800 [--json-out FILE]; starts its own server with
kvgate_harness.KvgateServer, prints the table, the summary and the bounds,
exits 1 when a bound is violated.
"""
import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import soak_report  # noqa: E402
from kvgate_harness import KvgateServer  # noqa: E402
from soak_http import SignedConnection  # noqa: E402

MIB = 1 << 20
SINGLE_OPS = ("GET", "PUT", "HEAD", "DELETE")
DEFAULT_MIX = "get=40,shared=10,put=25,head=15,delete=5,multipart=1"
MAX_SLOWDOWN_RETRIES = 6
SHED = object()  # an operation given up after MAX_SLOWDOWN_RETRIES 503s


class BodyCatalogue:
    """Seeded segment bodies and their SHA-256, computed once."""

    def __init__(self, seed, count=64, min_size=64 * 1024, max_size=MIB, part_size=5 * MIB):
        rng = random.Random(seed)
        self.bodies = []
        for _ in range(count):
            size = int(math.exp(rng.uniform(math.log(min_size), math.log(max_size))))
            self.bodies.append(rng.randbytes(size))
        self.parts = [rng.randbytes(part_size) for _ in range(2)]
        self.body_hash = [hashlib.sha256(b).hexdigest() for b in self.bodies]
        self.part_hash = [hashlib.sha256(b).hexdigest() for b in self.parts]

    def pieces(self, state):
        """The byte strings whose concatenation a key in `state` holds."""
        if state[0] == "one":
            return (self.bodies[state[1]],)
        return (self.parts[state[1]], self.bodies[state[2]])


class Interval:
    def __init__(self):
        self.latency_ms = {op: [] for op in soak_report.OPERATIONS}
        self.requests = 0
        self.slow_down = 0
        self.errors = 0


class Soak:
    def __init__(self, port, access_key, secret_key, server_pid, connections=256, seconds=120,
                 interval=5.0, mix=DEFAULT_MIX, seed=20261124, keys_per_connection=2,
                 shared_keys=16, max_requests=50_000_000, bucket="soak", max_inflight=256,
                 disks=6, log=print):
        self.port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self.pid = server_pid
        self.connections = connections
        self.seconds = seconds
        self.interval = interval
        self.mix = parse_mix(mix)
        self.seed = seed
        self.keys_per_connection = keys_per_connection
        self.shared = [f"/{bucket}/shared/{i:02d}" for i in range(shared_keys)]
        self.max_requests = max_requests
        self.bucket = bucket
        self.max_inflight = max_inflight
        self.disks = disks
        self.log = log
        self.catalogue = BodyCatalogue(seed)
        self.state = {}  # path -> None (absent) | ("one", body) | ("mpu", part, body) | "unknown"
        self.current = Interval()
        self.rows = []
        self.first_errors = []
        self.totals = {"requests": 0, "bytes": 0, "slow_down": 0, "shed": 0, "errors": 0,
                       "wrong_bytes": 0, "verified_gets": 0, "reconnects": 0,
                       "final_verified": 0}
        self.open_now = 0
        self.open_max = 0
        self.started = 0.0
        self.deadline = 0.0

    # --- the run ------------------------------------------------------------

    def run(self):
        return asyncio.run(self._run())

    async def _run(self):
        setup = self._connection()
        await self._expect(setup, "PUT", f"/{self.bucket}", ok=(200,))
        for i, path in enumerate(self.shared):
            body = i % len(self.catalogue.bodies)
            await self._expect(setup, "PUT", path, body=self.catalogue.bodies[body],
                               payload_hash=self.catalogue.body_hash[body], ok=(200,))
            self.state[path] = ("one", body)
        await setup.close()
        fd_baseline = await self._settled_fds(None, 3.0)
        self.log(f"soak: {self.connections} connections for {self.seconds:.0f} s, "
                 f"descriptor baseline {fd_baseline}, RSS {rss_mib(self.pid):.0f} MiB")
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds
        workers = [asyncio.create_task(self._worker(i)) for i in range(self.connections)]
        sampler = asyncio.create_task(self._sampler())
        await asyncio.gather(*workers)
        sampler.cancel()
        try:
            await sampler
        except asyncio.CancelledError:
            pass
        self._close_interval()
        elapsed = time.monotonic() - self.started
        await self._final_check()
        fd_after = await self._settled_fds(fd_baseline, 20.0)
        return {"intervals": self.rows, "totals": self.totals, "seconds": elapsed,
                "connections": self.connections, "connections_open_max": self.open_max,
                "fd_baseline": fd_baseline, "fd_after_close": fd_after,
                "max_inflight": self.max_inflight, "disks": self.disks,
                "first_errors": self.first_errors[:10], "mix": self.mix, "seed": self.seed}

    def _connection(self):
        return SignedConnection("127.0.0.1", self.port, self.access_key, self.secret_key)

    def _stopping(self):
        return time.monotonic() >= self.deadline or self.totals["requests"] >= self.max_requests

    async def _worker(self, index):
        rng = random.Random(self.seed * 1000 + index)
        conn = self._connection()
        keys = [f"/{self.bucket}/seg/c{index:03d}/k{j}" for j in range(self.keys_per_connection)]
        for key in keys:
            self.state[key] = None
        await conn.open()
        self.open_now += 1
        self.open_max = max(self.open_max, self.open_now)
        names, weights = zip(*self.mix.items())
        # All connections are open before the first request: the server
        # really holds `connections` sessions at once.
        while self.open_max < self.connections and time.monotonic() < self.started + 30:
            await asyncio.sleep(0.05)
        try:
            while not self._stopping():
                op = rng.choices(names, weights)[0]
                key = rng.choice(keys)
                if op == "get":
                    await self._get(conn, key)
                elif op == "shared":
                    await self._get(conn, rng.choice(self.shared))
                elif op == "put":
                    await self._put(conn, rng, key)
                elif op == "head":
                    await self._head(conn, key)
                elif op == "delete":
                    await self._delete(conn, key)
                else:
                    await self._multipart(conn, rng, key)
        finally:
            self.totals["reconnects"] += conn.reconnects
            self.open_now -= 1
            await conn.close()

    # --- operations ---------------------------------------------------------

    async def _get(self, conn, key):
        state = self.state[key]
        if state == "unknown":
            await self._request(conn, "GET", "GET", key, ok=(200, 404))
            return
        r = await self._request(conn, "GET", "GET", key, ok=(404,) if state is None else (200,))
        if r is None or r is SHED or state is None:
            return
        if not same_bytes(r.body, self.catalogue.pieces(state)):
            self.totals["wrong_bytes"] += 1
            self._error(f"GET {key}: {len(r.body)} bytes differ from the acknowledged {state}")
        else:
            self.totals["verified_gets"] += 1

    async def _head(self, conn, key):
        state = self.state[key]
        if state == "unknown":
            await self._request(conn, "HEAD", "HEAD", key, ok=(200, 404))
            return
        r = await self._request(conn, "HEAD", "HEAD", key, ok=(404,) if state is None else (200,))
        if r is None or r is SHED or state is None:
            return
        want = sum(len(p) for p in self.catalogue.pieces(state))
        if r.headers.get("content-length") != str(want):
            self._error(f"HEAD {key}: content-length {r.headers.get('content-length')}, want {want}")

    async def _put(self, conn, rng, key):
        state = self.state[key]
        current = state[1] if isinstance(state, tuple) and state[0] == "one" else -1
        count = len(self.catalogue.bodies)
        body = rng.randrange(count) if current < 0 else rng.randrange(count - 1)
        body += 0 <= current <= body  # never the body the key holds now
        r = await self._request(conn, "PUT", "PUT", key, body=self.catalogue.bodies[body],
                                payload_hash=self.catalogue.body_hash[body])
        if r is None:
            self.state[key] = "unknown"
        elif r is not SHED:
            self.state[key] = ("one", body)

    async def _delete(self, conn, key):
        r = await self._request(conn, "DELETE", "DELETE", key, ok=(204,))
        if r is None:
            self.state[key] = "unknown"
        elif r is not SHED:
            self.state[key] = None

    async def _multipart(self, conn, rng, key):
        part = rng.randrange(len(self.catalogue.parts))
        tail = rng.randrange(len(self.catalogue.bodies))
        r = await self._request(conn, "MULTIPART", "POST", key, query=[("uploads", "")])
        if r is None or r is SHED:
            if r is None:
                self.state[key] = "unknown"
            return
        found = re.search(rb"<UploadId>([^<]+)</UploadId>", r.body)
        if not found:
            self._error(f"CreateMultipartUpload {key}: no UploadId in {r.body[:200]!r}")
            return
        upload = found.group(1).decode()
        etags = []
        for number, (data, digest) in enumerate(
                ((self.catalogue.parts[part], self.catalogue.part_hash[part]),
                 (self.catalogue.bodies[tail], self.catalogue.body_hash[tail])), start=1):
            r = await self._request(conn, "MULTIPART", "PUT", key, body=data, payload_hash=digest,
                                    query=[("partNumber", str(number)), ("uploadId", upload)])
            if r is None or r is SHED:
                await self._abort(conn, key, upload)
                return
            etags.append(r.headers.get("etag", ""))
        xml = "<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
            for n, e in enumerate(etags, start=1)) + "</CompleteMultipartUpload>"
        r = await self._request(conn, "MULTIPART", "POST", key, body=xml.encode(),
                                query=[("uploadId", upload)])
        if r is None:
            self.state[key] = "unknown"
        elif r is SHED:
            await self._abort(conn, key, upload)
        elif b"<Error>" in r.body:  # S3 may report a Complete failure inside a 200
            self._error(f"CompleteMultipartUpload {key}: {r.body[:200]!r}")
            self.state[key] = "unknown"
        else:
            self.state[key] = ("mpu", part, tail)

    async def _abort(self, conn, key, upload):
        await self._request(conn, "MULTIPART", "DELETE", key, query=[("uploadId", upload)],
                            ok=(204, 404))

    async def _request(self, conn, op, method, path, query=(), body=b"", payload_hash=None,
                       ok=(200,)):
        """One request with the 503 SlowDown back-off: the Response, None
        after an unexpected answer or transport error (counted), or SHED."""
        slow_downs = 0
        while True:
            started = time.monotonic()
            try:
                r = await conn.call(method, path, query, body, payload_hash)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError, ValueError) as e:
                self._error(f"{method} {path}{query_text(query)}: {e!r} "
                            f"(answer before: {conn.previous})")
                return None
            ms = (time.monotonic() - started) * 1000
            if r.status == 503 and (method == "HEAD" or b"<Code>SlowDown</Code>" in r.body):
                retry_after = r.headers.get("retry-after")
                if retry_after is None or not retry_after.isdigit():
                    self._error(f"{method} {path}: 503 without Retry-After")
                    return None
                self.current.slow_down += 1
                self.totals["slow_down"] += 1
                slow_downs += 1
                if slow_downs > MAX_SLOWDOWN_RETRIES or self._stopping():
                    self.totals["shed"] += 1
                    return SHED
                backoff = int(retry_after) * min(2 ** (slow_downs - 1), 8)
                backoff *= random.uniform(1.0, 1.5)
                if time.monotonic() + backoff >= self.deadline:
                    # No retry before Retry-After, nor after the end: wait
                    # out the run instead of asking again.
                    await asyncio.sleep(max(0.0, self.deadline - time.monotonic()))
                    self.totals["shed"] += 1
                    return SHED
                await asyncio.sleep(backoff)
                continue
            self.current.requests += 1
            self.totals["requests"] += 1
            self.totals["bytes"] += len(body) + len(r.body)
            if r.status not in ok:
                self._error(f"{method} {path}{query_text(query)}: {r.status} {r.body[:200]!r}")
                return None
            self.current.latency_ms[op].append(ms)
            return r

    async def _expect(self, conn, method, path, body=b"", payload_hash=None, ok=(200,)):
        r = await conn.call(method, path, (), body, payload_hash)
        if r.status not in ok:
            raise RuntimeError(f"setup {method} {path}: {r.status} {r.body[:200]!r}")
        return r

    def _error(self, text):
        self.current.errors += 1
        self.totals["errors"] += 1
        if len(self.first_errors) < 10:
            self.first_errors.append(text)

    async def _final_check(self):
        """Every key read back once more over one fresh connection."""
        conn = self._connection()
        for key, state in list(self.state.items()):
            if state == "unknown":
                continue
            r = await conn.call("GET", key)
            if state is None:
                if r.status != 404:
                    self._error(f"final GET {key}: {r.status}, want 404")
            elif r.status != 200 or not same_bytes(r.body, self.catalogue.pieces(state)):
                self.totals["wrong_bytes"] += 1
                self._error(f"final GET {key}: {r.status}, {len(r.body)} bytes, want {state}")
            self.totals["final_verified"] += 1
        await conn.close()

    # --- sampling -----------------------------------------------------------

    async def _sampler(self):
        tick = self.started
        while True:
            tick += self.interval
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
            self._close_interval()

    def _close_interval(self):
        now = time.monotonic()
        last_t = self.rows[-1]["t"] if self.rows else 0.0
        t = now - self.started
        span = max(t - last_t, 1e-6)
        if self.rows and span < 0.5:
            return  # the run ended right after a sample
        done, self.current = self.current, Interval()
        single = [ms for op in SINGLE_OPS for ms in done.latency_ms[op]]
        ops = {op: {"count": len(v), "p50_ms": soak_report.percentile(v, 50),
                    "p99_ms": soak_report.percentile(v, 99)}
               for op, v in done.latency_ms.items()}
        self.rows.append({
            "t": round(t, 1), "requests": done.requests, "rate": done.requests / span,
            "slow_down": done.slow_down, "errors": done.errors,
            "p50_ms": soak_report.percentile(single, 50),
            "p99_ms": soak_report.percentile(single, 99), "ops": ops,
            "rss_mib": rss_mib(self.pid), "fds": open_fds(self.pid),
            "fds_not_files": open_fds_not_files(self.pid),
            "connections_open": self.open_now,
            # after the deadline: requests in flight finishing, clients closing
            "drain": t > self.seconds + 0.5})

    async def _settled_fds(self, baseline, bound_seconds):
        """The server's descriptor count once it stops changing (or, given a
        baseline, once it is back there), within `bound_seconds`."""
        deadline = time.monotonic() + bound_seconds
        last = open_fds(self.pid)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            now = open_fds(self.pid)
            if (baseline is not None and now <= baseline) or (baseline is None and now == last):
                return now
            last = now
        return last


def parse_mix(text):
    mix = {}
    for item in text.split(","):
        name, _, weight = item.partition("=")
        if name not in ("get", "shared", "put", "head", "delete", "multipart"):
            raise ValueError(f"unknown operation in --mix: {name}")
        mix[name] = float(weight)
    return mix


def query_text(query):
    return "?" + "&".join(f"{k}={v}" if v else k for k, v in query) if query else ""


def same_bytes(body, pieces):
    if len(body) != sum(len(p) for p in pieces):
        return False
    view, at = memoryview(body), 0
    for piece in pieces:
        if view[at:at + len(piece)] != piece:
            return False
        at += len(piece)
    return True


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def open_fds_not_files(pid):
    """Descriptors that are not files (sockets, pipes, eventfds, epoll...):
    the part of the count that does not follow the shard files of the
    requests in flight at the instant of the sample."""
    count = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed meanwhile
        if not target.startswith("/"):
            count += 1
    return count


def raise_open_file_limit():
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the server)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def soak_server(binary, access_key, secret_key, max_inflight):
    """A started KvgateServer for a soak (6 disks under $TMPDIR, access log
    off, warnings only)."""
    raise_open_file_limit()
    env = {"KVGATE_ACCESS_KEY": access_key, "KVGATE_SECRET_KEY": secret_key,
           "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
    return KvgateServer(binary, env=env, start_timeout=120.0, extra_args=[
        "--max-inflight-requests", str(max_inflight)]).start()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--seconds", type=float, default=1800)
    p.add_argument("--connections", type=int, default=256)
    p.add_argument("--interval", type=float, default=30)
    p.add_argument("--max-inflight", type=int, default=192)
    p.add_argument("--mix", default=DEFAULT_MIX)
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--max-requests", type=int, default=50_000_000)
    p.add_argument("--rss-factor", type=float, default=1.25)
    p.add_argument("--rss-slack-mib", type=float, default=64)
    p.add_argument("--p99-factor", type=float, default=3.0)
    p.add_argument("--fd-slack", type=int, default=64)
    p.add_argument("--fd-return-slack", type=int, default=8)
    p.add_argument("--warmup", type=float, default=0.2)
    p.add_argument("--json-out")
    a = p.parse_args()
    access, secret = "soak" + os.urandom(6).hex(), os.urandom(20).hex()
    srv = soak_server(os.path.abspath(a.binary), access, secret, a.max_inflight)
    try:
        run = Soak(srv.port, access, secret, srv.proc.pid, connections=a.connections,
                   seconds=a.seconds, interval=a.interval, mix=a.mix, seed=a.seed,
                   max_requests=a.max_requests, max_inflight=a.max_inflight).run()
        code = srv.stop()
    finally:
        srv.stop()
        srv.cleanup()
    print(soak_report.table(run))
    figures = soak_report.summary(run, a.warmup)
    print("summary: " + json.dumps(figures))
    failures = soak_report.check(run, a.rss_factor, a.rss_slack_mib, a.p99_factor, a.fd_slack,
                                 a.fd_return_slack, a.warmup)
    if code != 0:
        failures.append(f"kvgate exited with {code} after SIGTERM")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"run": run, "summary": figures, "failures": failures}, f)
    for failure in failures:
        print("BOUND VIOLATED: " + failure)
    print("soak: " + ("FAILED" if failures else "all bounds held"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
