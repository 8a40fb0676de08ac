#!/usr/bin/env python3
"""S3 checks the container test runs against kvgate in a container (boto3).

  s3_client_checks.py write  ENDPOINT   bucket, PUT/GET, 32 MiB multipart, ranged GETs
  s3_client_checks.py verify ENDPOINT   after a restart: the same objects, byte for byte

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. The object
contents are generated from fixed seeds, so `verify` needs no state from
`write`. Prints one line per check; exits 1 at the first mismatch.
"""

import hashlib
import random
import sys

import boto3
from botocore.config import Config

BUCKET = "container-test"
SMALL_KEY = "segments/small.bin"
SMALL_SIZE = 100_000
LARGE_KEY = "segments/layer-00/multipart-32MiB.bin"
PART_SIZE = 8 * 1024 * 1024
LARGE_SIZE = 4 * PART_SIZE
# (first, last) byte ranges, inclusive: inside one part, across part
# boundaries, the last byte, and a suffix range (first=None: last N bytes).
RANGES = [(0, 0), (1000, 5000), (PART_SIZE - 10, PART_SIZE + 10),
          (3 * PART_SIZE - 1, LARGE_SIZE - 1), (LARGE_SIZE - 1, LARGE_SIZE - 1),
          (None, 4096)]


def payload(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 2, "mode": "standard"},
                      connect_timeout=10, read_timeout=60))


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def get_bytes(s3, key: str, byte_range: str | None = None) -> bytes:
    args = {"Bucket": BUCKET, "Key": key}
    if byte_range:
        args["Range"] = byte_range
    return s3.get_object(**args)["Body"].read()


def verify_objects(s3) -> None:
    small = payload(1, SMALL_SIZE)
    large = payload(2, LARGE_SIZE)
    check(get_bytes(s3, SMALL_KEY) == small, f"GET {SMALL_KEY} byte-exact ({SMALL_SIZE} B)")
    got = get_bytes(s3, LARGE_KEY)
    check(len(got) == LARGE_SIZE and hashlib.sha256(got).digest() == hashlib.sha256(large).digest(),
          f"GET {LARGE_KEY} byte-exact ({LARGE_SIZE} B)")
    for first, last in RANGES:
        if first is None:
            header, want = f"bytes=-{last}", large[-last:]
        else:
            header, want = f"bytes={first}-{last}", large[first:last + 1]
        check(get_bytes(s3, LARGE_KEY, header) == want, f"ranged GET {header} byte-exact")
    head = s3.head_object(Bucket=BUCKET, Key=LARGE_KEY)
    check(head["ContentLength"] == LARGE_SIZE and head["ETag"].strip('"').endswith("-4"),
          f"HEAD {LARGE_KEY}: {head['ContentLength']} B, multipart ETag {head['ETag']}")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    check(sorted(keys) == sorted([SMALL_KEY, LARGE_KEY]), f"ListObjectsV2: {keys}")


def write_objects(s3) -> None:
    s3.create_bucket(Bucket=BUCKET)
    check(True, f"CreateBucket {BUCKET}")
    small = payload(1, SMALL_SIZE)
    s3.put_object(Bucket=BUCKET, Key=SMALL_KEY, Body=small)
    check(True, f"PUT {SMALL_KEY}")
    large = payload(2, LARGE_SIZE)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=LARGE_KEY)
    parts = []
    for number in range(1, LARGE_SIZE // PART_SIZE + 1):
        body = large[(number - 1) * PART_SIZE:number * PART_SIZE]
        reply = s3.upload_part(Bucket=BUCKET, Key=LARGE_KEY, UploadId=upload["UploadId"],
                               PartNumber=number, Body=body)
        parts.append({"PartNumber": number, "ETag": reply["ETag"]})
    s3.complete_multipart_upload(Bucket=BUCKET, Key=LARGE_KEY, UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": parts})
    check(True, f"multipart upload {LARGE_KEY}: {len(parts)} parts of {PART_SIZE} B")
    verify_objects(s3)


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "verify"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    s3 = client(sys.argv[2])
    if sys.argv[1] == "write":
        write_objects(s3)
    else:
        verify_objects(s3)


if __name__ == "__main__":
    main()
