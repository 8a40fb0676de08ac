"""The aws cli (s3api put-object / get-object / head-object / list-buckets)
against a real `kvgate serve`; every upload is read back byte-exact. Skipped
when `aws` is not installed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402

GW = None
AWS = shutil.which("aws")


def setUpModule():
    global GW
    if AWS:
        GW = s3_gateway.Gateway()


def tearDownModule():
    if GW is not None:
        GW.stop()


@unittest.skipUnless(AWS, "aws cli not installed")
class AwsCliTests(unittest.TestCase):
    def aws(self, *args):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": s3_gateway.ROOT_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": s3_gateway.ROOT_SECRET_KEY,
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"})
        r = subprocess.run([AWS, "--endpoint-url", GW.url, *args], env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def test_s3api_round_trip(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.aws("s3api", "create-bucket", "--bucket", "cli")
            src = os.path.join(tmp, "src.bin")
            data = os.urandom(3 * 1024 * 1024 + 5)
            with open(src, "wb") as f:
                f.write(data)
            put = self.aws("s3api", "put-object", "--bucket", "cli", "--key", "dir/obj.bin", "--body", src,
                           "--content-type", "application/x-kv", "--metadata", "layer=7")
            self.assertIn("ETag", put)
            head = self.aws("s3api", "head-object", "--bucket", "cli", "--key", "dir/obj.bin")
            self.assertEqual(head["ContentLength"], len(data))
            self.assertEqual(head["ContentType"], "application/x-kv")
            self.assertEqual(head["Metadata"], {"layer": "7"})
            dst = os.path.join(tmp, "dst.bin")
            got = self.aws("s3api", "get-object", "--bucket", "cli", "--key", "dir/obj.bin", dst)
            self.assertEqual(got["ETag"], put["ETag"])
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), data)
            part = os.path.join(tmp, "part.bin")
            self.aws("s3api", "get-object", "--bucket", "cli", "--key", "dir/obj.bin", "--range", "bytes=10-19", part)
            with open(part, "rb") as f:
                self.assertEqual(f.read(), data[10:20])
            names = [b["Name"] for b in self.aws("s3api", "list-buckets")["Buckets"]]
            self.assertIn("cli", names)
            self.aws("s3api", "delete-object", "--bucket", "cli", "--key", "dir/obj.bin")


if __name__ == "__main__":
    unittest.main(verbosity=2)
