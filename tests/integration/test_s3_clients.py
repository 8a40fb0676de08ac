"""Real S3 clients against a real `kvgate serve`: `aws s3 cp` of a 20 MiB
file (multipart, parallel parts, CRC32; s3-to-s3 copy) and a ranged
get-object with each installed aws cli (Debian's v2 at /usr/bin/aws and the
one first on PATH, e.g. a pip v1), s3cmd put/get/ls/del (its own multipart;
`get --continue` is a ranged GET), rclone copy/sync/check/cat (ranged)/purge,
and boto3 (put, ranged get, multipart upload and download, list,
DeleteObjects). Config files are written into a temp dir; every upload is
read back byte-exact. A client that is not installed is skipped with its
reason. The aws cli's CRT transfer client is not enabled: Debian's awscrt
0.16 connects to port 80/443 whatever port the endpoint names (the LMCache
test runs CRT on :443).

KVGATE_TEST_TLS=1 runs the same flows over HTTPS: the gateway gets a
certificate from a throw-away CA (tls_certificates.py) and every client is
given that CA (AWS_CA_BUNDLE, s3cmd ca_certs_file, rclone --ca-cert, boto3
verify=), so certificate and host name checks stay on. Multipart objects are
smaller there (two parts each) to keep the second run short.

Run: KVGATE_BINARY=build/kvgate [KVGATE_TEST_TLS=1] python3 test_s3_clients.py"""
import filecmp
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402

MIB = 1024 * 1024
TLS = os.environ.get("KVGATE_TEST_TLS") == "1"
# Multipart sizes: the HTTPS run keeps each client's flow but with two parts.
AWS_SIZE = (9 if TLS else 20) * MIB + 17  # aws: 8 MiB parts
PART5_SIZE = (6 if TLS else 12) * MIB + 3  # s3cmd, rclone, boto3: 5 MiB parts
GW = None


def aws_clis():
    """Each distinct aws cli: Debian's v2 and whatever `aws` PATH finds. The
    HTTPS run takes only the first (Debian's v2 where installed): every aws
    invocation costs a second of CPU, and a pip v1 shares its TLS stack
    (botocore/urllib3) with the pip boto3 run."""
    found = []
    for path in ("/usr/bin/aws", shutil.which("aws")):
        if path and os.access(path, os.X_OK) and os.path.realpath(path) not in [
                os.path.realpath(p) for p in found]:
            found.append(path)
    return found[:1] if TLS else found


AWS_CLIS = aws_clis()
S3CMD = shutil.which("s3cmd")
RCLONE = shutil.which("rclone")
try:
    import boto3  # noqa: F401
    BOTO3 = True
except ImportError:
    BOTO3 = False


def setUpModule():
    global GW
    if AWS_CLIS or S3CMD or RCLONE or BOTO3:
        GW = s3_gateway.Gateway(tls=TLS)


def tearDownModule():
    if GW is not None:
        GW.stop()


def run(args, env=None, timeout=180):
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s\ngateway log:\n%s" % (
            args[0], r.returncode, r.stdout[-2000:], r.stderr[-2000:], GW.read_log()))
    return r.stdout


def write_random(path, size):
    with open(path, "wb") as f:
        f.write(os.urandom(size))


class ClientTestBase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvgate-clients-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


@unittest.skipUnless(AWS_CLIS, "aws cli not installed")
class AwsS3CpTests(ClientTestBase):
    def aws(self, cli, *args):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": s3_gateway.ROOT_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": s3_gateway.ROOT_SECRET_KEY,
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"})
        env.pop("AWS_CA_BUNDLE", None)
        if GW.ca_file:
            env["AWS_CA_BUNDLE"] = GW.ca_file
        return run([cli, "--endpoint-url", GW.url, *args], env=env)

    def test_cp_multipart_and_back(self):
        src = os.path.join(self.tmp, "twenty.bin")
        write_random(src, AWS_SIZE)
        data = read_file(src)
        for n, cli in enumerate(AWS_CLIS):
            with self.subTest(cli=cli):
                bucket = f"awscp{n}"
                self.aws(cli, "s3", "mb", f"s3://{bucket}")
                self.aws(cli, "s3", "cp", src, f"s3://{bucket}/dir/twenty.bin")
                listing = self.aws(cli, "s3", "ls", f"s3://{bucket}/dir/")
                self.assertIn("twenty.bin", listing)
                dst = os.path.join(self.tmp, "back.bin")
                self.aws(cli, "s3", "cp", f"s3://{bucket}/dir/twenty.bin", dst)
                self.assertTrue(filecmp.cmp(src, dst, shallow=False))
                part = os.path.join(self.tmp, "range.bin")
                self.aws(cli, "s3api", "get-object", "--bucket", bucket, "--key", "dir/twenty.bin",
                         "--range", "bytes=8388600-8388700", part)
                self.assertEqual(read_file(part), data[8388600:8388701])
                self.aws(cli, "s3", "cp", f"s3://{bucket}/dir/twenty.bin",
                         f"s3://{bucket}/dir/copy.bin")
                self.aws(cli, "s3", "cp", f"s3://{bucket}/dir/copy.bin", dst)
                self.assertTrue(filecmp.cmp(src, dst, shallow=False))
                self.aws(cli, "s3", "rm", "--recursive", f"s3://{bucket}/dir/")
                # `aws s3 ls` exits 1 on an empty listing, so ask s3api.
                self.assertNotIn('"Key"', self.aws(cli, "s3api", "list-objects-v2", "--bucket",
                                                   bucket, "--prefix", "dir/"))


@unittest.skipUnless(S3CMD, "s3cmd not installed")
class S3cmdTests(ClientTestBase):
    def s3cmd(self, *args):
        cfg = os.path.join(self.tmp, "s3cfg")
        if not os.path.exists(cfg):
            host = "%s:%d" % (GW.host, GW.endpoint_port)
            tls = ("use_https = True\nca_certs_file = %s\ncheck_ssl_certificate = True\n"
                   "check_ssl_hostname = True\n" % GW.ca_file) if GW.ca_file else "use_https = False\n"
            with open(cfg, "w") as f:
                f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\n"
                        "%ssignature_v2 = False\nbucket_location = us-east-1\n"
                        "multipart_chunk_size_mb = 5\n" % (s3_gateway.ROOT_ACCESS_KEY,
                                                             s3_gateway.ROOT_SECRET_KEY, host, host,
                                                             tls))
        return run([S3CMD, "-c", cfg, *args])

    def test_put_get_ls_del_with_multipart(self):
        small = os.path.join(self.tmp, "small.txt")
        big = os.path.join(self.tmp, "big.bin")
        with open(small, "w") as f:
            f.write("hello kvgate\n")
        write_random(big, PART5_SIZE)
        self.s3cmd("mb", "s3://s3cmdb")
        self.s3cmd("put", small, "s3://s3cmdb/small.txt")
        self.s3cmd("put", big, "s3://s3cmdb/nested/big.bin")
        listing = self.s3cmd("ls", "-r", "s3://s3cmdb")
        self.assertIn("s3://s3cmdb/small.txt", listing)
        self.assertIn("s3://s3cmdb/nested/big.bin", listing)
        for name, src in (("small.txt", small), ("nested/big.bin", big)):
            dst = os.path.join(self.tmp, "got-" + os.path.basename(name))
            self.s3cmd("get", "--force", "s3://s3cmdb/" + name, dst)
            self.assertTrue(filecmp.cmp(src, dst, shallow=False), name)
        # `get --continue` resumes a partial file with a ranged GET (bytes=N-).
        partial = os.path.join(self.tmp, "partial.bin")
        with open(partial, "wb") as f:
            f.write(read_file(big)[:5 * MIB + 1])
        self.s3cmd("get", "--continue", "s3://s3cmdb/nested/big.bin", partial)
        self.assertTrue(filecmp.cmp(big, partial, shallow=False))
        self.s3cmd("del", "s3://s3cmdb/small.txt", "s3://s3cmdb/nested/big.bin")
        self.assertNotIn("s3://s3cmdb/", self.s3cmd("ls", "-r", "s3://s3cmdb"))


@unittest.skipUnless(RCLONE, "rclone not installed")
class RcloneTests(ClientTestBase):
    def rclone_command(self, *args):
        cfg = os.path.join(self.tmp, "rclone.conf")
        if not os.path.exists(cfg):
            with open(cfg, "w") as f:
                f.write("[kv]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\n"
                        "endpoint = %s\nregion = us-east-1\nforce_path_style = true\n"
                        "upload_cutoff = 5M\nchunk_size = 5M\n" % (s3_gateway.ROOT_ACCESS_KEY,
                                                                 s3_gateway.ROOT_SECRET_KEY, GW.url))
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)  # aws-sdk-go v1 cannot load it into rclone's transport
        tls = ["--ca-cert", GW.ca_file] if GW.ca_file else []
        return [RCLONE, "--config", cfg, "--retries", "1", "--low-level-retries", "1", *tls,
                *args], env

    def rclone(self, *args):
        return run(*self.rclone_command(*args))

    def test_copy_sync_check(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(src, "sub"))
        write_random(os.path.join(src, "a.bin"), 1000)
        write_random(os.path.join(src, "sub", "b.bin"), PART5_SIZE)
        with open(os.path.join(src, "sub", "c d&e.txt"), "w") as f:
            f.write("special name")
        self.rclone("mkdir", "kv:rcl")
        self.rclone("copy", src, "kv:rcl/data")
        self.rclone("check", src, "kv:rcl/data")
        os.remove(os.path.join(src, "a.bin"))
        write_random(os.path.join(src, "new.bin"), 4096)
        self.rclone("sync", src, "kv:rcl/data")
        self.rclone("check", src, "kv:rcl/data")
        listing = self.rclone("lsf", "-R", "kv:rcl/data")
        self.assertNotIn("a.bin", listing)
        self.assertIn("new.bin", listing)
        back = os.path.join(self.tmp, "back")
        self.rclone("copy", "kv:rcl/data", back)
        cmp = filecmp.dircmp(src, back)
        self.assertEqual(cmp.diff_files + cmp.left_only + cmp.right_only, [])
        self.assertTrue(filecmp.cmp(os.path.join(src, "sub", "b.bin"), os.path.join(back, "sub", "b.bin"),
                                    shallow=False))
        # `rclone cat --offset --count` reads a range (across the 5 MiB part boundary).
        cmd, env = self.rclone_command("cat", "--offset", str(5 * MIB - 100), "--count", "300",
                                       "kv:rcl/data/sub/b.bin")
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        big = read_file(os.path.join(src, "sub", "b.bin"))
        self.assertEqual(r.stdout, big[5 * MIB - 100:5 * MIB + 200])
        self.rclone("purge", "kv:rcl/data")
        self.assertEqual(self.rclone("lsf", "-R", "kv:rcl"), "")


@unittest.skipUnless(BOTO3, "boto3 not importable")
class Boto3Tests(unittest.TestCase):
    def test_put_ranged_get_multipart_list_delete(self):
        from boto3.s3.transfer import TransferConfig

        s3 = GW.client()
        s3.create_bucket(Bucket="boto3b")
        small = os.urandom(100_000)
        put = s3.put_object(Bucket="boto3b", Key="dir/small@1", Body=small)
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(small).hexdigest())
        self.assertEqual(s3.get_object(Bucket="boto3b", Key="dir/small@1")["Body"].read(), small)
        got = s3.get_object(Bucket="boto3b", Key="dir/small@1", Range="bytes=1000-1999")
        self.assertEqual(got["Body"].read(), small[1000:2000])
        self.assertEqual(got["ContentRange"], "bytes 1000-1999/100000")
        big = os.urandom(PART5_SIZE)
        cfg = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
                             max_concurrency=3)
        s3.upload_fileobj(io.BytesIO(big), "boto3b", "dir/big", Config=cfg)
        head = s3.head_object(Bucket="boto3b", Key="dir/big")
        self.assertEqual(head["ContentLength"], len(big))
        parts = (len(big) + 5 * MIB - 1) // (5 * MIB)
        self.assertTrue(head["ETag"].endswith('-%d"' % parts), head["ETag"])
        back = io.BytesIO()
        s3.download_fileobj("boto3b", "dir/big", back, Config=cfg)  # parallel ranged GETs
        self.assertTrue(back.getvalue() == big)
        got = s3.get_object(Bucket="boto3b", Key="dir/big", Range="bytes=%d-%d" % (5 * MIB - 5, 5 * MIB + 4))
        self.assertEqual(got["Body"].read(), big[5 * MIB - 5:5 * MIB + 5])
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="boto3b", Prefix="dir/")["Contents"]]
        self.assertEqual(keys, ["dir/big", "dir/small@1"])
        r = s3.delete_objects(Bucket="boto3b", Delete={"Objects": [{"Key": k} for k in keys]})
        self.assertEqual(sorted(d["Key"] for d in r["Deleted"]), keys)
        self.assertEqual(s3.list_objects_v2(Bucket="boto3b").get("KeyCount"), 0)
        s3.delete_bucket(Bucket="boto3b")

    @unittest.skipUnless(TLS, "HTTPS run only")
    def test_https_verifies_the_certificate(self):
        import boto3
        from botocore.exceptions import SSLError

        # Trusting only the system CAs, the test CA's certificate is refused:
        # the clients above really verified it against the CA they were given.
        untrusting = boto3.client("s3", endpoint_url=GW.url, region_name="us-east-1",
                                  aws_access_key_id=s3_gateway.ROOT_ACCESS_KEY,
                                  aws_secret_access_key=s3_gateway.ROOT_SECRET_KEY, verify=True)
        with self.assertRaises(SSLError):
            untrusting.list_buckets()
        self.assertIn("Buckets", GW.client().list_buckets())


if __name__ == "__main__":
    unittest.main()
