"""kill -9 of a real `kvgate serve` at seeded random moments of a write workload.

Each round restarts the gateway on the same six data directories, checks every
key against what the clients were told, runs a workload (single PUTs of a few
sizes, 2-part multipart uploads, DELETEs; several client threads, each owning
its keys so every key has at most one operation in flight), and kills the
process with SIGKILL after a seeded delay. After every restart:
  - a key whose last operation was acknowledged reads back exactly that
    (byte-exact content, or 404 when the last acknowledged operation was a
    DELETE);
  - a key whose operation was cut by the kill reads back as either the state
    before it or the state it asked for, never anything else (no partial or
    mixed object);
  - ListObjectsV2 names exactly the keys that GET finds (index and disks agree);
  - every disk's staging directory (.kvgate/tmp) is empty.
After the last round the server is stopped cleanly and `kvgate verify` checks
every object block by block on the data directories.

KVGATE_CRASH_ROUNDS (default 8) and KVGATE_CRASH_SEED (default 20261123) set
the schedule; the figures (operations, acknowledgements, crashes, objects
verified) are printed at the end for docs/reliability.md.
"""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "crash-root", "crash-root-secret-key"
BUCKET = "segments"
THREADS = 4
KEYS_PER_THREAD = 6
PART = 5 * 1024 * 1024
ABSENT = None  # the state of a key that does not exist


def boto_client(port):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=ROOT_ACCESS, aws_secret_access_key=ROOT_SECRET,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=60,
                                      connect_timeout=5))


def digest(data):
    return hashlib.sha256(data).hexdigest()


def describe(state):
    return "absent" if state is ABSENT else state[:12]


class Ledger:
    """What the clients were told, per key: the acknowledged state and, for
    an operation cut by the kill, the state it asked for."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}
        self.pending = {}
        self.attempted = 0
        self.acknowledged = 0
        self.failed = 0

    def begin(self, key, wanted):
        with self.lock:
            self.pending[key] = wanted
            self.attempted += 1

    def ack(self, key, state):
        with self.lock:
            self.acked[key] = state
            del self.pending[key]
            self.acknowledged += 1

    def fail(self):
        with self.lock:
            self.failed += 1

    def allowed(self, key):
        with self.lock:
            states = {self.acked.get(key, ABSENT)}
            if key in self.pending:
                states.add(self.pending[key])
            return states

    def settle(self, key, state):
        with self.lock:
            self.acked[key] = state
            self.pending.pop(key, None)


class KillNineCrashes(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)  # boto3 clients left to the GC
        self.tmp = tempfile.mkdtemp(prefix="kvgate-kill9-it-")
        self.disks = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        self.rounds = int(os.environ.get("KVGATE_CRASH_ROUNDS", "8"))
        self.seed = int(os.environ.get("KVGATE_CRASH_SEED", "20261123"))
        self.env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
                    "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self):
        args = [a for d in self.disks for a in ("--data", d)]
        return KvgateServer(kvgate_binary(), env=self.env, disks=0, start_timeout=120.0,
                            extra_args=args).start()

    def run_workload(self, port, ledger, rng_seed, stop):
        """One client thread per slice of keys, until the server dies or `stop`."""

        def worker(t):
            rng = random.Random(rng_seed * 1000 + t)
            client = boto_client(port)
            keys = [f"t{t}/k{j}" for j in range(KEYS_PER_THREAD)]
            while not stop.is_set():
                key = rng.choice(keys)
                kind = rng.choices(["small", "medium", "multipart", "delete"],
                                   weights=[5, 3, 2, 2])[0]
                if kind == "delete":
                    ledger.begin(key, ABSENT)
                    try:
                        client.delete_object(Bucket=BUCKET, Key=key)
                    except Exception:
                        ledger.fail()
                        return
                    ledger.ack(key, ABSENT)
                    continue
                if kind == "small":
                    body = rng.randbytes(rng.randint(0, 300 * 1024))
                elif kind == "medium":
                    body = rng.randbytes(rng.randint(1, 3) * 1024 * 1024 + rng.randint(0, 4096))
                else:
                    body = rng.randbytes(PART + rng.randint(1, 1024 * 1024))
                ledger.begin(key, digest(body))
                try:
                    if kind == "multipart":
                        up = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
                        parts = []
                        for n, piece in ((1, body[:PART]), (2, body[PART:])):
                            etag = client.upload_part(Bucket=BUCKET, Key=key, UploadId=up,
                                                      PartNumber=n, Body=piece)["ETag"]
                            parts.append({"PartNumber": n, "ETag": etag})
                        client.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up,
                                                         MultipartUpload={"Parts": parts})
                    else:
                        client.put_object(Bucket=BUCKET, Key=key, Body=body)
                except Exception:
                    ledger.fail()
                    return
                ledger.ack(key, digest(body))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        return threads

    def check_disks_against_ledger(self, port, ledger):
        """Every key reads back as allowed; listing equals what GET finds."""
        from botocore.exceptions import ClientError

        client = boto_client(port)
        found = set()
        keys = [f"t{t}/k{j}" for t in range(THREADS) for j in range(KEYS_PER_THREAD)]
        for key in keys:
            try:
                state = digest(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())
                found.add(key)
            except ClientError as e:
                code = e.response["Error"]["Code"]
                self.assertEqual(code, "NoSuchKey", f"{key}: {code}")
                state = ABSENT
            allowed = ledger.allowed(key)
            self.assertIn(state, allowed,
                          f"{key}: read {describe(state)}, allowed "
                          f"{sorted(describe(s) for s in allowed)}")
            ledger.settle(key, state)
        listed = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update(o["Key"] for o in page.get("Contents", []))
        self.assertEqual(listed, found, "ListObjectsV2 disagrees with GET")
        for disk in self.disks:
            staging = os.path.join(disk, ".kvgate", "tmp")
            if os.path.isdir(staging):
                self.assertEqual(os.listdir(staging), [], f"{staging} not emptied at start-up")
        return len(found)

    def test_kill9_at_random_moments_loses_no_acknowledged_write(self):
        rng = random.Random(self.seed)
        ledger = Ledger()
        verified = 0
        crashes = 0
        started = time.monotonic()
        for round_no in range(self.rounds):
            srv = self.server()
            try:
                if round_no == 0:
                    boto_client(srv.port).create_bucket(Bucket=BUCKET)
                verified += self.check_disks_against_ledger(srv.port, ledger)
                stop = threading.Event()
                threads = self.run_workload(srv.port, ledger, rng.randrange(1 << 30), stop)
                # Mostly mid-workload; sometimes right after start-up, while
                # the first requests (and the previous crash's repairs) run.
                early = rng.random() < 0.2
                time.sleep(rng.uniform(0.05, 0.3) if early else rng.uniform(0.3, 3.0))
                srv.proc.send_signal(signal.SIGKILL)
                self.assertEqual(srv.wait(timeout=30), -signal.SIGKILL)
                crashes += 1
                stop.set()
                for th in threads:
                    th.join(timeout=120)
                    self.assertFalse(th.is_alive(), "a client thread hung after the kill")
            finally:
                srv.stop()
                srv.cleanup()

        srv = self.server()
        try:
            verified += self.check_disks_against_ledger(srv.port, ledger)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr())
            srv.cleanup()

        args = [a for d in self.disks for a in ("--data", d)]
        out = subprocess.run([kvgate_binary(), "verify", "--json"] + args, env={
            **os.environ, **self.env}, capture_output=True, text=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        figures = {
            "seed": self.seed, "rounds": self.rounds, "crashes": crashes,
            "operations_attempted": ledger.attempted,
            "operations_acknowledged": ledger.acknowledged,
            "operations_cut_by_kill": ledger.failed,
            "objects_verified_after_restarts": verified,
            "seconds": round(time.monotonic() - started, 1),
        }
        print("kill-9 crash figures: " + json.dumps(figures), flush=True)
        self.assertEqual(crashes, self.rounds)
        self.assertGreater(ledger.acknowledged, self.rounds)


if __name__ == "__main__":
    unittest.main()
