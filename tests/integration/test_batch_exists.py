"""BatchExists (POST /bucket?kvgate-exists, docs/api.md) against a real
`kvgate serve`: which of up to 1000 keys exist, with size, ETag and
LastModified, in request order, in one signed round trip; every error with
its S3 status, Code and request id. The second gateway run reopens the same
disks, so the lookups start from a cold index cache (the blocking-pool path).
"""
import os
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
import s3_signing as sig  # noqa: E402
from kvgate_harness import KvgateServer, kvgate_binary  # noqa: E402

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
BUCKET = "existsbucket"
PRESENT = {
    "Qwen_Qwen3-0.6B@1@0@-1a2b3c@bfloat16": b"a" * 1000,
    "meta-llama/Llama-3.1-8B@8@3@7f00@bfloat16": b"b" * 200_000,  # not inline
    "spaces and & <xml> \u00e9\u4e2d": b"",
    "-leading-dash/./..": b"c" * 17,
}
ABSENT = ["Qwen_Qwen3-0.6B@1@0@-deadbeef@bfloat16", "nope", "meta-llama/"]


class Server:
    """A gateway on fixed data directories, restartable."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-exists-it-")
        self.data = [os.path.join(self.tmp, f"disk{i}") for i in range(1, 7)]
        self.server = None

    def start(self):
        args = []
        for d in self.data:
            args += ["--data", d]
        env = {"KVGATE_ACCESS_KEY": s3_gateway.ROOT_ACCESS_KEY,
               "KVGATE_SECRET_KEY": s3_gateway.ROOT_SECRET_KEY,
               "KVGATE_ACCESS_LOG": "off", "KVGATE_LOG_LEVEL": "warn"}
        self.server = KvgateServer(kvgate_binary(), extra_args=args, env=env, disks=0,
                                   start_timeout=60.0).start()
        self.host, self.port = "127.0.0.1", self.server.port

    def stop(self):
        log = self.server.stderr()
        self.server.stop()
        self.server.cleanup()
        assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log

    def remove(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


GW = None


def setUpModule():
    global GW
    GW = Server()
    GW.start()
    assert sig.request(GW, "PUT", f"/{BUCKET}").status == 200
    for key, data in PRESENT.items():
        r = sig.request(GW, "PUT", f"/{BUCKET}/" + quote_key(key), body=data)
        assert r.status == 200, (key, r.status, r.body)


def tearDownModule():
    GW.stop()
    GW.remove()


def quote_key(key):
    import urllib.parse

    return urllib.parse.quote(key, safe="/-_.~")


def exists_body(keys):
    objects = "".join(f"<Object><Key>{escape(k)}</Key></Object>" for k in keys)
    return f'<?xml version="1.0" encoding="UTF-8"?><Exists>{objects}</Exists>'.encode()


def batch_exists(keys=None, body=None, bucket=BUCKET, **kw):
    body = exists_body(keys) if body is None else body
    return sig.request(GW, "POST", f"/{bucket}", query=[("kvgate-exists", "")], body=body, **kw)


def parse_result(body):
    root = ET.fromstring(body)
    assert root.tag == NS + "ExistsResult", root.tag
    out = []
    for obj in root.findall(NS + "Object"):
        entry = {"key": obj.findtext(NS + "Key"), "exists": obj.findtext(NS + "Exists")}
        for name in ("Size", "ETag", "LastModified"):
            if obj.find(NS + name) is not None:
                entry[name] = obj.findtext(NS + name)
        out.append(entry)
    return out


class BatchExists(unittest.TestCase):
    def assert_error(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        root = ET.fromstring(r.body)
        self.assertEqual(root.findtext("Code"), code, r.body)
        self.assertEqual(root.findtext("RequestId"), r.headers["x-amz-request-id"])

    def check_answers(self):
        keys = [ABSENT[0]] + list(PRESENT) + ABSENT[1:] + [list(PRESENT)[0]]
        r = batch_exists(keys)
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.headers["x-amz-request-id"])
        got = parse_result(r.body)
        self.assertEqual([e["key"] for e in got], keys, "one entry per key, in request order")
        for e in got:
            if e["key"] in PRESENT:
                head = sig.request(GW, "HEAD", f"/{BUCKET}/" + quote_key(e["key"]))
                self.assertEqual(head.status, 200)
                self.assertEqual(e["exists"], "true", e)
                self.assertEqual(int(e["Size"]), len(PRESENT[e["key"]]))
                self.assertEqual(e["ETag"], head.headers["etag"])
                self.assertRegex(e["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            else:
                self.assertEqual(e, {"key": e["key"], "exists": "false"})

    def test_present_and_absent_keys_in_request_order(self):
        self.check_answers()

    def test_answers_from_a_cold_index_after_restart(self):
        GW.stop()
        GW.start()
        self.check_answers()

    def test_a_thousand_keys_in_one_request(self):
        keys = [f"k{i:04d}" for i in range(999)] + [list(PRESENT)[1]]
        r = batch_exists(keys)
        self.assertEqual(r.status, 200, r.body[:300])
        got = parse_result(r.body)
        self.assertEqual(len(got), 1000)
        self.assertEqual(sum(e["exists"] == "true" for e in got), 1)

    def test_more_than_a_thousand_keys_is_malformed(self):
        self.assert_error(batch_exists([f"k{i}" for i in range(1001)]), 400, "MalformedXML")

    def test_no_keys_is_malformed(self):
        self.assert_error(batch_exists([]), 400, "MalformedXML")

    def test_broken_xml_is_malformed(self):
        self.assert_error(batch_exists(body=b"<Exists><Object><Key>a</Key>"), 400, "MalformedXML")

    def test_an_object_without_key_is_malformed(self):
        self.assert_error(batch_exists(body=b"<Exists><Object></Object></Exists>"), 400,
                          "MalformedXML")

    def test_empty_and_too_long_keys_are_refused(self):
        self.assert_error(batch_exists([""]), 400, "InvalidArgument")
        self.assert_error(batch_exists(["x" * 1025]), 400, "KeyTooLongError")

    def test_unknown_bucket_is_no_such_bucket(self):
        self.assert_error(batch_exists(["a"], bucket="no-such-bucket-here"), 404, "NoSuchBucket")

    def test_unsigned_request_is_denied(self):
        self.assert_error(batch_exists(["a"], sign=False), 403, "AccessDenied")

    def test_body_digest_mismatch_is_refused(self):
        r = batch_exists(["a"], headers={"Content-MD5": sig.md5_b64(b"something else")})
        self.assert_error(r, 400, "BadDigest")


if __name__ == "__main__":
    unittest.main()
