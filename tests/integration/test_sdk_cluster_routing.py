"""SDK direct routing (docs/scaling.md "SDK direct routing", docs/sdk.md):
kvgate.Client(cluster_routing=True) reads the cluster map from its endpoint
(nginx in front of three real `kvgate serve` nodes) and sends every object
request straight to the node that owns the key — the node nginx picks.

What is asserted, through real processes on loopback:
  - every object written by the client is on exactly one node, the node nginx
    routes its key to (X-Kvgate-Upstream), and reads back byte-exact, also
    through nginx (path-style, keys with / @ + spaces, a multipart object);
  - with nginx stopped, every object operation still works: the data path
    does not touch the proxy;
  - create_bucket makes the bucket on every member; exists_batch asks each
    node once (one BatchExists per node) and answers in key order;
  - after the map changes on every node (SIGHUP), the client's stale map
    gets 421 ClusterMapMismatch, it refetches and the request succeeds;
  - LMCache's native connector (cluster_routing in its adapter_params) sets,
    checks and reads chunks spread over all three nodes;
  - a killed node: its keys go to the proxy and are misses (404), never
    errors; other keys are served directly; the node is bypassed once.
"""
import os
import random
import select
import signal
import sys
import time
import types
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import s3_signing  # noqa: E402
from kvgate_python import import_kvgate  # noqa: E402
from proxy_cluster import (ROOT_ACCESS_KEY, ROOT_SECRET_KEY, ClusterNode, Proxy,  # noqa: E402
                           free_port)

kvgate = import_kvgate()
HAVE_NGINX = any(os.access(os.path.join(d, "nginx"), os.X_OK)
                 for d in ("/usr/sbin", "/usr/bin", "/sbin"))
BUCKET = "routed"
CLUSTER = "kv-direct"
WEIGHTS = [1, 2, 1]  # the same in the nodes' map and nginx's upstream


def cluster_toml(self_id, ports, version):
    text = f'[cluster]\nid = "{CLUSTER}"\nmap_version = {version}\nself = "{self_id}"\n'
    for i, port in enumerate(ports, start=1):
        text += (f'\n[[cluster.members]]\nid = "n{i}"\ns3_endpoint = "http://127.0.0.1:{port}"\n'
                 f'weight = {WEIGHTS[i - 1]}\n')
    return text


def call(port, method, path, headers=None, body=b""):
    gw = types.SimpleNamespace(host="127.0.0.1", port=port)
    return s3_signing.request(gw, method, urllib.parse.quote(path), headers=headers or {},
                              body=body, access_key=ROOT_ACCESS_KEY, secret=ROOT_SECRET_KEY)


def payload(seed, size):
    return random.Random(seed).randbytes(size)


class SdkClusterRoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not HAVE_NGINX:
            raise unittest.SkipTest("nginx is needed (tests/install-deps.sh test)")
        cls.ports = [free_port() for _ in range(3)]
        cls.nodes, cls.proxy = [], None
        try:
            for i, port in enumerate(cls.ports, start=1):
                node = ClusterNode(f"n{i}", cluster_toml(f"n{i}", cls.ports, 1),
                                   extra_args=["--listen", f"127.0.0.1:{port}"])
                # The harness's own listener is on port 0 too: use the one the
                # map names, so nginx's ring has the map's names.
                node.port, node.address = port, f"127.0.0.1:{port}"
                node.url = f"http://{node.address}"
                cls.nodes.append(node)
            cls.proxy = Proxy("nginx", cls.nodes, weights=WEIGHTS)
        except Exception:
            cls.tearDownClass()
            raise
        cls.client = cls.make_client()
        cls.written = {}

    @classmethod
    def tearDownClass(cls):
        if cls.proxy:
            cls.proxy.stop()
            cls.proxy.cleanup()
        for node in cls.nodes:
            node.stop()

    @classmethod
    def make_client(cls, **extra):
        return kvgate.Client(endpoint=cls.proxy.url, access_key=ROOT_ACCESS_KEY,
                             secret_key=ROOT_SECRET_KEY, cluster_routing=True, max_attempts=2,
                             connect_timeout=2, retry_base_delay=0.05, **extra)

    def holders(self, key):
        found = []
        for node in self.nodes:
            if node.alive:
                r = call(node.port, "HEAD", f"/{BUCKET}/{key}")
                self.assertIn(r.status, (200, 404), f"HEAD {key} on {node.node_id}")
                if r.status == 200:
                    found.append(node)
        return found

    def nginx_choice(self, key):
        r = call(self.proxy.port, "HEAD", f"/{BUCKET}/{key}")
        node = self.proxy.upstream_node(r.headers.get("x-kvgate-upstream", ""), self.nodes)
        self.assertIsNotNone(node, f"nginx named no node for {key}: {r.headers}")
        return node

    # ------------------------------------------------------------------ tests
    def test_1_each_key_is_on_the_node_nginx_picks_and_reads_back_exactly(self):
        self.client.create_bucket(BUCKET)
        for node in self.nodes:  # made on every member, not only one
            self.assertEqual(call(node.port, "HEAD", f"/{BUCKET}").status, 200, node.node_id)
        before = self.client.stats()
        keys = [f"seg/{i:03d}" for i in range(60)]
        keys += ["odd/a b+c@d", "odd/x=1~y"]
        for i, key in enumerate(keys):
            data = payload(i, 1000 + 37 * i)
            self.client.put(BUCKET, key, data)
            self.written[key] = data
        big = payload(999, 20 << 20)  # above the 16 MiB multipart threshold: 3 parts
        self.client.put(BUCKET, "seg/big", big)
        self.written["seg/big"] = big
        after = self.client.stats()
        print(f"routing: {after['routing']}; routed_direct "
              f"{after['routed_direct'] - before['routed_direct']} requests for "
              f"{len(keys) + 1} puts")
        self.assertTrue(after["routing"].startswith("direct (cluster kv-direct map 1, 3 members"),
                        after["routing"])
        # 62 single PUTs + the multipart's initiate, 3 parts and complete.
        self.assertEqual(after["routed_direct"] - before["routed_direct"], len(keys) + 5)
        self.assertEqual(after["rerouted"], 0)

        per_node = {}
        for key in self.written:
            holders = self.holders(key)
            self.assertEqual(len(holders), 1, f"{key} on {[n.node_id for n in holders]}")
            choice = self.nginx_choice(key)
            self.assertIs(holders[0], choice, key)
            per_node[holders[0].node_id] = per_node.get(holders[0].node_id, 0) + 1
        print(f"objects per node: {per_node}")
        self.assertEqual(len(per_node), 3, per_node)
        for key, data in self.written.items():
            out = bytearray(len(data))
            self.client.get(BUCKET, key, out)
            self.assertEqual(bytes(out), data, key)
        r = call(self.proxy.port, "GET", f"/{BUCKET}/seg/big")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, big)

    def test_2_the_data_path_does_not_touch_the_proxy(self):
        # A second nginx as this client's endpoint, stopped once the client
        # has its map: every object operation still works.
        proxy = Proxy("nginx", self.nodes, weights=WEIGHTS)
        try:
            client = kvgate.Client(endpoint=proxy.url, access_key=ROOT_ACCESS_KEY,
                                   secret_key=ROOT_SECRET_KEY, cluster_routing=True,
                                   max_attempts=1, connect_timeout=2, map_refresh=0.2)
            self.assertTrue(client.exists(BUCKET, "seg/001"))  # fetches the map
            time.sleep(0.3)
            client.exists(BUCKET, "seg/001")  # map older than map_refresh: refetched beside it
            deadline = time.monotonic() + 10
            while client.stats()["map_fetches"] < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(client.stats()["map_fetches"], 2)
            proxy.stop()
            for key, data in list(self.written.items())[:20]:
                out = bytearray(len(data))
                client.get(BUCKET, key, out)
                self.assertEqual(bytes(out), data)
                self.assertEqual(client.head(BUCKET, key).size, len(data))
            client.put(BUCKET, "seg/while-proxy-down", b"p" * 4096)
            self.written["seg/while-proxy-down"] = b"p" * 4096
            client.delete(BUCKET, "seg/000")
            del self.written["seg/000"]
            self.assertEqual(self.holders("seg/000"), [])
            stats = client.stats()
            # The map is stale all along, but a refetch from the dead proxy is
            # tried once per node_bypass (10 s), not on every request.
            self.assertLessEqual(stats["map_fetches"], 3, stats)
            print(f"with its proxy stopped: {stats['operations']} operations, "
                  f"{stats['errors']} errors, {stats['routed_direct']} routed directly")
            self.assertEqual(stats["errors"], 0)
            self.assertEqual(stats["rerouted"], 0)
            client.close()
        finally:
            proxy.stop()
            proxy.cleanup()

    def test_3_exists_batch_asks_each_node_once(self):
        present = [k for k in self.written if k.startswith("seg/")][:45]
        absent = [f"never/{i}" for i in range(45)]
        keys = [k for pair in zip(present, absent) for k in pair]
        before = self.client.stats()
        answer = self.client.exists_batch(BUCKET, keys)
        after = self.client.stats()
        self.assertEqual(list(answer), [k in self.written for k in keys])
        sent = after["requests"] - before["requests"]
        print(f"exists_batch of {len(keys)} keys over 3 nodes: {sent} requests")
        self.assertEqual(sent, 3)
        self.assertEqual(after["routed_direct"] - before["routed_direct"], 3)

    def test_4_a_new_map_on_every_node_is_picked_up_after_421(self):
        for i, node in enumerate(self.nodes, start=1):
            with open(os.path.join(node.tmp, "kvgate.toml"), "w") as f:
                f.write(cluster_toml(f"n{i}", self.ports, 2))
            node.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            versions = {call(n.port, "GET", "/.kvgate/v1/cluster").headers.get(
                "x-kvgate-map-version") for n in self.nodes}
            if versions == {"2"}:
                break
            time.sleep(0.1)
        self.assertEqual(versions, {"2"}, "the nodes did not reload their map on SIGHUP")
        before = self.client.stats()
        key = "seg/001"
        out = bytearray(len(self.written[key]))
        self.client.get(BUCKET, key, out)
        self.assertEqual(bytes(out), self.written[key])
        after = self.client.stats()
        self.assertEqual(after["map_mismatches"] - before["map_mismatches"], 1)
        self.assertGreater(after["map_fetches"], before["map_fetches"])
        self.assertIn("map 2,", after["routing"])
        self.assertEqual(after["errors"], before["errors"])

    def test_5_the_lmcache_native_connector_spreads_over_the_nodes(self):
        # LMCache's native_plugin connector with the client option passed
        # through adapter_params: its batches reach every node directly.
        from kvgate.lmcache import KvgateNativeConnector
        conn = KvgateNativeConnector(endpoint=self.proxy.url, bucket=BUCKET, num_workers=4,
                                     access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY,
                                     cluster_routing=True, key_prefix="lmc/")
        poller = select.poll()
        poller.register(conn.event_fd(), select.POLLIN)

        def run(fid):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                poller.poll(100)
                for done in conn.drain_completions():
                    if done[0] == fid:
                        return done
            raise AssertionError(f"batch {fid} did not complete")

        try:
            keys = [f"chunk-{i:02d}" for i in range(24)]
            chunks = [bytearray(payload(100 + i, 256 * 1024)) for i in range(24)]
            _, ok, err, _ = run(conn.submit_batch_set(keys, [memoryview(c) for c in chunks]))
            self.assertTrue(ok, err)
            for key, chunk in zip(keys, chunks):
                self.written[f"lmc/{key}"] = bytes(chunk)
            placed = {self.holders(f"lmc/{k}")[0].node_id for k in keys}
            self.assertEqual(placed, {"n1", "n2", "n3"})
            _, ok, err, found = run(conn.submit_batch_exists(keys + ["chunk-absent"]))
            self.assertTrue(ok, err)
            self.assertEqual(found, [True] * 24 + [False])
            outs = [bytearray(256 * 1024) for _ in keys]
            _, ok, err, _ = run(conn.submit_batch_get(keys, [memoryview(o) for o in outs]))
            self.assertTrue(ok, err)
            self.assertEqual([bytes(o) for o in outs], [bytes(c) for c in chunks])
            print(f"LMCache native connector (cluster_routing): 24 chunks set, checked and read "
                  f"back, spread over {len(placed)} nodes")
        finally:
            conn.close()

    def test_6_a_killed_node_only_turns_its_own_keys_into_misses(self):
        victim = self.nodes[1]
        victim_keys = [k for k in self.written if self.holders(k)[0] is victim]
        other_keys = [k for k in self.written if k not in victim_keys]
        self.assertTrue(victim_keys and other_keys)
        victim.kill()
        before = self.client.stats()
        misses = 0
        for key in victim_keys:
            with self.assertRaises(kvgate.NotFoundError) as caught:
                self.client.head(BUCKET, key)
            self.assertEqual(caught.exception.status, 404)
            misses += 1
        for key in other_keys:
            out = bytearray(len(self.written[key]))
            self.client.get(BUCKET, key, out)
            self.assertEqual(bytes(out), self.written[key], key)
        answer = self.client.exists_batch(BUCKET, victim_keys + other_keys)
        self.assertEqual(list(answer), [False] * len(victim_keys) + [True] * len(other_keys))
        after = self.client.stats()
        print(f"node {victim.node_id} killed: {misses} of its keys missed (404), "
              f"{len(other_keys)} others read directly; rerouted "
              f"{after['rerouted'] - before['rerouted']}, bypasses "
              f"{after['node_bypasses'] - before['node_bypasses']}; {after['routing']}")
        self.assertEqual(after["node_bypasses"] - before["node_bypasses"], 1)
        self.assertGreaterEqual(after["rerouted"] - before["rerouted"], 1)
        self.assertIn("1 bypassed", after["routing"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
