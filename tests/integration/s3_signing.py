"""A minimal SigV4 signer and raw HTTP helpers for requests boto3 cannot make
(aws-chunked bodies, wrong payload hashes, Expect: 100-continue on a raw
socket, virtual-hosted Host headers for IP-literal domains).

Implements the AWS SigV4 algorithm as documented (canonical request, string
to sign, signing key, chunk signatures); kept independent of the gateway's
C++ implementation so the tests check it against a second implementation.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import socket
import urllib.parse
import zlib

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def signing_key(secret, date, region="us-east-1", service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def amz_now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ")


def sign_headers(method, path, query, headers, access_key, secret, payload_hash,
                 region="us-east-1", amz_date=None):
    """Adds x-amz-date, x-amz-content-sha256 and Authorization to `headers`
    (a dict with lower-case names incl. host). `path` is sent as is.
    Returns (headers, seed_signature, key, scope, amz_date)."""
    amz_date = amz_date or amz_now()
    date = amz_date[:8]
    headers = dict(headers)
    headers["x-amz-date"] = amz_date
    headers["x-amz-content-sha256"] = payload_hash
    names = sorted(headers)
    canonical_headers = "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names)
    signed = ";".join(names)
    pairs = sorted((urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                   for k, v in query)
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    canonical = "\n".join([method, path, canonical_query, canonical_headers, signed, payload_hash])
    scope = f"{date}/{region}/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(secret, date, region)
    signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    return headers, signature, key, scope, amz_date


def signed_chunked_body(data, chunk_size, key, scope, amz_date, seed, trailer=None):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body."""
    out = bytearray()
    prev = seed
    pieces = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                         hashlib.sha256(piece).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += f"{len(piece):x};chunk-signature={sig}\r\n".encode() + piece
        if piece or trailer is None:
            out += b"\r\n"
        prev = sig
    if trailer is not None:
        lines = "".join(f"{n}:{v}\n" for n, v in trailer)
        for n, v in trailer:
            out += f"{n}:{v}\r\n".encode()
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev,
                         hashlib.sha256(lines.encode()).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += f"x-amz-trailer-signature:{sig}\r\n\r\n".encode()
    return bytes(out)


def unsigned_trailer_body(data, chunk_size, trailer):
    out = bytearray()
    for i in range(0, len(data), chunk_size):
        piece = data[i:i + chunk_size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    out += b"0\r\n"
    for n, v in trailer:
        out += f"{n}:{v}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body


def request(gw, method, path, query=(), headers=None, body=b"", access_key=None, secret=None,
            payload_hash=None, host=None, sign=True):
    """Signed (unless sign=False) request over http.client to the gateway."""
    import s3_gateway
    access_key = access_key or s3_gateway.ROOT_ACCESS_KEY
    secret = secret or s3_gateway.ROOT_SECRET_KEY
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    headers["host"] = host or f"{gw.host}:{gw.port}"
    if sign:
        ph = payload_hash or hashlib.sha256(body).hexdigest()
        headers, *_ = sign_headers(method, path, query, headers, access_key, secret, ph)
    target = path
    if query:
        target += "?" + "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                                 for k, v in query)
    conn = http.client.HTTPConnection(gw.host, gw.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if "content-length" not in headers and "transfer-encoding" not in headers:
            conn.putheader("content-length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def raw_exchange(gw, head_bytes, timeout=10):
    """Sends a raw request head, returns the first bytes the server answers
    with (up to the end of the first response head)."""
    s = socket.create_connection((gw.host, gw.port), timeout=timeout)
    try:
        s.sendall(head_bytes)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return s, data
    except Exception:
        s.close()
        raise
