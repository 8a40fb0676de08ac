"""boto3 against a real `kvgate serve`: multipart uploads (parallel,
out-of-order parts, checksums, ListParts / ListMultipartUploads paging,
Complete errors, abort, part copy), ListObjects v1/v2 paging with delimiter,
ListObjectVersions, CopyObject (COPY / REPLACE / onto itself) and
DeleteObjects (quiet / verbose). Every upload is read back byte-exact."""
import base64
import hashlib
import os
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402

MIB = 1024 * 1024
GW = None


def setUpModule():
    global GW
    GW = s3_gateway.Gateway()


def tearDownModule():
    if GW is not None:
        GW.stop()


def error_code(exc):
    return exc.response["Error"]["Code"]


class MultipartTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        cls.s3.create_bucket(Bucket="mpu")

    def read(self, key, bucket="mpu", **kw):
        return self.s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()

    def test_upload_file_with_parallel_8mib_parts_reads_back_exact(self):
        from boto3.s3.transfer import TransferConfig

        data = os.urandom(40 * MIB + 123)
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src.bin")
            with open(src, "wb") as f:
                f.write(data)
            cfg = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=6)
            self.s3.upload_file(src, "mpu", "big/forty.bin", Config=cfg)
        head = self.s3.head_object(Bucket="mpu", Key="big/forty.bin")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertTrue(head["ETag"].endswith('-6"'), head["ETag"])
        md5s = b"".join(hashlib.md5(data[i:i + 8 * MIB]).digest() for i in range(0, len(data), 8 * MIB))
        self.assertEqual(head["ETag"], '"%s-6"' % hashlib.md5(md5s).hexdigest())
        self.assertEqual(self.read("big/forty.bin"), data)
        ranged = self.read("big/forty.bin", Range="bytes=%d-%d" % (8 * MIB - 10, 8 * MIB + 9))
        self.assertEqual(ranged, data[8 * MIB - 10:8 * MIB + 10])

    def test_out_of_order_parts_with_composite_crc32(self):
        parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1234)]
        up = self.s3.create_multipart_upload(Bucket="mpu", Key="ooo", ChecksumAlgorithm="CRC32",
                                             ContentType="application/x-kv", Metadata={"layer": "3"})
        uid = up["UploadId"]
        etags = {}
        for n in (3, 1, 2):
            r = self.s3.upload_part(Bucket="mpu", Key="ooo", UploadId=uid, PartNumber=n, Body=parts[n - 1],
                                    ChecksumAlgorithm="CRC32")
            self.assertEqual(r["ETag"], '"%s"' % hashlib.md5(parts[n - 1]).hexdigest())
            etags[n] = (r["ETag"], r["ChecksumCRC32"])
        listed = self.s3.list_parts(Bucket="mpu", Key="ooo", UploadId=uid, MaxParts=2)
        self.assertTrue(listed["IsTruncated"])
        self.assertEqual([p["PartNumber"] for p in listed["Parts"]], [1, 2])
        rest = self.s3.list_parts(Bucket="mpu", Key="ooo", UploadId=uid,
                                  PartNumberMarker=listed["NextPartNumberMarker"])
        self.assertEqual([p["PartNumber"] for p in rest["Parts"]], [3])
        self.assertEqual(rest["Parts"][0]["Size"], 1234)
        done = self.s3.complete_multipart_upload(
            Bucket="mpu", Key="ooo", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n][0], "ChecksumCRC32": etags[n][1]}
                                       for n in (1, 2, 3)]})
        crcs = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
        self.assertEqual(done["ChecksumCRC32"], base64.b64encode(zlib.crc32(crcs).to_bytes(4, "big")).decode() + "-3")
        body = self.s3.get_object(Bucket="mpu", Key="ooo")
        self.assertEqual(body["Body"].read(), b"".join(parts))
        self.assertEqual(body["ContentType"], "application/x-kv")
        self.assertEqual(body["Metadata"], {"layer": "3"})
        # Completing again with the same parts succeeds.
        again = self.s3.complete_multipart_upload(
            Bucket="mpu", Key="ooo", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n][0]} for n in (1, 2, 3)]})
        self.assertEqual(again["ETag"], done["ETag"])

    def test_complete_rejects_bad_part_lists(self):
        from botocore.exceptions import ClientError

        uid = self.s3.create_multipart_upload(Bucket="mpu", Key="bad")["UploadId"]
        small = self.s3.upload_part(Bucket="mpu", Key="bad", UploadId=uid, PartNumber=1, Body=b"x" * 100)["ETag"]
        last = self.s3.upload_part(Bucket="mpu", Key="bad", UploadId=uid, PartNumber=2, Body=b"y" * 100)["ETag"]
        cases = [
            ([{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}], "InvalidPartOrder"),
            ([{"PartNumber": 1, "ETag": small}, {"PartNumber": 3, "ETag": last}], "InvalidPart"),
            ([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}], "InvalidPart"),
            ([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}], "EntityTooSmall"),
        ]
        for parts, code in cases:
            with self.assertRaises(ClientError) as cm:
                self.s3.complete_multipart_upload(Bucket="mpu", Key="bad", UploadId=uid,
                                                  MultipartUpload={"Parts": parts})
            self.assertEqual(error_code(cm.exception), code, parts)
        self.s3.abort_multipart_upload(Bucket="mpu", Key="bad", UploadId=uid)
        with self.assertRaises(ClientError) as cm:
            self.s3.abort_multipart_upload(Bucket="mpu", Key="bad", UploadId=uid)
        self.assertEqual(error_code(cm.exception), "NoSuchUpload")
        with self.assertRaises(ClientError) as cm:
            self.s3.upload_part(Bucket="mpu", Key="bad", UploadId=uid, PartNumber=1, Body=b"z")
        self.assertEqual(error_code(cm.exception), "NoSuchUpload")

    def test_complete_with_if_none_match_on_existing_key_is_412(self):
        from botocore.exceptions import ClientError

        self.s3.put_object(Bucket="mpu", Key="exists", Body=b"old")
        uid = self.s3.create_multipart_upload(Bucket="mpu", Key="exists")["UploadId"]
        etag = self.s3.upload_part(Bucket="mpu", Key="exists", UploadId=uid, PartNumber=1, Body=b"new")["ETag"]
        # Debian's botocore (1.29) has no IfNoneMatch parameter here: add the
        # header on the wire, which works with every botocore.
        def if_none_match(request, **_):
            request.headers["If-None-Match"] = "*"

        event = "before-sign.s3.CompleteMultipartUpload"
        self.s3.meta.events.register_first(event, if_none_match)
        try:
            with self.assertRaises(ClientError) as cm:
                self.s3.complete_multipart_upload(
                    Bucket="mpu", Key="exists", UploadId=uid,
                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        finally:
            self.s3.meta.events.unregister(event, if_none_match)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        self.assertEqual(self.read("exists"), b"old")
        self.s3.complete_multipart_upload(Bucket="mpu", Key="exists", UploadId=uid,
                                          MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(self.read("exists"), b"new")

    def test_list_multipart_uploads_pages_with_prefix_and_delimiter(self):
        self.s3.create_bucket(Bucket="uploads")
        ids = {}
        for key in ("a/1", "a/2", "b/1", "c"):
            ids[key] = self.s3.create_multipart_upload(Bucket="uploads", Key=key)["UploadId"]
        page = self.s3.list_multipart_uploads(Bucket="uploads", MaxUploads=2)
        self.assertTrue(page["IsTruncated"])
        self.assertEqual([u["Key"] for u in page["Uploads"]], ["a/1", "a/2"])
        rest = self.s3.list_multipart_uploads(Bucket="uploads", KeyMarker=page["NextKeyMarker"],
                                              UploadIdMarker=page["NextUploadIdMarker"])
        self.assertEqual([u["Key"] for u in rest["Uploads"]], ["b/1", "c"])
        grouped = self.s3.list_multipart_uploads(Bucket="uploads", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in grouped["CommonPrefixes"]], ["a/", "b/"])
        self.assertEqual([u["Key"] for u in grouped["Uploads"]], ["c"])
        only_a = self.s3.list_multipart_uploads(Bucket="uploads", Prefix="a/")
        self.assertEqual(sorted(u["UploadId"] for u in only_a["Uploads"]), sorted([ids["a/1"], ids["a/2"]]))
        for key, uid in ids.items():
            self.s3.abort_multipart_upload(Bucket="uploads", Key=key, UploadId=uid)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket="uploads"))

    def test_upload_part_copy_with_ranges(self):
        src = os.urandom(12 * MIB)
        self.s3.put_object(Bucket="mpu", Key="copy-src", Body=src)
        uid = self.s3.create_multipart_upload(Bucket="mpu", Key="copy-dst")["UploadId"]
        p1 = self.s3.upload_part_copy(Bucket="mpu", Key="copy-dst", UploadId=uid, PartNumber=1,
                                      CopySource={"Bucket": "mpu", "Key": "copy-src"},
                                      CopySourceRange="bytes=0-%d" % (6 * MIB - 1))
        p2 = self.s3.upload_part_copy(Bucket="mpu", Key="copy-dst", UploadId=uid, PartNumber=2,
                                      CopySource="mpu/copy-src", CopySourceRange="bytes=%d-%d" % (10 * MIB, 12 * MIB - 1))
        self.assertEqual(p1["CopyPartResult"]["ETag"], '"%s"' % hashlib.md5(src[:6 * MIB]).hexdigest())
        self.s3.complete_multipart_upload(
            Bucket="mpu", Key="copy-dst", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]},
                                       {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.read("copy-dst"), src[:6 * MIB] + src[10 * MIB:])


class ListingTests(unittest.TestCase):
    KEYS = ["a.txt", "dir/x", "dir/y", "dir/sub/z", "e f+g&h", "zeta"]

    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        cls.s3.create_bucket(Bucket="lst")
        for k in cls.KEYS:
            cls.s3.put_object(Bucket="lst", Key=k, Body=k.encode())

    def test_v2_pages_with_continuation_tokens(self):
        seen = []
        token = None
        pages = 0
        while pages < 10:
            kw = {"ContinuationToken": token} if token else {}
            r = self.s3.list_objects_v2(Bucket="lst", MaxKeys=2, **kw)
            pages += 1
            self.assertLessEqual(r["KeyCount"], 2)
            seen += [o["Key"] for o in r.get("Contents", [])]
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        self.assertEqual(seen, sorted(self.KEYS))
        self.assertEqual(pages, 3)

    def test_v2_delimiter_groups_common_prefixes(self):
        r = self.s3.list_objects_v2(Bucket="lst", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["a.txt", "e f+g&h", "zeta"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/"])
        r = self.s3.list_objects_v2(Bucket="lst", Delimiter="/", Prefix="dir/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["dir/x", "dir/y"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/sub/"])
        r = self.s3.list_objects_v2(Bucket="lst", StartAfter="dir/y", FetchOwner=True)
        self.assertEqual([o["Key"] for o in r["Contents"]], ["e f+g&h", "zeta"])
        self.assertEqual(r["Contents"][0]["Owner"]["ID"], s3_gateway.ROOT_ACCESS_KEY)

    def test_v1_paginator_with_markers(self):
        pages = list(self.s3.get_paginator("list_objects").paginate(Bucket="lst", PaginationConfig={"PageSize": 4}))
        keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(keys, sorted(self.KEYS))
        self.assertEqual(len(pages), 2)
        r = self.s3.list_objects(Bucket="lst", Marker="dir/x", MaxKeys=1)
        self.assertEqual([o["Key"] for o in r["Contents"]], ["dir/y"])
        self.assertTrue(r["IsTruncated"])

    def test_versions_lists_current_objects_as_null_versions(self):
        r = self.s3.list_object_versions(Bucket="lst", Prefix="dir/")
        self.assertEqual([v["Key"] for v in r["Versions"]], ["dir/sub/z", "dir/x", "dir/y"])
        self.assertTrue(all(v["VersionId"] == "null" and v["IsLatest"] for v in r["Versions"]))

    def test_url_encoding_type_round_trips_special_keys(self):
        # botocore decodes only when it chose encoding-type itself: the raw form shows.
        r = self.s3.list_objects_v2(Bucket="lst", Prefix="e f", EncodingType="url")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["e%20f%2Bg%26h"])
        self.assertEqual(r["Prefix"], "e%20f")


class CopyAndDeleteTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = GW.client()
        cls.s3.create_bucket(Bucket="cpd")

    def test_copy_object_copies_or_replaces_metadata(self):
        data = os.urandom(300 * 1024)
        self.s3.put_object(Bucket="cpd", Key="src key&", Body=data, ContentType="text/x-a", Metadata={"m": "1"})
        r = self.s3.copy_object(Bucket="cpd", Key="copied", CopySource={"Bucket": "cpd", "Key": "src key&"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        got = self.s3.get_object(Bucket="cpd", Key="copied")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "text/x-a")
        self.assertEqual(got["Metadata"], {"m": "1"})
        self.s3.copy_object(Bucket="cpd", Key="replaced", CopySource="cpd/src key&",
                            MetadataDirective="REPLACE", ContentType="text/x-b", Metadata={"n": "2"})
        got = self.s3.get_object(Bucket="cpd", Key="replaced")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "text/x-b")
        self.assertEqual(got["Metadata"], {"n": "2"})

    def test_copy_onto_itself_needs_replace(self):
        from botocore.exceptions import ClientError

        self.s3.put_object(Bucket="cpd", Key="self", Body=b"same", Metadata={"a": "1"})
        with self.assertRaises(ClientError) as cm:
            self.s3.copy_object(Bucket="cpd", Key="self", CopySource="cpd/self")
        self.assertEqual(error_code(cm.exception), "InvalidRequest")
        self.s3.copy_object(Bucket="cpd", Key="self", CopySource="cpd/self", MetadataDirective="REPLACE",
                            Metadata={"a": "2"})
        got = self.s3.get_object(Bucket="cpd", Key="self")
        self.assertEqual(got["Body"].read(), b"same")
        self.assertEqual(got["Metadata"], {"a": "2"})

    def test_copy_source_conditions_and_missing_source(self):
        from botocore.exceptions import ClientError

        etag = self.s3.put_object(Bucket="cpd", Key="cond", Body=b"c")["ETag"]
        with self.assertRaises(ClientError) as cm:
            self.s3.copy_object(Bucket="cpd", Key="cond2", CopySource="cpd/cond", CopySourceIfNoneMatch=etag)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        self.s3.copy_object(Bucket="cpd", Key="cond2", CopySource="cpd/cond", CopySourceIfMatch=etag)
        with self.assertRaises(ClientError) as cm:
            self.s3.copy_object(Bucket="cpd", Key="x", CopySource="cpd/missing")
        self.assertEqual(error_code(cm.exception), "NoSuchKey")

    def test_delete_objects_verbose_and_quiet(self):
        keys = ["d/%d" % i for i in range(5)]
        for k in keys:
            self.s3.put_object(Bucket="cpd", Key=k, Body=b"x")
        r = self.s3.delete_objects(Bucket="cpd", Delete={"Objects": [{"Key": k} for k in keys[:3]] +
                                                         [{"Key": "d/never-existed"}]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), sorted(keys[:3] + ["d/never-existed"]))
        self.assertNotIn("Errors", r)
        r = self.s3.delete_objects(Bucket="cpd", Delete={"Objects": [{"Key": k} for k in keys[3:]], "Quiet": True})
        self.assertNotIn("Deleted", r)
        self.assertNotIn("Errors", r)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="cpd", Prefix="d/"))

    def test_delete_objects_over_1000_keys_is_malformed(self):
        from botocore.exceptions import ClientError

        with self.assertRaises(ClientError) as cm:
            self.s3.delete_objects(Bucket="cpd", Delete={"Objects": [{"Key": "k%d" % i} for i in range(1001)]})
        self.assertEqual(error_code(cm.exception), "MalformedXML")


if __name__ == "__main__":
    unittest.main()
