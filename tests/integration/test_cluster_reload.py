"""The cluster map reloaded on SIGHUP (docs/scaling.md "Changing the map"):
three real nodes get a map with version + 1 and a member added by rewriting
their files and SIGHUP; they serve it (GET /.kvgate/v1/cluster,
x-kvgate-map-version) and refuse requests routed with the old version (421);
maps a reload must not take (invalid, another cluster id, another self, a
lower version, other members under the same version) are kept out with an
error naming the problem, and the running map stays."""
import os
import signal
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster_maps import (call, map_toml, reload_map, served_map, start_node,  # noqa: E402
                          wait_for_log)

BUCKET = "reload"


class ClusterReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.nodes = []
        try:
            for node_id in ("n1", "n2", "n3"):
                cls.nodes.append(start_node(node_id, disks=2))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes:
            node.stop()

    def members(self, count):
        return [(n.node_id, n.url, 1, "active") for n in self.nodes[:count]]

    def test_reload_sequence(self):
        # Version 2: the real map of n1 and n2; n3 keeps its placeholder.
        for node in self.nodes[:2]:
            doc = reload_map(node, map_toml(node.node_id, 2, self.members(2)), 2)
            self.assertEqual([m["id"] for m in doc["members"]], ["n1", "n2"])
        n1 = self.nodes[0]
        self.assertEqual(call(n1, "PUT", f"/{BUCKET}").status, 200)
        r = call(n1, "PUT", f"/{BUCKET}/k", {"x-kvgate-map-version": "2"}, b"v2")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["x-kvgate-map-version"], "2")

        # Version 3: n3 added, on all three nodes.
        for node in self.nodes:
            doc = reload_map(node, map_toml(node.node_id, 3, self.members(3)), 3)
            self.assertEqual([m["id"] for m in doc["members"]], ["n1", "n2", "n3"])
            self.assertEqual(doc["self"], node.node_id)
        self.assertIn("map version 2 -> 3", wait_for_log(n1, "map version 2 -> 3"))
        maps = [{k: v for k, v in served_map(n).items() if k != "self"} for n in self.nodes]
        self.assertEqual(maps[0], maps[1])
        self.assertEqual(maps[0], maps[2])
        r = call(n1, "GET", f"/{BUCKET}/k", {"x-kvgate-map-version": "2"})
        self.assertEqual(r.status, 421, r.body)
        self.assertIn(b"serves map version 3", r.body)
        r = call(n1, "GET", f"/{BUCKET}/k", {"x-kvgate-map-version": "3"})
        self.assertEqual((r.status, r.body), (200, b"v2"))
        self.assertEqual(r.headers["x-kvgate-map-version"], "3")
        self.assertEqual(r.headers["x-kvgate-node"], "n1")

        # Maps a reload must not take: the running version 3 stays each time.
        good = self.members(3)
        cases = [
            ("invalid", map_toml("n1", 4, good).replace("weight = 1", "weight = 0", 1),
             "configuration invalid"),
            ("self missing", map_toml("n1", 4, good[1:]), "cluster.self"),
            ("another cluster", map_toml("n1", 4, good, cluster_id="kv-other"),
             "id changed from \"kv-test\" to \"kv-other\""),
            ("another self", map_toml("n2", 4, good), "self changed from \"n1\" to \"n2\""),
            ("lower version", map_toml("n1", 2, good), "went back from 3 to 2"),
            ("same version, other members", map_toml("n1", 3, good[:2]),
             "map_version stayed 3"),
        ]
        for name, text, says in cases:
            with self.subTest(case=name):
                before = len(n1.server.stderr())
                with open(os.path.join(n1.tmp, "kvgate.toml"), "w") as f:
                    f.write(text)
                n1.server.signal(signal.SIGHUP)
                log = wait_for_log(n1, says)[before:]
                self.assertIn("keeping the running", log)
                doc = served_map(n1)
                self.assertEqual(doc["map_version"], 3)
                self.assertEqual(len(doc["members"]), 3)
                r = call(n1, "HEAD", f"/{BUCKET}/k", {"x-kvgate-map-version": "3"})
                self.assertEqual(r.status, 200)
        self.assertTrue(n1.alive)


if __name__ == "__main__":
    unittest.main()
