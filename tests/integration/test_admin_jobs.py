"""Maintenance jobs on a running server (docs/api.md, "Maintenance jobs").

`kvgate verify|heal|scrub|reindex --endpoint` run as jobs through the admin API while
the server keeps serving: damage made on the disks of a live server is found
by verify, repaired by heal and by scrub, and every object reads back
byte-exact meanwhile. One job of a kind at a time (409 OperationAborted), a
job can be stopped (`kvgate jobs --stop`), bad requests get precise S3
errors, /metrics counts the jobs exactly, and SIGTERM during a slow scrub
stops it and exits 0 promptly.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3_signing as sig  # noqa: E402
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ACCESS, SECRET = "jobs-test", "jobs-test-secret-key"
BUCKET = "kvjobs"
JOBS = "/.kvgate/v1/admin/jobs"


class _Gw:
    """What s3_signing.request needs."""

    def __init__(self, port):
        self.host, self.port = "127.0.0.1", port


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60))


def code_of(body):
    m = re.search(rb"<Code>([^<]+)</Code>", body)
    return m.group(1).decode() if m else None


class AdminJobs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-jobs-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        rng = random.Random(11)
        self.objects = {f"seg-{i:02d}": rng.randbytes(1_500_000 + i * 1000) for i in range(10)}
        self.objects["inline"] = rng.randbytes(2000)
        env = {"KVGATE_ACCESS_KEY": ACCESS, "KVGATE_SECRET_KEY": SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        self.env = dict(os.environ, **env)
        self.srv = KvgateServer(kvgate_binary(), env=env, disks=0, start_timeout=60.0,
                                extra_args=[a for d in self.disks for a in ("--data", d)])
        self.srv.start()
        self.url = self.srv.url
        self.s3 = boto_client(self.srv.port)
        self.s3.create_bucket(Bucket=BUCKET)
        for key, body in self.objects.items():
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def tearDown(self):
        self.srv.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def verb(self, *args):
        return subprocess.run([kvgate_binary(), *args, "--endpoint", self.url], env=self.env,
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)

    def api(self, method, path, body=b""):
        return sig.request(_Gw(self.srv.port), method, path, body=body, access_key=ACCESS,
                           secret=SECRET)

    def shard_files(self, disk):
        out = []
        for root, _, files in os.walk(os.path.join(disk, "buckets")):
            out += [os.path.join(root, f) for f in files if f.startswith("part.")]
        return sorted(out)

    def flip_a_byte(self, disk, which=0):
        victim = self.shard_files(disk)[which]
        with open(victim, "r+b") as f:
            f.seek(100)
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0xFF]))

    def read_all_back(self):
        for key, body in self.objects.items():
            got = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            self.assertEqual(got, body, key)

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=30) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            m = re.match(r'(kvgate_maintenance_\w+)\{([^}]*)\} (\S+)$', line)
            if m:
                out[(m.group(1), m.group(2))] = float(m.group(3))
        return out

    def wait_state(self, job_id, states, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.api("GET", f"{JOBS}/{job_id}")
            self.assertEqual(r.status, 200, r.body)
            job = json.loads(r.body)
            if job["state"] in states:
                return job
            time.sleep(0.1)
        self.fail(f"job {job_id} never reached {states}")

    def test_1_verify_heal_scrub_repair_a_live_server(self):
        ok = self.verb("verify", "--json")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(json.loads(ok.stdout)["objects"], len(self.objects))

        # Bit rot on one disk, a lost object tree on another, under a live server.
        self.flip_a_byte(self.disks[4])
        lost = os.path.join(self.disks[2], "buckets", BUCKET, "obj")
        shutil.rmtree(lost)
        broken = self.verb("verify", "--json")
        self.assertEqual(broken.returncode, 1, broken.stderr)
        report = json.loads(broken.stdout)
        self.assertEqual(report["objects"], len(self.objects))
        self.assertFalse(report["ok"])
        self.assertGreaterEqual(len(report["problems"]), 2)
        self.assertTrue(all(p["readable"] for p in report["problems"]))
        # Not a terminal: the polled progress comes as JSON lines on stderr.
        progress = [json.loads(line) for line in broken.stderr.splitlines()
                    if line.startswith("{")]
        self.assertTrue(progress, broken.stderr)
        self.assertEqual(progress[-1]["done"], len(self.objects))
        self.assertEqual(progress[-1]["total"], len(self.objects))
        self.assertEqual(sum(1 for p in progress if p["done"] == p["total"]), 1)
        self.read_all_back()  # degraded reads go around the damage meanwhile

        healed = self.verb("heal", "--json")
        self.assertEqual(healed.returncode, 0, healed.stderr)
        self.assertGreaterEqual(json.loads(healed.stdout)["healed_objects"], 2)
        again = self.verb("verify")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn(f"verified {len(self.objects)} object(s): 0 with problems", again.stdout)

        # Scrub finds and repairs fresh rot while readers run.
        self.flip_a_byte(self.disks[0], 1)
        scrub = self.verb("scrub", "--json", "--rate", "200")
        self.assertEqual(scrub.returncode, 0, scrub.stderr)
        s = json.loads(scrub.stdout)
        self.assertEqual(s["objects_checked"], len(self.objects))
        self.assertEqual(s["objects_repaired"], 1)
        self.assertGreaterEqual(s["corrupt_blocks"], 1)
        self.assertEqual(s["objects_unrecoverable"], 0)
        self.assertEqual(self.verb("verify").returncode, 0)
        self.read_all_back()

        # Single-object heal and bucket-scoped verify as jobs too.
        one = self.verb("heal", "--bucket", BUCKET, "--key", "seg-03", "--json")
        self.assertEqual(one.returncode, 0, one.stderr)
        scoped = self.verb("verify", "--bucket", BUCKET, "--json")
        self.assertEqual(json.loads(scoped.stdout)["objects"], len(self.objects))

        # The index checked against the disks: all consistent, then an
        # object whose data vanished from every disk is dropped from it.
        same = self.verb("reindex", "--json")
        self.assertEqual(same.returncode, 0, same.stderr)
        self.assertEqual(json.loads(same.stdout),
                         {"objects_checked": len(self.objects), "index_added": 0,
                          "index_updated": 0, "index_removed": 0, "buckets_added": 0,
                          "ok": True, "stopped": False})
        gone = self.s3.head_object(Bucket=BUCKET, Key="seg-07")
        self.assertEqual(gone["ContentLength"], len(self.objects["seg-07"]))
        removed = 0
        for disk in self.disks:
            for root, dirs, _ in os.walk(os.path.join(disk, "buckets", BUCKET)):
                for d in dirs:
                    meta = os.path.join(root, d, "meta")
                    if os.path.exists(meta) and b"seg-07" in open(meta, "rb").read():
                        shutil.rmtree(os.path.join(root, d))
                        removed += 1
        self.assertEqual(removed, 6)
        fixed = self.verb("reindex")
        self.assertEqual(fixed.returncode, 0, fixed.stderr)
        self.assertIn(f"{len(self.objects)} key(s); 0 added, 0 updated, 1 removed", fixed.stdout)
        with self.assertRaises(Exception):
            self.s3.head_object(Bucket=BUCKET, Key="seg-07")
        del self.objects["seg-07"]

        listed = self.verb("jobs", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        jobs = json.loads(listed.stdout)["jobs"]
        # Newest first.
        self.assertEqual([j["kind"] for j in jobs],
                         ["reindex", "reindex", "verify", "heal", "verify", "scrub", "verify",
                          "heal", "verify", "verify"])
        self.assertTrue(all(j["state"] == "done" for j in jobs))
        m = self.metrics()
        self.assertEqual(m[("kvgate_maintenance_jobs_finished_total",
                            'kind="verify",state="done"')], 5)
        self.assertEqual(m[("kvgate_maintenance_jobs_finished_total",
                            'kind="heal",state="done"')], 2)
        self.assertEqual(m[("kvgate_maintenance_jobs_finished_total",
                            'kind="scrub",state="done"')], 1)
        self.assertEqual(m[("kvgate_maintenance_job_running", 'kind="scrub"')], 0)
        self.assertEqual(m[("kvgate_maintenance_job_progress_ratio", 'kind="scrub"')], 1)
        self.assertGreater(m[("kvgate_maintenance_job_last_finished_timestamp_seconds",
                              'kind="scrub"')], 1.7e9)

    def test_2_one_job_per_kind_stop_and_errors(self):
        # A slow scrub (about 4.5 s per object, 50 s in all: it is still
        # running however loaded the machine) runs in the background.
        started = self.verb("scrub", "--rate", "0.5", "--detach", "--json")
        self.assertEqual(started.returncode, 0, started.stderr)
        job = json.loads(started.stdout)
        self.assertEqual((job["kind"], job["state"]), ("scrub", "running"))
        # A second scrub is refused while it runs; a verify may run beside it.
        second = self.verb("scrub")
        self.assertEqual(second.returncode, 2)
        self.assertIn("409", second.stderr)
        self.assertIn("OperationAborted", second.stderr)
        self.assertIn(f"(id {job['id']}) is running", second.stderr)
        beside = self.verb("verify", "--json")
        self.assertEqual(beside.returncode, 0, beside.stderr)
        self.read_all_back()
        m = self.metrics()
        self.assertEqual(m[("kvgate_maintenance_job_running", 'kind="scrub"')], 1)
        self.assertLess(m[("kvgate_maintenance_job_progress_ratio", 'kind="scrub"')], 1)

        stopping = self.verb("jobs", "--stop", str(job["id"]), "--json")
        self.assertEqual(stopping.returncode, 0, stopping.stderr)
        self.assertIn(json.loads(stopping.stdout)["state"], ("stopping", "stopped"))
        ended = self.wait_state(job["id"], ("stopped",), timeout=30)
        self.assertTrue(ended["result"]["stopped"])
        self.assertLess(ended["result"]["objects_checked"], len(self.objects))
        self.assertIsNotNone(ended["finished_unix_ms"])
        m = self.metrics()
        self.assertEqual(m[("kvgate_maintenance_jobs_finished_total",
                            'kind="scrub",state="stopped"')], 1)
        self.assertEqual(m[("kvgate_maintenance_job_running", 'kind="scrub"')], 0)

        # Precise S3 errors, the request id in header and body.
        cases = [
            ("POST", JOBS, b'{"kind": "defrag"}', 400, "InvalidArgument"),
            ("POST", JOBS, b"not json", 400, "InvalidArgument"),
            ("POST", JOBS, b'{"kind": "scrub", "bucket": "x"}', 400, "InvalidArgument"),
            ("POST", JOBS, b'{"kind": "verify", "rate_mib_per_second": 1}', 400,
             "InvalidArgument"),
            ("POST", JOBS, b'{"kind": "heal", "key": "k"}', 400, "InvalidArgument"),
            ("POST", JOBS, b'{"kind": "heal", "surprise": 1}', 400, "InvalidArgument"),
            ("GET", f"{JOBS}/999", b"", 404, "NoSuchJob"),
            ("DELETE", f"{JOBS}/999", b"", 404, "NoSuchJob"),
            ("GET", f"{JOBS}/abc", b"", 404, "NoSuchJob"),
            ("PUT", f"{JOBS}/1", b"", 405, "MethodNotAllowed"),
            ("DELETE", JOBS, b"", 405, "MethodNotAllowed"),
        ]
        for method, path, body, status, code in cases:
            with self.subTest(method=method, path=path, body=body):
                r = self.api(method, path, body)
                self.assertEqual(r.status, status, r.body)
                self.assertEqual(code_of(r.body), code, r.body)
                rid = r.headers["x-amz-request-id"]
                self.assertIn(f"<RequestId>{rid}</RequestId>".encode(), r.body)
        # The server still serves and is not left with a running job.
        self.read_all_back()
        r = self.api("GET", JOBS)
        self.assertEqual(r.status, 200, r.body)
        self.assertFalse(any(j["state"] == "running" for j in json.loads(r.body)["jobs"]))

    def test_3_sigterm_during_a_slow_scrub_exits_promptly(self):
        started = self.verb("scrub", "--rate", "0.5", "--detach")
        self.assertEqual(started.returncode, 0, started.stderr)
        time.sleep(0.5)
        t = time.monotonic()
        code = self.srv.stop(timeout=20)
        self.assertEqual(code, 0, self.srv.stderr())
        # The whole scrub would take about a minute at this rate.
        self.assertLess(time.monotonic() - t, 15)


if __name__ == "__main__":
    unittest.main()
