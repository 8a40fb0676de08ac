"""Every shell command in the docs is run, so the docs cannot rot.

Each ```sh / ```bash code block of README.md and docs/*.md is one test. The
line right before a block (blank lines aside) may carry a marker comment:

    <!-- doc-test: stopped -->          run with the server stopped (offline verbs)
    <!-- doc-test: daemon -->           the block starts a server itself: it must
                                        answer 200 on 127.0.0.1:9000/health/ready
                                        within 60 s and exit 0 on SIGTERM
    <!-- doc-test: skip: <reason> -->   not runnable here; reported as SKIPPED
                                        with the reason (keep these few)

Unmarked blocks run with `bash -e -o pipefail` against a real `kvgate serve`
started exactly as the README's quick start does (no flags: 127.0.0.1:9000,
six disks under ./kvgate-data, `./` being a fresh directory that is also the
blocks' working directory), with root credentials in KVGATE_ACCESS_KEY /
KVGATE_SECRET_KEY (and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), `kvgate` on
PATH and a TLS certificate pair gw.pem / gw.key in the working directory.
Blocks run in document order (README.md first, then docs/*.md by name) and
must exit 0; the server must still be running after a block that found it
running.

So that port 9000 is ours and `pidof kvgate` finds only our server, the whole
run happens in fresh network and PID namespaces (`unshare --net --pid
--fork --mount-proc`, as root or in a user namespace); where they cannot be
made, every block is SKIPPED with the reason.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import kvgate_binary  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
READY_URL = "http://127.0.0.1:9000/health/ready"
ACCESS_KEY, SECRET_KEY = "doc-snippets-root", "doc-snippets-secret-key-0123456789"
BLOCK_TIMEOUT = 180


def doc_files():
    docs = os.path.join(REPO, "docs")
    return ["README.md"] + sorted(
        os.path.join("docs", f) for f in os.listdir(docs) if f.endswith(".md"))


def extract_snippets():
    """[(id, file, line, mode, reason, text)] for every sh/bash block."""
    out = []
    for rel in doc_files():
        with open(os.path.join(REPO, rel), encoding="utf-8") as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            lang, start = m.group(1), i
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            i = j + 1
            if lang not in ("sh", "bash"):
                continue
            k = start - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            mode, reason = "running", ""
            marker = MARKER.match(lines[k]) if k >= 0 else None
            if marker:
                spec = marker.group(1)
                if spec.startswith("skip:"):
                    mode, reason = "skip", spec[len("skip:"):].strip()
                elif spec in ("stopped", "daemon"):
                    mode = spec
                else:
                    mode, reason = "bad-marker", spec
            ident = re.sub(r"[^A-Za-z0-9]+", "_", rel.replace(".md", "")) + f"_line{start + 1}"
            out.append((ident, rel, start + 1, mode, reason, "\n".join(lines[start + 1:j])))
    return out


# ---------------------------------------------------------------- inside the namespaces


class Sandbox:
    def __init__(self, workdir, binary):
        self.workdir = workdir
        self.bindir = os.path.join(workdir, ".bin")
        os.makedirs(self.bindir)
        os.symlink(binary, os.path.join(self.bindir, "kvgate"))
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("KVGATE_") or k.startswith("AWS_"):
                del self.env[k]
        self.env.update({
            "PATH": self.bindir + os.pathsep + self.env.get("PATH", ""),
            "KVGATE_ACCESS_KEY": ACCESS_KEY, "KVGATE_SECRET_KEY": SECRET_KEY,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1", "KVGATE_ACCESS_LOG": "off",
        })
        self.server = None
        self.server_log = os.path.join(workdir, ".server.log")

    def ready_status(self):
        try:
            with urllib.request.urlopen(READY_URL, timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def wait_ready(self, proc, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            if self.ready_status() == 200:
                return True
            time.sleep(0.2)
        return False

    def start_server(self):
        if self.server and self.server.poll() is None:
            return
        log = open(self.server_log, "ab")
        self.server = subprocess.Popen(["kvgate", "serve"], cwd=self.workdir, env=self.env,
                                       stdout=log, stderr=log)
        log.close()
        if not self.wait_ready(self.server, 60):
            raise RuntimeError("kvgate serve did not become ready: " + self.log_tail())

    def stop_server(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=10)
        self.server = None

    def log_tail(self):
        try:
            with open(self.server_log, "rb") as f:
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def run_block(self, text):
        p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=self.workdir,
                           env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=BLOCK_TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace")

    def run_daemon(self, text):
        proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", text], cwd=self.workdir,
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        ready = self.wait_ready(proc, 60)
        if proc.poll() is None:
            # SIGTERM to the block's commands, not to bash: its status is theirs.
            children = subprocess.run(["pgrep", "-P", str(proc.pid)], stdout=subprocess.PIPE,
                                      timeout=10).stdout.split()
            for pid in children or [str(proc.pid)]:
                os.kill(int(pid), signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
        out = out.decode(errors="replace")
        if not ready:
            return 1, "never answered 200 on " + READY_URL + "\n" + out
        return proc.returncode, out


def run_inside(results_path):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    workdir = tempfile.mkdtemp(prefix="kvgate-doc-snippets-")
    results = {}
    box = Sandbox(workdir, kvgate_binary())
    try:
        from tls_certificates import make_certificates

        certs = os.path.join(workdir, ".certs")
        os.makedirs(certs)
        _, cert, key = make_certificates(certs)
        shutil.copy(cert, os.path.join(workdir, "gw.pem"))
        shutil.copy(key, os.path.join(workdir, "gw.key"))
        for ident, rel, line, mode, reason, text in extract_snippets():
            if mode in ("skip", "bad-marker"):
                continue
            started = time.monotonic()
            try:
                if mode == "running":
                    box.start_server()
                    code, out = box.run_block(text)
                    if code == 0 and box.server.poll() is not None:
                        code, out = 1, out + "\nthe server exited during the block:\n" + \
                            box.log_tail()
                elif mode == "stopped":
                    box.stop_server()
                    code, out = box.run_block(text)
                else:
                    box.stop_server()
                    code, out = box.run_daemon(text)
            except (subprocess.TimeoutExpired, RuntimeError) as e:
                code, out = 1, f"{type(e).__name__}: {e}"
            results[ident] = {"code": code, "output": out[-6000:],
                              "seconds": round(time.monotonic() - started, 2)}
    finally:
        box.stop_server()
        with open(results_path, "w") as f:
            json.dump(results, f)
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- the unittest side


def namespace_command():
    base = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]
    if os.geteuid() != 0:
        base.insert(1, "--map-root-user")
    return base


class DocSnippets(unittest.TestCase):
    results = None
    unavailable = None

    @classmethod
    def setUpClass(cls):
        if not shutil.which("unshare") or not shutil.which("ip"):
            cls.unavailable = "unshare or ip (util-linux, iproute2) not installed"
            return
        probe = subprocess.run(namespace_command() + ["true"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=30)
        if probe.returncode != 0:
            cls.unavailable = ("cannot make network and PID namespaces: " +
                               probe.stderr.decode(errors="replace").strip())
            return
        fd, path = tempfile.mkstemp(prefix="kvgate-doc-snippets-", suffix=".json")
        os.close(fd)
        try:
            p = subprocess.run(namespace_command() +
                               [sys.executable, os.path.abspath(__file__), "--inside", path],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800)
            with open(path) as f:
                text = f.read()
            cls.results = json.loads(text) if text else {}
            cls.runner_output = p.stdout.decode(errors="replace")[-4000:]
        finally:
            os.unlink(path)

    def check(self, ident, rel, line, mode, reason):
        if mode == "bad-marker":
            self.fail(f"{rel}:{line}: unknown doc-test marker {reason!r}")
        if mode == "skip":
            self.assertTrue(reason, f"{rel}:{line}: a skip marker needs a reason")
            self.skipTest(f"{rel}:{line}: {reason}")
        if self.unavailable:
            self.skipTest(self.unavailable)
        self.assertIn(ident, self.results,
                      f"{rel}:{line} did not run; runner output:\n{self.runner_output}")
        r = self.results[ident]
        self.assertEqual(r["code"], 0, f"{rel}:{line} ({mode}) failed:\n{r['output']}")


def _add_tests():
    for ident, rel, line, mode, reason, _ in extract_snippets():
        def test(self, ident=ident, rel=rel, line=line, mode=mode, reason=reason):
            self.check(ident, rel, line, mode, reason)
        test.__doc__ = f"{rel}:{line} ({mode})"
        setattr(DocSnippets, "test_" + ident, test)


_add_tests()

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        run_inside(sys.argv[2])
        sys.exit(0)
    unittest.main()
