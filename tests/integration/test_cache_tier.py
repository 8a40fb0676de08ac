"""The cache tier through a real `kvgate serve` (docs/cache.md): capacity and
quotas from the configuration file, LRU eviction under a tight node limit
(recently read keys survive, survivors read back byte-exact), a no-evict
bucket's 403 QuotaExceeded, 507 InsufficientStorage answered before
100 Continue, `kvgate capacity` online (admin API) and offline with settings
kept across restarts, and S3 lifecycle configuration (round trip, errors,
expiry, aborted uploads) plus the default TTL, with a 1-second lifecycle day.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402
import s3_signing as sig  # noqa: E402

ACCESS, SECRET = "cache-test", "cache-test-secret-key"
KIB = 1024
MIB = 1024 * 1024

CONFIG = """
cache_max_bytes = "2MiB"
cache_high_watermark = 0.9
cache_low_watermark = 0.7
lifecycle_interval_seconds = 1
lifecycle_day_seconds = 1

[buckets.pinned]
quota_bytes = "300KiB"
no_evict = true

[buckets.ttl]
default_ttl = "3s"
"""


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


def status_of(exc):
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


class _Gw:
    """What s3_signing.request/raw_exchange need."""

    def __init__(self, port):
        self.host, self.port = "127.0.0.1", port


def wait_for(predicate, timeout=20.0, step=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class CacheTier(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-cache-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        self.data_args = [a for d in self.disks for a in ("--data", d)]
        self.config = os.path.join(self.tmp, "kvgate.toml")
        users = os.path.join(self.tmp, "users.toml")
        with open(users, "w") as f:
            f.write('[[user]]\naccess_key = "alice"\nsecret_key = "alice-secret-key"\n'
                    'read = ["*"]\nwrite = ["*"]\n')
        with open(self.config, "w") as f:
            f.write(f'credentials_file = "{users}"\n' + CONFIG)
        self.env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
                    "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self):
        return KvgateServer(kvgate_binary(), extra_args=self.data_args + ["--config", self.config],
                            env=self.env, disks=0, start_timeout=60.0)

    def capacity(self, *args, endpoint=None):
        cmd = [kvgate_binary(), "capacity", "--json", *args]
        cmd += ["--endpoint", endpoint] if endpoint else [*self.data_args, "--config", self.config]
        env = dict(os.environ)
        env.update(self.env)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_lru_eviction_quota_and_capacity_errors(self):
        rng = random.Random(11)
        with self.server() as srv:
            s3 = boto_client(srv.port)
            s3.create_bucket(Bucket="cache")
            s3.create_bucket(Bucket="pinned")
            hot = rng.randbytes(100 * KIB)
            s3.put_object(Bucket="cache", Key="hot", Body=hot)
            bodies = {}
            for i in range(40):  # 4 MiB through a 2 MiB cache
                key = f"seg/{i:03d}"
                bodies[key] = rng.randbytes(100 * KIB)
                s3.put_object(Bucket="cache", Key=key, Body=bodies[key])
                # The hot key is read after every write: it stays the most recent.
                self.assertEqual(s3.get_object(Bucket="cache", Key="hot")["Body"].read(), hot)
            endpoint = f"http://127.0.0.1:{srv.port}"
            # The evictor keeps usage under the limit (down to the low watermark).
            # Wait until it is under the limit and has stopped (two equal reports).
            last = {}

            def settled():
                now = self.capacity(endpoint=endpoint)["usage"]["logical_bytes"]
                same = last.get("bytes") == now
                last["bytes"] = now
                return now <= 2 * MIB and same

            self.assertTrue(wait_for(settled, step=0.5))
            report = self.capacity(endpoint=endpoint)
            evicted = sum(r["objects"] for r in report["evicted"].values())
            self.assertGreater(evicted, 0, report)
            self.assertEqual(report["max_bytes"], 2 * MIB)

            # The hot key survived; the oldest segments were evicted (404);
            # every survivor reads back byte-exact.
            self.assertEqual(s3.get_object(Bucket="cache", Key="hot")["Body"].read(), hot)
            listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket="cache") for o in page.get("Contents", [])]
            self.assertIn("hot", listed)
            self.assertNotIn("seg/000", listed)
            from botocore.exceptions import ClientError
            with self.assertRaises(ClientError) as e:
                s3.head_object(Bucket="cache", Key="seg/000")
            self.assertEqual(status_of(e.exception), 404)
            for key in listed:
                if key != "hot":
                    self.assertEqual(s3.get_object(Bucket="cache", Key=key)["Body"].read(),
                                     bodies[key], key)
            # The verb's usage matches what the bucket holds.
            report = self.capacity(endpoint=endpoint)
            self.assertEqual(report["buckets"]["cache"]["usage"]["objects"], len(listed))
            self.assertEqual(report["buckets"]["cache"]["usage"]["logical_bytes"],
                             len(hot) + sum(len(bodies[k]) for k in listed if k != "hot"))

            # A no-evict bucket refuses a write over its quota: 403 QuotaExceeded.
            for i in range(3):
                s3.put_object(Bucket="pinned", Key=f"p{i}", Body=rng.randbytes(100 * KIB))
            with self.assertRaises(ClientError) as e:
                s3.put_object(Bucket="pinned", Key="p3", Body=rng.randbytes(100 * KIB))
            self.assertEqual(error_code(e.exception), "QuotaExceeded")
            self.assertEqual(status_of(e.exception), 403)
            self.assertEqual(len(s3.list_objects_v2(Bucket="pinned").get("Contents", [])), 3)

            # An object larger than the node limit: 507 before 100 Continue.
            gw = _Gw(srv.port)
            headers = {"host": f"127.0.0.1:{srv.port}", "expect": "100-continue",
                       "content-length": str(3 * MIB)}
            headers, *_ = sig.sign_headers("PUT", "/cache/huge", (), headers, ACCESS, SECRET,
                                           "UNSIGNED-PAYLOAD")
            head = "PUT /cache/huge HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items())
            s, data = sig.raw_exchange(gw, (head + "\r\n").encode())
            try:
                self.assertTrue(data.startswith(b"HTTP/1.1 507 "), data[:300])
                self.assertNotIn(b"100 Continue", data)
                head_end = data.index(b"\r\n\r\n") + 4
                length = int([line.split(b":", 1)[1] for line in data[:head_end].split(b"\r\n")
                              if line.lower().startswith(b"content-length:")][0])
                body = data[head_end:]
                while len(body) < length:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.assertIn(b"<Code>InsufficientStorage</Code>", body)
                self.assertIn(b"<RequestId>", body)
            finally:
                s.close()
            with self.assertRaises(ClientError) as e:  # boto3 sends Expect: 100-continue
                s3.put_object(Bucket="cache", Key="huge2", Body=rng.randbytes(3 * MIB))
            self.assertEqual(error_code(e.exception), "InsufficientStorage")
            self.assertEqual(status_of(e.exception), 507)
            report = self.capacity(endpoint=endpoint)
            self.assertGreaterEqual(report["refused_quota"], 1)
            self.assertGreaterEqual(report["refused_capacity"], 1)

    def test_capacity_verb_online_offline_and_kept_across_restarts(self):
        with self.server() as srv:
            s3 = boto_client(srv.port)
            s3.create_bucket(Bucket="models")
            s3.put_object(Bucket="models", Key="a", Body=b"x" * 1000)
            endpoint = f"http://127.0.0.1:{srv.port}"
            report = self.capacity("--bucket", "models", "--quota-bytes", "1MiB",
                                   "--quota-objects", "10", "--ttl", "1h", endpoint=endpoint)
            models = report["buckets"]["models"]
            self.assertEqual(models["quota_bytes"], MIB)
            self.assertEqual(models["quota_objects"], 10)
            self.assertEqual(models["default_ttl"], 3600)
            self.assertEqual(models["usage"]["objects"], 1)
            self.assertEqual(models["usage"]["logical_bytes"], 1000)
            # Configured buckets are there too.
            self.assertTrue(report["buckets"]["pinned"]["no_evict"])
            # A bad change is refused with the reason, nothing is applied.
            bad = subprocess.run([kvgate_binary(), "capacity", "--endpoint", endpoint,
                                  "--low-watermark", "0.95"], capture_output=True, text=True,
                                 env={**os.environ, **self.env}, timeout=60)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("watermark", bad.stderr)
            # Only the root credentials reach the admin API: a user with a
            # write grant on every bucket gets 403 AccessDenied.
            r = sig.request(_Gw(srv.port), "GET", "/.kvgate/v1/admin/capacity",
                            access_key="alice", secret="alice-secret-key")
            self.assertEqual(r.status, 403, r.body)
            self.assertIn(b"AccessDenied", r.body)
            r = sig.request(_Gw(srv.port), "POST", "/.kvgate/v1/admin/capacity",
                            body=b'{"max_bytes": 1}', access_key="alice",
                            secret="alice-secret-key")
            self.assertEqual(r.status, 403, r.body)
            r = sig.request(_Gw(srv.port), "GET", "/.kvgate/v1/admin/capacity",
                            access_key=ACCESS, secret=SECRET)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(json.loads(r.body)["max_bytes"], 2 * MIB)
            # A running server holds the data: the offline verb refuses.
            busy = subprocess.run([kvgate_binary(), "capacity", *self.data_args],
                                  capture_output=True, text=True, timeout=60)
            self.assertNotEqual(busy.returncode, 0)

        # Offline: the run-time change was kept with the data.
        report = self.capacity()
        self.assertEqual(report["buckets"]["models"]["quota_bytes"], MIB)
        self.assertEqual(report["buckets"]["models"]["usage"]["objects"], 1)
        # Offline changes: a node limit the configuration also sets (the
        # configuration wins at start) and one it does not set (kept).
        report = self.capacity("--max-bytes", "8MiB", "--max-objects", "500",
                               "--bucket", "models", "--remove")
        self.assertEqual(report["max_bytes"], 8 * MIB)
        self.assertNotIn("models", {k for k, v in report["buckets"].items()
                                    if v["quota_bytes"] or v["default_ttl"]})
        with self.server() as srv:
            report = self.capacity(endpoint=f"http://127.0.0.1:{srv.port}")
            self.assertEqual(report["max_bytes"], 2 * MIB)  # cache_max_bytes in the file
            self.assertEqual(report["max_objects"], 500)     # kept
            self.assertEqual(report["buckets"]["models"]["quota_bytes"], 0)

    def test_lifecycle_configuration_expiry_and_default_ttl(self):
        from botocore.exceptions import ClientError

        with self.server() as srv:
            s3 = boto_client(srv.port)
            s3.create_bucket(Bucket="life")
            s3.create_bucket(Bucket="ttl")
            with self.assertRaises(ClientError) as e:
                s3.get_bucket_lifecycle_configuration(Bucket="life")
            self.assertEqual(error_code(e.exception), "NoSuchLifecycleConfiguration")
            self.assertEqual(status_of(e.exception), 404)
            with self.assertRaises(ClientError) as e:
                s3.put_bucket_lifecycle_configuration(Bucket="life", LifecycleConfiguration={
                    "Rules": [{"ID": "bad", "Filter": {"Prefix": ""}, "Status": "Enabled",
                               "Expiration": {"Days": 0}}]})
            self.assertEqual(error_code(e.exception), "InvalidArgument")
            with self.assertRaises(ClientError) as e:
                s3.put_bucket_lifecycle_configuration(Bucket="life", LifecycleConfiguration={
                    "Rules": [{"ID": "t", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
                               "Status": "Enabled", "Expiration": {"Days": 1}}]})
            self.assertEqual(error_code(e.exception), "NotImplemented")
            r = sig.request(_Gw(srv.port), "PUT", "/life", query=[("lifecycle", "")],
                            body=b"<LifecycleConfiguration><Rule>", access_key=ACCESS,
                            secret=SECRET)
            self.assertEqual(r.status, 400)
            self.assertIn(b"MalformedXML", r.body)

            rules = [
                {"ID": "expire-tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled",
                 "Expiration": {"Days": 2}},
                {"ID": "abort-uploads", "Filter": {"Prefix": "up/"}, "Status": "Enabled",
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
                {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled",
                 "Expiration": {"Days": 1}},
            ]
            s3.put_bucket_lifecycle_configuration(Bucket="life",
                                                  LifecycleConfiguration={"Rules": rules})
            got = s3.get_bucket_lifecycle_configuration(Bucket="life")["Rules"]
            self.assertEqual(got, rules)

            s3.put_object(Bucket="life", Key="tmp/a", Body=b"a")
            s3.put_object(Bucket="life", Key="keep/b", Body=b"b")
            s3.put_object(Bucket="life", Key="other", Body=b"c")
            up = s3.create_multipart_upload(Bucket="life", Key="up/x")["UploadId"]
            s3.upload_part(Bucket="life", Key="up/x", UploadId=up, PartNumber=1, Body=b"p" * 100)
            kept_up = s3.create_multipart_upload(Bucket="life", Key="keep/y")["UploadId"]
            s3.put_object(Bucket="ttl", Key="short", Body=b"t")

            def keys(bucket):
                return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}

            # Two 1-second "days" plus a pass or two of the 1-second worker.
            self.assertTrue(wait_for(lambda: "tmp/a" not in keys("life"), timeout=30))
            self.assertEqual(keys("life"), {"keep/b", "other"})
            self.assertTrue(wait_for(lambda: [u["Key"] for u in s3.list_multipart_uploads(
                Bucket="life").get("Uploads", [])] == ["keep/y"], timeout=30))
            with self.assertRaises(ClientError) as e:
                s3.list_parts(Bucket="life", Key="up/x", UploadId=up)
            self.assertEqual(error_code(e.exception), "NoSuchUpload")
            s3.abort_multipart_upload(Bucket="life", Key="keep/y", UploadId=kept_up)
            # The default TTL of [buckets.ttl] (3 s).
            self.assertTrue(wait_for(lambda: not keys("ttl"), timeout=30))

            report = self.capacity(endpoint=f"http://127.0.0.1:{srv.port}")
            self.assertGreaterEqual(report["lifecycle"]["expired_objects"], 2)
            self.assertGreaterEqual(report["lifecycle"]["aborted_uploads"], 1)

            r = s3.delete_bucket_lifecycle(Bucket="life")
            self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
            with self.assertRaises(ClientError) as e:
                s3.get_bucket_lifecycle_configuration(Bucket="life")
            self.assertEqual(error_code(e.exception), "NoSuchLifecycleConfiguration")

            # The configuration is kept with the bucket: across a restart, and
            # gone with the bucket.
            s3.put_bucket_lifecycle_configuration(Bucket="life",
                                                  LifecycleConfiguration={"Rules": rules[:1]})
        with self.server() as srv:
            s3 = boto_client(srv.port)
            self.assertEqual(s3.get_bucket_lifecycle_configuration(Bucket="life")["Rules"],
                             rules[:1])
            for key in keys_of(s3, "life"):
                s3.delete_object(Bucket="life", Key=key)
            s3.delete_bucket(Bucket="life")
            s3.create_bucket(Bucket="life")
            with self.assertRaises(ClientError) as e:
                s3.get_bucket_lifecycle_configuration(Bucket="life")
            self.assertEqual(error_code(e.exception), "NoSuchLifecycleConfiguration")


def keys_of(s3, bucket):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


if __name__ == "__main__":
    unittest.main()
