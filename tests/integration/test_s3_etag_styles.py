"""ETag styles through a real `kvgate serve` (docs/configuration.md, "ETags").

The server runs with `[buckets.segments] etag = "xxh3"` and the default (md5) for
every other bucket; a second server runs with `--etag xxh3` for all buckets.
Checked: a single PUT's ETag is the MD5 of the body in an md5 bucket and
"<XXH3-128 hex>-xxh3" in an xxh3 bucket (compared with python3-xxhash);
Content-MD5 is still verified in an xxh3 bucket (BadDigest) and then gives the
MD5 ETag; HEAD, GET, ListObjectsV2 and If-Match / If-None-Match use the xxh3
ETag; a multipart upload of xxh3 parts completes with "<md5 of the part
digests>-N" and reads back byte-exact; rclone (copy, check) and s3cmd (put,
get) move files into and out of an xxh3 bucket without taking the ETag for an
MD5; a bad `etag` value stops start-up with the key named.
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

try:
    import xxhash
except ImportError:  # Debian: python3-xxhash (tests/install-deps.sh)
    xxhash = None

ACCESS, SECRET = "etag-test", "etag-test-secret-key"
MIB = 1024 * 1024
RCLONE = shutil.which("rclone")
S3CMD = shutil.which("s3cmd")

CONFIG = """
[buckets.segments]
etag = "xxh3"
"""


def boto_client(port):
    """boto3 without the Content-MD5 that Debian's botocore adds to every
    PutObject and UploadPart (as newer botocore, LMCache's awscrt client and
    the SDK send none); a test passes ContentMD5 itself where it wants one."""
    import boto3
    from botocore import handlers
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                          aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                          region_name="us-east-1",
                          config=Config(retries={"max_attempts": 1}, read_timeout=60))
    for op in ("PutObject", "UploadPart"):
        client.meta.events.unregister(f"before-call.s3.{op}", handlers.conditionally_calculate_md5)
    return client


def md5_etag(data):
    return '"%s"' % hashlib.md5(data).hexdigest()


def xxh3_etag(data):
    return '"%s-xxh3"' % xxhash.xxh3_128_hexdigest(data)


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


class _ServerCase(unittest.TestCase):
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kvgate-etag-it-")
        cls.config = os.path.join(cls.tmp, "kvgate.toml")
        with open(cls.config, "w") as f:
            f.write(CONFIG)
        env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        cls.srv = KvgateServer(kvgate_binary(),
                               extra_args=["--config", cls.config, *cls.extra_args], env=env,
                               start_timeout=60.0)
        cls.srv.start()
        cls.s3 = boto_client(cls.srv.port)
        for bucket in ("segments", "plain"):
            cls.s3.create_bucket(Bucket=bucket)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)


@unittest.skipUnless(xxhash, "python3-xxhash is not installed (tests/install-deps.sh)")
class PerBucketEtags(_ServerCase):
    def test_single_put_etag_follows_the_bucket(self):
        body = random.Random(1).randbytes(3 * MIB + 17)
        plain = self.s3.put_object(Bucket="plain", Key="seg", Body=body)["ETag"]
        self.assertEqual(plain, md5_etag(body))
        kv = self.s3.put_object(Bucket="segments", Key="seg", Body=body)["ETag"]
        self.assertEqual(kv, xxh3_etag(body))
        self.assertEqual(self.s3.head_object(Bucket="segments", Key="seg")["ETag"], kv)
        got = self.s3.get_object(Bucket="segments", Key="seg")
        self.assertEqual(got["ETag"], kv)
        self.assertEqual(got["Body"].read(), body)
        listed = self.s3.list_objects_v2(Bucket="segments", Prefix="seg")["Contents"]
        self.assertEqual([o["ETag"] for o in listed], [kv])
        empty = self.s3.put_object(Bucket="segments", Key="empty", Body=b"")["ETag"]
        self.assertEqual(empty, xxh3_etag(b""))

    def test_conditionals_use_the_xxh3_etag(self):
        from botocore.exceptions import ClientError

        body = b"kv segment " * 1000
        etag = self.s3.put_object(Bucket="segments", Key="cond", Body=body)["ETag"]
        ranged = self.s3.get_object(Bucket="segments", Key="cond", Range="bytes=0-9", IfMatch=etag)
        self.assertEqual(ranged["Body"].read(), body[:10])
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="segments", Key="cond", IfMatch=md5_etag(body))
        self.assertEqual(error_code(e.exception), "PreconditionFailed")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="segments", Key="cond", IfNoneMatch=etag)
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 304)

    def test_content_md5_is_verified_and_gives_the_md5_etag(self):
        import base64
        from botocore.exceptions import ClientError

        body = random.Random(2).randbytes(100_000)
        good = base64.b64encode(hashlib.md5(body).digest()).decode()
        etag = self.s3.put_object(Bucket="segments", Key="md5", Body=body, ContentMD5=good)["ETag"]
        self.assertEqual(etag, md5_etag(body))
        bad = base64.b64encode(hashlib.md5(body + b"x").digest()).decode()
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="segments", Key="md5-bad", Body=body, ContentMD5=bad)
        self.assertEqual(error_code(e.exception), "BadDigest")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket="segments", Key="md5-bad")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_multipart_of_xxh3_parts(self):
        rng = random.Random(3)
        parts = [rng.randbytes(5 * MIB), rng.randbytes(5 * MIB), rng.randbytes(1 * MIB + 5)]
        up = self.s3.create_multipart_upload(Bucket="segments", Key="mp")["UploadId"]
        done = []
        for n in (3, 1, 2):  # out of order
            etag = self.s3.upload_part(Bucket="segments", Key="mp", UploadId=up, PartNumber=n,
                                       Body=parts[n - 1])["ETag"]
            self.assertEqual(etag, xxh3_etag(parts[n - 1]))
            done.append({"PartNumber": n, "ETag": etag})
        listed = self.s3.list_parts(Bucket="segments", Key="mp", UploadId=up)["Parts"]
        self.assertEqual([p["ETag"] for p in listed], [xxh3_etag(p) for p in parts])
        done.sort(key=lambda p: p["PartNumber"])
        etag = self.s3.complete_multipart_upload(Bucket="segments", Key="mp", UploadId=up,
                                                 MultipartUpload={"Parts": done})["ETag"]
        digests = b"".join(xxhash.xxh3_128_digest(p) for p in parts)
        self.assertEqual(etag, '"%s-3"' % hashlib.md5(digests).hexdigest())
        got = self.s3.get_object(Bucket="segments", Key="mp")
        self.assertEqual(got["ETag"], etag)
        self.assertEqual(got["Body"].read(), b"".join(parts))
        second = self.s3.get_object(Bucket="segments", Key="mp", PartNumber=2)
        self.assertEqual(second["Body"].read(), parts[1])

    def test_copy_into_an_xxh3_bucket_keeps_md5(self):
        body = b"copied" * 5000
        self.s3.put_object(Bucket="segments", Key="src", Body=body)
        copied = self.s3.copy_object(Bucket="segments", Key="dst", CopySource={"Bucket": "segments",
                                                                        "Key": "src"})
        self.assertEqual(copied["CopyObjectResult"]["ETag"], md5_etag(body))
        self.assertEqual(self.s3.get_object(Bucket="segments", Key="dst")["Body"].read(), body)

    @unittest.skipUnless(RCLONE, "rclone not installed")
    def test_rclone_copy_and_check(self):
        src = os.path.join(self.tmp, "rclone-src")
        os.makedirs(src, exist_ok=True)
        rng = random.Random(4)
        for name, size in (("small.bin", 1000), ("large.bin", 7 * MIB + 3)):
            with open(os.path.join(src, name), "wb") as f:
                f.write(rng.randbytes(size))
        cfg = os.path.join(self.tmp, "rclone.conf")
        with open(cfg, "w") as f:
            f.write("[kv]\ntype = s3\nprovider = Other\naccess_key_id = %s\n"
                    "secret_access_key = %s\nendpoint = http://127.0.0.1:%d\n"
                    "region = us-east-1\nforce_path_style = true\nupload_cutoff = 5M\n"
                    "chunk_size = 5M\n" % (ACCESS, SECRET, self.srv.port))
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)  # aws-sdk-go v1 cannot load it into rclone's transport
        for args in (("copy", src, "kv:segments/rcl"), ("check", src, "kv:segments/rcl")):
            r = subprocess.run([RCLONE, "--config", cfg, "--retries", "1",
                                "--low-level-retries", "1", *args], capture_output=True,
                               text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("corrupted", r.stderr)
        back = os.path.join(self.tmp, "rclone-back")
        r = subprocess.run([RCLONE, "--config", cfg, "copy", "kv:segments/rcl", back],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                           env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("small.bin", "large.bin"):
            with open(os.path.join(src, name), "rb") as a, open(os.path.join(back, name),
                                                                  "rb") as b:
                self.assertEqual(a.read(), b.read())


    @unittest.skipUnless(S3CMD, "s3cmd not installed")
    def test_s3cmd_put_and_get(self):
        cfg = os.path.join(self.tmp, "s3cfg")
        with open(cfg, "w") as f:
            f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                    "host_bucket = 127.0.0.1:%d\nuse_https = False\nsignature_v2 = False\n"
                    "bucket_location = us-east-1\nmultipart_chunk_size_mb = 5\n"
                    % (ACCESS, SECRET, self.srv.port, self.srv.port))
        rng = random.Random(5)
        for name, size in (("s3cmd-small.bin", 2000), ("s3cmd-large.bin", 6 * MIB + 1)):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(rng.randbytes(size))
            r = subprocess.run([S3CMD, "-c", cfg, "put", path, f"s3://segments/{name}"],
                               capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("MD5 Sums don't match", r.stderr + r.stdout)
            back = path + ".back"
            r = subprocess.run([S3CMD, "-c", cfg, "get", "--force", f"s3://segments/{name}",
                                back], capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("MD5 signatures do not match", r.stderr + r.stdout)
            with open(path, "rb") as a, open(back, "rb") as b:
                self.assertEqual(a.read(), b.read())


@unittest.skipUnless(xxhash, "python3-xxhash is not installed (tests/install-deps.sh)")
class ServerWideXxh3(_ServerCase):
    extra_args = ("--etag", "xxh3")

    def test_every_bucket_gets_xxh3(self):
        body = b"server wide" * 333
        for bucket in ("segments", "plain"):
            etag = self.s3.put_object(Bucket=bucket, Key="k", Body=body)["ETag"]
            self.assertEqual(etag, xxh3_etag(body))


class BadEtagValue(unittest.TestCase):
    def run_serve(self, *args, config_text=None):
        tmp = tempfile.mkdtemp(prefix="kvgate-etag-bad-")
        try:
            cmd = [kvgate_binary(), "serve", "--listen", "127.0.0.1:0", "--data",
                   os.path.join(tmp, "d1"), *args]
            if config_text is not None:
                path = os.path.join(tmp, "kvgate.toml")
                with open(path, "w") as f:
                    f.write(config_text)
                cmd += ["--config", path]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                  stdin=subprocess.DEVNULL)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_bad_values_stop_start_up(self):
        r = self.run_serve("--etag", "sha1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("etag", r.stderr)
        self.assertIn('"sha1" is not md5 or xxh3', r.stderr)
        r = self.run_serve(config_text='[buckets.segments]\netag = "crc"\n')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("buckets.segments.etag", r.stderr)


if __name__ == "__main__":
    unittest.main()
