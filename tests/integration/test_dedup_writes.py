"""Dedup-friendly writes against a real `kvgate serve` (issue: cache tier):
many writers racing to store the same content-addressed segment with
`If-None-Match: *` get exactly one 200 and 412 for the rest, the stored bytes
are one writer's whole body, and a conditional PUT of an existing key is
answered 412 before `100 Continue`, so the body is never sent.
"""
import hashlib
import os
import sys
import threading
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
import s3_signing as sig  # noqa: E402

BUCKET = "dedupbucket"
GW = None
WRITERS = 8
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def setUpModule():
    global GW
    GW = s3_gateway.Gateway()
    assert sig.request(GW, "PUT", f"/{BUCKET}").status == 200


def tearDownModule():
    log = GW.read_log()
    GW.stop()
    assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log


def race(fn):
    """Runs fn(i) for every writer at once; returns the results by writer."""
    results = [None] * WRITERS
    start = threading.Barrier(WRITERS)

    def run(i):
        start.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def error_code(body):
    return ET.fromstring(body).findtext("Code")


class DedupWrites(unittest.TestCase):
    def test_racing_conditional_puts_store_one_whole_body(self):
        key = "/" + BUCKET + "/segment-put"
        # Same size, different bytes per writer: the survivor is identifiable.
        bodies = [bytes([i]) * (3 * 1024 * 1024 + i) for i in range(WRITERS)]
        results = race(lambda i: sig.request(GW, "PUT", key, body=bodies[i],
                                             headers={"If-None-Match": "*"}))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200] + [412] * (WRITERS - 1), statuses)
        for r in results:
            if r.status == 412:
                self.assertEqual(error_code(r.body), "PreconditionFailed")
        winner = next(i for i, r in enumerate(results) if r.status == 200)
        got = sig.request(GW, "GET", key)
        self.assertEqual(got.status, 200)
        self.assertTrue(got.body == bodies[winner], "stored bytes are not the winner's body")
        self.assertEqual(got.headers["etag"], results[winner].headers["etag"])

    def test_racing_conditional_completes_store_one_upload(self):
        key = "/" + BUCKET + "/segment-mpu"
        part = 5 * 1024 * 1024
        uploads = []
        for i in range(WRITERS):
            r = sig.request(GW, "POST", key, query=[("uploads", "")])
            self.assertEqual(r.status, 200, r.body)
            upload_id = ET.fromstring(r.body).findtext(NS + "UploadId")
            body = bytes([0x40 + i]) * part
            p = sig.request(GW, "PUT", key, query=[("partNumber", "1"), ("uploadId", upload_id)],
                            body=body)
            self.assertEqual(p.status, 200, p.body)
            uploads.append((upload_id, p.headers["etag"], body))

        def complete(i):
            upload_id, etag, _ = uploads[i]
            doc = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                   f"<ETag>{etag}</ETag></Part></CompleteMultipartUpload>").encode()
            return sig.request(GW, "POST", key, query=[("uploadId", upload_id)], body=doc,
                               headers={"If-None-Match": "*"})

        results = race(complete)
        ok = [i for i, r in enumerate(results) if r.status == 200 and b"<Error>" not in r.body]
        self.assertEqual(len(ok), 1, [(r.status, r.body[:200]) for r in results])
        for i, r in enumerate(results):
            if i not in ok:
                self.assertEqual(r.status, 412, r.body)
                self.assertEqual(error_code(r.body), "PreconditionFailed")
        got = sig.request(GW, "GET", key)
        self.assertEqual(got.status, 200)
        self.assertEqual(hashlib.md5(got.body).digest(),
                         hashlib.md5(uploads[ok[0]][2]).digest())

    def test_conditional_put_of_an_existing_key_is_refused_before_100_continue(self):
        key = "/" + BUCKET + "/segment-continue"
        self.assertEqual(sig.request(GW, "PUT", key, body=b"first").status, 200)
        body_len = 32 * 1024 * 1024
        headers = {"host": f"{GW.host}:{GW.port}", "if-none-match": "*",
                   "expect": "100-continue", "content-length": str(body_len)}
        headers, *_ = sig.sign_headers("PUT", key, (), headers, s3_gateway.ROOT_ACCESS_KEY,
                                       s3_gateway.ROOT_SECRET_KEY, "UNSIGNED-PAYLOAD")
        head = f"PUT {key} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s, data = sig.raw_exchange(GW, (head + "\r\n").encode())
        try:
            status_line = data.split(b"\r\n", 1)[0]
            self.assertEqual(status_line, b"HTTP/1.1 412 Precondition Failed", data[:300])
            self.assertNotIn(b"100 Continue", data)
        finally:
            s.close()
        got = sig.request(GW, "GET", key)
        self.assertEqual(got.body, b"first")


if __name__ == "__main__":
    unittest.main()
