"""The comparison clients of perf/sdk_bench.sh: awscrt (python3-awscrt, the
client LMCache's S3 connector uses, in LMCache's shape) and boto3, driven
through one bounded put or get run against an S3 endpoint; prints one JSON
object with the same fields as `kvgate-cli bench --json`.

awscrt as LMCache uses it (../shared/research/lmcache-s3.md §1.4): one
S3Client with 8 MiB parts and the default throughput target, SigV4 with
static credentials passed per request, PUT_OBJECT with the body read from
the caller's memory (a memoryview stream, as LMCache's MemoryViewStream),
GET_OBJECT with on_body copying each chunk to its offset in the caller's
buffer. CRT splits both: PUTs above 8 MiB become multipart uploads of 8 MiB
parts, GETs become 8 MiB ranged GETs. `concurrency` requests are kept in
flight. Debian's awscrt 0.16 dials port 80 for plain HTTP whatever the Host
header says, so the endpoint must listen on port 80.

boto3 as a plain S3 client: put_object with the bytes, get_object and read
the body, `concurrency` threads on one client (max_pool_connections =
concurrency), path-style addressing.

Run with Debian's interpreter (/usr/bin/python3): that is where
python3-awscrt and python3-boto3 live.

Usage: sdk_bench_clients.py --client awscrt|boto3 --op put|get --endpoint http://H:80
         --bucket B --prefix P --size BYTES --concurrency C --count N --seconds S
         [--keys K] [--no-populate] [--io-threads T]
A get run first writes its objects (unmeasured) unless --no-populate.
Credentials: KVGATE_ACCESS_KEY / KVGATE_SECRET_KEY.
"""
import argparse
import io
import json
import math
import os
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

MIB = 1024 * 1024


def percentile(sorted_ms, q):
    if not sorted_ms:
        return 0.0
    rank = max(1, min(len(sorted_ms), math.ceil(q * len(sorted_ms))))
    return sorted_ms[rank - 1]


def summary(args, latencies, errors, first_error, seconds):
    latencies.sort()
    moved = len(latencies) * args.size
    return {
        "tool": args.client, "op": args.op, "size": args.size, "concurrency": args.concurrency,
        "keys": args.keys, "ops": len(latencies), "errors": errors, "seconds": round(seconds, 3),
        "mib_per_s": round(moved / seconds / MIB, 2) if seconds > 0 else 0.0,
        "ops_per_s": round(len(latencies) / seconds, 2) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.5), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "first_error": first_error or "",
    }


def payload(size):
    return (os.urandom(min(size, MIB)) * (size // MIB + 1))[:size]


class MemoryViewStream(io.RawIOBase):
    """A read-only stream over caller memory (LMCache's MemoryViewStream)."""

    def __init__(self, view):
        super().__init__()
        self._view = memoryview(view).cast("B")
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, b):
        n = min(len(b), len(self._view) - self._pos)
        b[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = base + offset
        return self._pos


class AwsCrtClient:
    def __init__(self, args):
        from awscrt import auth, http, io as crt_io, s3
        self._http, self._s3 = http, s3
        parsed = urllib.parse.urlparse(args.endpoint)
        if parsed.scheme != "http" or (parsed.port or 80) != 80:
            raise SystemExit("awscrt 0.16 dials port 80 for http: the endpoint must be http://H:80")
        self._host = parsed.hostname
        elg = crt_io.EventLoopGroup(args.io_threads)
        bootstrap = crt_io.ClientBootstrap(elg, crt_io.DefaultHostResolver(elg))
        self._credentials = auth.AwsCredentialsProvider.new_static(
            os.environ["KVGATE_ACCESS_KEY"], os.environ["KVGATE_SECRET_KEY"])
        self._client = s3.S3Client(bootstrap=bootstrap, region="us-east-1",
                                   credential_provider=self._credentials,
                                   tls_mode=s3.S3RequestTlsMode.DISABLED, part_size=8 * MIB)
        self._bucket = args.bucket

    def _path(self, key):
        return "/" + self._bucket + "/" + urllib.parse.quote(key)

    def start_put(self, key, data, on_done):
        headers = self._http.HttpHeaders([("Host", self._host), ("Content-Length", str(len(data))),
                                          ("Content-Type", "application/octet-stream")])
        request = self._http.HttpRequest("PUT", self._path(key), headers, MemoryViewStream(data))
        return self._start(request, self._s3.S3RequestType.PUT_OBJECT, on_done, None)

    def start_get(self, key, buffer, on_done):
        headers = self._http.HttpHeaders([("Host", self._host)])
        request = self._http.HttpRequest("GET", self._path(key), headers)
        view = memoryview(buffer)
        received = [0]

        def on_body(chunk, offset, **kwargs):
            view[offset:offset + len(chunk)] = chunk
            received[0] += len(chunk)

        def done(error):
            if error is None and received[0] != len(buffer):
                error = f"{key}: {received[0]} bytes, expected {len(buffer)}"
            on_done(error)
        return self._start(request, self._s3.S3RequestType.GET_OBJECT, done, on_body)

    def _start(self, request, kind, on_done, on_body):
        status = {}

        def on_headers(status_code, headers, **kwargs):
            status["code"] = status_code

        def finished(error=None, error_body=None, **kwargs):
            if error is not None:
                body = bytes(error_body or b"")[:200].decode(errors="replace")
                on_done(f"{error} {status.get('code')} {body}")
            else:
                on_done(None)
        return self._client.make_request(request=request, type=kind, on_headers=on_headers,
                                         on_body=on_body, on_done=finished,
                                         credential_provider=self._credentials)


def run_awscrt(args, keys, data):
    client = AwsCrtClient(args)
    buffers = [bytearray(args.size) for _ in range(args.concurrency)]
    free = list(range(args.concurrency))
    lock = threading.Condition()
    state = {"errors": 0, "first_error": None, "latencies": [], "running": 0}
    keep = []  # requests stay referenced until done

    def one(index, op, on_finished):
        def on_done(error):
            elapsed = (time.monotonic() - began) * 1000.0
            with lock:
                if error is None:
                    state["latencies"].append(elapsed)
                else:
                    state["errors"] += 1
                    state["first_error"] = state["first_error"] or str(error)
                on_finished()
                lock.notify_all()
        key = keys[index % len(keys)]
        began = time.monotonic()
        if op == "put":
            return client.start_put(key, data, on_done)
        slot = free.pop()
        return client.start_get(key, buffers[slot], lambda e: (free.append(slot), on_done(e)))

    def bounded(op, count, seconds):
        state.update(errors=0, first_error=None, latencies=[], running=0)
        start = time.monotonic()
        deadline = start + seconds
        for i in range(count):
            with lock:
                while state["running"] >= args.concurrency:
                    lock.wait()
                if time.monotonic() >= deadline:
                    break
                state["running"] += 1

                def finished():
                    state["running"] -= 1
                keep.append(one(i, op, finished))
        with lock:
            while state["running"] > 0:
                lock.wait()
        keep.clear()
        return time.monotonic() - start

    if args.op == "get" and not args.no_populate:
        bounded("put", len(keys), 3600)  # populate, unmeasured
        if state["errors"]:
            return summary(args, [], state["errors"], "populating: " + state["first_error"], 0)
    seconds = bounded(args.op, args.count, args.seconds)
    return summary(args, state["latencies"], state["errors"], state["first_error"], seconds)


def run_boto3(args, keys, data):
    import boto3
    from botocore.config import Config
    client = boto3.client(
        "s3", endpoint_url=args.endpoint, region_name="us-east-1",
        aws_access_key_id=os.environ["KVGATE_ACCESS_KEY"],
        aws_secret_access_key=os.environ["KVGATE_SECRET_KEY"],
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      max_pool_connections=max(10, args.concurrency),
                      retries={"max_attempts": 1}))

    def put(key):
        client.put_object(Bucket=args.bucket, Key=key, Body=data)

    def get(key):
        body = client.get_object(Bucket=args.bucket, Key=key)["Body"].read()
        if len(body) != args.size:
            raise RuntimeError(f"{key}: {len(body)} bytes, expected {args.size}")

    def bounded(fn, count, seconds):
        lock = threading.Lock()
        state = {"next": 0, "errors": 0, "first_error": None, "latencies": []}
        deadline = time.monotonic() + seconds

        def worker():
            while True:
                with lock:
                    i = state["next"]
                    state["next"] += 1
                if i >= count or time.monotonic() >= deadline:
                    return
                began = time.monotonic()
                try:
                    fn(keys[i % len(keys)])
                    with lock:
                        state["latencies"].append((time.monotonic() - began) * 1000.0)
                except Exception as e:  # noqa: BLE001 - any failure is counted
                    with lock:
                        state["errors"] += 1
                        state["first_error"] = state["first_error"] or repr(e)[:300]
        start = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for f in [pool.submit(worker) for _ in range(args.concurrency)]:
                f.result()
        return state, time.monotonic() - start

    if args.op == "get" and not args.no_populate:
        state, _ = bounded(put, len(keys), 3600)
        if state["errors"]:
            return summary(args, [], state["errors"], "populating: " + state["first_error"], 0)
    state, seconds = bounded(put if args.op == "put" else get, args.count, args.seconds)
    return summary(args, state["latencies"], state["errors"], state["first_error"], seconds)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--client", choices=["awscrt", "boto3"], required=True)
    p.add_argument("--op", choices=["put", "get"], required=True)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--prefix", default="")
    p.add_argument("--size", type=int, default=32 * MIB)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--keys", type=int, default=0, help="distinct objects (default 2 x concurrency)")
    p.add_argument("--no-populate", action="store_true",
                   help="get: the objects exist already (an earlier run wrote them)")
    p.add_argument("--io-threads", type=int, default=2, help="awscrt event-loop threads")
    args = p.parse_args()
    args.keys = args.keys or 2 * args.concurrency
    keys = [f"{args.prefix}k{i}" for i in range(args.keys)]
    data = payload(args.size)
    run = run_awscrt if args.client == "awscrt" else run_boto3
    result = run(args, keys, data)
    print(json.dumps(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
