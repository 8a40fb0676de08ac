"""Scale-out behind nginx and HAProxy (docs/scaling.md, docker/proxy/).

Three `kvgate serve` processes (own data directories and ports) behind nginx
and behind HAProxy, both run as the test user from configurations rendered by
docker/proxy/render_proxy_configs.py into temporary directories:
  - the LMCache-shaped boto3 workload (8 MiB multipart parts uploaded in
    parallel, 8 MiB ranged GETs with If-Match, HEADs) through each proxy is
    byte-exact, and asking every node directly shows each key on exactly one
    node, the one the proxy named, with all parts of an upload there;
  - path-style and virtual-hosted requests of one object reach the same node;
  - Expect: 100-continue works through both;
  - proxy overhead against direct access, measured in the same run (printed);
  - a fourth node moves about 1/4 of the keys (measured, printed), and the
    moved keys are misses (404) on their new owner, never errors;
  - one node killed mid-workload: only its keys miss (or fail while the proxy
    notices), every other key keeps being served byte-exact.
Loopback only; every wait is bounded.
"""
import concurrent.futures
import hashlib
import os
import random
import shutil
import socket
import statistics
import sys
import threading
import time
import types
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import s3_signing  # noqa: E402
from proxy_cluster import (DOMAIN, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, ClusterNode,  # noqa: E402
                           Proxy)

MiB = 1 << 20
PART = 8 * MiB
BUCKET = "kvcache"
HAVE_PROXIES = shutil.which("nginx") and shutil.which("haproxy")

# <bucket>.s3.localhost does not resolve here: send every *.localhost name to
# 127.0.0.1 inside this process (urllib3 looks socket.getaddrinfo up per call).
_getaddrinfo = socket.getaddrinfo


def _loopback_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_getaddrinfo


def s3_client(url, virtual=False, timeout=30):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                 read_timeout=timeout, max_pool_connections=16,
                 s3={"addressing_style": "virtual" if virtual else "path"})
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=ROOT_ACCESS_KEY,
                        aws_secret_access_key=ROOT_SECRET_KEY, region_name="us-east-1",
                        config=cfg)


def vhost_url(proxy):
    return f"http://{DOMAIN}:{proxy.port}"


def lmcache_key(rng, prefix):
    # LMCache's shape: model@world@worker@chunk-hash@dtype, '@' percent-encoded by clients.
    return f"{prefix}/meta-llama@1@0@{rng.getrandbits(64):016x}@bfloat16"


def upstream(response):
    return response["ResponseMetadata"]["HTTPHeaders"].get("x-kvgate-upstream", "")


def status_of(error):
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)  # boto3 clients made per call
        if not HAVE_PROXIES:
            raise unittest.SkipTest("nginx and haproxy are needed (tests/install-deps.sh test)")
        cls.nodes = []
        cls.proxies = {}
        try:
            cls.nodes = [ClusterNode(f"n{i}") for i in range(1, 4)]
            for node in cls.nodes:
                s3_client(node.url).create_bucket(Bucket=BUCKET)
            cls.proxies = {kind: Proxy(kind, cls.nodes) for kind in ("nginx", "haproxy")}
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for proxy in cls.proxies.values():
            proxy.stop()
            proxy.cleanup()
        for node in cls.nodes:
            node.stop()

    # ---------------------------------------------------------------- helpers
    def node_for(self, proxy, header):
        node = proxy.upstream_node(header, self.nodes)
        self.assertIsNotNone(node, f"{proxy.kind}: X-Kvgate-Upstream {header!r} names no node")
        return node

    def holders(self, key):
        """The nodes that hold `key`, asked directly (HEAD on every live node)."""
        found = []
        for node in self.nodes:
            if not node.alive:
                continue
            try:
                head = s3_client(node.url).head_object(Bucket=BUCKET, Key=key)
                found.append((node, head))
            except ClientError as e:
                self.assertEqual(status_of(e), 404, f"HEAD {key} on {node.node_id}: {e}")
        return found

    def put_small_keys(self, proxy, prefix, count, size=1024, seed=1):
        rng = random.Random(seed)
        client = s3_client(proxy.url)
        owners = {}

        def put(i):
            key = lmcache_key(rng, prefix) + f"-{i}"
            body = hashlib.sha256(key.encode()).digest() * (size // 32)
            r = client.put_object(Bucket=BUCKET, Key=key, Body=body)
            return key, body, upstream(r)

        keys = [None] * count
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for key, body, header in pool.map(put, range(count)):
                owners[key] = (self.node_for(proxy, header), body)
                keys.append(key)
        return owners

    def run_lmcache_workload(self, proxy, prefix, large=3, small=16, virtual=False):
        """PUT (multipart with 8 MiB parts in parallel above 8 MiB), HEAD,
        ranged GETs with If-Match; returns {key: (node, body)}."""
        rng = random.Random(hash(prefix) & 0xFFFF)
        client = s3_client(vhost_url(proxy) if virtual else proxy.url, virtual=virtual)
        transfer = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART,
                                  max_concurrency=3, use_threads=True)
        objects = {}
        for i in range(large):
            objects[lmcache_key(rng, prefix)] = rng.randbytes(2 * PART + (i + 1) * 1_000_003)
        for i in range(small):
            objects[lmcache_key(rng, prefix)] = rng.randbytes(rng.randint(1, 512 * 1024))
        import io
        for key, body in objects.items():
            if len(body) > PART:
                client.upload_fileobj(io.BytesIO(body), BUCKET, key, Config=transfer)
            else:
                client.put_object(Bucket=BUCKET, Key=key, Body=body)
        placed = {}
        for key, body in objects.items():
            head = client.head_object(Bucket=BUCKET, Key=key)
            self.assertEqual(head["ContentLength"], len(body), key)
            node = self.node_for(proxy, upstream(head))
            etag = head["ETag"]
            got = bytearray()
            for start in range(0, len(body), PART):
                end = min(start + PART, len(body)) - 1
                r = client.get_object(Bucket=BUCKET, Key=key, Range=f"bytes={start}-{end}",
                                      IfMatch=etag)
                self.assertIs(self.node_for(proxy, upstream(r)), node, f"{key}: ranges split")
                got += r["Body"].read()
            self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(body).hexdigest(),
                             f"{proxy.kind}: {key} not byte-exact")
            placed[key] = (node, body)
        return placed

    def assert_on_exactly_their_node(self, placed):
        for key, (node, body) in placed.items():
            holders = self.holders(key)
            self.assertEqual([n.node_id for n, _ in holders], [node.node_id],
                             f"{key}: held by {[n.node_id for n, _ in holders]}")
            head = holders[0][1]
            self.assertEqual(head["ContentLength"], len(body))
            if len(body) > PART:
                parts = (len(body) + PART - 1) // PART
                self.assertTrue(head["ETag"].strip('"').endswith(f"-{parts}"),
                                f"{key}: ETag {head['ETag']} is not a {parts}-part upload")
        for node in self.nodes:
            if node.alive:
                uploads = s3_client(node.url).list_multipart_uploads(Bucket=BUCKET)
                self.assertEqual(uploads.get("Uploads", []), [],
                                 f"{node.node_id} keeps parts of an upload")

    # ------------------------------------------------------------------ tests
    def test_1_lmcache_workload_through_nginx(self):
        placed = self.run_lmcache_workload(self.proxies["nginx"], "wl-nginx")
        self.assert_on_exactly_their_node(placed)
        self.assertGreater(len({n.node_id for n, _ in placed.values()}), 1, "one node got all")

    def test_2_lmcache_workload_through_haproxy(self):
        placed = self.run_lmcache_workload(self.proxies["haproxy"], "wl-haproxy")
        self.assert_on_exactly_their_node(placed)
        self.assertGreater(len({n.node_id for n, _ in placed.values()}), 1, "one node got all")

    def test_3_virtual_hosted_and_path_style_reach_the_same_node(self):
        for kind, proxy in self.proxies.items():
            with self.subTest(proxy=kind):
                placed = self.run_lmcache_workload(proxy, f"vh-{kind}", large=1, small=8,
                                                   virtual=True)
                path_client = s3_client(proxy.url)
                for key, (node, body) in placed.items():
                    r = path_client.get_object(Bucket=BUCKET, Key=key)
                    self.assertIs(self.node_for(proxy, upstream(r)), node, key)
                    self.assertEqual(r["Body"].read(), body)
                self.assert_on_exactly_their_node(placed)

    def test_4_expect_100_continue_passes_both_proxies(self):
        body = os.urandom(300_000)
        for kind, proxy in self.proxies.items():
            with self.subTest(proxy=kind):
                key = f"expect-{kind}/model@1@0@00ff@half"
                path = f"/{BUCKET}/{key.replace('@', '%40')}"
                host = f"127.0.0.1:{proxy.port}"
                # Like botocore and the CRT, Expect is not signed: nginx consumes it
                # (answers 100 itself), HAProxy passes it to the node.
                headers, *_ = s3_signing.sign_headers(
                    "PUT", path, [], {"host": host, "content-length": str(len(body))},
                    ROOT_ACCESS_KEY, ROOT_SECRET_KEY, "UNSIGNED-PAYLOAD")
                headers["expect"] = "100-continue"
                head = f"PUT {path} HTTP/1.1\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
                gw = types.SimpleNamespace(host="127.0.0.1", port=proxy.port)
                sock, first = s3_signing.raw_exchange(gw, head.encode())
                try:
                    self.assertTrue(first.startswith(b"HTTP/1.1 100"), first[:200])
                    sock.sendall(body)
                    rest = first.split(b"\r\n\r\n", 1)[1]
                    while b"\r\n\r\n" not in rest:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        rest += chunk
                    self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest[:300])
                finally:
                    sock.close()
                got = s3_client(proxy.url).get_object(Bucket=BUCKET, Key=key)["Body"].read()
                self.assertEqual(got, body)

    def test_5_proxy_overhead_against_direct(self):
        """Same client, same run: 8 MiB GETs and HEADs direct vs through each proxy."""
        client = s3_client(self.proxies["nginx"].url)
        body = os.urandom(PART)
        key = "overhead/model@1@0@0001@half"
        r = client.put_object(Bucket=BUCKET, Key=key, Body=body)
        owner = self.node_for(self.proxies["nginx"], upstream(r))
        # HAProxy's ring may put the key elsewhere: place it on its owner too.
        r = s3_client(self.proxies["haproxy"].url).put_object(Bucket=BUCKET, Key=key, Body=body)
        targets = {"direct": owner.url, "nginx": self.proxies["nginx"].url,
                   "haproxy": self.proxies["haproxy"].url}
        gets, heads = 12, 200
        results = {}
        for rnd in range(2):  # interleaved rounds: load from other work hits all alike
            for name, url in targets.items():
                c = s3_client(url)
                c.head_object(Bucket=BUCKET, Key=key)  # connect, warm
                t0 = time.perf_counter()
                for _ in range(gets):
                    self.assertEqual(len(c.get_object(Bucket=BUCKET, Key=key)["Body"].read()),
                                     PART)
                get_s = time.perf_counter() - t0
                lat = []
                for _ in range(heads):
                    t = time.perf_counter()
                    c.head_object(Bucket=BUCKET, Key=key)
                    lat.append(time.perf_counter() - t)
                res = results.setdefault(name, {"mibs": [], "lat": []})
                res["mibs"].append(gets * PART / MiB / get_s)
                res["lat"] += lat
        for name, res in results.items():
            lat = sorted(res["lat"])
            print(f"MEASURED overhead {name}: GET 8 MiB {max(res['mibs']):.0f} MiB/s "
                  f"(best of 2 x {gets}), HEAD p50 {statistics.median(lat) * 1e3:.2f} ms "
                  f"p99 {lat[int(len(lat) * 0.99) - 1] * 1e3:.2f} ms ({len(lat)})", flush=True)

    def test_6_a_fourth_node_moves_about_a_quarter_of_the_keys(self):
        count = 400
        before = {kind: self.put_small_keys(proxy, f"move-{kind}", count, seed=7)
                  for kind, proxy in self.proxies.items()}
        fourth = ClusterNode("n4")
        self.__class__.nodes.append(fourth)
        s3_client(fourth.url).create_bucket(Bucket=BUCKET)
        for kind in list(self.proxies):
            self.proxies[kind].stop()
            self.proxies[kind].cleanup()
            self.proxies[kind] = Proxy(kind, self.nodes)
        for kind, proxy in self.proxies.items():
            client = s3_client(proxy.url)
            moved = 0
            for key, (old_node, body) in before[kind].items():
                try:
                    r = client.head_object(Bucket=BUCKET, Key=key)
                    self.assertIs(self.node_for(proxy, upstream(r)), old_node, key)
                    self.assertEqual(r["ContentLength"], len(body))
                except ClientError as e:
                    self.assertEqual(status_of(e), 404, f"{kind}: {key}: {e}")
                    header = e.response["ResponseMetadata"]["HTTPHeaders"]["x-kvgate-upstream"]
                    self.assertIs(self.node_for(proxy, header), fourth,
                                  f"{kind}: {key} moved between old nodes")
                    moved += 1
            fraction = moved / count
            print(f"MEASURED key movement {kind} 3->4 nodes: {moved}/{count} = {fraction:.3f} "
                  f"(ideal 0.25)", flush=True)
            self.assertGreater(fraction, 0.12)
            self.assertLess(fraction, 0.38)

    def test_7_a_killed_node_only_misses_its_own_keys(self):
        keys = {kind: self.put_small_keys(proxy, f"kill-{kind}", 60, seed=11)
                for kind, proxy in self.proxies.items()}
        victim = self.nodes[1]
        stop = threading.Event()
        killed_at = []
        log = []  # (start, end, kind, key, outcome)

        def reader(kind):
            client = s3_client(self.proxies[kind].url, timeout=10)
            while not stop.is_set():
                for key, (node, body) in keys[kind].items():
                    t = time.monotonic()
                    try:
                        got = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                        outcome = "ok" if got == body else "corrupt"
                    except ClientError as e:
                        outcome = str(status_of(e))
                    except Exception as e:  # connection-level failure
                        outcome = type(e).__name__
                    log.append((t, time.monotonic(), kind, key, outcome))

        threads = [threading.Thread(target=reader, args=(k,)) for k in self.proxies]
        for t in threads:
            t.start()
        time.sleep(1.5)
        killed_at.append(time.monotonic())
        victim.kill()
        time.sleep(6.0)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        settle = killed_at[0] + 3.0
        counts = {}
        for start, end, kind, key, outcome in log:
            owner = keys[kind][key][0]
            # A read in flight at the kill belongs to the window.
            phase = ("before" if end < killed_at[0] else
                     "after" if start >= settle else "window")
            mine = "victim" if owner is victim else "others"
            counts.setdefault((kind, mine, phase, outcome), 0)
            counts[(kind, mine, phase, outcome)] += 1
            if mine == "others" or phase == "before":
                self.assertEqual(outcome, "ok", f"{kind} {phase}: {key} on {owner.node_id}")
            elif phase == "after":
                self.assertEqual(outcome, "404", f"{kind}: {key} of the dead node")
            else:
                # A GET streaming from the node when it died is cut mid-body
                # (ResponseStreamingError): the client sees the short read.
                self.assertIn(outcome, ("ok", "404", "502", "503", "504", "ConnectionClosedError",
                                        "ReadTimeoutError", "EndpointConnectionError",
                                        "ResponseStreamingError"), key)
        for kind in self.proxies:
            self.assertTrue(any(k[0] == kind and k[1] == "victim" and k[2] == "after"
                                for k in counts), f"{kind}: no read of the dead node's keys")
        for k in sorted(counts):
            print(f"MEASURED kill {k[0]} {k[1]} keys {k[2]}: {k[3]} x{counts[k]}", flush=True)


if __name__ == "__main__":
    unittest.main()
