"""A throw-away test CA and a server certificate signed by it (openssl CLI),
for HTTPS runs of the integration tests: clients are given the CA file
(AWS_CA_BUNDLE, boto3 verify=, s3cmd ca_certs_file, rclone --ca-cert) so
certificate and host name verification stay on."""
import os
import subprocess


def make_certificates(directory, ips=("127.0.0.1",), names=("localhost",)):
    """Writes ca.pem, server.pem and server.key into `directory` (ECDSA
    P-256, valid for two days) and returns their paths (ca, cert, key). The
    server certificate names every IP in `ips` and DNS name in `names`."""
    ca_key = os.path.join(directory, "ca.key")
    ca = os.path.join(directory, "ca.pem")
    key = os.path.join(directory, "server.key")
    csr = os.path.join(directory, "server.csr")
    cert = os.path.join(directory, "server.pem")
    ext = os.path.join(directory, "server.ext")
    san = ",".join([f"IP:{ip}" for ip in ips] + [f"DNS:{n}" for n in names])
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                f"subjectAltName={san}\n")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
            "-subj", "/CN=kvgate integration test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={(names or ips)[0]}")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key
