"""kvgate-cli (sdk/tools/kvgate_cli.cc, docs/sdk.md "kvgate-cli") against a
real `kvgate serve` on loopback: mb, put (a 20 MiB file goes multipart), get
into a file and to stdout, cp in both directions, head, ls, rm, every
failure with a non-zero exit status and the S3 error on stderr, --rdma=on
refused on a host without RDMA, and a bounded `bench` whose JSON agrees with
what the gateway stored.

The binary is $KVGATE_CLI (CTest sets it), else build/kvgate-cli.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import s3_gateway  # noqa: E402

BUCKET = "cli-bucket"


def cli_binary():
    path = os.environ.get("KVGATE_CLI")
    if not path:
        path = os.path.join(os.path.dirname(__file__), "..", "..", "build", "kvgate-cli")
    return os.path.abspath(path)


class KvgateCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gw = s3_gateway.Gateway()
        cls.tmp = tempfile.mkdtemp(prefix="kvgate-cli-")

    @classmethod
    def tearDownClass(cls):
        log = cls.gw.read_log()
        cls.gw.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert "AddressSanitizer" not in log and "runtime error" not in log, log[-4000:]

    def cli(self, *args, expect=0, binary_out=False):
        env = dict(os.environ)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "KVGATE_ENDPOINT"):
            env.pop(name, None)
        env.update({"KVGATE_ACCESS_KEY": s3_gateway.ROOT_ACCESS_KEY,
                    "KVGATE_SECRET_KEY": s3_gateway.ROOT_SECRET_KEY,
                    "KVGATE_ENDPOINT": self.gw.url})
        proc = subprocess.run([cli_binary(), "--no-progress", *args], capture_output=True,
                              env=env, timeout=240)
        out = proc.stdout if binary_out else proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        if expect is not None:
            self.assertEqual(proc.returncode, expect, f"{args}: {err[-2000:]}")
        return out, err

    def file(self, name, size, seed):
        path = os.path.join(self.tmp, name)
        data = hashlib.shake_256(f"cli-{seed}".encode()).digest(size)
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_1_round_trips(self):
        self.cli("mb", f"s3://{BUCKET}")
        big, big_data = self.file("big.bin", 20 * 1024 * 1024 + 3, 1)
        out, _ = self.cli("--part-size", str(8 * 1024 * 1024), "put", big,
                          f"s3://{BUCKET}/dir/big.bin")
        self.assertIn(f"{len(big_data)} bytes -> s3://{BUCKET}/dir/big.bin", out)
        self.assertIn("(3 parts)", out)
        got = os.path.join(self.tmp, "big.out")
        _, err = self.cli("get", f"s3://{BUCKET}/dir/big.bin", got)
        self.assertIn(f"({len(big_data)} bytes", err)
        self.assertEqual(self.read(got), big_data)

        small, small_data = self.file("small.bin", 4097, 2)
        self.cli("cp", small, f"s3://{BUCKET}/dir/small one+%.bin")
        out, _ = self.cli("cp", f"s3://{BUCKET}/dir/small one+%.bin", "-", binary_out=True)
        self.assertEqual(out, small_data)
        back = os.path.join(self.tmp, "small.back")
        self.cli("cp", f"s3://{BUCKET}/dir/small one+%.bin", back)
        self.assertEqual(self.read(back), small_data)

        empty, _ = self.file("empty.bin", 0, 3)
        self.cli("put", empty, f"s3://{BUCKET}/empty")
        empty_back = os.path.join(self.tmp, "empty.back")
        self.cli("get", f"s3://{BUCKET}/empty", empty_back)
        self.assertEqual(self.read(empty_back), b"")

        out, _ = self.cli("head", f"s3://{BUCKET}/dir/small one+%.bin")
        self.assertIn("size 4097\n", out)
        self.assertRegex(out, r"etag \"[0-9a-f]{32}\"")
        self.assertIn("crc32c ", out)

        out, _ = self.cli("ls", f"s3://{BUCKET}/dir/")
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 2, out)
        self.assertTrue(lines[0].split()[0] == str(len(big_data)) and
                        lines[0].endswith(" dir/big.bin"), lines)
        self.assertTrue(lines[1].endswith(" dir/small one+%.bin"), lines)

        self.cli("rm", f"s3://{BUCKET}/dir/small one+%.bin")
        out, _ = self.cli("ls", f"s3://{BUCKET}/dir/")
        self.assertNotIn("small", out)

    def test_2_failures_exit_non_zero_with_the_s3_error(self):
        _, err = self.cli("get", f"s3://{BUCKET}/missing", os.path.join(self.tmp, "m"),
                          expect=1)
        self.assertIn("404", err)
        _, err = self.cli("ls", "s3://no-such-bucket-here/", expect=1)
        self.assertIn("NoSuchBucket", err)
        self.assertRegex(err, r"request[ _-]?id", "the error names its request id")
        path, _ = self.file("again.bin", 1000, 4)
        self.cli("put", path, f"s3://{BUCKET}/once")
        _, err = self.cli("cp", "--if-none-match", path, f"s3://{BUCKET}/once", expect=1)
        self.assertIn("PreconditionFailed", err)
        _, err = self.cli("put", os.path.join(self.tmp, "does-not-exist"),
                          f"s3://{BUCKET}/x", expect=1)
        self.assertIn("cannot read", err)
        _, err = self.cli("cp", path, os.path.join(self.tmp, "other"), expect=2)
        self.assertIn("cp copies FILE to s3://bucket/key", err)
        _, err = self.cli("get", "not-a-url", "x", expect=2)
        self.assertIn("expected s3://bucket/key", err)

    def test_3_rdma_on_is_refused_without_rdma(self):
        if os.path.exists("/dev/infiniband/rdma_cm"):
            self.skipTest("this host has RDMA: the refusal case does not apply")
        path, _ = self.file("rdma.bin", 1024 * 1024, 5)
        _, err = self.cli("--rdma", "on", "put", path, f"s3://{BUCKET}/rdma", expect=1)
        self.assertIn("rdma", err.lower())
        # Below the RDMA threshold, rdma=on still goes TCP (small objects by design).
        small, small_data = self.file("tiny.bin", 1000, 6)
        self.cli("--rdma", "on", "put", small, f"s3://{BUCKET}/tiny")
        out, _ = self.cli("--rdma", "on", "get", f"s3://{BUCKET}/tiny", "-", binary_out=True)
        self.assertEqual(out, small_data)

    def test_4_bench_reports_what_it_did(self):
        out, _ = self.cli("bench", f"s3://{BUCKET}/bench/", "--op", "put", "--size", "256KiB",
                          "--concurrency", "2", "--count", "12", "--seconds", "60", "--json")
        put = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(put["ops"], 12, put)
        self.assertEqual(put["errors"], 0, put)
        out, _ = self.cli("ls", f"s3://{BUCKET}/bench/")
        sizes = [int(line.split()[0]) for line in out.strip().splitlines()]
        self.assertEqual(len(sizes), 4, out)  # 2 x concurrency keys
        self.assertTrue(all(s == 256 * 1024 for s in sizes), sizes)
        out, _ = self.cli("bench", f"s3://{BUCKET}/bench/", "--op", "get", "--size", "256KiB",
                          "--concurrency", "2", "--count", "10", "--seconds", "60",
                          "--no-populate", "--json")
        get = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(get["ops"], 10, get)
        self.assertEqual(get["errors"], 0, get)
        out, _ = self.cli("bench", f"s3://{BUCKET}/exists/", "--op", "exists", "--keys", "80",
                          "--miss-percent", "25", "--count", "3", "--seconds", "60", "--json")
        self.assertIn("exists", out)


if __name__ == "__main__":
    unittest.main()
