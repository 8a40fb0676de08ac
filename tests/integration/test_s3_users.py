"""Per-user, per-bucket grants from a users file: three users against a real
`kvgate serve`. A caller without a grant learns nothing about a bucket's
existence; ListBuckets shows only readable buckets; owners keep access."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

USERS = """
[[user]]
access_key = "alice"
secret_key = "alice-secret-0123456789"
read = ["shared"]
write = ["alice-*"]

[[user]]
access_key = "bob"
secret_key = "bob-secret-0123456789"
write = ["*"]

[[user]]
access_key = "carol"
secret_key = "carol-secret-0123456789"
"""

GW = None


def setUpModule():
    global GW
    GW = s3_gateway.Gateway(users_toml=USERS)


def tearDownModule():
    if GW is not None:
        GW.stop()


def code(exc):
    return exc.response.get("Error", {}).get("Code")


class GrantTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = GW.client()
        cls.alice = GW.client("alice", "alice-secret-0123456789")
        cls.bob = GW.client("bob", "bob-secret-0123456789")
        cls.carol = GW.client("carol", "carol-secret-0123456789")
        cls.root.create_bucket(Bucket="shared")
        cls.root.put_object(Bucket="shared", Key="doc", Body=b"shared document")

    def test_read_grant_allows_reads_only(self):
        self.assertEqual(self.alice.get_object(Bucket="shared", Key="doc")["Body"].read(), b"shared document")
        self.alice.head_bucket(Bucket="shared")
        with self.assertRaises(ClientError) as e:
            self.alice.put_object(Bucket="shared", Key="x", Body=b"no")
        self.assertEqual(code(e.exception), "AccessDenied")
        with self.assertRaises(ClientError) as e:
            self.alice.delete_object(Bucket="shared", Key="doc")
        self.assertEqual(code(e.exception), "AccessDenied")

    def test_prefix_write_grant_creates_and_owns_buckets(self):
        self.alice.create_bucket(Bucket="alice-data")
        self.alice.put_object(Bucket="alice-data", Key="k", Body=b"alice")
        self.assertEqual(self.alice.get_object(Bucket="alice-data", Key="k")["Body"].read(), b"alice")
        with self.assertRaises(ClientError) as e:
            self.alice.create_bucket(Bucket="not-alice")
        self.assertEqual(code(e.exception), "AccessDenied")
        names = {b["Name"] for b in self.alice.list_buckets()["Buckets"]}
        self.assertIn("shared", names)
        self.assertIn("alice-data", names)
        self.assertNotIn("bob-bucket", names)

    def test_no_grant_hides_existence(self):
        for bucket in ("shared", "does-not-exist"):
            with self.assertRaises(ClientError) as e:
                self.carol.head_bucket(Bucket=bucket)
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403, bucket)
            with self.assertRaises(ClientError) as e:
                self.carol.get_object(Bucket=bucket, Key="doc")
            self.assertEqual(code(e.exception), "AccessDenied", bucket)
            with self.assertRaises(ClientError) as e:
                self.carol.put_object(Bucket=bucket, Key="doc", Body=b"x")
            self.assertEqual(code(e.exception), "AccessDenied", bucket)
        self.assertEqual(self.carol.list_buckets()["Buckets"], [])

    def test_wildcard_writer_and_ownership(self):
        self.bob.create_bucket(Bucket="bob-bucket")
        self.bob.put_object(Bucket="bob-bucket", Key="b", Body=b"bob")
        self.assertEqual(self.bob.get_object(Bucket="bob-bucket", Key="b")["Body"].read(), b"bob")
        with self.assertRaises(ClientError) as e:
            self.alice.get_object(Bucket="bob-bucket", Key="b")
        self.assertEqual(code(e.exception), "AccessDenied")
        with self.assertRaises(ClientError) as e:
            self.root.create_bucket(Bucket="bob-bucket")
        self.assertEqual(code(e.exception), "BucketAlreadyExists")
        with self.assertRaises(ClientError) as e:
            self.bob.create_bucket(Bucket="bob-bucket")
        self.assertEqual(code(e.exception), "BucketAlreadyOwnedByYou")
        # root sees and may read everything
        self.assertEqual(self.root.get_object(Bucket="bob-bucket", Key="b")["Body"].read(), b"bob")
        names = {b["Name"] for b in self.root.list_buckets()["Buckets"]}
        self.assertIn("bob-bucket", names)


if __name__ == "__main__":
    unittest.main(verbosity=2)
