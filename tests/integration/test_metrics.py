"""GET /metrics of a real `kvgate serve` after a scripted workload.

The workload is exact (N PUTs, M GETs, K HEAD misses, one request signed with
a wrong secret, one CreateBucket), so the counters must be exact too. The
exposition is parsed by a small parser below (text format 0.0.4: HELP/TYPE
lines, escaped label values, histograms as _bucket/_sum/_count) and checked
for consistency: every sample belongs to a declared family, histogram buckets
are cumulative and end at +Inf == _count, and nothing sensitive (keys, bucket
names, access keys) appears.
"""
import math
import os
import re
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ACCESS, SECRET = "metrics-test", "metrics-test-secret-key"
BUCKET = "metricsbucket"
N_PUTS, M_GETS, K_HEAD_MISSES = 5, 7, 4
BODY_SIZE = 100 * 1024 + 3

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def unescape(v):
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v):
            nxt = v[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_value(text):
    return {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}.get(text) \
        if text in ("+Inf", "-Inf", "NaN") else float(text)


def parse_exposition(text):
    """Returns (types, helps, samples): samples is a list of
    (name, labels dict, value). Raises AssertionError on malformed lines."""
    types, helps, samples = {}, {}, []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in helps, f"second HELP for {name}"
            helps[name] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, f"second TYPE for {name}"
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = SAMPLE_RE.match(line)
        assert m, f"malformed sample line: {line!r}"
        labels = {}
        if m.group(3):
            consumed = ",".join(f'{k}="{v}"' for k, v in LABEL_RE.findall(m.group(3)))
            assert consumed == m.group(3), f"malformed labels: {line!r}"
            labels = {k: unescape(v) for k, v in LABEL_RE.findall(m.group(3))}
        samples.append((m.group(1), labels, parse_value(m.group(4))))
    return types, helps, samples


def family_of(name, types):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return None


class Metrics:
    def __init__(self, text):
        self.text = text
        self.types, self.helps, self.samples = parse_exposition(text)

    def get(self, name, **labels):
        found = [v for n, ls, v in self.samples if n == name and ls == labels]
        if not found:
            raise KeyError(f"{name}{labels} not exposed")
        assert len(found) == 1, f"{name}{labels} exposed {len(found)} times"
        return found[0]

    def get_or(self, name, default, **labels):
        try:
            return self.get(name, **labels)
        except KeyError:
            return default

    def series(self, name):
        return [(ls, v) for n, ls, v in self.samples if n == name]


def boto_client(port, secret=SECRET):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ACCESS, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        assert r.status == 200
        ctype = r.headers.get("Content-Type")
        return Metrics(r.read().decode()), ctype


class FreshServerTest(unittest.TestCase):
    """A fresh server per test (the workload's counters must start at zero),
    with EXTRA_ENV added to its environment."""
    EXTRA_ENV = {}

    def setUp(self):
        env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn", **self.EXTRA_ENV}
        self.srv = KvgateServer(kvgate_binary(), env=env, start_timeout=60.0).start()

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()


class MetricsEndpoint(FreshServerTest):

    def test_scripted_workload_gives_exact_counters(self):
        from botocore.exceptions import ClientError

        port = self.srv.port
        before, ctype = scrape(port)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        # A fresh server: no S3 request counted yet, the probe itself excluded.
        self.assertEqual(before.series("kvgate_requests_total"), [])
        self.assertEqual(before.get("kvgate_requests_in_flight"), 0)

        s3 = boto_client(port)
        s3.create_bucket(Bucket=BUCKET)
        bodies = {f"seg/{i}": os.urandom(BODY_SIZE) for i in range(N_PUTS)}
        for key, body in bodies.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        keys = sorted(bodies)
        for i in range(M_GETS):
            key = keys[i % len(keys)]
            self.assertEqual(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), bodies[key])
        for i in range(K_HEAD_MISSES):
            with self.assertRaises(ClientError) as e:
                s3.head_object(Bucket=BUCKET, Key=f"missing/{i}")
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        bad = boto_client(port, secret="not-the-secret")
        with self.assertRaises(ClientError) as e:
            bad.put_object(Bucket=BUCKET, Key="forged", Body=b"x" * 1000)
        self.assertEqual(e.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

        m, _ = scrape(port)
        requests = {(ls["operation"], ls["status"]): v
                    for ls, v in m.series("kvgate_requests_total")}
        self.assertEqual(requests, {
            ("CreateBucket", "200"): 1,
            ("PutObject", "200"): N_PUTS,
            ("GetObject", "200"): M_GETS,
            ("HeadObject", "404"): K_HEAD_MISSES,
            ("PutObject", "403"): 1,
        })
        self.assertEqual(m.get("kvgate_requests_in_flight"), 0)

        # Histograms: one observation per request, cumulative buckets.
        expected_counts = {"PutObject": N_PUTS + 1, "GetObject": M_GETS,
                           "HeadObject": K_HEAD_MISSES, "UploadPart": 0, "other": 1}
        for op, count in expected_counts.items():
            self.assertEqual(m.get("kvgate_request_duration_seconds_count", operation=op), count, op)
            buckets = sorted(((float(ls["le"]) if ls["le"] != "+Inf" else math.inf), v)
                             for ls, v in m.series("kvgate_request_duration_seconds_bucket")
                             if ls["operation"] == op)
            self.assertEqual(len(buckets), 19, op)
            self.assertEqual(buckets[0][0], 0.00005)
            self.assertEqual(buckets[-2][0], 30)
            self.assertEqual(buckets[-1], (math.inf, count), op)
            values = [v for _, v in buckets]
            self.assertEqual(values, sorted(values), f"{op}: buckets not cumulative")
            total = m.get("kvgate_request_duration_seconds_sum", operation=op)
            self.assertGreaterEqual(total, 0)
            if count:
                self.assertGreater(total, 0, op)
        # Histogram counts agree with the request counters per operation.
        for op in ("PutObject", "GetObject", "HeadObject"):
            self.assertEqual(m.get("kvgate_request_duration_seconds_count", operation=op),
                             sum(v for (o, _), v in requests.items() if o == op))

        # Body bytes: at least the payloads, at most a little framing/XML more.
        received = m.get("kvgate_received_bytes_total", transport="tcp")
        sent = m.get("kvgate_sent_bytes_total", transport="tcp")
        self.assertGreaterEqual(received, N_PUTS * BODY_SIZE)
        self.assertLess(received, N_PUTS * BODY_SIZE + 8192)
        self.assertGreaterEqual(sent, M_GETS * BODY_SIZE)
        self.assertLess(sent, M_GETS * BODY_SIZE + 8192)
        self.assertEqual(m.get("kvgate_received_bytes_total", transport="tls"), 0)
        self.assertEqual(m.get("kvgate_received_bytes_total", transport="rdma"), 0)
        self.assertEqual(m.get("kvgate_sent_bytes_total", transport="rdma"), 0)

        self.assertGreaterEqual(m.get("kvgate_connections_total"), 3)
        self.assertGreaterEqual(m.get("kvgate_connections"), 1)  # the scrape's own

        # Erasure set: six disks by index, all online and ok, nothing degraded.
        for d in range(6):
            self.assertEqual(m.get("kvgate_disk_online", disk=str(d)), 1)
            self.assertEqual(m.get("kvgate_disk_state", disk=str(d), state="ok"), 1)
            self.assertEqual(m.get("kvgate_disk_state", disk=str(d), state="offline"), 0)
            self.assertGreater(m.get("kvgate_disk_size_bytes", disk=str(d)), 0)
        self.assertEqual(m.get("kvgate_erasure_degraded_reads_total"), 0)
        self.assertEqual(m.get("kvgate_erasure_heal_queue_depth"), 0)
        self.assertEqual(m.get("kvgate_buckets"), 1)

        # Cache tier: exactly the objects written.
        self.assertEqual(m.get("kvgate_cache_objects"), N_PUTS)
        self.assertEqual(m.get("kvgate_cache_used_bytes"), N_PUTS * BODY_SIZE)
        self.assertGreater(m.get("kvgate_cache_stored_bytes"), N_PUTS * BODY_SIZE)
        self.assertEqual(m.get("kvgate_cache_limit_bytes"), 0)
        self.assertEqual(sum(v for _, v in m.series("kvgate_cache_evictions_total")), 0)
        lookups = {(ls["operation"], ls["result"]): v
                   for ls, v in m.series("kvgate_cache_lookups_total")}
        self.assertEqual(lookups, {("GetObject", "hit"): M_GETS, ("GetObject", "miss"): 0,
                                   ("HeadObject", "hit"): 0,
                                   ("HeadObject", "miss"): K_HEAD_MISSES})

        # RDMA is not configured: disabled, no sessions, no declines yet.
        self.assertEqual(m.get("kvgate_rdma_enabled"), 0)
        self.assertEqual(m.get("kvgate_rdma_sessions"), 0)
        reasons = {ls["reason"] for ls, _ in m.series("kvgate_rdma_declines_total")}
        self.assertIn("not-enabled", reasons)
        self.assertEqual(sum(v for _, v in m.series("kvgate_rdma_declines_total")), 0)

        # Nothing sensitive: no bucket, key or credential in the exposition.
        for secret in (BUCKET, "seg/", "missing/", "forged", ACCESS, SECRET):
            self.assertNotIn(secret, m.text)

        # A scrape is not an S3 request: counters do not move.
        again, _ = scrape(port)
        self.assertEqual(again.series("kvgate_requests_total"), m.series("kvgate_requests_total"))

    def test_exposition_is_well_formed(self):
        m, _ = scrape(self.srv.port)
        for name, labels, value in m.samples:
            fam = family_of(name, m.types)
            self.assertIsNotNone(fam, f"sample {name} has no TYPE line")
            self.assertIn(fam, m.helps)
            self.assertTrue(fam.startswith("kvgate_"), fam)
            if m.types[fam] == "counter":
                self.assertTrue(fam.endswith("_total"), fam)
                self.assertGreaterEqual(value, 0)
            if name.endswith("_bucket"):
                self.assertIn("le", labels)
        # HELP/TYPE precede the family's samples.
        lines = m.text.split("\n")
        seen_types = set()
        for line in lines:
            if line.startswith("# TYPE "):
                seen_types.add(line.split(" ")[2])
            elif line and not line.startswith("#"):
                name = SAMPLE_RE.match(line).group(1)
                self.assertIn(family_of(name, m.types), seen_types, line)

    def test_dashboard_uses_only_exposed_metrics(self):
        import json
        path = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                            "grafana-dashboard.json")
        with open(path) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        self.assertGreater(len(exprs), 10)
        names = set(re.findall(r"kvgate_[a-z_]+", "\n".join(exprs)))
        m, _ = scrape(self.srv.port)
        for name in sorted(names):
            self.assertIsNotNone(family_of(name, m.types), f"dashboard uses unknown {name}")

    def test_rdma_declines_are_counted_by_reason(self):
        import http.client

        from s3_signing import EMPTY_SHA256, sign_headers

        port = self.srv.port
        for _ in range(2):
            headers, *_ = sign_headers("POST", "/.rdma/v1/sessions", [],
                                       {"host": f"127.0.0.1:{port}", "content-length": "0"},
                                       ACCESS, SECRET, EMPTY_SHA256)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/.rdma/v1/sessions", headers=headers)
            r = conn.getresponse()
            r.read()
            conn.close()
            self.assertEqual(r.getheader("x-amz-rdma-reason"), "not-enabled")
        m, _ = scrape(port)
        self.assertEqual(m.get("kvgate_rdma_declines_total", reason="not-enabled"), 2)
        self.assertEqual(m.get("kvgate_rdma_declines_total", reason="busy"), 0)
        statuses = {ls["status"]: v for ls, v in m.series("kvgate_requests_total")
                    if ls["operation"] == "RdmaEndpoint"}
        self.assertEqual(sum(statuses.values()), 2)

    def test_metrics_and_health_need_no_credentials_and_accept_only_get(self):
        port = self.srv.port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=10) as r:
            self.assertEqual(r.status, 200)
        # Other methods on /metrics go to the S3 layer (unsigned: 403).
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", method="DELETE")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(e.exception.code, 403)


class LifecycleAndAgeMetrics(FreshServerTest):
    """The lifecycle worker's counters and the age of the least recently used
    object, with a 1-second lifecycle day (test-only setting)."""
    EXTRA_ENV = {"KVGATE_LIFECYCLE_DAY_SECONDS": "1", "KVGATE_LIFECYCLE_INTERVAL_SECONDS": "1"}

    def test_expiry_and_aborted_uploads_are_counted_exactly(self):
        import time

        port = self.srv.port
        m, _ = scrape(port)
        for name in ("kvgate_lifecycle_expired_objects_total",
                     "kvgate_lifecycle_expired_bytes_total",
                     "kvgate_lifecycle_aborted_uploads_total", "kvgate_lifecycle_errors_total",
                     "kvgate_cache_oldest_access_age_seconds"):
            self.assertEqual(m.get(name), 0, name)

        c = boto_client(port)
        c.create_bucket(Bucket=BUCKET)
        c.put_object(Bucket=BUCKET, Key="keep/x", Body=b"k" * 500)
        for i, size in enumerate((1000, 2000, 3000)):
            c.put_object(Bucket=BUCKET, Key=f"tmp/{i}", Body=b"t" * size)
        c.create_multipart_upload(Bucket=BUCKET, Key="tmp/mp")
        c.create_multipart_upload(Bucket=BUCKET, Key="keep/mp")
        c.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [{
            "ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
            "Expiration": {"Days": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m, _ = scrape(port)
            if (m.get("kvgate_lifecycle_expired_objects_total") >= 3 and
                    m.get("kvgate_lifecycle_aborted_uploads_total") >= 1):
                break
            time.sleep(0.25)
        time.sleep(2.5)  # two more cycles: nothing else may be counted
        m, _ = scrape(port)
        self.assertEqual(m.get("kvgate_lifecycle_expired_objects_total"), 3)
        self.assertEqual(m.get("kvgate_lifecycle_expired_bytes_total"), 6000)
        self.assertEqual(m.get("kvgate_lifecycle_aborted_uploads_total"), 1)
        self.assertEqual(m.get("kvgate_lifecycle_errors_total"), 0)
        self.assertGreaterEqual(m.get("kvgate_lifecycle_cycles_total"), 1)
        self.assertEqual(m.get("kvgate_cache_objects"), 1)
        self.assertEqual(m.get("kvgate_cache_used_bytes"), 500)
        listed = c.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        self.assertEqual([o["Key"] for o in listed], ["keep/x"])
        uploads = c.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        self.assertEqual([u["Key"] for u in uploads], ["keep/mp"])
        # keep/x was written before everything above: its age is the
        # oldest, at least the time the expiry took, and it resets on a GET.
        age = m.get("kvgate_cache_oldest_access_age_seconds")
        self.assertGreater(age, 1.0)
        self.assertLess(age, 300)
        c.get_object(Bucket=BUCKET, Key="keep/x")["Body"].read()
        m, _ = scrape(port)
        self.assertLess(m.get("kvgate_cache_oldest_access_age_seconds"), age)


class BitrotMetrics(FreshServerTest):
    """Bytes flipped in a data shard file of a running server: the next GET
    still returns the object byte-exact (rebuilt from parity), counts one
    shard of bitrot and one degraded read, and the heal queue rewrites the
    shard (one bitrot repair), after which reads find nothing more."""

    def test_flipped_shard_bytes_count_as_bitrot_found_and_repaired(self):
        import glob
        import time

        port = self.srv.port
        c = boto_client(port)
        c.create_bucket(Bucket=BUCKET)
        body = os.urandom(1024 * 1024 + 5)
        c.put_object(Bucket=BUCKET, Key="rot/obj", Body=body)
        shards = sorted(glob.glob(os.path.join(self.srv.tmp, "data", "disk*", "buckets", BUCKET,
                                               "obj", "*", "*", "*", "*", "part.1")))
        self.assertEqual(len(shards), 6, shards)
        m, _ = scrape(port)
        self.assertEqual(m.get("kvgate_erasure_bitrot_detected_total"), 0)
        self.assertEqual(m.get("kvgate_erasure_bitrot_repaired_total"), 0)

        def flip(path, offset=100):
            with open(path, "r+b") as f:
                f.seek(offset)
                b = f.read(1)
                f.seek(offset)
                f.write(bytes([b[0] ^ 0xFF]))
            return b[0]

        # A GET reads the k data shards only: flip one shard after another
        # until a read finds the damage (a parity shard is put back as it was).
        rotten, original = None, None
        for path in shards:
            original = flip(path)
            self.assertEqual(c.get_object(Bucket=BUCKET, Key="rot/obj")["Body"].read(), body)
            m, _ = scrape(port)
            if m.get("kvgate_erasure_bitrot_detected_total") > 0:
                rotten = path
                break
            flip(path)  # parity: unread, restore it
        self.assertIsNotNone(rotten, "no GET found the flipped bytes")
        self.assertEqual(m.get("kvgate_erasure_bitrot_detected_total"), 1)
        self.assertEqual(m.get("kvgate_erasure_degraded_reads_total"), 1)

        # The degraded read queued a heal; the background drain rewrites the shard.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m, _ = scrape(port)
            if (m.get("kvgate_erasure_bitrot_repaired_total") >= 1 and
                    m.get("kvgate_erasure_heal_queue_depth") == 0):
                break
            time.sleep(0.25)
        self.assertEqual(m.get("kvgate_erasure_bitrot_repaired_total"), 1)
        self.assertEqual(m.get("kvgate_erasure_healed_objects_total"), 1)
        self.assertEqual(c.get_object(Bucket=BUCKET, Key="rot/obj")["Body"].read(), body)
        m, _ = scrape(port)
        self.assertEqual(m.get("kvgate_erasure_bitrot_detected_total"), 1)
        self.assertEqual(m.get("kvgate_erasure_degraded_reads_total"), 1)
        rewritten = sorted(glob.glob(os.path.join(self.srv.tmp, "data", "disk*", "buckets",
                                                  BUCKET, "obj", "*", "*", "*", "*", "part.1")))
        self.assertEqual(len(rewritten), 6)
        with open(rotten if os.path.exists(rotten) else rewritten[shards.index(rotten)],
                  "rb") as f:
            f.seek(100)
            self.assertEqual(f.read(1)[0], original)


if __name__ == "__main__":
    unittest.main()
