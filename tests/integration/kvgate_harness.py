"""Start and stop a real `kvgate serve` for integration tests.

Usage:
    with KvgateServer(binary, extra_args=[...]) as srv:
        srv.url, srv.port, srv.tls_port ...

The server listens on an ephemeral loopback port (--listen 127.0.0.1:0),
stores data in a fresh temporary directory and is stopped (SIGTERM, then
SIGKILL after a bound) on exit. Every wait is bounded.
"""
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time

READY_RE = re.compile(r"kvgate ready on (https?)://([^\s]+):(\d+)")


def kvgate_binary():
    """The kvgate binary: $KVGATE_BINARY, else build/kvgate next to the sources."""
    path = os.environ.get("KVGATE_BINARY")
    if not path:
        path = os.path.join(os.path.dirname(__file__), "..", "..", "build", "kvgate")
    return os.path.abspath(path)


class KvgateServer:
    def __init__(self, binary=None, extra_args=(), env=None, disks=6, tls_listen=False,
                 start_timeout=20.0):
        self.binary = binary or kvgate_binary()
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.disks = disks
        self.tls_listen = tls_listen
        self.start_timeout = start_timeout
        self.proc = None
        self.tmp = None
        self.stdout_lines = []
        self.urls = []
        self.port = None
        self.tls_port = None
        self.access_key = None
        self.secret_key = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-it-")
        args = [self.binary, "serve", "--listen", "127.0.0.1:0"]
        for i in range(1, self.disks + 1):
            args += ["--data", os.path.join(self.tmp, "data", f"disk{i}")]
        if self.tls_listen:
            args += ["--tls-listen", "127.0.0.1:0"]
        args += self.extra_args
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=self.env, cwd=self.tmp)
        want = 1 + (1 if self.tls_listen else 0)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + self.start_timeout
        buf = b""
        while len(self.urls) < want:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("kvgate did not become ready: " + self.stderr())
            if not sel.select(timeout=min(left, 0.5)):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode()
                self.stdout_lines.append(text)
                m = READY_RE.search(text)
                if m:
                    self.urls.append(f"{m.group(1)}://{m.group(2)}:{m.group(3)}")
                    if m.group(1) == "http" and self.port is None:
                        self.port = int(m.group(3))
                    elif m.group(1) == "https" and self.tls_port is None:
                        self.tls_port = int(m.group(3))
                m = re.search(r"dev credentials: access key (\S+), secret key (\S+)", text)
                if m:
                    self.access_key, self.secret_key = m.group(1), m.group(2)
        sel.close()
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout=10.0):
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code."""
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    code = self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    code = self.proc.wait(timeout=5)
            else:
                code = self.proc.returncode
            self.proc.stdout.close()
            self._stderr.close()
        return code

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def cleanup(self):
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.cleanup()
        return False
