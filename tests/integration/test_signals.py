"""SIGHUP reload and SIGTERM drain of a real `kvgate serve`.

SIGHUP: a large upload signed with a user's old secret is in flight on its own
connection while the users file changes (a user added, that secret rotated)
and the server gets SIGHUP; the upload completes and reads back byte-exact,
the new credentials work, the rotated secret gets 403, the log level from the
configuration file changes, and a broken users file keeps the users in force.
A second case lowers a no-evict bucket's quota and gives another bucket an
object quota by SIGHUP while an upload is in flight: the upload completes, the
next over-quota PUT gets 403 QuotaExceeded, the other bucket is evicted down
to its quota (least recently used first), and an invalid file changes nothing.

SIGTERM: during a batch of concurrent uploads (plus one slow upload that is
mid-body when the signal arrives) the port stops accepting at once, the slow
upload still completes, the process exits 0, and after a restart on the same
disks every upload that was answered 200 reads back byte-exact. A second
case checks that an upload stalled past shutdown_timeout_ms is cut off and
the process still exits 0 within the deadline.
"""
import errno
import hashlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402
from s3_signing import sign_headers  # noqa: E402

ROOT_ACCESS, ROOT_SECRET = "signals-root", "signals-root-secret-key"
BUCKET = "shared"


def users_toml(users):
    out = []
    for access, secret in users:
        out.append(f'[[user]]\naccess_key = "{access}"\nsecret_key = "{secret}"\n'
                   f'write = ["{BUCKET}"]\n')
    return "\n".join(out)


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def boto_client(port, access, secret):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, read_timeout=120,
                                      connect_timeout=5))


def status_of(fn):
    from botocore.exceptions import ClientError

    try:
        fn()
        return 200
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


class SlowUpload:
    """A PUT on its own socket whose body is sent in pieces on demand
    (SigV4, UNSIGNED-PAYLOAD, Content-Length)."""

    def __init__(self, port, key, body, access, secret, bucket=BUCKET, admitted=False):
        """admitted: send Expect: 100-continue and wait for the 100, so the
        server has admitted the upload (auth, quota) before this returns."""
        self.body = body
        self.sent = 0
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        path = f"/{bucket}/{key}"
        headers = {"host": f"127.0.0.1:{port}", "content-length": str(len(body))}
        if admitted:
            headers["expect"] = "100-continue"
        headers, *_ = sign_headers("PUT", path, [], headers, access, secret, "UNSIGNED-PAYLOAD")
        head = f"PUT {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock.sendall((head + "\r\n").encode())
        if admitted:
            interim = b""
            while b"\r\n\r\n" not in interim:
                chunk = self.sock.recv(1)  # byte by byte: nothing past the 100 is consumed
                if not chunk:
                    raise AssertionError("connection closed before 100 Continue")
                interim += chunk
            if not interim.startswith(b"HTTP/1.1 100"):
                raise AssertionError(f"expected 100 Continue, got {interim!r}")

    def send(self, n):
        piece = self.body[self.sent:self.sent + n]
        self.sock.sendall(piece)
        self.sent += len(piece)

    def send_rest_slowly(self, pieces, pause):
        step = max(1, (len(self.body) - self.sent + pieces - 1) // pieces)
        while self.sent < len(self.body):
            self.send(step)
            time.sleep(pause)

    def response_status(self):
        data = b""
        while b"\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            data += chunk
        self.sock.close()
        if not data:
            return None
        return int(data.split(b" ", 2)[1])


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def port_refuses(port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return False
    except OSError as e:
        return e.errno in (errno.ECONNREFUSED,)
    finally:
        s.close()


class SighupReload(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-sighup-it-")
        self.users = os.path.join(self.tmp, "users.toml")
        self.config = os.path.join(self.tmp, "kvgate.toml")
        write_file(self.users, users_toml([("alice", "alice-old-secret")]))
        write_file(self.config, 'log_level = "warn"\n')
        env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
               "KVGATE_ACCESS_LOG": "off"}
        env_clean = {k: v for k, v in os.environ.items() if k != "KVGATE_LOG_LEVEL"}
        self.srv = KvgateServer(kvgate_binary(), env=env, start_timeout=60.0,
                                extra_args=["--credentials-file", self.users,
                                            "--config", self.config])
        self.srv.env = {**env_clean, **env}
        self.srv.start()

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_reload_rotates_credentials_without_dropping_an_upload(self):
        port = self.srv.port
        root = boto_client(port, ROOT_ACCESS, ROOT_SECRET)
        root.create_bucket(Bucket=BUCKET)
        alice_old = boto_client(port, "alice", "alice-old-secret")
        self.assertEqual(status_of(lambda: alice_old.put_object(Bucket=BUCKET, Key="a0",
                                                                Body=b"before")), 200)

        body = os.urandom(48 * 1024 * 1024 + 5)
        upload = SlowUpload(port, "big/in-flight", body, "alice", "alice-old-secret")
        upload.send(len(body) // 3)

        # Rotate alice's secret, add carol, reload.
        write_file(self.users, users_toml([("alice", "alice-new-secret"),
                                           ("carol", "carol-secret")]))
        write_file(self.config, 'log_level = "info"\n')
        self.srv.signal(signal.SIGHUP)
        # The confirmation is an info line: it appears only because the
        # reload also switched the log level from warn to info.
        wait_for(lambda: "SIGHUP: users from" in self.srv.stderr(), 20, "the reload log line")
        self.assertIn("log level (info) reloaded", self.srv.stderr())

        carol = boto_client(port, "carol", "carol-secret")
        self.assertEqual(status_of(lambda: carol.put_object(Bucket=BUCKET, Key="c",
                                                            Body=b"carol")), 200)
        alice_new = boto_client(port, "alice", "alice-new-secret")
        self.assertEqual(status_of(lambda: alice_new.put_object(Bucket=BUCKET, Key="a1",
                                                                Body=b"after")), 200)
        self.assertEqual(status_of(lambda: alice_old.put_object(Bucket=BUCKET, Key="a2",
                                                                Body=b"rotated")), 403)
        self.assertEqual(status_of(lambda: alice_old.get_object(Bucket=BUCKET, Key="a0")), 403)

        # The upload authenticated before the reload finishes on its connection.
        upload.send_rest_slowly(pieces=8, pause=0.05)
        self.assertEqual(upload.response_status(), 200)
        got = root.get_object(Bucket=BUCKET, Key="big/in-flight")["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(body).digest())

        # A broken users file is refused; the users in force stay.
        write_file(self.users, users_toml([("alice", "x"), ("alice", "y")]))
        self.srv.signal(signal.SIGHUP)
        wait_for(lambda: "users not reloaded" in self.srv.stderr(), 20, "the refusal log line")
        self.assertEqual(status_of(lambda: alice_new.get_object(Bucket=BUCKET, Key="a1")), 200)
        self.assertEqual(status_of(lambda: carol.get_object(Bucket=BUCKET, Key="c")), 200)
        # An invalid configuration file is refused too.
        write_file(self.config, 'log_level = "chatty"\n')
        self.srv.signal(signal.SIGHUP)
        wait_for(lambda: "configuration invalid" in self.srv.stderr(), 20, "the config refusal")
        self.assertEqual(status_of(lambda: carol.get_object(Bucket=BUCKET, Key="c")), 200)
        self.assertIsNone(self.srv.proc.poll())


def cache_toml(kv_quota, lru_objects=None, extra=""):
    out = 'log_level = "info"\n' + extra
    out += f'[buckets.kvseg]\nquota_bytes = "{kv_quota}"\nno_evict = true\n'
    if lru_objects is not None:
        out += f'[buckets.lrubkt]\nquota_objects = {lru_objects}\n'
    return out


class SighupCacheReload(unittest.TestCase):
    """SIGHUP re-applies the cache settings of the configuration file: a
    no-evict quota lowered under an in-flight upload refuses the next PUT
    (403 QuotaExceeded) while the upload completes; a new object quota on an
    evicting bucket evicts the least recently used objects; an invalid file
    keeps the settings in force."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-sighup-cache-it-")
        self.config = os.path.join(self.tmp, "kvgate.toml")
        write_file(self.config, cache_toml("64MiB"))
        env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
               "KVGATE_ACCESS_LOG": "off"}
        env_clean = {k: v for k, v in os.environ.items() if not k.startswith("KVGATE_CACHE")
                     and k != "KVGATE_LOG_LEVEL"}
        self.srv = KvgateServer(kvgate_binary(), env=env, start_timeout=60.0,
                                extra_args=["--config", self.config])
        self.srv.env = {**env_clean, **env}
        self.srv.start()

    def tearDown(self):
        self.srv.stop()
        self.srv.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def reload(self, expected_line):
        before = self.srv.stderr().count(expected_line)
        self.srv.signal(signal.SIGHUP)
        wait_for(lambda: self.srv.stderr().count(expected_line) > before, 20,
                 f"the log line {expected_line!r}")

    def test_reload_applies_quotas_without_dropping_an_upload(self):
        from botocore.exceptions import ClientError

        port = self.srv.port
        root = boto_client(port, ROOT_ACCESS, ROOT_SECRET)
        for b in ("kvseg", "lrubkt"):
            root.create_bucket(Bucket=b)
        mib = 1024 * 1024
        for i in range(2):
            root.put_object(Bucket="kvseg", Key=f"seg{i}", Body=os.urandom(4 * mib))
        for i in range(4):
            root.put_object(Bucket="lrubkt", Key=f"o{i}", Body=b"x" * 1000)
            time.sleep(0.05)  # distinct recency
        root.head_object(Bucket="lrubkt", Key="o0")  # o0 is now the most recently used

        # An 8 MiB upload admitted under the 64 MiB quota is mid-body. (Its
        # 100 Continue shows the admission happened: without it, a loaded
        # server could read the head only after the reload below.)
        body = os.urandom(8 * mib)
        upload = SlowUpload(port, "in-flight", body, ROOT_ACCESS, ROOT_SECRET, bucket="kvseg",
                            admitted=True)
        upload.send(len(body) // 3)

        # Lower kv's quota below what it holds with the upload (16 MiB), and
        # give lru an object quota of 2.
        write_file(self.config, cache_toml("12MiB", lru_objects=2))
        self.reload("SIGHUP: cache settings reloaded")
        self.assertIn("2 bucket policies", self.srv.stderr())

        upload.send_rest_slowly(pieces=8, pause=0.05)
        self.assertEqual(upload.response_status(), 200)
        got = root.get_object(Bucket="kvseg", Key="in-flight")["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(body).digest())

        with self.assertRaises(ClientError) as cm:
            root.put_object(Bucket="kvseg", Key="over", Body=os.urandom(mib))
        self.assertEqual(cm.exception.response["Error"]["Code"], "QuotaExceeded")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        for i in range(2):  # nothing of a no-evict bucket goes
            root.head_object(Bucket="kvseg", Key=f"seg{i}")

        def lru_keys():
            listed = root.list_objects_v2(Bucket="lrubkt").get("Contents", [])
            return sorted(o["Key"] for o in listed)

        wait_for(lambda: len(lru_keys()) <= 2, 20, "eviction down to lru's object quota")
        self.assertIn("o0", lru_keys())  # the most recently used survives
        root.put_object(Bucket="lrubkt", Key="new", Body=b"y" * 1000)
        wait_for(lambda: len(lru_keys()) <= 2, 20, "eviction after a new object")
        self.assertIn("new", lru_keys())

        # Invalid cache settings (low watermark above high) are refused and
        # the quota in force stays; so is a file that does not parse.
        write_file(self.config, cache_toml("1GiB", lru_objects=2,
                                           extra="cache_high_watermark = 0.5\n"
                                                 "cache_low_watermark = 0.9\n"))
        self.reload("configuration invalid")
        write_file(self.config, cache_toml("1 parsec", lru_objects=2))
        self.reload("configuration invalid")
        with self.assertRaises(ClientError) as cm:
            root.put_object(Bucket="kvseg", Key="over", Body=os.urandom(mib))
        self.assertEqual(cm.exception.response["Error"]["Code"], "QuotaExceeded")

        # Raising it again lets the write through.
        write_file(self.config, cache_toml("1GiB", lru_objects=2))
        self.reload("SIGHUP: cache settings reloaded")
        self.assertEqual(status_of(lambda: root.put_object(Bucket="kvseg", Key="over",
                                                           Body=os.urandom(mib))), 200)
        self.assertIsNone(self.srv.proc.poll())


class SigtermDrain(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-sigterm-it-")
        self.data_args = [a for i in range(1, 7)
                          for a in ("--data", os.path.join(self.tmp, f"disk{i}"))]

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, shutdown_ms):
        env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS, "KVGATE_SECRET_KEY": ROOT_SECRET,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "info"}
        return KvgateServer(kvgate_binary(), env=env, disks=0, start_timeout=60.0,
                            extra_args=self.data_args +
                            ["--shutdown-timeout-ms", str(shutdown_ms)])

    def test_sigterm_drains_uploads_and_loses_no_acknowledged_object(self):
        srv = self.server(20000).start()
        port = srv.port
        try:
            root = boto_client(port, ROOT_ACCESS, ROOT_SECRET)
            root.create_bucket(Bucket=BUCKET)
            acked = {}
            lock = threading.Lock()
            stop = threading.Event()

            def writer(t):
                client = boto_client(port, ROOT_ACCESS, ROOT_SECRET)
                i = 0
                while not stop.is_set():
                    key = f"batch/{t}/{i}"
                    body = os.urandom(256 * 1024 + 1000 * t + i)
                    try:
                        client.put_object(Bucket=BUCKET, Key=key, Body=body)
                    except Exception:  # refused, reset or cut: not acknowledged
                        return
                    with lock:
                        acked[key] = hashlib.sha256(body).digest()
                    i += 1

            slow_body = os.urandom(24 * 1024 * 1024)
            slow = SlowUpload(port, "slow/in-flight", slow_body, ROOT_ACCESS, ROOT_SECRET)
            slow.send(len(slow_body) // 4)
            threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
            for th in threads:
                th.start()
            wait_for(lambda: len(acked) >= 12, 60, "a dozen acknowledged uploads")

            srv.signal(signal.SIGTERM)
            # The listener closes at once, while the slow upload still runs.
            wait_for(lambda: port_refuses(port), 5, "the port to refuse connections")
            self.assertIsNone(srv.proc.poll(), "exited before the in-flight upload ended")
            slow.send_rest_slowly(pieces=10, pause=0.1)
            self.assertEqual(slow.response_status(), 200)
            stop.set()
            for th in threads:
                th.join(timeout=60)
            self.assertEqual(srv.wait(timeout=30), 0, srv.stderr())
            self.assertIn("shutdown complete", srv.stderr())
            with lock:
                acked["slow/in-flight"] = hashlib.sha256(slow_body).digest()
        finally:
            srv.stop()
            srv.cleanup()

        again = self.server(20000).start()
        try:
            root = boto_client(again.port, ROOT_ACCESS, ROOT_SECRET)
            for key, digest in acked.items():
                got = root.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                self.assertEqual(hashlib.sha256(got).digest(), digest, key)
        finally:
            self.assertEqual(again.stop(), 0)
            again.cleanup()
        self.assertGreaterEqual(len(acked), 13)

    def test_sigterm_cuts_a_stalled_upload_at_the_deadline_and_exits_0(self):
        srv = self.server(1500).start()
        try:
            root = boto_client(srv.port, ROOT_ACCESS, ROOT_SECRET)
            root.create_bucket(Bucket=BUCKET)
            stalled = SlowUpload(srv.port, "stalled", os.urandom(4 * 1024 * 1024),
                                 ROOT_ACCESS, ROOT_SECRET)
            stalled.send(1024 * 1024)
            time.sleep(0.3)
            started = time.monotonic()
            srv.signal(signal.SIGTERM)
            self.assertEqual(srv.wait(timeout=30), 0, srv.stderr())
            elapsed = time.monotonic() - started
            # shutdown_timeout_ms (1.5 s) plus the force-close grace (<= 2 s).
            self.assertGreaterEqual(elapsed, 1.4)
            self.assertLess(elapsed, 6)
            self.assertIn("shutdown timeout: closing 1 connections", srv.stderr())
            stalled.sock.close()
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
