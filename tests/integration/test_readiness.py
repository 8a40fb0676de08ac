"""/health/ready follows the write quorum of a running `kvgate serve`.

Six disks in a 4+2 set: a write needs min(k + 1, k + m) = 5 online disks.
Disks 5 and 6 are bind mounts the test remounts read-only under the server
(EROFS: the next write takes the disk offline). With one disk gone the node
is still ready (5 online); with two it answers 503 on /health/ready while
/health/live stays 200, writes get 503 and every acknowledged object still
reads back. The engine brings a disk back at its next start (there is no
re-probe of an offline disk while running): the disks are remounted
read-write, the server restarts on the same data and answers 200 again,
with every object readable and writes accepted.

Needs root and mount(2): SKIPPED with the reason otherwise.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402
from test_disk_faults import http_status, mount_unavailable, run, scrape_value  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "ready-root", "ready-root-secret-key"
BUCKET = "ready"
# Disk 1 holds the RocksDB index (its open files keep a bind mount from being
# remounted read-only): the faults go to disks 5 and 6.
FAULTY = (4, 5)
UNAVAILABLE = mount_unavailable()


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ROOT_ACCESS, aws_secret_access_key=ROOT_SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60,
                                      connect_timeout=5))


@unittest.skipIf(UNAVAILABLE, UNAVAILABLE)
class ReadinessFollowsWriteQuorum(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        self.tmp = tempfile.mkdtemp(prefix="kvgate-ready-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        for d in self.disks:
            os.makedirs(d)
        self.mounts = []
        for i in FAULTY:
            run("mount", "--bind", self.disks[i], self.disks[i])
            self.mounts.append(self.disks[i])
        self.env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
                    "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "info"}
        self.acked = {}

    def tearDown(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self):
        args = [a for d in self.disks for a in ("--data", d)]
        return KvgateServer(kvgate_binary(), env=self.env, disks=0, start_timeout=120.0,
                            extra_args=args).start()

    def put_status(self, client, key):
        from botocore.exceptions import ClientError

        body = os.urandom(300 * 1024 + len(self.acked))
        try:
            client.put_object(Bucket=BUCKET, Key=key, Body=body)
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"]
        self.acked[key] = hashlib.sha256(body).digest()
        return 200

    def check_all(self, client):
        for key, want in self.acked.items():
            got = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.assertEqual(hashlib.sha256(got).digest(), want, key)

    def probes(self, port):
        base = f"http://127.0.0.1:{port}/health/"
        return http_status(base + "live"), http_status(base + "ready")

    def test_ready_is_503_below_write_quorum_and_200_after_the_disks_return(self):
        srv = self.server()
        try:
            port = srv.port
            c = boto_client(port)
            c.create_bucket(Bucket=BUCKET)
            for i in range(4):
                self.assertEqual(self.put_status(c, f"before/{i}"), 200)
            self.assertEqual(self.probes(port), (200, 200))

            # One disk read-only: the next write takes it offline; 5 online = W.
            run("mount", "-o", "remount,bind,ro", self.disks[FAULTY[0]])
            self.assertEqual(self.put_status(c, "one-down/0"), 200)
            self.assertEqual(
                scrape_value(port, "kvgate_disk_online", f'{{disk="{FAULTY[0]}"}}'), 0.0)
            self.assertEqual(self.probes(port), (200, 200))

            # Two disks read-only: 4 online < W. The write that finds out
            # is refused, and so is every later one; ready says so.
            run("mount", "-o", "remount,bind,ro", self.disks[FAULTY[1]])
            self.assertEqual(self.put_status(c, "two-down/0"), 503)
            self.assertEqual(
                scrape_value(port, "kvgate_disk_online", f'{{disk="{FAULTY[1]}"}}'), 0.0)
            self.assertEqual(self.probes(port), (200, 503))
            self.assertEqual(self.put_status(c, "two-down/1"), 503)
            self.check_all(c)  # reads need only k = 4
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()

        # The disks come back (read-write again) and the server restarts on them.
        for i in FAULTY:
            run("mount", "-o", "remount,bind,rw", self.disks[i])
        srv = self.server()
        try:
            port = srv.port
            self.assertEqual(self.probes(port), (200, 200))
            for i in FAULTY:
                self.assertEqual(scrape_value(port, "kvgate_disk_online", f'{{disk="{i}"}}'),
                                 1.0)
            c = boto_client(port)
            self.check_all(c)
            self.assertEqual(self.put_status(c, "after/0"), 200)
            self.check_all(c)
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
