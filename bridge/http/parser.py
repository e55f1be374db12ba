"""A sans-I/O HTTP/1.1 response parser: bytes in, events out, no sockets and no clock.

:meth:`ResponseParser.feed` takes whatever one network read gave and returns the events it
completes: one :class:`ResponseHead` (interim 1xx responses are skipped), body pieces as
``bytes`` (as they arrive, never held back until a chunk is whole), then :data:`END`. Malformed
input sets :attr:`ResponseParser.error` and ends the parse; the events before it in the same
read are still returned, so a reader gets every chunk the server sent well before the error. Any split of
the same response gives the same head, the same body bytes and one END (tests/test_http_client.py
checks it under hypothesis). :meth:`ResponseParser.feed_eof` reports the connection's end, which
is the end of a body delimited by close and an error everywhere else (the caller's to raise).

Framing follows RFC 9112 §6.3: no body after HEAD, 1xx, 204, 304 or a 2xx to CONNECT; else
``Transfer-Encoding: chunked`` (extensions ignored, trailers skipped), else ``Content-Length``,
else read until close. Anything malformed is a :class:`RemoteProtocolError`: a head over
``max_head`` bytes, a nameless header line, a bad status line, other transfer
codings, conflicting lengths, a chunk size that is not hex.

The common case on a stream is one small chunk per read; it costs two ``bytes.find``-sized steps
and one slice, no regular expression and no copy of the buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.http.errors import RemoteProtocolError
from bridge.http.headers import Headers

MAX_HEAD = 64 * 1024
_MAX_CHUNK_LINE = 4096  # the size in hex plus extensions we ignore
_HEX = b"0123456789abcdefABCDEF"
_TOKEN = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_EMPTY_LINE = re.compile(rb"\n\r?\n")  # the end of the last header line, then an empty one
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)


@dataclass(frozen=True, slots=True)
class ResponseHead:
    status: int
    reason: str
    headers: Headers
    http_version: str  # "1.1" or "1.0"


class EndOfMessage:
    """The body is complete (the type of :data:`END`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END"


END = EndOfMessage()
Event = ResponseHead | bytes | EndOfMessage


class ResponseParser:
    """One response. ``method`` is the request's: HEAD answers and CONNECT tunnels carry no body."""

    def __init__(self, method: str = "GET", max_head: int = MAX_HEAD) -> None:
        self._method = method
        self._max_head = max_head
        self._state = _HEAD
        self._buffer = b""  # an incomplete head, chunk-size line or CRLF, kept for the next feed
        self._remaining = 0  # bytes left of the current chunk or Content-Length body
        self.head: ResponseHead | None = None
        self.keep_alive = True  # whether the connection may carry another request afterwards
        self.error: RemoteProtocolError | None = None  # set once, for good: nothing is parsed after it

    @property
    def complete(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        if self.error is None:
            try:
                self._parse(data, events)
            except RemoteProtocolError as exc:
                self.error, self.keep_alive = exc, False
        return events

    def _parse(self, data: bytes, events: list[Event]) -> None:
        if self._buffer:
            data, self._buffer = self._buffer + data, b""
        pos, size, state = 0, len(data), self._state
        while pos < size:
            if state == _CHUNK_SIZE:
                end = data.find(b"\r\n", pos)
                if end < 0:
                    if size - pos > _MAX_CHUNK_LINE:
                        raise RemoteProtocolError("a chunk-size line longer than 4 KiB")
                    self._buffer = data[pos:]
                    break
                length = _chunk_size(data[pos:end])
                pos = end + 2
                if not length:
                    state = _TRAILERS
                elif data.startswith(b"\r\n", pos + length):  # the whole chunk is here: take it at once
                    events.append(data[pos : pos + length])
                    pos += length + 2
                else:
                    state, self._remaining = _CHUNK_DATA, length
            elif state in (_CHUNK_DATA, _LENGTH):
                take = min(self._remaining, size - pos)
                events.append(data if take == size else data[pos : pos + take])
                pos += take
                self._remaining -= take
                if not self._remaining:
                    if state == _LENGTH:
                        state = _DONE
                        events.append(END)
                    else:
                        state = _CHUNK_END
            elif state == _CHUNK_END:
                if size - pos < 2:
                    if data[pos:] != b"\r":
                        raise RemoteProtocolError("a chunk not followed by CRLF")
                    self._buffer = data[pos:]
                    break
                if data[pos : pos + 2] != b"\r\n":
                    raise RemoteProtocolError("a chunk not followed by CRLF")
                pos, state = pos + 2, _CHUNK_SIZE
            elif state == _UNTIL_CLOSE:
                events.append(data[pos:])
                pos = size
            elif state == _HEAD:
                end, after = _end_of_head(data, pos)
                if end < 0 or end - pos > self._max_head:
                    if size - pos > self._max_head:
                        raise RemoteProtocolError(f"a response head larger than {self._max_head} bytes")
                    self._buffer = data[pos:]
                    break
                head = _parse_head(data[pos:end])
                pos = after
                state = self._framing(head, events)
            elif state == _TRAILERS:
                if data.startswith(b"\r\n", pos):
                    pos, state = pos + 2, _DONE
                    events.append(END)
                    continue
                end = data.find(b"\r\n\r\n", pos)
                if end < 0:
                    if size - pos > self._max_head:
                        raise RemoteProtocolError(f"trailers larger than {self._max_head} bytes")
                    self._buffer = data[pos:]
                    break
                pos, state = end + 4, _DONE
                events.append(END)
            else:  # bytes after a complete response: the connection cannot be trusted with another
                self.keep_alive = False
                break
        self._state = state

    def feed_eof(self) -> list[Event]:
        """The server closed the connection: the end of a close-delimited body, else no event."""
        self.keep_alive = False
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
            return [END]
        return []

    def _framing(self, head: ResponseHead, events: list[Event]) -> int:
        """The state after ``head``: how its body is delimited (RFC 9112 §6.3)."""
        status = head.status
        if 100 <= status < 200:
            if status == 101:
                raise RemoteProtocolError("a 101 Switching Protocols answer to a request that asked for none")
            return _HEAD  # interim (100 Continue, 103 Early Hints): the real head follows
        self.head = head
        events.append(head)
        tokens = {t.strip().lower() for t in head.headers.get("connection", "").split(",")}
        self.keep_alive = "keep-alive" in tokens if head.http_version == "1.0" else "close" not in tokens
        if self._method == "HEAD" or status in (204, 304) or (self._method == "CONNECT" and status < 300):
            events.append(END)
            return _DONE
        coding = head.headers.get("transfer-encoding")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                raise RemoteProtocolError(f"unsupported Transfer-Encoding {coding[:40]!r}")
            if "content-length" in head.headers or head.http_version == "1.0":  # read it chunked, never reuse it
                self.keep_alive = False  # (RFC 9112 §6.1, §6.3: a sign of request smuggling or response splitting)
            return _CHUNK_SIZE
        length = head.headers.get("content-length")
        if length is not None:
            values = {v.strip() for v in length.split(",")}
            value = values.pop()
            if values or not (value.isascii() and value.isdigit()) or len(value) > 18:
                raise RemoteProtocolError(f"invalid Content-Length {length[:40]!r}")
            self._remaining = int(value)
            if not self._remaining:
                events.append(END)
                return _DONE
            return _LENGTH
        self.keep_alive = False
        return _UNTIL_CLOSE


def _chunk_size(line: bytes) -> int:
    if 0 < len(line) <= 16 and not line.strip(_HEX):  # bare hex digits, as nearly every server sends
        return int(line, 16)
    digits = line.split(b";", 1)[0].rstrip(b" \t")
    if not digits or len(digits) > 16 or digits.strip(_HEX):
        raise RemoteProtocolError(f"invalid chunk size {line[:40]!r}")
    return int(digits, 16)


def _end_of_head(data: bytes, pos: int) -> tuple[int, int]:
    """Where the head that starts at ``pos`` ends and its body starts ((-1, -1) while incomplete):
    at its first empty line. Its line breaks may be bare LFs: RFC 9112 §2.2 lets a recipient read
    them, and hand-written servers send them."""
    found = _EMPTY_LINE.search(data, pos)
    return (found.start(), found.end()) if found else (-1, -1)


def _parse_head(block: bytes) -> ResponseHead:
    lines = [line.removesuffix(b"\r") for line in block.split(b"\n")]
    parts = lines[0].split(b" ", 2)
    version = parts[0]
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(parts) < 2 or len(parts[1]) != 3 or not parts[1].isdigit():
        raise RemoteProtocolError(f"invalid status line {lines[0][:60]!r}")
    raw: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):  # obs-fold: a user agent replaces it with a space (RFC 9112 §5.2)
            if not raw:
                raise RemoteProtocolError("a header continuation line before any header")
            more = line.strip(b" \t")
            if b"\r" in more or b"\0" in more:
                raise RemoteProtocolError("a control character in a header continuation line")
            folded, so_far = raw[-1]
            if more:
                raw[-1] = (folded, f"{so_far} {more.decode('latin-1')}" if so_far else more.decode("latin-1"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name.translate(None, _TOKEN):
            raise RemoteProtocolError(f"invalid header line {line[:60]!r}")
        value = value.strip(b" \t")
        if b"\r" in value or b"\n" in value or b"\0" in value:
            raise RemoteProtocolError(f"a control character in header {name[:40]!r}")
        raw.append((name.decode("ascii"), value.decode("latin-1")))
    reason = parts[2].decode("latin-1") if len(parts) == 3 else ""
    return ResponseHead(int(parts[1]), reason, Headers(raw), version[5:].decode("ascii"))
