"""kvgate::sdk::ketama_ring picks the node nginx picks (docs/scaling.md).

nginx runs the configuration rendered by docker/proxy/render_proxy_configs.py
for five weighted members; each member is a tiny nginx server block that
answers 204 with its id in X-Kvgate-Node (the kvgate nodes' header), so
100,000 object names (path-style and virtual-hosted, percent-encoded keys
with '@', '/', '%', spaces, UTF-8) are asked of nginx quickly and compared
with `kvgate_ring` (the SDK's ring) on the same member list. A second check
asks real kvgate nodes (x-kvgate-node from their [cluster] map) through the
same rendered configuration.
"""
import http.client
import os
import random
import shutil
import subprocess
import sys
import threading
import unittest
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from proxy_cluster import (DOMAIN, ClusterNode, RENDER, free_port, wait_http)  # noqa: E402
import s3_signing  # noqa: E402
from proxy_cluster import ROOT_ACCESS_KEY, ROOT_SECRET_KEY  # noqa: E402

KEYS = int(os.environ.get("KVGATE_RING_KEYS", "100000"))
BUCKET = "ring"


def ring_binary():
    path = os.environ.get("KVGATE_RING")
    if path:
        return path
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                        "kvgate_ring")


def random_keys(count, seed):
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.@/%+ =é"
    keys = []
    for i in range(count):
        if i % 3 == 0:
            keys.append(f"meta-llama@1@{rng.randint(0, 7)}@{rng.getrandbits(64):016x}@bfloat16")
        else:
            n = rng.randint(1, 40)
            key = "".join(rng.choice(alphabet) for _ in range(n))
            # nginx normalizes "." and ".." segments in $uri: keys never use them.
            key = "/".join(s if s not in (".", "..") else s + "x" for s in key.split("/"))
            keys.append(key.lstrip("/") or "k")
    return keys


def sdk_owners(members, names):
    args = [ring_binary()]
    for address, weight in members:
        args += ["--member", f"{address},weight={weight}"]
    p = subprocess.run(args, input="".join(n + "\n" for n in names).encode(),
                       capture_output=True, timeout=120, check=True)
    return p.stdout.decode().splitlines()


def ask_nginx(port, requests, header, threads=4):
    """requests: [(host header, path)] -> [header value]"""
    out = [None] * len(requests)

    def work(first):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(first, len(requests), threads):
            host, path = requests[i]
            conn.putrequest("HEAD", path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host)
            conn.endheaders()
            r = conn.getresponse()
            r.read()
            out[i] = r.getheader(header)
        conn.close()

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=600)
    return out


class Nginx:
    def __init__(self, nodes, stub_blocks=""):
        """nodes: [(id, address, weight)]"""
        self.port = free_port()
        self.dir = os.path.realpath(__import__("tempfile").mkdtemp(prefix="kvgate-ring-"))
        os.chmod(self.dir, 0o755)
        cmd = [sys.executable, RENDER, "--listen", f"127.0.0.1:{self.port}", "--domain", DOMAIN,
               "--run-dir", self.dir, "--out-dir", self.dir, "--only", "nginx",
               "--nginx-workers", "1"]
        for node_id, address, weight in nodes:
            cmd += ["--node", f"{node_id}={address},weight={weight}"]
        subprocess.run(cmd, check=True, timeout=30)
        conf = os.path.join(self.dir, "nginx.conf")
        if stub_blocks:
            with open(conf) as f:
                text = f.read().rstrip()
            assert text.endswith("}")
            with open(conf, "w") as f:
                f.write(text[:-1] + stub_blocks + "}\n")
        self.log = open(os.path.join(self.dir, "stderr.log"), "wb")
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", conf, "-g", "daemon off;"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(self.port, path="/health/ready", timeout=20,
                  want=204 if stub_blocks else 200)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def requests_for(keys, port):
    out = []
    for i, key in enumerate(keys):
        quoted = urllib.parse.quote(key, safe="/-_.~")
        if i % 2:
            out.append((f"{BUCKET}.{DOMAIN}:{port}", "/" + quoted))
        else:
            out.append((f"127.0.0.1:{port}", f"/{BUCKET}/{quoted}"))
    return out


@unittest.skipUnless(shutil.which("nginx"), "nginx is needed (tests/install-deps.sh test)")
class RingMatchesNginxTest(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        if not os.access(ring_binary(), os.X_OK):
            self.skipTest(f"{ring_binary()} is not built (target kvgate_ring)")

    def test_100k_keys_against_weighted_members(self):
        weights = [1, 1, 2, 1, 3]
        ports = [free_port() for _ in weights]
        members = [(f"m{i}", f"127.0.0.1:{p}", w) for i, (p, w) in enumerate(zip(ports, weights))]
        stubs = "".join(
            f"    server {{\n        listen 127.0.0.1:{p};\n"
            f"        location / {{ add_header X-Kvgate-Node {node_id} always; return 204; }}\n"
            f"    }}\n" for node_id, p, _ in ((m[0], ports[i], 0) for i, m in enumerate(members)))
        nginx = Nginx(members, stubs)
        try:
            keys = random_keys(KEYS, seed=2026)
            got = ask_nginx(nginx.port, requests_for(keys, nginx.port), "X-Kvgate-Node")
        finally:
            nginx.stop()
        by_address = {address: node_id for node_id, address, _ in members}
        sdk = [by_address.get(a, a) for a in
               sdk_owners([(a, w) for _, a, w in members],
                          [f"/{BUCKET}/{k}" for k in keys])]
        mismatches = [(k, g, s) for k, g, s in zip(keys, got, sdk) if g != s]
        share = {m[0]: sdk.count(m[0]) / len(sdk) for m in members}
        print(f"MEASURED ring: {len(keys)} keys, {len(mismatches)} differ from nginx; "
              f"shares {share} for weights {weights}", flush=True)
        self.assertEqual(mismatches[:5], [])

    def test_kvgate_nodes_echo_the_owner_the_sdk_computes(self):
        ports = [free_port() for _ in range(3)]
        ids = ["n1", "n2", "n3"]
        members = "".join(
            f'[[cluster.members]]\nid = "{i}"\ns3_endpoint = "http://127.0.0.1:{p}"\n'
            for i, p in zip(ids, ports))
        nodes = []
        nginx = None
        try:
            for i in ids:
                toml = f'[cluster]\nid = "ring"\nmap_version = 1\nself = "{i}"\n{members}'
                nodes.append(ClusterNode(i, toml,
                                         extra_args=["--listen", f"127.0.0.1:{ports[len(nodes)]}"]))
            for node, p in zip(nodes, ports):
                node.address = f"127.0.0.1:{p}"
                gw = type("gw", (), {"host": "127.0.0.1", "port": p})
                r = s3_signing.request(gw, "PUT", f"/{BUCKET}", access_key=ROOT_ACCESS_KEY,
                                       secret=ROOT_SECRET_KEY)
                self.assertEqual(r.status, 200, r.body)
            nginx = Nginx([(i, f"127.0.0.1:{p}", 1) for i, p in zip(ids, ports)])
            keys = random_keys(int(os.environ.get("KVGATE_RING_NODE_KEYS", "1500")), seed=9)
            got = ask_nginx(nginx.port, requests_for(keys, nginx.port), "x-kvgate-node",
                            threads=2)
        finally:
            if nginx:
                nginx.stop()
            for node in nodes:
                node.stop()
        by_address = {f"127.0.0.1:{p}": i for i, p in zip(ids, ports)}
        sdk = [by_address[a] for a in sdk_owners([(f"127.0.0.1:{p}", 1) for p in ports],
                                                 [f"/{BUCKET}/{k}" for k in keys])]
        self.assertEqual(len(set(got)), 3)
        self.assertEqual([(k, g, s) for k, g, s in zip(keys, got, sdk) if g != s][:5], [])


if __name__ == "__main__":
    unittest.main()
