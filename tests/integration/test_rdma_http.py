"""The RDMA fast path's HTTP side against a real `kvgate serve` on a host
without RDMA (docs/rdma-protocol.md §2-3, §6-7): discovery, sessions and
every answer a client gets before any byte would move over RDMA.

This machine's kernel has no RDMA, so the gateway is started with
--rdma-listen and must come up anyway, log why RDMA is off and answer
`not-enabled` everywhere; the data path over real soft-RoCE runs in the QEMU
guest (tests/rdma_vm/). Requests are signed by s3_signing.py with the
x-amz-rdma-* headers in SignedHeaders unless a case says otherwise.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
import s3_signing as sig  # noqa: E402

BUCKET = "rdmahttp"
GW = None
# A well-formed rc1 token: addr16:len16:rc1:session32:rkey8 (79 characters).
TOKEN = "00007f0000001000:0000000002000000:rc1:" + "ab" * 16 + ":0000abcd"
# The cuObject DC descriptor: hex fields of widths 16/8/8/4/6/1/32 (81
# characters), a transport this version declines.
CUOBJECT_TOKEN = ":".join("1" * w for w in (16, 8, 8, 4, 6, 1, 32))
# A well-formed token of another transport tag: declined too.
OTHER_TRANSPORT_TOKEN = TOKEN.replace(":rc1:", ":ofi1:")
UNSIGNED = "UNSIGNED-PAYLOAD"


def setUpModule():
    global GW
    GW = s3_gateway.Gateway(extra_args=["--rdma-listen", "127.0.0.1:7471"])
    assert sig.request(GW, "PUT", f"/{BUCKET}").status == 200


def tearDownModule():
    log = GW.read_log()
    GW.stop()
    assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log


def error_code(body):
    import xml.etree.ElementTree as ET

    return ET.fromstring(body).findtext("Code")


def crc32c_b64(data):
    # Castagnoli CRC (python has no crc32c in zlib): bitwise, fine for test sizes.
    import base64

    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return base64.b64encode((crc ^ 0xFFFFFFFF).to_bytes(4, "big")).decode()


class DiscoveryAndSessions(unittest.TestCase):
    def test_gateway_starts_without_rdma_and_says_why(self):
        self.assertIn("RDMA fast path not enabled", GW.read_log())

    def test_capabilities_list_no_transport_when_rdma_is_off(self):
        r = sig.request(GW, "GET", "/.rdma/v1/capabilities")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        doc = json.loads(r.body)
        self.assertEqual(doc["version"], 1)
        self.assertEqual(doc["transports"], [])
        self.assertNotIn("listener", doc)

    def test_capabilities_need_a_signature(self):
        r = sig.request(GW, "GET", "/.rdma/v1/capabilities", sign=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(error_code(r.body), "AccessDenied")

    def test_session_create_is_declined_not_enabled(self):
        r = sig.request(GW, "POST", "/.rdma/v1/sessions")
        self.assertEqual(r.status, 501)
        self.assertEqual(error_code(r.body), "RdmaDeclined")
        self.assertEqual(r.headers["x-amz-rdma-reply"], "501")
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")
        import xml.etree.ElementTree as ET

        self.assertEqual(r.headers["x-amz-request-id"], ET.fromstring(r.body).findtext("RequestId"))

    def test_session_delete_is_always_204(self):
        for sid in ("ab" * 16, "not-a-session"):
            r = sig.request(GW, "DELETE", f"/.rdma/v1/sessions/{sid}")
            self.assertEqual(r.status, 204, sid)

    def test_unknown_rdma_endpoint_is_not_implemented(self):
        r = sig.request(GW, "GET", "/.rdma/v1/nothing")
        self.assertEqual(r.status, 501)
        self.assertEqual(error_code(r.body), "NotImplemented")


class DataPathDeclines(unittest.TestCase):
    KEY = "segment"
    DATA = os.urandom(512 * 1024)

    @classmethod
    def setUpClass(cls):
        r = sig.request(GW, "PUT", f"/{BUCKET}/{cls.KEY}", body=cls.DATA)
        assert r.status == 200, r.body

    def test_get_with_fallback_body_returns_the_object_and_the_decline(self):
        r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                        headers={"x-amz-rdma-token": TOKEN}, payload_hash=UNSIGNED)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, self.DATA)
        self.assertEqual(r.headers["x-amz-rdma-reply"], "501")
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")

    def test_ranged_get_with_fallback_body(self):
        r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                        headers={"x-amz-rdma-token": TOKEN, "range": "bytes=100-199"},
                        payload_hash=UNSIGNED)
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, self.DATA[100:200])
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")

    def test_get_with_fallback_none_is_declined_without_a_body(self):
        r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                        headers={"x-amz-rdma-token": TOKEN, "x-amz-rdma-fallback": "none"},
                        payload_hash=UNSIGNED)
        self.assertEqual(r.status, 501)
        self.assertEqual(error_code(r.body), "RdmaDeclined")
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")

    def test_bad_fallback_value_is_invalid_argument(self):
        r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                        headers={"x-amz-rdma-token": TOKEN, "x-amz-rdma-fallback": "maybe"},
                        payload_hash=UNSIGNED)
        self.assertEqual(r.status, 400)
        self.assertEqual(error_code(r.body), "InvalidArgument")

    def test_malformed_token_is_invalid_rdma_token(self):
        for bad in ("", "zz", TOKEN[:-1], TOKEN + "0", TOKEN.replace("abab", "ABAB"), "0" * 81,
                    TOKEN.replace(":rc1:", ":RC1:")):
            r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                            headers={"x-amz-rdma-token": bad}, payload_hash=UNSIGNED)
            self.assertEqual(r.status, 400, bad)
            self.assertEqual(error_code(r.body), "InvalidRdmaToken", bad)
            self.assertNotIn("x-amz-rdma-reply", r.headers)

    def test_other_transports_are_declined_transport_unsupported(self):
        for token in (CUOBJECT_TOKEN, OTHER_TRANSPORT_TOKEN):
            r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}",
                            headers={"x-amz-rdma-token": token}, payload_hash=UNSIGNED)
            self.assertEqual(r.status, 200, token)
            self.assertEqual(r.body, self.DATA)
            self.assertEqual(r.headers["x-amz-rdma-reason"], "transport-unsupported")

    def test_unsigned_rdma_header_is_access_denied(self):
        headers = {"host": f"{GW.host}:{GW.port}"}
        signed, *_ = sig.sign_headers("GET", f"/{BUCKET}/{self.KEY}", (), headers,
                                      s3_gateway.ROOT_ACCESS_KEY, s3_gateway.ROOT_SECRET_KEY,
                                      UNSIGNED)
        signed["x-amz-rdma-token"] = TOKEN  # added after signing
        r = sig.request(GW, "GET", f"/{BUCKET}/{self.KEY}", headers=signed, sign=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(error_code(r.body), "AccessDenied")

    def test_head_ignores_the_token(self):
        r = sig.request(GW, "HEAD", f"/{BUCKET}/{self.KEY}",
                        headers={"x-amz-rdma-token": TOKEN}, payload_hash=UNSIGNED)
        self.assertEqual(r.status, 200)
        self.assertNotIn("x-amz-rdma-reply", r.headers)

    def rdma_put(self, key, extra=None, query=()):
        payload = os.urandom(300 * 1024)
        headers = {"x-amz-rdma-token": TOKEN, "x-amz-rdma-content-length": str(len(payload)),
                   "x-amz-checksum-crc32c": crc32c_b64(payload)}
        headers.update(extra or {})
        headers = {k: v for k, v in headers.items() if v is not None}
        return sig.request(GW, "PUT", f"/{BUCKET}/{key}", query=query, headers=headers,
                           payload_hash=UNSIGNED)

    def assert_absent(self, key):
        self.assertEqual(sig.request(GW, "HEAD", f"/{BUCKET}/{key}").status, 404)

    def test_put_is_declined_and_stores_nothing(self):
        r = self.rdma_put("rdma-put")
        self.assertEqual(r.status, 501)
        self.assertEqual(error_code(r.body), "RdmaDeclined")
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")
        self.assertNotIn("etag", r.headers)
        self.assert_absent("rdma-put")

    def test_put_without_checksum_is_invalid_request(self):
        r = self.rdma_put("rdma-put-nosum", extra={"x-amz-checksum-crc32c": None})
        self.assertEqual(r.status, 400)
        self.assertEqual(error_code(r.body), "InvalidRequest")
        self.assert_absent("rdma-put-nosum")

    def test_put_with_crc32_only_is_invalid_request(self):
        r = self.rdma_put("rdma-put-crc32", extra={"x-amz-checksum-crc32c": None,
                                                   "x-amz-checksum-crc32": sig.crc32_b64(b"x")})
        self.assertEqual(r.status, 400)
        self.assertEqual(error_code(r.body), "InvalidRequest")

    def test_put_without_length_is_invalid_argument(self):
        r = self.rdma_put("rdma-put-nolen", extra={"x-amz-rdma-content-length": None})
        self.assertEqual(r.status, 400)
        self.assertEqual(error_code(r.body), "InvalidArgument")
        self.assert_absent("rdma-put-nolen")

    def test_upload_part_is_declined_and_the_upload_has_no_part(self):
        r = sig.request(GW, "POST", f"/{BUCKET}/mp", query=[("uploads", "")])
        self.assertEqual(r.status, 200)
        import xml.etree.ElementTree as ET

        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        upload_id = ET.fromstring(r.body).findtext(f"{ns}UploadId")
        r = self.rdma_put("mp", query=[("partNumber", "1"), ("uploadId", upload_id)])
        self.assertEqual(r.status, 501)
        self.assertEqual(r.headers["x-amz-rdma-reason"], "not-enabled")
        parts = sig.request(GW, "GET", f"/{BUCKET}/mp", query=[("uploadId", upload_id)])
        self.assertEqual(parts.status, 200)
        self.assertNotIn(b"<Part>", parts.body)


if __name__ == "__main__":
    unittest.main()
