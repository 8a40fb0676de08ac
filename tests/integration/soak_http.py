"""One SigV4-signed HTTP/1.1 keep-alive connection on asyncio streams, for the
soak driver (soak_driver.py): 256 of these are open at once in one process.

Signing is tests/integration/s3_signing.py's (independent of the gateway's C++
signer); the payload hash is passed in, so a body's SHA-256 is computed once
per body, not once per request. A response is read whole: Content-Length or
chunked bodies; HEAD, 204 and 304 have none. A response with
`Connection: close` (or a transport error) closes the connection; the next
call opens a fresh one and counts it in `reconnects`. Bodies above 1 MiB
(the 5 MiB multipart parts) wait for 100 Continue; should the server still
answer before reading a whole body and close, the answer is read and
returned.
"""
import asyncio
import hashlib
import urllib.parse

from s3_signing import sign_headers

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# Bodies above the server's default body_drain_limit_bytes are sent after
# 100 Continue, as S3 SDKs do for large uploads: a 503 SlowDown then comes
# before the body, instead of a close in the middle of it.
EXPECT_CONTINUE_ABOVE = 1 << 20


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


class SignedConnection:
    def __init__(self, host, port, access_key, secret_key, timeout=60.0):
        self.host = host
        self.port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self.timeout = timeout
        self.reader = None
        self.writer = None
        self.opened = 0  # connections opened in all (the first one included)
        self.previous = None  # (method, status, connection header) of the last answer

    @property
    def reconnects(self):
        return max(0, self.opened - 1)

    async def open(self):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1

    async def close(self):
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 5)
            except (OSError, asyncio.TimeoutError):
                pass

    async def call(self, method, path, query=(), body=b"", payload_hash=None):
        """Sends one signed request and returns its Response; raises OSError,
        asyncio.TimeoutError or asyncio.IncompleteReadError on transport
        failures (the connection is closed then)."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, query, body, payload_hash),
                                          self.timeout)
        except BaseException:
            await self.close()
            raise

    async def _exchange(self, method, path, query, body, payload_hash):
        await self.open()
        headers = {"host": f"{self.host}:{self.port}", "content-length": str(len(body))}
        expect_continue = len(body) > EXPECT_CONTINUE_ABOVE
        if expect_continue:
            headers["expect"] = "100-continue"
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        headers, *_ = sign_headers(method, path, query, headers, self.access_key,
                                   self.secret_key, payload_hash)
        target = path
        if query:
            target += "?" + "&".join(
                f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                if v != "" else urllib.parse.quote(k, safe="-_.~") for k, v in query)
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode())
        if expect_continue:
            await self.writer.drain()
            interim = await self._read_response(method)
            if interim.status != 100:  # answered (503 SlowDown) before the body
                self.previous = (method, interim.status, interim.headers.get("connection"))
                await self.close()
                return interim
        if body:
            self.writer.write(body)
        try:
            await self.writer.drain()
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer before it has read the body (503 SlowDown
            # for a body above body_drain_limit_bytes) and close: the answer
            # is in the receive buffer.
            response = await self._read_response(method)
            await self.close()
            return response
        response = await self._read_response(method)
        self.previous = (method, response.status, response.headers.get("connection"))
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _read_response(self, method):
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return Response(status, headers, b"")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size_line = await self.reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    while await self.reader.readuntil(b"\r\n") != b"\r\n":
                        pass  # trailers
                    return Response(status, headers, bytes(body))
                body += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
        length = int(headers.get("content-length", "0"))
        body = await self.reader.readexactly(length) if length else b""
        return Response(status, headers, body)
