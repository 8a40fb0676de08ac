"""Real file-system faults under a running `kvgate serve` (4+2 on six disks).

Three of the six data directories get real faults made by the test: disk4 is
a bind mount remounted read-only under the server (EROFS), disk5 a small tmpfs
that another process fills (ENOSPC), disk6 an ordinary directory whose shard
files are deleted under the server (a disk whose data vanished). With m = 2 faults at
once every acknowledged object still reads back byte-exact; writes continue
while the set is at write quorum (k+1 = 5 writable disks) and are refused with
a clean 503 below it; /health/ready follows the online disks. Then the faults
are repaired, the server restarts, heal drains its queue, and the redundancy
is proven real: with two *other* disks (2 and 3) wiped, every object still reads back.
A second case remounts the read-only disk writable while the server runs: it
is probed, back in use without a restart, healed from the queue, and proven
to hold real shards the same way.

Needs root and mount(2) (tmpfs, bind, remount): SKIPPED with the reason
otherwise.
"""
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "faults-root", "faults-root-secret-key"
BUCKET = "segments"
TMPFS_BYTES = 64 * 1024 * 1024
# Which disk gets which fault. Disk 1 (index 0) holds the RocksDB index, whose
# open files keep a bind mount from being remounted read-only: faults go to
# disks 4-6, and the final redundancy check wipes disks 2 and 3.
RO, FULL, WIPED = 3, 4, 5


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ROOT_ACCESS, aws_secret_access_key=ROOT_SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=120,
                                      connect_timeout=5))


def run(*cmd):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")


def mount_unavailable():
    """None when this process may mount tmpfs and bind mounts, else why not."""
    if os.geteuid() != 0:
        return "needs root to mount tmpfs and bind mounts"
    probe = tempfile.mkdtemp(prefix="kvgate-mount-probe-")
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return "mount(2) not permitted here: " + r.stderr.strip()
        subprocess.run(["umount", probe], capture_output=True, timeout=30)
        return None
    finally:
        os.rmdir(probe)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def scrape_value(port, name, labels=""):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        text = r.read().decode()
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@unittest.skipIf(mount_unavailable(), mount_unavailable())
class DiskFaultsUnderLoad(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        self.tmp = tempfile.mkdtemp(prefix="kvgate-faults-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        for d in self.disks:
            os.makedirs(d)
        self.mounts = []
        run("mount", "--bind", self.disks[RO], self.disks[RO])
        self.mounts.append(self.disks[RO])
        run("mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", self.disks[FULL])
        self.mounts.append(self.disks[FULL])
        self.env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
                    "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "info"}
        self.rng = random.Random(20261123)
        self.acked = {}

    def tearDown(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self):
        args = [a for d in self.disks for a in ("--data", d)]
        return KvgateServer(kvgate_binary(), env=self.env, disks=0, start_timeout=120.0,
                            extra_args=args).start()

    def put(self, client, key, size):
        body = self.rng.randbytes(size)
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
        self.acked[key] = hashlib.sha256(body).digest()

    def put_status(self, client, key, size):
        from botocore.exceptions import ClientError

        try:
            self.put(client, key, size)
            return 200, None
        except ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]

    def check_all(self, client):
        for key, want in self.acked.items():
            got = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.assertEqual(hashlib.sha256(got).digest(), want, key)
        return len(self.acked)

    def check_with_disks_2_and_3_wiped(self):
        """Wipes disks 2 and 3 (m = 2), restarts and reads every object back."""
        for d in self.disks[1:3]:
            shutil.rmtree(d)
            os.makedirs(d)
        srv = self.server()
        try:
            reads = self.check_all(boto_client(srv.port))
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()
        return reads

    def sizes(self):
        return self.rng.choice([1, 100 * 1024, 700 * 1024, 2 * 1024 * 1024 + 17])

    def test_m_faults_keep_every_object_and_heal_restores_redundancy(self):
        srv = self.server()
        port = srv.port
        ready = f"http://127.0.0.1:{port}/health/ready"
        reads = 0
        try:
            c = boto_client(port)
            c.create_bucket(Bucket=BUCKET)
            for i in range(16):
                self.put(c, f"before/{i}", self.sizes())
            self.assertEqual(http_status(ready), 200)

            # Fault 1: disk4 becomes read-only (EROFS) under the server. The
            # next write takes it offline; writes go on with 5 disks (= W).
            run("mount", "-o", "remount,bind,ro", self.disks[RO])
            for i in range(12):
                self.put(c, f"ro/{i}", self.sizes())
            self.assertEqual(scrape_value(port, "kvgate_disk_online", f'{{disk="{RO}"}}'), 0.0)
            self.assertEqual(http_status(ready), 200)
            reads += self.check_all(c)

            # Fault 2: disk5 is filled by someone else (ENOSPC). Only 4 disks
            # can take a write now (< W): writes are refused with a clean
            # 503, reads still serve every object.
            subprocess.run(["dd", "if=/dev/zero", f"of={self.disks[FULL]}/filler", "bs=1M",
                            f"count={TMPFS_BYTES // (1024 * 1024)}"], capture_output=True,
                           timeout=60)
            refused = []
            for i in range(4):
                status, code = self.put_status(c, f"full/{i}", 1024 * 1024)
                if status != 200:
                    refused.append((status, code))
                    self.acked.pop(f"full/{i}", None)
            self.assertEqual(len(refused), 4, refused)
            for status, code in refused:
                self.assertEqual(status, 503, code)
            # A refused write is not half-visible.
            listed = {o["Key"] for o in c.list_objects_v2(Bucket=BUCKET, Prefix="full/")
                      .get("Contents", [])}
            self.assertEqual(listed, set())
            reads += self.check_all(c)

            # Fault 3 (with disk4 still offline = m faults for reading): every
            # shard file of disk6 vanishes. Reads rebuild from parity.
            os.remove(os.path.join(self.disks[FULL], "filler"))
            shutil.rmtree(os.path.join(self.disks[WIPED], "buckets"))
            before = scrape_value(port, "kvgate_erasure_degraded_reads_total") or 0.0
            reads += self.check_all(c)
            after = scrape_value(port, "kvgate_erasure_degraded_reads_total")
            self.assertGreater(after, before)
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()

        # Repair: disk4 writable again, disk6 replaced by an empty directory.
        run("mount", "-o", "remount,bind,rw", self.disks[RO])
        shutil.rmtree(self.disks[WIPED])
        os.makedirs(self.disks[WIPED])
        srv = self.server()
        try:
            port = srv.port
            self.assertIn("will be rebuilt", srv.stderr())
            wait_for(lambda: scrape_value(port, "kvgate_erasure_heal_queue_depth") == 0.0, 300,
                     "the heal queue to drain")
            c = boto_client(port)
            for i in range(6):
                self.put(c, f"after/{i}", self.sizes())
            reads += self.check_all(c)
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()

        # Redundancy is real again: read everything from disks 1 and 4-6,
        # which include the repaired ones.
        reads += self.check_with_disks_2_and_3_wiped()
        print(f"disk faults: 3 faults injected under load, {len(self.acked)} objects, "
              f"{reads} verified reads, nothing lost", flush=True)

    def test_a_disk_that_works_again_is_used_without_a_restart(self):
        srv = self.server()
        try:
            port = srv.port
            online = lambda: scrape_value(port, "kvgate_disk_online", f'{{disk="{RO}"}}')  # noqa
            queue = lambda: scrape_value(port, "kvgate_erasure_heal_queue_depth")  # noqa
            c = boto_client(port)
            c.create_bucket(Bucket=BUCKET)
            for i in range(8):
                self.put(c, f"before/{i}", self.sizes())
            # disk4 turns read-only under the server: offline at the next write.
            run("mount", "-o", "remount,bind,ro", self.disks[RO])
            for i in range(8):
                self.put(c, f"away/{i}", self.sizes())
            self.assertEqual(online(), 0.0)
            self.assertGreater(queue(), 0)
            # Probed while still read-only (first probe 5 s after it went): stays offline.
            wait_for(lambda: "still offline (probe write: Read-only file system)" in srv.stderr(),
                     30, "a failed probe of the read-only disk")
            self.assertEqual(online(), 0.0)
            # Writable again: back in use without a restart, then healed from the queue.
            run("mount", "-o", "remount,bind,rw", self.disks[RO])
            t = time.monotonic()
            wait_for(lambda: online() == 1.0, 90, "disk4 back online")
            back = time.monotonic() - t
            wait_for(lambda: queue() == 0.0, 120, "the heal queue to drain")
            healed = time.monotonic() - t
            self.assertIn("is back online in slot", srv.stderr())
            for i in range(4):
                self.put(c, f"after/{i}", self.sizes())
            reads = self.check_all(c)
            self.assertEqual(srv.stop(), 0, srv.stderr())
        finally:
            srv.stop()
            srv.cleanup()
        # The returned disk holds real shards of what was written while it was
        # away: with disks 2 and 3 wiped, every object still reads back.
        reads += self.check_with_disks_2_and_3_wiped()
        print(f"MEASURED disk return: back online {back:.1f} s after the remount, heal queue "
              f"empty after {healed:.1f} s; {len(self.acked)} objects, {reads} verified reads",
              flush=True)


if __name__ == "__main__":
    unittest.main()
