"""Starts a real `kvgate serve` for the S3 integration tests.

One gateway per test module, started by kvgate_harness.KvgateServer
(temporary data directories, ephemeral loopback port, bounded waits) with
fixed root credentials, an optional users file and virtual-host domains.
With tls=True it also listens for HTTPS with a certificate from a throw-away
CA (tls_certificates.py): `url` is then the https endpoint and `ca_file` the
CA clients must trust; `port` stays the plain HTTP port (s3_signing.py).
"""
import os
import shutil
import tempfile

ROOT_ACCESS_KEY = "kvgate-root"
ROOT_SECRET_KEY = "kvgate-root-secret-key-for-tests"


def kvgate_binary():
    from kvgate_harness import kvgate_binary as harness_binary

    return harness_binary()


class Gateway:
    """A `kvgate serve` (kvgate_harness.KvgateServer) with S3 test settings."""

    def __init__(self, domains=(), users_toml=None, extra_args=(), tls=False):
        from kvgate_harness import KvgateServer

        self.tmp = tempfile.mkdtemp(prefix="kvgate-s3-it-")
        args = []
        for d in domains:
            args += ["--domain", d]
        if users_toml is not None:
            users = os.path.join(self.tmp, "users.toml")
            with open(users, "w") as f:
                f.write(users_toml)
            args += ["--credentials-file", users]
        self.ca_file = None
        if tls:
            from tls_certificates import make_certificates

            self.ca_file, cert, key = make_certificates(self.tmp)
            args += ["--tls-cert", cert, "--tls-key", key]
        args += list(extra_args)
        env = {"KVGATE_ACCESS_KEY": ROOT_ACCESS_KEY, "KVGATE_SECRET_KEY": ROOT_SECRET_KEY,
               "KVGATE_ACCESS_LOG": "off"}
        env.setdefault("KVGATE_LOG_LEVEL", os.environ.get("KVGATE_LOG_LEVEL", "warn"))
        self.server = KvgateServer(kvgate_binary(), extra_args=args, env=env, tls_listen=tls,
                                   start_timeout=60.0)
        self.server.start()
        self.host = "127.0.0.1"
        self.port = self.server.port
        self.tls_port = self.server.tls_port
        # The endpoint clients use: https when tls, else plain http.
        self.endpoint_port = self.tls_port if tls else self.port
        self.url = f"{'https' if tls else 'http'}://{self.host}:{self.endpoint_port}"

    def read_log(self):
        return self.server.stderr()[-4000:]

    def stop(self):
        self.server.stop()
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def client(self, access_key=ROOT_ACCESS_KEY, secret_key=ROOT_SECRET_KEY, **config):
        import boto3
        from botocore.config import Config

        cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                     read_timeout=30, **config)
        return boto3.client("s3", endpoint_url=self.url, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, region_name="us-east-1", config=cfg,
                            verify=self.ca_file if self.ca_file else None)
