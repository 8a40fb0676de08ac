"""Hostile requests against a real `kvgate serve`: what an attacker with a
socket, a stolen URL or a low-privilege key can try. Complements the auth
cases of test_s3_operations.py (bad signature, unknown key, anonymous, clock
skew, security token, presign v2/v4 and their expiry) and test_s3_users.py
(grants, no existence leak on buckets).

Every case expects a precise S3 error (status and Code) or, for keys that are
legal in S3, an opaque key that stays inside the data directories.
"""
import hashlib
import os
import re
import sys
import time
import unittest
import urllib.parse
import urllib.request
import urllib.error
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
from s3_signing import request, sign_headers  # noqa: E402

USERS = """
[[user]]
access_key = "reader"
secret_key = "reader-secret-0123456789"
read = ["secbucket"]

[[user]]
access_key = "outsider"
secret_key = "outsider-secret-0123456789"
write = ["outsider-*"]
"""

GW = None
BUCKET = "secbucket"


def setUpModule():
    global GW
    GW = s3_gateway.Gateway(users_toml=USERS)
    c = GW.client()
    c.create_bucket(Bucket=BUCKET)
    c.put_object(Bucket=BUCKET, Key="exists", Body=b"secret bytes")


def tearDownModule():
    if GW is not None:
        GW.stop()


def code_of(body):
    m = re.search(rb"<Code>([^<]+)</Code>", body)
    return m.group(1).decode() if m else None


def raw_signed(method, path, headers=None, body=b"", sign_path=None, sign_host=None,
               add_after_signing=None, access=None, secret=None):
    """A SigV4 request whose signature may cover a different path or host, or
    that gets extra headers after signing."""
    import http.client

    access = access or s3_gateway.ROOT_ACCESS_KEY
    secret = secret or s3_gateway.ROOT_SECRET_KEY
    host = f"{GW.host}:{GW.port}"
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h["host"] = sign_host or host
    h["content-length"] = str(len(body))
    h, *_ = sign_headers(method, sign_path or path, [], h, access, secret,
                         hashlib.sha256(body).hexdigest())
    h["host"] = host
    h.update(add_after_signing or {})
    conn = http.client.HTTPConnection(GW.host, GW.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class SignatureScope(unittest.TestCase):
    def assert_denied(self, result, codes):
        status, headers, body = result
        self.assertEqual(status, 403, body)
        self.assertIn(code_of(body), codes, body)
        # The request id in the body is the one in the header.
        self.assertIn(f"<RequestId>{headers['x-amz-request-id']}</RequestId>".encode(), body)

    def test_signature_for_another_path_is_refused(self):
        self.assert_denied(raw_signed("GET", f"/{BUCKET}/exists", sign_path=f"/{BUCKET}/other"),
                           {"SignatureDoesNotMatch"})

    def test_signature_for_another_host_is_refused(self):
        self.assert_denied(raw_signed("GET", f"/{BUCKET}/exists", sign_host="evil.example:80"),
                           {"SignatureDoesNotMatch"})

    def test_unsigned_amz_header_is_refused(self):
        # A metadata header slipped in after signing must not be stored.
        result = raw_signed("PUT", f"/{BUCKET}/injected", body=b"x",
                            add_after_signing={"x-amz-meta-owner": "mallory"})
        self.assert_denied(result, {"AccessDenied", "SignatureDoesNotMatch"})
        c = GW.client()
        with self.assertRaises(Exception):
            c.head_object(Bucket=BUCKET, Key="injected")

    def test_unsigned_rdma_header_is_refused(self):
        result = raw_signed("GET", f"/{BUCKET}/exists",
                            add_after_signing={"x-amz-rdma-token": "AAAA"})
        self.assert_denied(result, {"AccessDenied", "SignatureDoesNotMatch"})

    def test_presigned_url_cannot_be_replayed_after_expiry(self):
        c = GW.client(signature_version="s3v4")
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "exists"},
                                       ExpiresIn=2)
        with urllib.request.urlopen(url, timeout=30) as r:
            self.assertEqual(r.read(), b"secret bytes")
        time.sleep(3.5)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=30)
        self.assertEqual(e.exception.code, 403)
        self.assertEqual(code_of(e.exception.read()), "AccessDenied")

    def test_presigned_url_for_get_does_not_authorize_put(self):
        c = GW.client(signature_version="s3v4")
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "exists"},
                                       ExpiresIn=60)
        req = urllib.request.Request(url, data=b"overwrite", method="PUT")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(e.exception.code, 403)
        self.assertEqual(GW.client().get_object(Bucket=BUCKET, Key="exists")["Body"].read(),
                         b"secret bytes")


class Privileges(unittest.TestCase):
    def test_no_grant_learns_nothing_about_keys(self):
        """HEAD/GET of an existing and a missing key look the same to a
        caller without a grant on the bucket."""
        seen = []
        for key in ("exists", "missing-" + uuid.uuid4().hex):
            for method in ("HEAD", "GET"):
                r = request(GW, method, f"/{BUCKET}/{key}", access_key="outsider",
                            secret="outsider-secret-0123456789")
                seen.append((method, r.status, code_of(r.body)))
        self.assertEqual({s for _, s, _ in seen}, {403})
        self.assertEqual({c for m, _, c in seen if m == "GET"}, {"AccessDenied"})

    def test_read_grant_does_not_allow_writes_or_deletes(self):
        for method, body in (("PUT", b"x"), ("DELETE", b"")):
            r = request(GW, method, f"/{BUCKET}/exists", body=body, access_key="reader",
                        secret="reader-secret-0123456789")
            self.assertEqual((r.status, code_of(r.body)), (403, "AccessDenied"), method)
        self.assertEqual(GW.client().get_object(Bucket=BUCKET, Key="exists")["Body"].read(),
                         b"secret bytes")

    def test_admin_api_refuses_non_root_keys(self):
        for access, secret in (("reader", "reader-secret-0123456789"),
                               ("outsider", "outsider-secret-0123456789")):
            r = request(GW, "GET", "/.kvgate/v1/admin/capacity", access_key=access, secret=secret)
            self.assertEqual(r.status, 403, r.body)
            self.assertEqual(code_of(r.body), "AccessDenied")
        r = request(GW, "GET", "/.kvgate/v1/admin/capacity", sign=False)
        self.assertEqual(r.status, 403)


class KeysStayInsideTheDataDirectories(unittest.TestCase):
    """Keys that look like paths are opaque names: stored and read back as
    given (or refused with 400), never touching files outside the disks."""

    MARK = "kvgate-escape-" + uuid.uuid4().hex[:8]

    def keys(self):
        m = self.MARK
        return [
            f"../../../../../../../../tmp/{m}-a",
            f"a/../../../../../../../../tmp/{m}-b",
            f"/tmp/{m}-c",
            f"./{m}-d",
            f"{m}-e/./x/../y",
            "..",
            ".",
            f"{m}-f\\..\\..\\g",
        ]

    def test_path_like_keys_are_opaque(self):
        c = GW.client()
        stored = {}
        for i, key in enumerate(self.keys()):
            body = f"body {i}".encode()
            path = f"/{BUCKET}/" + urllib.parse.quote(key, safe="")
            r = request(GW, "PUT", path, body=body)
            if r.status == 200:
                stored[key] = body
            else:
                self.assertEqual(r.status, 400, (key, r.body))
                self.assertIsNotNone(code_of(r.body), key)
        self.assertGreater(len(stored), 0)
        for key, body in stored.items():
            self.assertEqual(c.get_object(Bucket=BUCKET, Key=key)["Body"].read(), body, key)
        listed = set()
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            listed.update(o["Key"] for o in page.get("Contents", []))
        self.assertTrue(set(stored) <= listed, set(stored) - listed)
        self.assert_no_file_outside_disks()

    def test_malformed_encodings_are_refused_precisely(self):
        for raw in ("%00nul", "a%00b", "%C0%AE%C0%AE%2Fx", "%ff%fe", "bad%2", "bad%zz"):
            r = request(GW, "PUT", f"/{BUCKET}/{raw}", body=b"x")
            self.assertEqual(r.status, 400, (raw, r.body))
            self.assertIsNotNone(code_of(r.body), raw)
        self.assert_no_file_outside_disks()

    def assert_no_file_outside_disks(self):
        hits = []
        for root in ("/tmp", "/var/tmp", os.path.dirname(GW.tmp), "/"):
            try:
                hits += [n for n in os.listdir(root) if n.startswith(self.MARK)]
            except OSError:
                pass
        self.assertEqual(hits, [])
        # The server's own directory holds only its data directories and logs.
        srv_root = GW.server.tmp
        self.assertEqual(sorted(n for n in os.listdir(srv_root)), ["data", "stderr.log"])


if __name__ == "__main__":
    unittest.main()
