"""LMCache's S3 connector, reproduced with awscrt, against a real `kvgate serve`
over TLS with virtual-hosted addressing (Host: <bucket>.localhost).

What LMCache (research/lmcache-s3.md §1.4-§1.7) does and this test repeats:
an awscrt S3Client (region us-east-1, 8 MiB parts, default throughput target),
SigV4 with static credentials passed per request, TLS trusting our CA, ALPN
["h2", "http/1.1"]; keys "/" + url-quote("model@world@worker@hash@dtype")
(`@` on the wire as %40, `/` kept, negative hashes give a `-`); PUT_OBJECT of
32 MiB (CRT turns it into a 4-part multipart upload, parts in parallel);
ranged GETs of 8 MiB (the first without If-Match, later ones with
If-Match: <etag>); HEAD of a present and an absent key; GET_OBJECT of the
whole object. The gateway runs with `--etag xxh3`, the setting docs/lmcache.md
recommends: awscrt hands the parts' opaque "<hex>-xxh3" ETags back in
CompleteMultipartUpload unchanged.

Environment constraints (DESIGN.md §1): Debian's python3-awscrt 0.16 connects
to port 443 for TLS whatever port the Host header names, so the gateway
listens on 127.0.0.1:443; `<bucket>.localhost` does not resolve without an
/etc/hosts line, which the test adds for the run and removes afterwards.
Both need root; without it the test is SKIPPED with the reason.

awscrt lives in Debian's dist-packages (/usr/bin/python3); if the interpreter
running this script cannot import it, the script re-executes itself under
/usr/bin/python3.
"""
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    from awscrt import auth, http, io, s3  # noqa: E402
except ImportError:
    SYSTEM_PYTHON = "/usr/bin/python3"
    if (os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != SYSTEM_PYTHON
            and not os.environ.get("KVGATE_AWSCRT_REEXEC")):
        os.environ["KVGATE_AWSCRT_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    auth = http = io = s3 = None

import s3_gateway  # noqa: E402

MIB = 1024 * 1024
PART = 8 * MIB
OBJECT_SIZE = 32 * MIB
TLS_PORT = 443
DOMAIN = "localhost"
BUCKET = "lmcache-kv"
HOST = f"{BUCKET}.{DOMAIN}"
HOSTS_FILE = "/etc/hosts"
HOSTS_LINE = f"127.0.0.1 {HOST} # kvgate test_lmcache_awscrt"
REQUEST_TIMEOUT = 120.0

# LMCache-shaped keys (lmcache-s3.md §1.5): non-MP flattened model id, MP model
# id with `/` and a negative chunk hash, and a key that starts with `-`.
KEYS = [
    "Qwen_Qwen3-0.6B@1@0@6c9faa6ae5af1bdf@bfloat16",
    "meta-llama/Llama-3.1-8B@1@0@-7f89f621536990ce@bfloat16",
    "-7f89f621536990ce/Qwen_Qwen3-0.6B@1@0@-1a2b3c@bfloat16",
]

GW = None
SKIP_REASON = None
CA_DIR = None
HOSTS_ADDED = False


def lmcache_path(key):
    """S3Connector._format_safe_path / s3_l2_adapter: "/" + url_quote(key)."""
    return "/" + urllib.parse.quote(key)


def environment_problem():
    if auth is None:
        return "awscrt is not importable (Debian package python3-awscrt missing)"
    if os.geteuid() != 0:
        return "not root: cannot listen on 127.0.0.1:443 or edit /etc/hosts"
    if not os.access(HOSTS_FILE, os.W_OK):
        return f"{HOSTS_FILE} is not writable"
    if not shutil.which("openssl"):
        return "the openssl CLI is not installed"
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", TLS_PORT))
    except OSError as e:
        return f"127.0.0.1:{TLS_PORT} is not available ({e})"
    finally:
        probe.close()
    return None


def make_certificates(directory):
    """A test CA and a server certificate for localhost and *.localhost."""
    ca_key = os.path.join(directory, "ca.key")
    ca_crt = os.path.join(directory, "ca.pem")
    key = os.path.join(directory, "server.key")
    csr = os.path.join(directory, "server.csr")
    crt = os.path.join(directory, "server.pem")
    ext = os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                f"subjectAltName=DNS:{DOMAIN},DNS:*.{DOMAIN}\n")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
        "-days", "2", "-subj", "/CN=kvgate test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
        "-subj", f"/CN={DOMAIN}")
    run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
        "-out", crt, "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


def add_hosts_line():
    global HOSTS_ADDED
    with open(HOSTS_FILE) as f:
        text = f.read()
    if HOSTS_LINE not in text:
        with open(HOSTS_FILE, "a") as f:
            f.write(("" if text.endswith("\n") or not text else "\n") + HOSTS_LINE + "\n")
    HOSTS_ADDED = True


def remove_hosts_line():
    global HOSTS_ADDED
    if not HOSTS_ADDED:
        return
    with open(HOSTS_FILE) as f:
        lines = f.read().splitlines(keepends=True)
    kept = [line for line in lines if line.rstrip("\n") != HOSTS_LINE]
    # Rewrite in place: /etc/hosts may be a bind mount that cannot be renamed over.
    with open(HOSTS_FILE, "w") as f:
        f.write("".join(kept))
    HOSTS_ADDED = False


def wait_for_tls_ready(server, timeout=60.0):
    """The harness returns after the first ready line; read on to the https one."""
    ready = re.compile(rf"kvgate ready on https://[^\s]+:{TLS_PORT}\b")
    if any(ready.search(line) for line in server.stdout_lines):
        return
    sel = selectors.DefaultSelector()
    sel.register(server.proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf = b""
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or server.proc.poll() is not None:
                raise RuntimeError("kvgate did not report its TLS listener: " + server.stderr())
            if not sel.select(timeout=min(left, 0.5)):
                continue
            chunk = os.read(server.proc.stdout.fileno(), 4096)
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                server.stdout_lines.append(text)
                if ready.search(text):
                    return
    finally:
        sel.close()


def setUpModule():
    global GW, SKIP_REASON, CA_DIR
    SKIP_REASON = environment_problem()
    if SKIP_REASON:
        return
    CA_DIR = tempfile.mkdtemp(prefix="kvgate-lmcache-tls-")
    ca, cert, key = make_certificates(CA_DIR)
    add_hosts_line()
    try:
        GW = s3_gateway.Gateway(domains=[DOMAIN], extra_args=[
            "--tls-listen", f"127.0.0.1:{TLS_PORT}", "--tls-cert", cert, "--tls-key", key,
            "--access-log", os.path.join(CA_DIR, "access.log"), "--access-log-format", "json",
            "--etag", "xxh3"])
        wait_for_tls_ready(GW.server)
    except BaseException:
        tearDownModule()
        raise
    GW.ca_path = ca


def tearDownModule():
    global GW
    try:
        if GW is not None:
            GW.stop()
            GW = None
    finally:
        remove_hosts_line()
        if CA_DIR:
            shutil.rmtree(CA_DIR, ignore_errors=True)


class CrtResult:
    """What one meta request produced: status, headers, body, error."""

    def __init__(self):
        self.status = None
        self.headers = []
        self.chunks = {}
        self.error = None
        self.error_headers = None
        self.error_body = None
        self.lock = threading.Lock()

    def header(self, name):
        for k, v in self.headers or self.error_headers or []:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def body(self):
        out = bytearray()
        for offset in sorted(self.chunks):
            if offset != len(out):
                raise AssertionError(f"body has a hole at {len(out)} (next chunk at {offset})")
            out += self.chunks[offset]
        return bytes(out)

    def describe(self):
        return (f"status={self.status} error={self.error!r} "
                f"error_headers={self.error_headers} error_body={self.error_body!r}")


class LmcacheClient:
    """An awscrt S3Client configured the way LMCache's S3 connector configures it."""

    def __init__(self, ca_path, access_key, secret_key):
        elg = io.EventLoopGroup(4)
        resolver = io.DefaultHostResolver(elg)
        bootstrap = io.ClientBootstrap(elg, resolver)
        tls_opts = io.TlsContextOptions()
        tls_opts.override_default_trust_store_from_path(ca_filepath=ca_path)
        tls_opts.alpn_list = ["h2", "http/1.1"]  # LMCache's s3_prefer_http2 default
        tls_ctx = io.ClientTlsContext(tls_opts)
        self.credentials = auth.AwsCredentialsProvider.new_static(access_key, secret_key)
        self.client = s3.S3Client(
            bootstrap=bootstrap, region="us-east-1",
            tls_mode=s3.S3RequestTlsMode.ENABLED,
            tls_connection_options=tls_ctx.new_connection_options(),
            part_size=PART)

    def request(self, method, path, request_type=None, headers=(), body=None):
        if request_type is None:
            request_type = s3.S3RequestType.DEFAULT
        hdrs = [("Host", HOST)] + list(headers)
        stream = None
        if body is not None:
            import io as pyio
            stream = pyio.BytesIO(body)
            hdrs += [("Content-Length", str(len(body))),
                     ("Content-Type", "application/octet-stream")]
        req = http.HttpRequest(method, path, http.HttpHeaders(hdrs), stream)
        res = CrtResult()

        def on_headers(status_code, headers, **kwargs):
            res.status = status_code
            res.headers = list(headers)

        def on_body(chunk, offset, **kwargs):
            with res.lock:
                res.chunks[offset] = bytes(chunk)

        def on_done(error, error_headers, error_body, **kwargs):
            res.error = error
            res.error_headers = error_headers
            res.error_body = error_body

        meta = self.client.make_request(
            request=req, type=request_type, credential_provider=self.credentials,
            on_headers=on_headers, on_body=on_body, on_done=on_done)
        try:
            meta.finished_future.result(timeout=REQUEST_TIMEOUT)
        except Exception:  # the failure is in res.error; the caller asserts on it
            pass
        done = meta.shutdown_event  # let CRT finish its callbacks before we read
        del meta
        done.wait(timeout=REQUEST_TIMEOUT)
        return res


def error_status(res):
    """The HTTP status of a failed meta request (CRT reports it through on_headers)."""
    return res.status


def read_access_log_until(path, complete, timeout=10.0):
    """The JSON access log's records, re-read until `complete(records)` holds
    or `timeout` seconds pass (then the caller's assertions explain what is missing)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        if complete(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


class LmcacheAwscrtTests(unittest.TestCase):
    client = None
    objects = {}

    @classmethod
    def setUpClass(cls):
        if SKIP_REASON:
            raise unittest.SkipTest(SKIP_REASON)
        cls.client = LmcacheClient(GW.ca_path, s3_gateway.ROOT_ACCESS_KEY,
                                   s3_gateway.ROOT_SECRET_KEY)
        res = cls.client.request("PUT", "/")
        if res.error is not None:
            raise AssertionError("CreateBucket over TLS, virtual-hosted: " + res.describe()
                                 + "\n" + GW.read_log())
        for i, key in enumerate(KEYS):
            data = os.urandom(OBJECT_SIZE)
            put = cls.client.request("PUT", lmcache_path(key), s3.S3RequestType.PUT_OBJECT,
                                     body=data)
            if put.error is not None:
                raise AssertionError(f"PUT_OBJECT {key}: " + put.describe() + "\n"
                                     + GW.read_log())
            cls.objects[key] = data

    def head(self, key):
        return self.client.request("HEAD", lmcache_path(key))

    def test_put_object_above_part_size_becomes_a_four_part_multipart_upload(self):
        for key in KEYS:
            res = self.head(key)
            self.assertIsNone(res.error, res.describe())
            self.assertEqual(res.status, 200)
            self.assertEqual(int(res.header("Content-Length")), OBJECT_SIZE)
            etag = res.header("ETag")
            self.assertRegex(etag, r'^"[0-9a-f]{32}-4"$', f"{key}: multipart ETag expected")

    def test_ranged_gets_with_if_match_return_the_exact_bytes(self):
        for key, data in self.objects.items():
            first = self.client.request("GET", lmcache_path(key),
                                        headers=[("Range", f"bytes=0-{PART - 1}")])
            self.assertIsNone(first.error, first.describe())
            self.assertEqual(first.status, 206)
            self.assertEqual(first.header("Content-Range"), f"bytes 0-{PART - 1}/{OBJECT_SIZE}")
            etag = first.header("ETag")
            self.assertTrue(etag, "a ranged GET must carry ETag (CRT needs it)")
            got = first.body
            for start in range(PART, OBJECT_SIZE, PART):
                end = start + PART - 1
                part = self.client.request("GET", lmcache_path(key),
                                           headers=[("Range", f"bytes={start}-{end}"),
                                                    ("If-Match", etag)])
                self.assertIsNone(part.error, part.describe())
                self.assertEqual(part.status, 206)
                self.assertEqual(part.header("Content-Range"),
                                 f"bytes {start}-{end}/{OBJECT_SIZE}")
                self.assertEqual(part.header("ETag"), etag)
                got += part.body
            self.assertEqual(len(got), OBJECT_SIZE)
            self.assertTrue(got == data, f"{key}: ranged bytes differ from what was put")

    def test_ranged_get_with_a_stale_if_match_is_precondition_failed(self):
        key = KEYS[0]
        res = self.client.request("GET", lmcache_path(key),
                                  headers=[("Range", f"bytes={PART}-{2 * PART - 1}"),
                                           ("If-Match", '"00000000000000000000000000000000-4"')])
        self.assertIsNotNone(res.error, "a stale If-Match must fail")
        self.assertEqual(error_status(res), 412, res.describe())
        self.assertIn(b"<Code>PreconditionFailed</Code>", res.error_body or b"")

    def test_get_object_whole_returns_the_exact_bytes(self):
        for key, data in self.objects.items():
            res = self.client.request("GET", lmcache_path(key), s3.S3RequestType.GET_OBJECT)
            self.assertIsNone(res.error, res.describe())
            body = res.body
            self.assertEqual(len(body), OBJECT_SIZE, key)
            self.assertTrue(body == data, f"{key}: GET_OBJECT bytes differ from what was put")

    def test_head_of_an_absent_key_is_404_without_body(self):
        res = self.head("Qwen_Qwen3-0.6B@1@0@-deadbeef@bfloat16")
        self.assertIsNotNone(res.error, "HEAD of an absent key must fail")
        self.assertEqual(error_status(res), 404, res.describe())
        self.assertFalse(res.error_body, f"HEAD 404 must have no body: {res.error_body!r}")
        self.assertEqual(res.chunks, {})

    def test_crt_requests_arrive_as_lmcache_expects_on_the_wire(self):
        # The access log (JSON) shows what CRT actually sent: every request over
        # TLS, paths without the bucket (it came from Host: <bucket>.localhost),
        # `@` as %40, and each 32 MiB PUT as CreateMPU + 4 UploadParts + Complete.
        # The gateway writes a request's record after it has sent the response,
        # so the last Complete may reach the file a moment after CRT returned.
        records = read_access_log_until(
            os.path.join(CA_DIR, "access.log"),
            lambda recs: all(any(r["target"].split("?")[0] == lmcache_path(k)
                                 and r["method"] == "POST" and "uploadId=" in r["target"]
                                 for r in recs) for k in KEYS))
        self.assertTrue(records)
        self.assertTrue(all(r["tls"] for r in records), "every request must be over TLS")
        for key in KEYS:
            path = lmcache_path(key)
            self.assertIn("%40", path)
            mine = [r for r in records if r["target"].split("?")[0] == path]
            creates = [r for r in mine if r["method"] == "POST" and "uploads" in r["target"]]
            parts = [r for r in mine if r["method"] == "PUT" and "partNumber=" in r["target"]]
            completes = [r for r in mine if r["method"] == "POST" and "uploadId=" in r["target"]]
            self.assertEqual(len(creates), 1, key)
            self.assertEqual(sorted(int(re.search(r"partNumber=(\d+)", r["target"]).group(1))
                                    for r in parts), [1, 2, 3, 4], key)
            self.assertTrue(all(r["status"] == 200 and r["bytes_in"] == PART for r in parts))
            self.assertEqual([r["status"] for r in completes], [200], key)
            self.assertFalse([r for r in records if r["target"].startswith(f"/{BUCKET}/")],
                             "requests must be virtual-hosted, not path-style")

    def test_key_is_stored_percent_decoded(self):
        # A key with `@` written as %40 must be listable under its decoded name.
        res = self.client.request("GET", "/?list-type=2&prefix="
                                  + urllib.parse.quote("meta-llama/", safe=""))
        self.assertIsNone(res.error, res.describe())
        self.assertEqual(res.status, 200)
        body = res.body.decode()
        self.assertIn("<Key>meta-llama/Llama-3.1-8B@1@0@-7f89f621536990ce@bfloat16</Key>", body)
        self.assertNotIn("%40", body)


if __name__ == "__main__":
    unittest.main()
