"""`kvgate rebalance` and the admin verbs against nodes whose cluster map
names https:// endpoints (docs/scaling.md "Changing the map"): three real
nodes with TLS listeners (a throw-away CA), objects written on their owners
under map version 2 (n1, n2), then n3 joins (version 3 everywhere):

  - without --ca-file the rebalance refuses: the nodes' certificate does not
    verify against the system's trust store, and nothing moves;
  - with --ca-file it moves exactly the keys whose owner changed, over
    HTTPS, and every key then reads byte-exact from its new owner only;
  - `kvgate info --endpoint https://... --ca-file` answers over HTTPS.
"""
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster_maps import call, map_toml, reload_map  # noqa: E402
from kvgate_harness import kvgate_binary  # noqa: E402
from proxy_cluster import ROOT_ACCESS_KEY, ROOT_SECRET_KEY, ClusterNode  # noqa: E402
from test_rebalance import KetamaRing, body_for  # noqa: E402
from tls_certificates import make_certificates  # noqa: E402

BUCKET = "kv-tls"
OBJECTS = 90


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RebalanceOverTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.nodes = []
        cls.certs = tempfile.mkdtemp(prefix="kvgate-rebalance-tls-")
        cls.ca, cert, key = make_certificates(cls.certs)
        cls.tls_ports = [free_port() for _ in range(3)]
        cls.urls = [f"https://127.0.0.1:{p}" for p in cls.tls_ports]
        try:
            for i in range(3):
                node_id = f"n{i + 1}"
                version, count = (3, 3) if i == 2 else (2, 2)
                text = map_toml(node_id, version, cls.members(count))
                cls.nodes.append(ClusterNode(
                    node_id, text, disks=2,
                    extra_args=["--tls-listen", f"127.0.0.1:{cls.tls_ports[i]}",
                                "--tls-cert", cert, "--tls-key", key]))
            cls.ring2 = KetamaRing([f"127.0.0.1:{p}" for p in cls.tls_ports[:2]])
            cls.ring3 = KetamaRing([f"127.0.0.1:{p}" for p in cls.tls_ports])
            for node in cls.nodes[:2]:
                assert call(node, "PUT", f"/{BUCKET}").status == 200
            cls.sizes = {f"seg/{i:03d}": 1024 + 97 * i for i in range(OBJECTS)}

            def put(item):
                key, size = item
                node = cls.nodes[cls.ring2.owner(BUCKET, key)]
                r = call(node, "PUT", f"/{BUCKET}/{key}", {"x-kvgate-map-version": "2"},
                         body_for(BUCKET, key, size))
                assert r.status == 200, (key, r.status, r.body)
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(put, cls.sizes.items()))
            for node in cls.nodes[:2]:
                reload_map(node, map_toml(node.node_id, 3, cls.members(3)), 3)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()

    @classmethod
    def members(cls, count):
        return [(f"n{i + 1}", cls.urls[i], 1, "active") for i in range(count)]

    def kvgate(self, *args):
        env = dict(os.environ, KVGATE_ACCESS_KEY=ROOT_ACCESS_KEY,
                   KVGATE_SECRET_KEY=ROOT_SECRET_KEY)
        env.pop("SSL_CERT_FILE", None)
        env.pop("SSL_CERT_DIR", None)
        return subprocess.run([kvgate_binary(), *args], capture_output=True, timeout=300,
                              env=env)

    def holders(self, key):
        return [i for i, node in enumerate(self.nodes)
                if call(node, "HEAD", f"/{BUCKET}/{key}").status == 200]

    def test_1_an_unknown_ca_is_refused_and_nothing_moves(self):
        p = self.kvgate("rebalance", "--endpoint", self.urls[0], "--json")
        err = p.stderr.decode()
        print(f"without --ca-file: exit {p.returncode}: {err.strip()[-300:]}")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("certificate verify failed", err)
        moved = [k for k in self.sizes if self.ring3.owner(BUCKET, k) == 2]
        self.assertTrue(moved)
        self.assertEqual(self.holders(moved[0]), [self.ring2.owner(BUCKET, moved[0])])

    def test_2_rebalance_over_https_moves_the_keys_of_the_new_node(self):
        start = time.monotonic()
        p = self.kvgate("rebalance", "--endpoint", self.urls[0], "--ca-file", self.ca, "--json")
        elapsed = time.monotonic() - start
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        summary = json.loads(p.stdout.decode())
        moving = {k: s for k, s in self.sizes.items()
                  if self.ring3.owner(BUCKET, k) != self.ring2.owner(BUCKET, k)}
        print(f"over https: moved {summary['moved']} of {summary['objects_listed']} objects "
              f"({summary['moved_bytes']} bytes) in {elapsed:.2f} s; ring says {len(moving)}")
        self.assertEqual(summary["objects_listed"], OBJECTS)
        self.assertEqual(summary["moved"], len(moving))
        self.assertEqual(summary["moved_bytes"], sum(moving.values()))
        self.assertEqual(summary["old_removed"], len(moving))
        self.assertEqual(summary["failed"], 0)
        for key, size in self.sizes.items():
            owner = self.ring3.owner(BUCKET, key)
            r = call(self.nodes[owner], "GET", f"/{BUCKET}/{key}")
            self.assertEqual(r.status, 200, key)
            self.assertEqual(r.body, body_for(BUCKET, key, size), key)
            self.assertEqual(self.holders(key), [owner], key)

    def test_3_admin_verbs_speak_https(self):
        p = self.kvgate("info", "--endpoint", self.urls[1], "--ca-file", self.ca)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        self.assertTrue(p.stdout.strip())
        bad = self.kvgate("info", "--endpoint", self.urls[1])
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("certificate verify failed", bad.stderr.decode())


if __name__ == "__main__":
    unittest.main()
