"""A response being read: its status and headers, and its body piece by piece.

The client asks for ``Accept-Encoding: identity``; a server that compresses anyway (``gzip`` or
``deflate``) is decoded here with zlib, so callers always see the body as sent before encoding.
"""

from __future__ import annotations

import zlib

from bridge.http.connection import Connection
from bridge.http.errors import RemoteProtocolError
from bridge.http.headers import Headers
from bridge.http.parser import ResponseHead


class Response:
    def __init__(
        self, connection: Connection, head: ResponseHead, first_byte_deadline: float | None, gap: float | None
    ) -> None:
        self.status = head.status
        self.reason = head.reason
        self.headers: Headers = head.headers
        self.origin = connection.origin
        self._connection = connection
        self._deadline = first_byte_deadline  # bounds the first read; the gap bounds each one after
        self._gap = gap
        self._decoder = _decoder(self.headers.get("content-encoding", ""), self.origin)

    async def read_some(self) -> bytes:
        """The next piece of the body, as soon as there is one; ``b""`` once the body has ended."""
        data = await self._connection.read_some(self._deadline, self._gap)
        self._deadline = None
        if self._decoder is None:
            return data
        while True:
            if not data:
                return self._decoder.flush()
            if decoded := self._decoder.decode(data):
                return decoded
            data = await self._connection.read_some(None, self._gap)

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body, or its first ``limit`` bytes (the rest is left unread)."""
        body = bytearray()
        while limit is None or len(body) < limit:
            part = await self.read_some()
            if not part:
                break
            body += part
        return bytes(body if limit is None else body[:limit])

    def __repr__(self) -> str:
        return f"<Response {self.status} from {self.origin}>"


class _Decompressor:
    def __init__(self, encoding: str, origin: str) -> None:
        self._encoding, self._origin = encoding, origin
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def decode(self, data: bytes) -> bytes:
        try:
            if not self._started and self._encoding == "deflate":
                self._started = True
                try:
                    return self._zlib.decompress(data)
                except zlib.error:  # "deflate" sent raw, without the zlib wrapper (servers do both)
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._zlib.decompress(data)
        except zlib.error as exc:
            raise RemoteProtocolError(f"a {self._encoding} body that does not decode: {exc}", self._origin) from None

    def flush(self) -> bytes:
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise RemoteProtocolError(f"a {self._encoding} body that does not decode: {exc}", self._origin) from None


def _decoder(content_encoding: str, origin: str) -> _Decompressor | None:
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return _Decompressor("gzip", origin)
    if encoding == "deflate":
        return _Decompressor("deflate", origin)
    return None  # identity, or a coding we did not ask for and cannot undo: passed on as it came
