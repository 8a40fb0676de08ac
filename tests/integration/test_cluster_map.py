"""The cluster map (docs/scaling.md): [cluster] in the TOML file, the signed
GET /.kvgate/v1/cluster on every node, x-kvgate-node / x-kvgate-map-version
on every answer, 421 ClusterMapMismatch for requests routed with another map,
and the start-up validation of the table."""
import json
import os
import subprocess
import sys
import tempfile
import types
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_signing  # noqa: E402
from kvgate_harness import kvgate_binary  # noqa: E402
from proxy_cluster import ROOT_ACCESS_KEY, ROOT_SECRET_KEY, ClusterNode  # noqa: E402

BUCKET = "maps"


def cluster_toml(self_id, version=3, cluster_id="kv-test", extra_member=""):
    return f"""
[cluster]
id = "{cluster_id}"
map_version = {version}
self = "{self_id}"

[[cluster.members]]
id = "n1"
s3_endpoint = "http://127.0.0.1:19001"
rdma_listener = "192.168.122.10:7471"
weight = 2

[[cluster.members]]
id = "n2"
s3_endpoint = "http://127.0.0.1:19002"
state = "down"
{extra_member}
"""


def call(node, method, path, headers=None, body=b"", query=(), sign=True):
    gw = types.SimpleNamespace(host="127.0.0.1", port=node.port)
    return s3_signing.request(gw, method, path, query=query, headers=headers or {}, body=body,
                              access_key=ROOT_ACCESS_KEY, secret=ROOT_SECRET_KEY, sign=sign)


class ClusterMapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.nodes = []
        try:
            cls.nodes = [ClusterNode(i, cluster_toml(i)) for i in ("n1", "n2")]
            cls.loner = ClusterNode("solo")
            cls.nodes.append(cls.loner)
            for node in cls.nodes:
                r = call(node, "PUT", f"/{BUCKET}")
                assert r.status == 200, r.body
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()

    def test_every_member_serves_the_same_signed_map(self):
        maps = []
        for node in self.nodes[:2]:
            r = call(node, "GET", "/.kvgate/v1/cluster")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.headers["content-type"], "application/json")
            doc = json.loads(r.body)
            self.assertEqual(doc["self"], node.node_id)
            self.assertEqual(r.headers["x-kvgate-node"], node.node_id)
            maps.append({k: v for k, v in doc.items() if k != "self"})
        self.assertEqual(maps[0], maps[1])
        doc = maps[0]
        self.assertEqual(doc["cluster_id"], "kv-test")
        self.assertEqual(doc["map_version"], 3)
        self.assertEqual(doc["ring"], {"algorithm": "ketama-crc32", "points_per_weight": 160,
                                       "hash_input": "/<bucket>/<key>"})
        self.assertEqual(doc["members"], [
            {"id": "n1", "s3_endpoint": "http://127.0.0.1:19001", "ring_name": "127.0.0.1:19001",
             "rdma_listener": "192.168.122.10:7471", "weight": 2, "state": "active"},
            {"id": "n2", "s3_endpoint": "http://127.0.0.1:19002", "ring_name": "127.0.0.1:19002",
             "rdma_listener": None, "weight": 1, "state": "down"}])

    def test_the_map_needs_a_signature(self):
        r = call(self.nodes[0], "GET", "/.kvgate/v1/cluster", sign=False)
        self.assertEqual(r.status, 403, r.body)
        self.assertNotIn(b"kv-test", r.body)

    def test_a_node_outside_a_cluster_answers_an_empty_map(self):
        r = call(self.loner, "GET", "/.kvgate/v1/cluster")
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.body), {"cluster_id": None, "members": []})
        self.assertNotIn("x-kvgate-node", r.headers)

    def test_every_answer_names_the_node_and_its_map(self):
        node = self.nodes[1]
        for method, path in (("HEAD", f"/{BUCKET}/absent"), ("GET", "/health/ready"),
                             ("GET", f"/{BUCKET}/absent")):
            r = call(node, method, path)
            self.assertEqual(r.headers.get("x-kvgate-node"), "n2", (method, path))
            self.assertEqual(r.headers.get("x-kvgate-map-version"), "3", (method, path))

    def test_requests_routed_with_the_current_map_are_served(self):
        node = self.nodes[0]
        r = call(node, "PUT", f"/{BUCKET}/k1", {"x-kvgate-map-version": "3",
                                               "x-kvgate-cluster-id": "kv-test"}, b"v1")
        self.assertEqual(r.status, 200, r.body)
        r = call(node, "GET", f"/{BUCKET}/k1", {"x-kvgate-map-version": "3"})
        self.assertEqual((r.status, r.body), (200, b"v1"))

    def test_requests_routed_with_another_map_are_refused(self):
        node = self.nodes[0]
        cases = [({"x-kvgate-map-version": "2"}, "map version 2"),
                 ({"x-kvgate-map-version": "4"}, "map version 4"),
                 ({"x-kvgate-map-version": "3", "x-kvgate-cluster-id": "other"}, "\"other\"")]
        for headers, says in cases:
            with self.subTest(headers=headers):
                r = call(node, "PUT", f"/{BUCKET}/refused", headers, b"x")
                self.assertEqual(r.status, 421, r.body)
                self.assertIn(b"<Code>ClusterMapMismatch</Code>", r.body)
                self.assertIn(says.encode(), r.body)
                self.assertIn(b"serves map version 3 of cluster \"kv-test\"", r.body)
                r = call(node, "HEAD", f"/{BUCKET}/k1", headers)
                self.assertEqual(r.status, 421)
        r = call(node, "HEAD", f"/{BUCKET}/refused")
        self.assertEqual(r.status, 404, "a refused PUT stored nothing")
        # The map itself is served whatever map the caller holds.
        r = call(node, "GET", "/.kvgate/v1/cluster", {"x-kvgate-map-version": "2"})
        self.assertEqual(r.status, 200)

    def test_a_node_outside_a_cluster_refuses_cluster_routed_requests(self):
        r = call(self.loner, "GET", f"/{BUCKET}/k", {"x-kvgate-map-version": "3"})
        self.assertEqual(r.status, 421)
        self.assertIn(b"not a member of a cluster", r.body)


class ClusterConfigValidationTest(unittest.TestCase):
    def start_fails(self, text):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "kvgate.toml")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([kvgate_binary(), "serve", "--listen", "127.0.0.1:0", "--data",
                                os.path.join(tmp, "d1"), "--config", path],
                               capture_output=True, timeout=60, cwd=tmp,
                               env=dict(os.environ, KVGATE_ACCESS_KEY=ROOT_ACCESS_KEY,
                                        KVGATE_SECRET_KEY=ROOT_SECRET_KEY))
            self.assertNotEqual(p.returncode, 0, p.stdout)
            return p.stderr.decode()

    def test_invalid_maps_fail_fast_naming_the_key(self):
        cases = [
            (cluster_toml("n9"), "cluster.self"),
            (cluster_toml("n1", extra_member='[[cluster.members]]\nid = "n1"\n'
                          's3_endpoint = "http://127.0.0.1:19003"\n'), "appears twice"),
            (cluster_toml("n1").replace('state = "down"', 'state = "gone"'), "not active or down"),
            (cluster_toml("n1").replace("weight = 2", "weight = 0"), "weight"),
            (cluster_toml("n1").replace("http://127.0.0.1:19002", "127.0.0.1:19002"),
             "s3_endpoint"),
            (cluster_toml("n1").replace("weight = 2", "colour = 2"), "colour"),
            (cluster_toml("n1", version=0), "map_version"),
            ('[cluster]\nid = "x"\nmap_version = 1\nself = "a"\n', "cluster.members"),
        ]
        for text, says in cases:
            with self.subTest(says=says):
                self.assertIn(says, self.start_fails(text))


if __name__ == "__main__":
    unittest.main()
