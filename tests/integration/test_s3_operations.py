"""S3 operations end to end against a real `kvgate serve`: buckets, objects,
ranges, conditionals, metadata, both addressing styles, checksums, integrity
failures, aws-chunked uploads and Expect: 100-continue. boto3 plus raw
http.client / sockets for what boto3 does not send."""
import hashlib
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
import s3_signing as sig  # noqa: E402

from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError, FlexibleChecksumError, MissingDependencyException  # noqa: E402

GW = None


def setUpModule():
    global GW
    GW = s3_gateway.Gateway(domains=["127.0.0.1", "s3.kvgate.test"])


def tearDownModule():
    if GW is not None:
        GW.stop()


def error_code(exc):
    return exc.response.get("Error", {}).get("Code")


def status_of(exc):
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


class BucketTests(unittest.TestCase):
    def setUp(self):
        self.s3 = GW.client()

    def test_bucket_lifecycle(self):
        s3 = self.s3
        s3.create_bucket(Bucket="life")
        with self.assertRaises(ClientError) as e:
            s3.create_bucket(Bucket="life")
        self.assertEqual(error_code(e.exception), "BucketAlreadyOwnedByYou")
        self.assertEqual(status_of(e.exception), 409)
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        self.assertIn("life", names)
        s3.head_bucket(Bucket="life")
        loc = s3.get_bucket_location(Bucket="life")
        self.assertIn(loc.get("LocationConstraint"), (None, ""))
        s3.put_object(Bucket="life", Key="k", Body=b"x")
        with self.assertRaises(ClientError) as e:
            s3.delete_bucket(Bucket="life")
        self.assertEqual(error_code(e.exception), "BucketNotEmpty")
        s3.delete_object(Bucket="life", Key="k")
        r = s3.delete_bucket(Bucket="life")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as e:
            s3.head_bucket(Bucket="life")
        self.assertEqual(status_of(e.exception), 404)

    def test_create_bucket_with_location_constraint_is_accepted(self):
        self.s3.create_bucket(Bucket="located",
                              CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        self.s3.head_bucket(Bucket="located")

    def test_invalid_bucket_name_is_rejected(self):
        r = sig.request(GW, "PUT", "/Bad_Name")
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>InvalidBucketName</Code>", r.body)

    def test_missing_bucket_is_no_such_bucket(self):
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="nobucket", Key="k")
        self.assertEqual(error_code(e.exception), "NoSuchBucket")
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="nobucket", Key="k", Body=b"abc")
        self.assertEqual(error_code(e.exception), "NoSuchBucket")

    def test_unsupported_subresource_is_not_implemented(self):
        self.s3.create_bucket(Bucket="subres")
        r = sig.request(GW, "GET", "/subres", query=[("acl", "")])
        self.assertEqual(r.status, 501)
        self.assertIn(b"<Code>NotImplemented</Code>", r.body)

    def test_error_request_id_matches_header(self):
        r = sig.request(GW, "GET", "/nobucket/key")
        self.assertEqual(r.status, 404)
        rid = r.headers["x-amz-request-id"]
        self.assertIn(f"<RequestId>{rid}</RequestId>".encode(), r.body)
        self.assertIn(b"<Resource>/nobucket/key</Resource>", r.body)


class ObjectTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        try:
            cls.s3.create_bucket(Bucket="objs")
        except ClientError:
            pass

    def test_round_trip_sizes_byte_exact(self):
        for size in (0, 1, 1000, 128 * 1024 + 1, 3 * 1024 * 1024 + 17):
            data = os.urandom(size)
            put = self.s3.put_object(Bucket="objs", Key=f"size/{size}", Body=data)
            self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
            got = self.s3.get_object(Bucket="objs", Key=f"size/{size}")
            self.assertEqual(got["Body"].read(), data)
            self.assertEqual(got["ContentLength"], size)
            self.assertEqual(got["ETag"], put["ETag"])
            head = self.s3.head_object(Bucket="objs", Key=f"size/{size}")
            self.assertEqual(head["ContentLength"], size)

    def test_metadata_and_content_headers_are_stored(self):
        self.s3.put_object(Bucket="objs", Key="meta", Body=b"hello", ContentType="text/plain",
                           ContentEncoding="identity", CacheControl="no-cache",
                           ContentDisposition="attachment; filename=a.txt", ContentLanguage="en",
                           Expires="Thu, 01 Dec 2094 16:00:00 GMT",
                           Metadata={"color": "blue", "Mtime": "1234"})
        h = self.s3.head_object(Bucket="objs", Key="meta")
        self.assertEqual(h["ContentType"], "text/plain")
        self.assertEqual(h["ContentEncoding"], "identity")
        self.assertEqual(h["CacheControl"], "no-cache")
        self.assertEqual(h["ContentDisposition"], "attachment; filename=a.txt")
        self.assertEqual(h["ContentLanguage"], "en")
        self.assertEqual(h["Metadata"], {"color": "blue", "mtime": "1234"})
        self.assertEqual(h["AcceptRanges"], "bytes")
        self.assertIn("LastModified", h)

    def test_keys_with_special_characters(self):
        for key in ("model@world@worker@hash@dtype", "-lead/dir/x", "sp ace+plus%25",
                    "uni\u00e9\u20ac/\u6f22", "a" * 1024):
            data = key.encode() * 3
            self.s3.put_object(Bucket="objs", Key=key, Body=data)
            self.assertEqual(self.s3.get_object(Bucket="objs", Key=key)["Body"].read(), data)

    def test_key_too_long(self):
        with self.assertRaises(ClientError) as e:
            self.s3.put_object(Bucket="objs", Key="a" * 1025, Body=b"x")
        self.assertEqual(error_code(e.exception), "KeyTooLongError")

    def test_missing_key(self):
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket="objs", Key="missing")
        self.assertEqual(error_code(e.exception), "NoSuchKey")
        r = sig.request(GW, "HEAD", "/objs/missing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, b"")

    def test_delete_object_is_204_even_when_missing(self):
        self.s3.put_object(Bucket="objs", Key="del", Body=b"x")
        r = self.s3.delete_object(Bucket="objs", Key="del")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        r = self.s3.delete_object(Bucket="objs", Key="del")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="objs", Key="del")

    def test_range_table(self):
        data = os.urandom(1000)
        self.s3.put_object(Bucket="objs", Key="ranged", Body=data)
        cases = [
            ("bytes=0-99", 206, data[0:100], "bytes 0-99/1000"),
            ("bytes=900-", 206, data[900:], "bytes 900-999/1000"),
            ("bytes=-10", 206, data[-10:], "bytes 990-999/1000"),
            ("bytes=990-5000", 206, data[990:], "bytes 990-999/1000"),
            ("bytes=-5000", 206, data, "bytes 0-999/1000"),
            ("bytes=0-0", 206, data[:1], "bytes 0-0/1000"),
            ("bytes=5-2", 200, data, None),          # malformed: whole object
            ("bytes=0-1,5-6", 200, data, None),      # multi-range: whole object
            ("items=0-1", 200, data, None),
        ]
        for rng, status, body, content_range in cases:
            r = sig.request(GW, "GET", "/objs/ranged", headers={"range": rng})
            self.assertEqual(r.status, status, rng)
            self.assertEqual(r.body, body, rng)
            self.assertEqual(r.headers.get("content-range"), content_range, rng)
        r = sig.request(GW, "GET", "/objs/ranged", headers={"range": "bytes=1000-"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.headers.get("content-range"), "bytes */1000")
        self.assertIn(b"InvalidRange", r.body)
        # boto3 ranged read (it validates no checksum on ranges)
        got = self.s3.get_object(Bucket="objs", Key="ranged", Range="bytes=100-199")
        self.assertEqual(got["Body"].read(), data[100:200])
        self.assertEqual(got["ContentRange"], "bytes 100-199/1000")
        # HEAD with Range
        r = sig.request(GW, "HEAD", "/objs/ranged", headers={"range": "bytes=0-9"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.headers["content-length"], "10")

    def test_empty_object_with_range_is_416(self):
        self.s3.put_object(Bucket="objs", Key="empty", Body=b"")
        r = sig.request(GW, "GET", "/objs/empty", headers={"range": "bytes=0-10"})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.headers.get("content-range"), "bytes */0")

    def test_if_range(self):
        data = os.urandom(100)
        etag = self.s3.put_object(Bucket="objs", Key="ifrange", Body=data)["ETag"]
        r = sig.request(GW, "GET", "/objs/ifrange", headers={"range": "bytes=0-9", "if-range": etag})
        self.assertEqual((r.status, r.body), (206, data[:10]))
        r = sig.request(GW, "GET", "/objs/ifrange", headers={"range": "bytes=0-9", "if-range": '"other"'})
        self.assertEqual((r.status, r.body), (200, data))

    def test_part_number_on_single_part_object(self):
        data = os.urandom(500)
        self.s3.put_object(Bucket="objs", Key="pn", Body=data)
        r = sig.request(GW, "GET", "/objs/pn", query=[("partNumber", "1")])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, data)
        r = sig.request(GW, "GET", "/objs/pn", query=[("partNumber", "2")])
        self.assertEqual(r.status, 416)

    def test_part_number_on_multipart_object(self):
        part1, part2 = os.urandom(5 * 1024 * 1024), os.urandom(1234)
        up = self.s3.create_multipart_upload(Bucket="objs", Key="mp")["UploadId"]
        e1 = self.s3.upload_part(Bucket="objs", Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]
        e2 = self.s3.upload_part(Bucket="objs", Key="mp", UploadId=up, PartNumber=2, Body=part2)["ETag"]
        self.s3.complete_multipart_upload(Bucket="objs", Key="mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        total = len(part1) + len(part2)
        r = sig.request(GW, "GET", "/objs/mp", query=[("partNumber", "2")])
        self.assertEqual(r.status, 206)
        self.assertEqual(r.body, part2)
        self.assertEqual(r.headers["content-range"], f"bytes {len(part1)}-{total - 1}/{total}")
        self.assertEqual(r.headers["x-amz-mp-parts-count"], "2")
        r = sig.request(GW, "HEAD", "/objs/mp", query=[("partNumber", "1")])
        self.assertEqual((r.status, r.headers["content-length"]), (206, str(len(part1))))
        r = sig.request(GW, "GET", "/objs/mp", query=[("partNumber", "3")])
        self.assertEqual(r.status, 416)
        got = self.s3.get_object(Bucket="objs", Key="mp", Range="bytes=5242870-5242889")["Body"].read()
        self.assertEqual(got, (part1 + part2)[5242870:5242890])
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="mp")["Body"].read(), part1 + part2)

    def test_read_conditionals(self):
        data = b"conditional body"
        etag = self.s3.put_object(Bucket="objs", Key="cond", Body=data)["ETag"]
        lm = self.s3.head_object(Bucket="objs", Key="cond")["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="cond", IfMatch=etag)["Body"].read(), data)
        cases = [
            ({"if-match": '"nope"'}, 412),
            ({"if-none-match": etag}, 304),
            ({"if-none-match": '"nope"'}, 200),
            ({"if-modified-since": lm}, 304),
            ({"if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
            ({"if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 412),
            ({"if-unmodified-since": lm}, 200),
            ({"if-match": etag, "if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
            ({"if-none-match": etag, "if-modified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 304),
        ]
        for headers, status in cases:
            for method in ("GET", "HEAD"):
                r = sig.request(GW, method, "/objs/cond", headers=headers)
                self.assertEqual(r.status, status, (method, headers))
                if status == 304:
                    self.assertEqual(r.body, b"")
                    self.assertEqual(r.headers.get("etag"), etag)

    def test_put_if_none_match_star(self):
        # Raw requests: Debian's botocore predates the IfNoneMatch parameter.
        r = sig.request(GW, "PUT", "/objs/once", headers={"if-none-match": "*"}, body=b"first")
        self.assertEqual(r.status, 200)
        r = sig.request(GW, "PUT", "/objs/once", headers={"if-none-match": "*"}, body=b"second")
        self.assertEqual(r.status, 412)
        self.assertIn(b"PreconditionFailed", r.body)
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="once")["Body"].read(), b"first")

    def test_put_if_match(self):
        etag = self.s3.put_object(Bucket="objs", Key="cas", Body=b"v1")["ETag"]
        r = sig.request(GW, "PUT", "/objs/cas", headers={"if-match": '"00000000000000000000000000000000"'}, body=b"v2")
        self.assertEqual(r.status, 412)
        r = sig.request(GW, "PUT", "/objs/cas", headers={"if-match": etag}, body=b"v3")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.s3.get_object(Bucket="objs", Key="cas")["Body"].read(), b"v3")

    def test_response_overrides(self):
        self.s3.put_object(Bucket="objs", Key="ovr", Body=b"x", ContentType="text/plain")
        got = self.s3.get_object(Bucket="objs", Key="ovr", ResponseContentType="application/json",
                                 ResponseContentDisposition="inline", ResponseCacheControl="max-age=1")
        self.assertEqual(got["ContentType"], "application/json")
        self.assertEqual(got["ContentDisposition"], "inline")
        self.assertEqual(got["CacheControl"], "max-age=1")

    def test_checksum_stored_and_returned_on_full_reads_only(self):
        data = os.urandom(2000)
        put = self.s3.put_object(Bucket="objs", Key="ck", Body=data, ChecksumAlgorithm="CRC32")
        self.assertEqual(put["ChecksumCRC32"], sig.crc32_b64(data))
        h = self.s3.head_object(Bucket="objs", Key="ck", ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumCRC32"], sig.crc32_b64(data))
        got = self.s3.get_object(Bucket="objs", Key="ck", ChecksumMode="ENABLED")
        self.assertEqual(got["Body"].read(), data)
        r = sig.request(GW, "GET", "/objs/ck", headers={"range": "bytes=0-9", "x-amz-checksum-mode": "ENABLED"})
        self.assertEqual(r.status, 206)
        self.assertNotIn("x-amz-checksum-crc32", r.headers)

    def test_every_checksum_algorithm_is_validated(self):
        data = os.urandom(777)
        for alg in ("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"):
            try:
                put = self.s3.put_object(Bucket="objs", Key=f"alg/{alg}", Body=data, ChecksumAlgorithm=alg)
            except (MissingDependencyException, FlexibleChecksumError):
                continue  # older botocore / no botocore[crt]: the unit tests cover these
            self.assertIn("Checksum" + alg, put)
            self.assertEqual(self.s3.get_object(Bucket="objs", Key=f"alg/{alg}")["Body"].read(), data)


class IntegrityTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        try:
            cls.s3.create_bucket(Bucket="integ")
        except ClientError:
            pass

    def assert_absent(self, key):
        r = sig.request(GW, "HEAD", f"/integ/{key}")
        self.assertEqual(r.status, 404)

    def test_wrong_payload_hash_is_rejected_and_not_stored(self):
        body = b"the real body"
        r = sig.request(GW, "PUT", "/integ/badhash", body=body,
                        payload_hash=hashlib.sha256(b"another body").hexdigest())
        self.assertEqual(r.status, 400)
        self.assertIn(b"XAmzContentSHA256Mismatch", r.body)
        self.assert_absent("badhash")

    def test_content_md5_mismatch_is_bad_digest(self):
        r = sig.request(GW, "PUT", "/integ/badmd5", body=b"abc", headers={"content-md5": sig.md5_b64(b"abd")})
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", r.body)
        self.assert_absent("badmd5")
        r = sig.request(GW, "PUT", "/integ/badmd5", body=b"abc", headers={"content-md5": "notbase64!"})
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>InvalidDigest</Code>", r.body)
        r = sig.request(GW, "PUT", "/integ/goodmd5", body=b"abc", headers={"content-md5": sig.md5_b64(b"abc")})
        self.assertEqual(r.status, 200)

    def test_checksum_header_mismatch_is_bad_digest(self):
        r = sig.request(GW, "PUT", "/integ/badcrc", body=b"abc",
                        headers={"x-amz-checksum-crc32": sig.crc32_b64(b"xyz")})
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", r.body)
        self.assert_absent("badcrc")
        r = sig.request(GW, "PUT", "/integ/badcrc", body=b"abc", headers={"x-amz-checksum-crc32": "AAAA"})
        self.assertEqual(r.status, 400)
        self.assertIn(b"<Code>InvalidRequest</Code>", r.body)

    def test_unsigned_payload_is_accepted(self):
        r = sig.request(GW, "PUT", "/integ/unsigned", body=b"payload", payload_hash="UNSIGNED-PAYLOAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.s3.get_object(Bucket="integ", Key="unsigned")["Body"].read(), b"payload")

    def _streaming_put(self, key, data, payload_hash, trailer=None, corrupt=False):
        amz = sig.amz_now()
        headers = {"host": f"{GW.host}:{GW.port}", "content-encoding": "aws-chunked",
                   "x-amz-decoded-content-length": str(len(data))}
        if trailer:
            headers["x-amz-trailer"] = trailer[0][0]
        path = f"/integ/{key}"
        headers, seed, skey, scope, amz = sig.sign_headers(
            "PUT", path, [], headers, s3_gateway.ROOT_ACCESS_KEY, s3_gateway.ROOT_SECRET_KEY,
            payload_hash, amz_date=amz)
        if payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER":
            body = sig.unsigned_trailer_body(data, 65536, trailer)
        else:
            body = sig.signed_chunked_body(data, 65536, skey, scope, amz, seed, trailer)
        if corrupt:
            i = body.index(b"\r\n") + 10
            body = body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        headers["content-length"] = str(len(body))
        return sig.request(GW, "PUT", path, headers=headers, body=body, sign=False)

    def test_signed_streaming_upload(self):
        data = os.urandom(200_000)
        r = self._streaming_put("stream-signed", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["etag"], '"%s"' % hashlib.md5(data).hexdigest())
        self.assertEqual(self.s3.get_object(Bucket="integ", Key="stream-signed")["Body"].read(), data)

    def test_signed_streaming_with_bad_chunk_is_rejected(self):
        data = os.urandom(100_000)
        r = self._streaming_put("stream-bad", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", corrupt=True)
        self.assertEqual(r.status, 403, r.body)
        self.assertIn(b"SignatureDoesNotMatch", r.body)
        self.assert_absent("stream-bad")

    def test_unsigned_trailer_upload_with_crc32(self):
        data = os.urandom(150_000)
        r = self._streaming_put("stream-trailer", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                trailer=[("x-amz-checksum-crc32", sig.crc32_b64(data))])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers.get("x-amz-checksum-crc32"), sig.crc32_b64(data))
        self.assertEqual(self.s3.get_object(Bucket="integ", Key="stream-trailer")["Body"].read(), data)

    def test_unsigned_trailer_with_wrong_crc32_is_bad_digest(self):
        data = os.urandom(1000)
        r = self._streaming_put("stream-trailer-bad", data, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                trailer=[("x-amz-checksum-crc32", sig.crc32_b64(b"other"))])
        self.assertEqual(r.status, 400, r.body)
        self.assertIn(b"BadDigest", r.body)
        self.assert_absent("stream-trailer-bad")

    def test_signed_trailer_upload(self):
        data = os.urandom(70_000)
        r = self._streaming_put("stream-signed-trailer", data, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                                trailer=[("x-amz-checksum-crc32", sig.crc32_b64(data))])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.s3.get_object(Bucket="integ", Key="stream-signed-trailer")["Body"].read(), data)

    def _expect_head(self, path, length):
        amz = sig.amz_now()
        headers = {"host": f"{GW.host}:{GW.port}", "expect": "100-continue", "content-length": str(length)}
        headers, *_ = sig.sign_headers("PUT", path, [], headers, s3_gateway.ROOT_ACCESS_KEY,
                                       s3_gateway.ROOT_SECRET_KEY, "UNSIGNED-PAYLOAD", amz_date=amz)
        return ("PUT %s HTTP/1.1\r\n" % path + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + "\r\n").encode()

    @staticmethod
    def _read_head(sock, resp=b""):
        """Reads from `sock` until `resp` holds a whole response head."""
        while b"\r\n\r\n" not in resp:
            chunk = sock.recv(65536)
            if not chunk:
                break
            resp += chunk
        return resp

    def test_expect_continue_error_is_sent_before_the_body(self):
        s, data = sig.raw_exchange(GW, self._expect_head("/nobucket-100/key", 1000))
        s.close()
        self.assertFalse(data.startswith(b"HTTP/1.1 100"), data)
        self.assertTrue(data.startswith(b"HTTP/1.1 404"), data)
        self.s3.put_object(Bucket="integ", Key="exists", Body=b"x")
        # If-None-Match: * on an existing key: 412 without reading the body.
        amz = sig.amz_now()
        headers = {"host": f"{GW.host}:{GW.port}", "expect": "100-continue", "content-length": "5",
                   "if-none-match": "*"}
        headers, *_ = sig.sign_headers("PUT", "/integ/exists", [], headers, s3_gateway.ROOT_ACCESS_KEY,
                                       s3_gateway.ROOT_SECRET_KEY, "UNSIGNED-PAYLOAD", amz_date=amz)
        head = ("PUT /integ/exists HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                + "\r\n").encode()
        s, data = sig.raw_exchange(GW, head)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 412"), data)

    def test_expect_continue_success(self):
        s, data = sig.raw_exchange(GW, self._expect_head("/integ/continued", 5))
        try:
            self.assertTrue(data.startswith(b"HTTP/1.1 100"), data)
            s.sendall(b"hello")
            resp = self._read_head(s)
            self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp)
        finally:
            s.close()
        self.assertEqual(self.s3.get_object(Bucket="integ", Key="continued")["Body"].read(), b"hello")

    def test_expect_continue_for_an_empty_body(self):
        # 100 Continue, then the final response, even for Content-Length: 0.
        s, data = sig.raw_exchange(GW, self._expect_head("/integ/continued-empty", 0))
        try:
            self.assertTrue(data.startswith(b"HTTP/1.1 100"), data)
            resp = self._read_head(s, data[data.index(b"\r\n\r\n") + 4:])
            self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp)
        finally:
            s.close()
        # botocore sends Expect: 100-continue with an empty PutObject; without
        # the 100 it misread the next response on the same connection and
        # waited for its read timeout.
        import boto3
        from botocore.config import Config

        s3 = boto3.client("s3", endpoint_url=GW.url, aws_access_key_id=s3_gateway.ROOT_ACCESS_KEY,
                          aws_secret_access_key=s3_gateway.ROOT_SECRET_KEY, region_name="us-east-1",
                          config=Config(retries={"max_attempts": 0}, read_timeout=5))
        s3.put_object(Bucket="integ", Key="empty-then", Body=b"")
        started = time.monotonic()
        r = s3.put_object(Bucket="integ", Key="after-empty", Body=b"abc" * 1000)
        self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(b"abc" * 1000).hexdigest())
        self.assertEqual(r["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertLess(time.monotonic() - started, 4.0)


class AuthTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        try:
            cls.s3.create_bucket(Bucket="authb")
        except ClientError:
            pass
        cls.data = os.urandom(5000)
        cls.s3.put_object(Bucket="authb", Key="obj", Body=cls.data)

    def test_bad_signature(self):
        bad = GW.client(secret_key="wrong-secret")
        with self.assertRaises(ClientError) as e:
            bad.get_object(Bucket="authb", Key="obj")
        self.assertEqual(error_code(e.exception), "SignatureDoesNotMatch")
        self.assertEqual(status_of(e.exception), 403)

    def test_unknown_access_key(self):
        bad = GW.client(access_key="nobody")
        with self.assertRaises(ClientError) as e:
            bad.list_buckets()
        self.assertEqual(error_code(e.exception), "InvalidAccessKeyId")

    def test_anonymous_is_denied(self):
        r = sig.request(GW, "GET", "/authb/obj", sign=False)
        self.assertEqual(r.status, 403)
        self.assertIn(b"AccessDenied", r.body)

    def test_clock_skew(self):
        amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 3600))
        headers, *_ = sig.sign_headers("GET", "/authb/obj", [], {"host": f"{GW.host}:{GW.port}"},
                                       s3_gateway.ROOT_ACCESS_KEY, s3_gateway.ROOT_SECRET_KEY,
                                       sig.EMPTY_SHA256, amz_date=amz)
        r = sig.request(GW, "GET", "/authb/obj", headers=headers, sign=False)
        self.assertEqual(r.status, 403)
        self.assertIn(b"RequestTimeTooSkewed", r.body)

    def test_any_region_string(self):
        for region in ("default", "US-WEST-04A"):
            amz = sig.amz_now()
            headers, *_ = sig.sign_headers("GET", "/authb/obj", [], {"host": f"{GW.host}:{GW.port}"},
                                           s3_gateway.ROOT_ACCESS_KEY, s3_gateway.ROOT_SECRET_KEY,
                                           sig.EMPTY_SHA256, region=region, amz_date=amz)
            r = sig.request(GW, "GET", "/authb/obj", headers=headers, sign=False)
            self.assertEqual((r.status, r.body), (200, self.data), region)

    def test_unsigned_security_token_is_rejected(self):
        amz = sig.amz_now()
        headers, *_ = sig.sign_headers("GET", "/authb/obj", [], {"host": f"{GW.host}:{GW.port}"},
                                       s3_gateway.ROOT_ACCESS_KEY, s3_gateway.ROOT_SECRET_KEY,
                                       sig.EMPTY_SHA256, amz_date=amz)
        headers["x-amz-security-token"] = "injected"
        r = sig.request(GW, "GET", "/authb/obj", headers=headers, sign=False)
        self.assertEqual(r.status, 403)
        # A signed token (boto3 signs it) is accepted and ignored.
        import boto3
        c = boto3.client("s3", endpoint_url=GW.url, aws_access_key_id=s3_gateway.ROOT_ACCESS_KEY,
                         aws_secret_access_key=s3_gateway.ROOT_SECRET_KEY, aws_session_token="tok",
                         region_name="us-east-1")
        self.assertEqual(c.get_object(Bucket="authb", Key="obj")["Body"].read(), self.data)

    def _fetch(self, url, method="GET", data=None):
        """Sends exactly the presigned URL (no extra Content-Type, unlike urllib)."""
        import http.client
        import urllib.parse
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            conn.putrequest(method, u.path + ("?" + u.query if u.query else ""), skip_accept_encoding=True)
            conn.putheader("content-length", str(len(data or b"")))
            conn.endheaders()
            if data:
                conn.send(data)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def test_presigned_v2_get_and_put(self):
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": "authb", "Key": "obj"}, ExpiresIn=300)
        self.assertIn("AWSAccessKeyId=", url)
        self.assertEqual(self._fetch(url), (200, self.data))
        put = self.s3.generate_presigned_url("put_object", Params={"Bucket": "authb", "Key": "pv2"}, ExpiresIn=300)
        status, _ = self._fetch(put, "PUT", b"presigned v2 body")
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket="authb", Key="pv2")["Body"].read(), b"presigned v2 body")
        expired = self.s3.generate_presigned_url("get_object", Params={"Bucket": "authb", "Key": "obj"}, ExpiresIn=-10)
        self.assertEqual(self._fetch(expired)[0], 403)

    def test_presigned_v4_get_and_put(self):
        c = GW.client(signature_version="s3v4")
        url = c.generate_presigned_url("get_object", Params={"Bucket": "authb", "Key": "obj",
                                                             "ResponseContentType": "x/y"}, ExpiresIn=300)
        self.assertIn("X-Amz-Signature=", url)
        self.assertEqual(self._fetch(url), (200, self.data))
        put = c.generate_presigned_url("put_object", Params={"Bucket": "authb", "Key": "pv4"}, ExpiresIn=300)
        status, _ = self._fetch(put, "PUT", b"presigned v4 body")
        self.assertEqual(status, 200)
        self.assertEqual(self.s3.get_object(Bucket="authb", Key="pv4")["Body"].read(), b"presigned v4 body")
        tampered = url.replace("obj", "obk")
        self.assertEqual(self._fetch(tampered)[0], 403)

    def test_sigv2_header_auth(self):
        c = GW.client(signature_version="s3")
        c.put_object(Bucket="authb", Key="v2hdr", Body=b"sigv2 header")
        self.assertEqual(c.get_object(Bucket="authb", Key="v2hdr")["Body"].read(), b"sigv2 header")


class VirtualHostTests(unittest.TestCase):
    def test_virtual_hosted_ip_literal_domain(self):
        s3 = GW.client()
        try:
            s3.create_bucket(Bucket="vhost")
        except ClientError:
            pass
        host = f"vhost.127.0.0.1:{GW.port}"
        data = os.urandom(3000)
        r = sig.request(GW, "PUT", "/dir/k%40ey", body=data, host=host)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(s3.get_object(Bucket="vhost", Key="dir/k@ey")["Body"].read(), data)
        r = sig.request(GW, "GET", "/dir/k%40ey", host=host)
        self.assertEqual((r.status, r.body), (200, data))
        r = sig.request(GW, "HEAD", "/", host=host)
        self.assertEqual(r.status, 200)
        r = sig.request(GW, "GET", "/dir/k%40ey", host=f"vhost.s3.kvgate.test:{GW.port}")
        self.assertEqual((r.status, r.body), (200, data))

    def test_virtual_hosted_boto3(self):
        # botocore builds http://bucket.127.0.0.1:port/ URLs; route them to loopback.
        s3 = GW.client()
        try:
            s3.create_bucket(Bucket="vhost2")
        except ClientError:
            pass
        import boto3
        c = boto3.client("s3", endpoint_url=f"http://s3.kvgate.test:{GW.port}",
                         aws_access_key_id=s3_gateway.ROOT_ACCESS_KEY,
                         aws_secret_access_key=s3_gateway.ROOT_SECRET_KEY, region_name="us-east-1",
                         config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}))
        import socket as socket_module
        real = socket_module.getaddrinfo

        def fake(host, *args, **kwargs):
            if isinstance(host, str) and host.endswith("kvgate.test"):
                host = "127.0.0.1"
            return real(host, *args, **kwargs)

        socket_module.getaddrinfo = fake
        try:
            c.put_object(Bucket="vhost2", Key="a/b", Body=b"virtual")
            self.assertEqual(c.get_object(Bucket="vhost2", Key="a/b")["Body"].read(), b"virtual")
            c.head_bucket(Bucket="vhost2")
        finally:
            socket_module.getaddrinfo = real


if __name__ == "__main__":
    unittest.main(verbosity=2)
