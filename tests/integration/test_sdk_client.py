"""The kvgate C++ SDK (sdk/, docs/sdk.md) against a real `kvgate serve` on
loopback: kvgate_sdk_check runs every operation (32 MiB multipart with
parallel parts, parallel ranged GETs, ranges, HEAD, exists/exists_batch,
If-None-Match, paged listing, delete, 64 async requests in flight, errors
with S3 codes and request ids, rdma=on refusal without RDMA) and checks the
bytes and the client's counters, over HTTP, over HTTPS (certificate verified
against a throw-away CA) and with virtual-hosted addressing. A second case
kills the gateway between a PUT and a GET and restarts it on the same port
and data: the SDK's retries must carry the GET across.

The driver binary is $KVGATE_SDK_CHECK (CTest sets it), else
build/kvgate_sdk_check.
"""
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
from kvgate_harness import kvgate_binary  # noqa: E402

KEYS = {"KVGATE_ACCESS_KEY": s3_gateway.ROOT_ACCESS_KEY,
        "KVGATE_SECRET_KEY": s3_gateway.ROOT_SECRET_KEY}


def sdk_check_binary():
    path = os.environ.get("KVGATE_SDK_CHECK")
    if not path:
        path = os.path.join(os.path.dirname(__file__), "..", "..", "build", "kvgate_sdk_check")
    return os.path.abspath(path)


def client_env():
    env = dict(os.environ)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(name, None)
    env.update(KEYS)
    return env


def run_check(args, timeout=240):
    proc = subprocess.run([sdk_check_binary(), *args], capture_output=True, text=True,
                          env=client_env(), timeout=timeout)
    return proc


def stats_of(stdout):
    for line in stdout.splitlines():
        if line.startswith("STATS "):
            return json.loads(line[len("STATS "):])
    return None


class SdkOverGateway(unittest.TestCase):
    def run_all(self, gw, extra, endpoint=None):
        proc = run_check(["--endpoint", endpoint or gw.url, *extra, "all"])
        failed = [l for l in proc.stdout.splitlines() if l.startswith("FAIL")]
        self.assertEqual(proc.returncode, 0,
                         "\n".join(failed) + "\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
        self.assertIn("credentials from KVGATE_*", proc.stdout)
        stats = stats_of(proc.stdout)
        self.assertIsNotNone(stats)
        self.assertEqual(stats["rdma_ops"], 0)
        self.assertEqual(stats["rdma_state"], "unknown")
        self.assertGreater(stats["rdma_ineligible_no_device"], 0)
        self.assertEqual(stats["retries"], 0)
        log = gw.read_log()
        self.assertNotIn("AddressSanitizer", log)
        self.assertNotIn("runtime error", log)
        return stats

    def test_http_path_style(self):
        gw = s3_gateway.Gateway()
        try:
            stats = self.run_all(gw, ["--bucket", "sdk-http"])
            self.assertTrue(stats["transport"].startswith("tcp"))
        finally:
            gw.stop()

    def test_https_path_style(self):
        gw = s3_gateway.Gateway(tls=True)
        try:
            self.assertTrue(gw.url.startswith("https://"))
            stats = self.run_all(gw, ["--bucket", "sdk-https", "--ca-file", gw.ca_file])
            self.assertTrue(stats["transport"].startswith("tls"))
            # Without the CA the certificate is refused (not retried).
            proc = run_check(["--endpoint", gw.url, "--bucket", "sdk-https", "all"], timeout=60)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("TLS", proc.stdout)
        finally:
            gw.stop()

    def test_http_virtual_hosted(self):
        gw = s3_gateway.Gateway(domains=["s3.kvgate.test"])
        try:
            self.run_all(gw, ["--bucket", "sdk-vhost", "--addressing", "virtual",
                              "--connect-to", gw.url],
                         endpoint=f"http://s3.kvgate.test:{gw.port}")
        finally:
            gw.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RestartedGateway:
    """`kvgate serve` on a fixed port and data directory that survive a restart."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-sdk-restart-")
        self.port = free_port()
        self.proc = None

    def start(self):
        args = [kvgate_binary(), "serve", "--listen", f"127.0.0.1:{self.port}"]
        for i in range(1, 7):
            args += ["--data", os.path.join(self.tmp, f"disk{i}")]
        env = dict(os.environ, KVGATE_ACCESS_LOG="off", KVGATE_LOG_LEVEL="warn", **KEYS)
        self.stderr = open(os.path.join(self.tmp, "stderr.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, env=env,
                                     cwd=self.tmp)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        buf = b""
        while b"kvgate ready on" not in buf:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("gateway did not start: " + self.log())
            if sel.select(timeout=0.5):
                buf += os.read(self.proc.stdout.fileno(), 4096)
        sel.close()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.stderr.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc.stdout.close()
            self.stderr.close()

    def log(self):
        try:
            with open(os.path.join(self.tmp, "stderr.log"), "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class SdkRetriesAcrossRestart(unittest.TestCase):
    def test_get_survives_gateway_kill_and_restart(self):
        gw = RestartedGateway()
        driver = None
        try:
            gw.start()
            # 30 attempts (back-off capped at 2 s: ~30 s of retrying) outlast
            # an ASan gateway's restart on a loaded 2-core machine; 10 did not.
            driver = subprocess.Popen(
                [sdk_check_binary(), "--endpoint", f"http://127.0.0.1:{gw.port}", "--bucket",
                 "sdk-restart", "--max-attempts", "30", "restart"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=client_env())
            line = driver.stdout.readline()
            while line and line.strip() != "READY":
                self.assertFalse(line.startswith("FAIL"), line)
                line = driver.stdout.readline()
            self.assertEqual(line.strip(), "READY")
            gw.kill()
            # The GET starts while the gateway is down: refused connections, back-off.
            driver.stdin.write("go\n")
            driver.stdin.flush()
            time.sleep(1.5)
            gw.start()
            out, err = driver.communicate(timeout=120)
            self.assertEqual(driver.returncode, 0, out + err)
            stats = stats_of(out)
            self.assertGreaterEqual(stats["retries"], 1)
            self.assertEqual(stats["errors"], 0)
        finally:
            if driver and driver.poll() is None:
                driver.kill()
                driver.wait(timeout=5)
            gw.stop()
            log = gw.log()
            gw.cleanup()
            self.assertNotIn("AddressSanitizer", log)


if __name__ == "__main__":
    unittest.main()
