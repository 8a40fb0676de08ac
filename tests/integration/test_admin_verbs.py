"""The engine admin verbs on data written through a real gateway.

`kvgate info|verify|heal|scrub|reindex` run on a stopped server's data
directories, and `kvgate info --endpoint` asks a running one: damage found by verify is repaired by heal (including a disk
replaced by an empty directory), scrub and reindex report what they saw, a
running server's data is refused with a hint, and a restarted server serves
every object byte-exact afterwards.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ACCESS, SECRET = "admin-test", "admin-test-secret-key"


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


class AdminVerbs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-admin-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        self.data_args = [a for d in self.disks for a in ("--data", d)]
        rng = random.Random(7)
        self.objects = {
            "small": rng.randbytes(1000),
            "model@world@0@abc/seg": rng.randbytes(3 * 1024 * 1024 + 17),
            "-leading": rng.randbytes(200 * 1024),
        }

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self):
        env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        return KvgateServer(kvgate_binary(), extra_args=self.data_args, env=env, disks=0,
                            start_timeout=60.0)

    def admin(self, *args):
        return subprocess.run([kvgate_binary(), *args, *self.data_args], capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)

    def info(self):
        r = self.admin("info", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def shard_files(self, disk):
        out = []
        for root, _, files in os.walk(os.path.join(disk, "buckets")):
            out += [os.path.join(root, f) for f in files if f.startswith("part.")]
        return sorted(out)

    def test_verify_heal_scrub_reindex_on_damaged_and_replaced_disks(self):
        with self.server() as srv:
            s3 = boto_client(srv.port)
            s3.create_bucket(Bucket="kvbucket")
            for key, body in self.objects.items():
                s3.put_object(Bucket="kvbucket", Key=key, Body=body)
            # A running server holds the index: offline verbs refuse with a hint.
            busy = self.admin("info")
            self.assertNotEqual(busy.returncode, 0)
            self.assertIn("running", busy.stderr)
            # ... and answers `kvgate info --endpoint` through its admin API
            # (root credentials), the same report as offline plus live counters.
            s3.head_object(Bucket="kvbucket", Key="small")
            env = dict(os.environ, KVGATE_ACCESS_KEY=ACCESS, KVGATE_SECRET_KEY=SECRET)
            url = f"http://127.0.0.1:{srv.port}"
            online = subprocess.run([kvgate_binary(), "info", "--endpoint", url, "--json"],
                                    capture_output=True, text=True, timeout=60, env=env,
                                    stdin=subprocess.DEVNULL)
            self.assertEqual(online.returncode, 0, online.stderr)
            live = json.loads(online.stdout)
            self.assertEqual((live["k"], live["m"], live["objects"]), (4, 2, 3))
            self.assertEqual(len(live["disks"]), 6)
            self.assertEqual(live["cache"]["usage"]["objects"], 3)
            self.assertEqual(live["cache"]["usage"]["logical_bytes"],
                             sum(len(b) for b in self.objects.values()))
            self.assertEqual(live["degraded_reads"], 0)
            self.assertIn("lifecycle", live)
            self.assertEqual(live["lookups"], {"HeadObject": {"hit": 1, "miss": 0},
                                               "GetObject": {"hit": 0, "miss": 0}})
            text = subprocess.run([kvgate_binary(), "info", "--endpoint", url],
                                  capture_output=True, text=True, timeout=60, env=env,
                                  stdin=subprocess.DEVNULL)
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn("3 objects", text.stdout)
            self.assertIn("cache node: 3 objects", text.stdout)
            self.assertIn("evicted: 0 objects", text.stdout)
            self.assertIn("lookups since start: HEAD 1 hit / 0 miss, GET 0 hit / 0 miss",
                          text.stdout)
            self.assertIn("lifecycle since start: 0 objects (0 bytes) expired, 0 uploads "
                          "aborted, 0 errors", text.stdout)
            self.assertIn("least recently used object: last read or written", text.stdout)
            wrong = dict(env, KVGATE_SECRET_KEY="not-the-secret-key")
            denied = subprocess.run([kvgate_binary(), "info", "--endpoint", url],
                                    capture_output=True, text=True, timeout=60, env=wrong,
                                    stdin=subprocess.DEVNULL)
            self.assertNotEqual(denied.returncode, 0)
            self.assertIn("403", denied.stderr)

        info = self.info()
        self.assertEqual((info["k"], info["m"]), (4, 2))
        self.assertEqual(info["objects"], 3)
        self.assertEqual(info["cache"]["usage"]["objects"], 3)
        self.assertEqual(info["cache"]["max_bytes"], 0)
        self.assertEqual(len(info["disks"]), 6)
        self.assertTrue(all(d["state"] == "ok" for d in info["disks"]))
        self.assertEqual(self.admin("verify").returncode, 0)

        # Bit rot on one disk, a lost object tree on another.
        victim = self.shard_files(self.disks[4])[0]
        with open(victim, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))
        shutil.rmtree(os.path.join(self.disks[2], "buckets", "kvbucket", "obj"))
        broken = self.admin("verify", "--json")
        self.assertEqual(broken.returncode, 1, broken.stderr)
        report = json.loads(broken.stdout)
        self.assertEqual(report["objects"], 3)
        self.assertGreaterEqual(len(report["problems"]), 2)
        self.assertTrue(all(p["readable"] for p in report["problems"]))

        healed = self.admin("heal", "--json")
        self.assertEqual(healed.returncode, 0, healed.stderr)
        self.assertGreaterEqual(json.loads(healed.stdout)["healed_objects"], 2)
        # Not a terminal: progress comes as JSON lines on stderr.
        progress = [json.loads(l) for l in healed.stderr.splitlines() if l.startswith("{")]
        self.assertTrue(progress and progress[-1]["done"] == progress[-1]["total"] == 3)
        self.assertEqual(self.admin("verify").returncode, 0)

        # A disk replaced by an empty directory is adopted and rebuilt.
        shutil.rmtree(self.disks[1])
        os.makedirs(self.disks[1])
        states = [d["state"] for d in self.info()["disks"]]
        self.assertEqual(states[1], "healing")
        self.assertEqual(self.admin("heal").returncode, 0)
        self.assertEqual(self.admin("verify").returncode, 0)
        self.assertEqual(len(self.shard_files(self.disks[1])), 2)  # the two streamed objects

        scrub = self.admin("scrub", "--json", "--rate", "100")
        self.assertEqual(scrub.returncode, 0, scrub.stderr)
        self.assertEqual(json.loads(scrub.stdout)["objects_checked"], 3)
        reindex = self.admin("reindex", "--json")
        self.assertEqual(reindex.returncode, 0, reindex.stderr)
        self.assertEqual(json.loads(reindex.stdout)["objects"], 3)

        # Lose two other disks entirely: the rebuilt disk carries real shards.
        for d in (self.disks[0], self.disks[5]):
            shutil.rmtree(os.path.join(d, "buckets", "kvbucket", "obj"))
        with self.server() as srv:
            s3 = boto_client(srv.port)
            for key, body in self.objects.items():
                got = s3.get_object(Bucket="kvbucket", Key=key)["Body"].read()
                self.assertEqual(got, body, key)

    def test_bad_arguments_are_refused(self):
        r = self.admin("heal", "--key", "k")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--key needs --bucket", r.stderr)


if __name__ == "__main__":
    unittest.main()
