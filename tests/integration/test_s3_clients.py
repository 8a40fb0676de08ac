"""Real S3 clients against a real `kvgate serve`: `aws s3 cp` of a 20 MiB
file (multipart, parallel parts, CRC32), s3cmd put/get/ls/del (its own
multipart), rclone copy/sync/check. Config files are written into a temp
dir; every upload is read back byte-exact. A client that is not installed is
skipped with its reason."""
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402

MIB = 1024 * 1024
GW = None
AWS = shutil.which("aws")
S3CMD = shutil.which("s3cmd")
RCLONE = shutil.which("rclone")


def setUpModule():
    global GW
    if AWS or S3CMD or RCLONE:
        GW = s3_gateway.Gateway()


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


@unittest.skipUnless(AWS, "aws cli not installed")
class AwsS3CpTests(ClientTestBase):
    def aws(self, *args):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": s3_gateway.ROOT_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": s3_gateway.ROOT_SECRET_KEY,
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1"})
        return run([AWS, "--endpoint-url", GW.url, *args], env=env)

    def test_cp_20mib_multipart_and_back(self):
        src = os.path.join(self.tmp, "twenty.bin")
        write_random(src, 20 * MIB + 17)
        self.aws("s3", "mb", "s3://awscp")
        self.aws("s3", "cp", src, "s3://awscp/dir/twenty.bin")
        listing = self.aws("s3", "ls", "s3://awscp/dir/")
        self.assertIn("twenty.bin", listing)
        dst = os.path.join(self.tmp, "back.bin")
        self.aws("s3", "cp", "s3://awscp/dir/twenty.bin", dst)
        self.assertTrue(filecmp.cmp(src, dst, shallow=False))
        self.aws("s3", "cp", "s3://awscp/dir/twenty.bin", "s3://awscp/dir/copy.bin")
        self.aws("s3", "cp", "s3://awscp/dir/copy.bin", dst)
        self.assertTrue(filecmp.cmp(src, dst, shallow=False))
        self.aws("s3", "rm", "--recursive", "s3://awscp/dir/")
        # `aws s3 ls` exits 1 on an empty listing, so ask s3api.
        self.assertNotIn('"Key"', self.aws("s3api", "list-objects-v2", "--bucket", "awscp", "--prefix", "dir/"))


@unittest.skipUnless(S3CMD, "s3cmd not installed")
class S3cmdTests(ClientTestBase):
    def s3cmd(self, *args):
        cfg = os.path.join(self.tmp, "s3cfg")
        if not os.path.exists(cfg):
            host = "%s:%d" % (GW.host, GW.port)
            with open(cfg, "w") as f:
                f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\n"
                        "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
                        "multipart_chunk_size_mb = 5\n" % (s3_gateway.ROOT_ACCESS_KEY,
                                                             s3_gateway.ROOT_SECRET_KEY, host, host))
        return run([S3CMD, "-c", cfg, *args])

    def test_put_get_ls_del_with_multipart(self):
        small = os.path.join(self.tmp, "small.txt")
        big = os.path.join(self.tmp, "big.bin")
        with open(small, "w") as f:
            f.write("hello kvgate\n")
        write_random(big, 12 * MIB + 3)
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
        self.s3cmd("del", "s3://s3cmdb/small.txt", "s3://s3cmdb/nested/big.bin")
        self.assertNotIn("s3://s3cmdb/", self.s3cmd("ls", "-r", "s3://s3cmdb"))


@unittest.skipUnless(RCLONE, "rclone not installed")
class RcloneTests(ClientTestBase):
    def rclone(self, *args):
        cfg = os.path.join(self.tmp, "rclone.conf")
        if not os.path.exists(cfg):
            with open(cfg, "w") as f:
                f.write("[kv]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\n"
                        "endpoint = %s\nregion = us-east-1\nforce_path_style = true\n"
                        "upload_cutoff = 5M\nchunk_size = 5M\n" % (s3_gateway.ROOT_ACCESS_KEY,
                                                                 s3_gateway.ROOT_SECRET_KEY, GW.url))
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)  # aws-sdk-go v1 cannot load it into rclone's transport
        return run([RCLONE, "--config", cfg, "--retries", "1", "--low-level-retries", "1", *args], env=env)

    def test_copy_sync_check(self):
        src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(src, "sub"))
        write_random(os.path.join(src, "a.bin"), 1000)
        write_random(os.path.join(src, "sub", "b.bin"), 11 * MIB + 1)
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


if __name__ == "__main__":
    unittest.main()
