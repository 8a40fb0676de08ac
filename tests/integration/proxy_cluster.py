"""kvgate nodes behind nginx and HAProxy on loopback, for the scale-out tests.

ClusterNode: a `kvgate serve` (kvgate_harness.KvgateServer) with fixed root
credentials, the virtual-host domain s3.localhost and optionally a [cluster]
configuration file. Proxy: nginx or HAProxy run as the current user from a
configuration rendered by docker/proxy/render_proxy_configs.py into a
temporary directory; started in the foreground, stopped by its pid. Every wait
is bounded.
"""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from kvgate_harness import KvgateServer, kvgate_binary

ROOT_ACCESS_KEY = "kvgate-root"
ROOT_SECRET_KEY = "kvgate-root-secret-key-for-tests"
DOMAIN = "s3.localhost"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RENDER = os.path.join(REPO, "docker", "proxy", "render_proxy_configs.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/health/ready", timeout=20.0, want=200):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == want:
                return
            last = status
        except OSError as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"127.0.0.1:{port}{path} did not answer {want}: {last}")


class ClusterNode:
    def __init__(self, node_id, config_text=None, disks=4, extra_args=()):
        self.node_id = node_id
        self.tmp = tempfile.mkdtemp(prefix=f"kvgate-scale-{node_id}-")
        args = ["--domain", DOMAIN, "--io-threads", "1", "--blocking-threads", "2"]
        if config_text is not None:
            path = os.path.join(self.tmp, "kvgate.toml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        args += list(extra_args)
        env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS_KEY, "KVGATE_SECRET_KEY": ROOT_SECRET_KEY,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        self.server = KvgateServer(kvgate_binary(), extra_args=args, env=env, disks=disks,
                                   start_timeout=60.0)
        self.server.start()
        self.port = self.server.port
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"

    @property
    def alive(self):
        return self.server.proc is not None and self.server.proc.poll() is None

    def kill(self):
        """SIGKILL: the node dies as a crashed host would."""
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait(timeout=10)

    def stop(self):
        self.server.stop()
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Proxy:
    """nginx or HAProxy in front of `nodes` (ClusterNode list, ring order;
    `weights` as in the nodes' cluster map, 1 each by default)."""

    def __init__(self, kind, nodes, upstream_header=True, weights=None):
        assert kind in ("nginx", "haproxy")
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix=f"kvgate-{kind}-")
        os.chmod(self.dir, 0o755)  # nginx workers may run as another user under root
        cmd = [sys.executable, RENDER, "--listen", f"127.0.0.1:{self.port}", "--domain", DOMAIN,
               "--run-dir", self.dir, "--out-dir", self.dir, "--only", kind,
               "--nginx-workers", "1"]
        if upstream_header:
            cmd.append("--upstream-header")
        for i, node in enumerate(nodes):
            weight = f",weight={weights[i]}" if weights else ""
            cmd += ["--node", f"{node.node_id}={node.address}{weight}"]
        subprocess.run(cmd, check=True, timeout=30)
        self.log = open(os.path.join(self.dir, "stderr.log"), "wb")
        if kind == "nginx":
            conf = os.path.join(self.dir, "nginx.conf")
            args = ["nginx", "-p", self.dir, "-c", conf, "-g", "daemon off;"]
        else:
            conf = os.path.join(self.dir, "haproxy.cfg")
            args = ["haproxy", "-db", "-f", conf]
        self.conf = conf
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        try:
            wait_http(self.port, timeout=20)
        except Exception:
            self.stop()
            raise

    def upstream_node(self, header_value, nodes):
        """The ClusterNode an X-Kvgate-Upstream value names (nginx: the
        address(es) tried, last one answered; HAProxy: the server name)."""
        value = header_value.split(",")[-1].strip()
        for node in nodes:
            if value in (node.address, node.node_id):
                return node
        return None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self):
        try:
            with open(os.path.join(self.dir, "stderr.log"), "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
        except OSError:
            tail = ""
        return f"{self.kind} on {self.port}: {tail}"
