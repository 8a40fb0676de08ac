"""`kvgate rebalance` (docs/scaling.md "Changing the map"): three real nodes
hold ~200 objects each on their owner (the ketama ring of map version 2); a
fourth node joins (map version 3 on all four, the old three by SIGHUP); then

  - a node still on version 2 makes the rebalance refuse, naming it;
  - --dry-run reports exactly the keys whose owner changed (about a quarter)
    and moves nothing;
  - the real run with --rate and --max-age moves those keys modified within
    the age (measured count and bytes), not faster than the rate, with
    progress lines; every key then reads byte-exact from its owner, and the
    old copies are gone; the older keys stay where they were;
  - --keep --bucket moves the older keys and leaves their old copies; the
    next run finds them already on their owner and only drops the old
    copies; a last run moves nothing.
A multipart object (ETag "-N") moves too; its copy gets a single-PUT ETag.
n1 and n3 make XXH3 ETags (--etag xxh3), n2 and n4 MD5 ones: the keys n4
takes over come from nodes of both styles, and the mover checks each body
against its ETag's style.
"""
import concurrent.futures
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import unittest
import warnings
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402

from cluster_maps import call, map_toml, reload_map, start_node  # noqa: E402
from kvgate_harness import kvgate_binary  # noqa: E402
from proxy_cluster import ROOT_ACCESS_KEY, ROOT_SECRET_KEY  # noqa: E402

HOT, COLD = "kv-hot", "kv-cold"
OBJECTS_PER_NODE = 200
COLD_OBJECTS = 48
RATE_MIB = 4.0
COLD_GAP_S = 6.0


class KetamaRing:
    """nginx's `hash ... consistent` (sdk/include/kvgate/sdk/ketama_ring.h)."""

    def __init__(self, names):
        points = []
        for index, name in enumerate(names):
            host, port = name.rsplit(":", 1)
            base = zlib.crc32(port.encode(), zlib.crc32(b"\0", zlib.crc32(host.encode())))
            prev = 0
            for _ in range(160):
                prev = zlib.crc32(prev.to_bytes(4, "little"), base)
                points.append((prev, index))
        points.sort(key=lambda p: p[0])  # stable: equal hashes keep member order
        self.points, seen = [], set()
        for h, i in points:
            if h not in seen:
                seen.add(h)
                self.points.append((h, i))

    def owner(self, bucket, key):
        h = zlib.crc32(f"/{bucket}/{key}".encode())
        for point, index in self.points:
            if point >= h:
                return index
        return self.points[0][1]


def body_for(bucket, key, size):
    seed = hashlib.sha256(f"{bucket}/{key}".encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


class RebalanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.nodes = []
        try:
            cls.setup_cluster()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()

    @classmethod
    def members(cls, count):
        return [(n.node_id, n.url, 1, "active") for n in cls.nodes[:count]]

    @classmethod
    def setup_cluster(cls):
        # n4 runs from the start (its port names its ring points) but joins
        # the map only at version 3.
        for node_id in ("n1", "n2", "n3", "n4"):
            style = ["--etag", "xxh3"] if node_id in ("n1", "n3") else []
            cls.nodes.append(start_node(node_id, disks=2, extra_args=style))
        for node in cls.nodes[:3]:
            reload_map(node, map_toml(node.node_id, 2, cls.members(3)), 2)
        cls.ring2 = KetamaRing([n.address for n in cls.nodes[:3]])
        cls.ring3 = KetamaRing([n.address for n in cls.nodes])
        for node in cls.nodes[:3]:  # n4 gets its buckets from the rebalance
            for bucket in (HOT, COLD):
                assert call(node, "PUT", f"/{bucket}").status == 200
        rng = random.Random(7)
        cls.objects = {}  # (bucket, key) -> size
        cold = [(COLD, f"old/{i:03d}", rng.randint(1024, 8192)) for i in range(COLD_OBJECTS)]
        cls.put_all(cold)
        cls.cold_done = time.time()
        time.sleep(COLD_GAP_S)
        cls.hot_start = time.time()
        hot = []
        for i in range(OBJECTS_PER_NODE * 3):
            size = 2 << 20 if i % 150 == 0 else rng.randint(1024, 48 * 1024)
            hot.append((HOT, f"seg/{i:04d}/{rng.getrandbits(32):08x}", size))
        cls.put_all(hot)
        cls.multipart_key = cls.put_multipart()
        for bucket, key, _ in hot[:40]:
            node = cls.ring2.owner(bucket, key)
            etag = call(cls.nodes[node], "HEAD", f"/{bucket}/{key}").headers["etag"]
            assert etag.endswith('-xxh3"') == (node in (0, 2)), (node, etag)

        # The fourth node joins: map version 3 everywhere but n3 for now.
        for node in (cls.nodes[0], cls.nodes[1], cls.nodes[3]):
            reload_map(node, map_toml(node.node_id, 3, cls.members(4)), 3)

    @classmethod
    def put_all(cls, items):
        def put(item):
            bucket, key, size = item
            node = cls.nodes[cls.ring2.owner(bucket, key)]
            r = call(node, "PUT", f"/{bucket}/{key}", {"x-kvgate-map-version": "2"},
                     body_for(bucket, key, size))
            assert r.status == 200, (key, r.status, r.body)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(put, items))
        for bucket, key, size in items:
            cls.objects[(bucket, key)] = size

    @classmethod
    def put_multipart(cls):
        """An 11 MiB object in three parts, on a key the fourth node will own."""
        key = next(f"mp/{i}" for i in range(1000) if cls.ring3.owner(HOT, f"mp/{i}") == 3)
        node = cls.nodes[cls.ring2.owner(HOT, key)]
        s3 = boto3.client("s3", endpoint_url=node.url, region_name="us-east-1",
                          aws_access_key_id=ROOT_ACCESS_KEY,
                          aws_secret_access_key=ROOT_SECRET_KEY,
                          config=Config(s3={"addressing_style": "path"}))
        size = 11 << 20
        s3.upload_fileobj(io.BytesIO(body_for(HOT, key, size)), HOT, key,
                          Config=TransferConfig(multipart_threshold=5 << 20,
                                                multipart_chunksize=5 << 20))
        etag = s3.head_object(Bucket=HOT, Key=key)["ETag"]
        assert etag.endswith('-3"'), etag
        cls.objects[(HOT, key)] = size
        return key

    def rebalance(self, *args, expect=0):
        env = dict(os.environ, KVGATE_ACCESS_KEY=ROOT_ACCESS_KEY,
                   KVGATE_SECRET_KEY=ROOT_SECRET_KEY)
        start = time.monotonic()
        p = subprocess.run([kvgate_binary(), "rebalance", "--endpoint", self.nodes[0].url,
                            "--json", "--progress-interval", "0.5", *args],
                           capture_output=True, timeout=300, env=env)
        elapsed = time.monotonic() - start
        self.assertEqual(p.returncode, expect, p.stderr.decode()[-3000:])
        out = p.stdout.decode()
        summary = json.loads(out) if expect != 2 else None
        return summary, p.stderr.decode(), elapsed

    def holders(self, bucket, key):
        return [n.node_id for n in self.nodes
                if call(n, "HEAD", f"/{bucket}/{key}").status == 200]

    def moving(self, bucket=None):
        return {k: s for k, s in self.objects.items()
                if (bucket is None or k[0] == bucket)
                and self.ring2.owner(*k) != self.ring3.owner(*k)}

    def test_1_a_node_with_another_map_makes_it_refuse(self):
        _, err, _ = self.rebalance(expect=2)
        self.assertIn('member "n3"', err)
        self.assertIn("serves map version 2 of cluster \"kv-test\"", err)
        self.assertIn("SIGHUP", err)
        n3 = self.nodes[2]
        reload_map(n3, map_toml("n3", 3, self.members(4)), 3)

    def test_2_dry_run_reports_the_moves_and_moves_nothing(self):
        summary, _, _ = self.rebalance("--dry-run")
        moving = self.moving()
        total = len(self.objects)
        print(f"dry run: {summary['to_move']} of {summary['objects_listed']} to move "
              f"({summary['to_move_bytes']} bytes); ring says {len(moving)}/{total}")
        self.assertEqual(summary["objects_listed"], total)
        self.assertEqual(summary["to_move"], len(moving))
        self.assertEqual(summary["to_move_bytes"], sum(moving.values()))
        self.assertGreater(len(moving) / total, 0.10)
        self.assertLess(len(moving) / total, 0.45)
        self.assertTrue(all(self.ring3.owner(*k) == 3 for k in moving), "only n4 takes keys")
        self.assertEqual(summary["moved"], 0)
        for (bucket, key) in list(moving)[:40]:
            self.assertEqual(self.holders(bucket, key),
                             [self.nodes[self.ring2.owner(bucket, key)].node_id])

    def test_3_moves_recent_objects_at_the_rate(self):
        age = int(time.time() - self.hot_start) + 4
        self.assertLess(age, time.time() - self.cold_done - 1)
        summary, err, elapsed = self.rebalance("--rate", str(RATE_MIB), "--max-age",
                                               f"{age}s", "--parallel", "3")
        hot, cold = self.moving(HOT), self.moving(COLD)
        moved_bytes = sum(hot.values())
        print(f"moved {summary['moved']} objects, {summary['moved_bytes']} bytes in "
              f"{elapsed:.2f} s (rebalance {summary['seconds']:.2f} s) at --rate {RATE_MIB} "
              f"MiB/s: floor {moved_bytes / (RATE_MIB * 2**20):.2f} s; skipped old "
              f"{summary['skipped_old']}")
        self.assertEqual(summary["moved"], len(hot))
        self.assertEqual(summary["moved_bytes"], moved_bytes)
        self.assertEqual(summary["old_removed"], len(hot))
        self.assertEqual(summary["skipped_old"], len(cold))
        self.assertEqual(summary["failed"], 0)
        # The bucket starts empty and holds a quarter second of bytes.
        self.assertGreaterEqual(summary["seconds"], moved_bytes / (RATE_MIB * 2**20) - 0.3)
        self.assertRegex(err, r"rebalance: \d+/\d+ objects, [\d.]+/[\d.]+ MiB, [\d.]+ MiB/s")
        for (bucket, key), size in hot.items():
            owner = self.nodes[3]
            r = call(owner, "GET", f"/{bucket}/{key}", {"x-kvgate-map-version": "3"})
            self.assertEqual(r.status, 200, key)
            self.assertEqual(r.body, body_for(bucket, key, size), key)
            self.assertEqual(self.holders(bucket, key), ["n4"], key)
        r = call(self.nodes[3], "HEAD", f"/{HOT}/{self.multipart_key}")
        self.assertNotIn("-", r.headers["etag"], "the multipart copy is a single PUT")
        for bucket, key in cold:
            self.assertEqual(self.holders(bucket, key),
                             [self.nodes[self.ring2.owner(bucket, key)].node_id])

    def test_4_keep_then_already_there_then_nothing(self):
        cold = self.moving(COLD)
        summary, _, _ = self.rebalance("--keep", "--bucket", COLD)
        self.assertEqual((summary["moved"], summary["old_removed"]), (len(cold), 0))
        self.assertEqual(summary["objects_listed"], COLD_OBJECTS)
        for bucket, key in cold:
            self.assertEqual(sorted(self.holders(bucket, key)),
                             sorted([self.nodes[self.ring2.owner(bucket, key)].node_id, "n4"]))
        summary, _, _ = self.rebalance()
        self.assertEqual((summary["moved"], summary["already_there"], summary["old_removed"]),
                         (0, len(cold), len(cold)))
        for bucket, key in cold:
            self.assertEqual(self.holders(bucket, key), ["n4"])
        summary, _, _ = self.rebalance()
        self.assertEqual((summary["moved"], summary["already_there"], summary["failed"]),
                         (0, 0, 0))
        self.assertEqual(summary["in_place"], len(self.objects))


if __name__ == "__main__":
    unittest.main()
