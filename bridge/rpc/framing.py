"""Bytes ↔ JSON-RPC messages, without I/O.

Two framings share one connection format:

- ``content-length``: ``Content-Length: N\\r\\n\\r\\n`` then N bytes of UTF-8 JSON, the way
  vscode-jsonrpc writes it. Headers are parsed case-insensitively in any order, their lines
  ended by CRLF or, from a lax writer, LF alone; a ``Content-Type`` header is accepted (its
  charset must be UTF-8); N counts bytes, not characters.
- ``ndjson``: one JSON value per ``\\n``-terminated line (the MCP stdio style). Lines are split on
  ``\\n`` only; U+2028 and friends are legal inside JSON strings.

A server detects the framing from the first byte of a connection (``{`` or ``[`` means NDJSON,
anything else starts a header block; a UTF-8 byte order mark before it is skipped); a client
picks it. :class:`FrameDecoder` is fed whatever the socket gave (a header and its body may arrive
in separate reads, a read may hold several frames) and returns finished messages. A frame is
never buffered beyond ``max_frame``: a Content-Length above it, or an NDJSON line that grows past
it, is a fatal :class:`FramingError` raised before the body is read, so a 1 GiB announcement costs
nothing. A body that is not JSON is only a :class:`MalformedMessage` (the framing still holds; the
peer gets a parse error and goes on).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from protocol import JSONDecodeError, loads

Framing = Literal["content-length", "ndjson"]

DEFAULT_MAX_FRAME = 16 * 1024 * 1024
MAX_HEADER_BLOCK = 8 * 1024
_HEADER_END = b"\r\n\r\n"
_BOM = b"\xef\xbb\xbf"
_DIGITS = re.compile(rb"[0-9]{1,19}")


class FramingError(Exception):
    """The byte stream cannot be framed any more (bad headers, a frame over the limit): the
    connection must be dropped."""


class MalformedMessage:
    """A frame whose body is not JSON (or not UTF-8). The framing is intact; answer -32700."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"MalformedMessage({self.reason!r})"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(body: bytes) -> Any:
    """JSON from a frame body, or a :class:`MalformedMessage` saying why not."""
    try:
        return loads(body)
    except JSONDecodeError as exc:
        return _why_not_json(body, exc)


def _why_not_json(body: bytes, refused: JSONDecodeError) -> MalformedMessage:
    """Why the body was refused, in the standard library's words where it has any (they name the
    place); what only orjson refuses (a number beyond a double, a lone surrogate) in orjson's."""
    try:
        json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return MalformedMessage("the message is not valid UTF-8")
    except RecursionError:
        return MalformedMessage("the message is nested too deeply")
    except ValueError as exc:
        return MalformedMessage(f"the message is not valid JSON: {str(exc)[:120]}")
    return MalformedMessage(f"the message is not valid JSON: {str(refused)[:120]}")


def encode(message_json: str | bytes, framing: Framing) -> bytes:
    """One frame for an already serialized message (see :func:`protocol.dumpb`)."""
    body = message_json.encode("utf-8") if isinstance(message_json, str) else message_json
    if framing == "ndjson":
        return body + b"\n"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _header_end(buffer: bytearray) -> tuple[int, int]:
    """Where the header block ends and how long its blank line is: ``\r\n\r\n`` as the spec says,
    or ``\n\n`` from a writer that ends lines with LF alone (-1 while neither has come)."""
    crlf, lf = buffer.find(_HEADER_END), buffer.find(b"\n\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, 2
    return crlf, len(_HEADER_END)


def _content_length(block: bytes, max_frame: int) -> int:
    """The body length a header block announces; raises :class:`FramingError` on anything else."""
    length: int | None = None
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        name, colon, value = line.partition(b":")
        if not colon:
            raise FramingError(f"malformed header line {line[:60]!r}")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            if not _DIGITS.fullmatch(value) or (length is not None and int(value) != length):
                raise FramingError(f"bad Content-Length {value[:30]!r}")
            length = int(value)
        elif name == b"content-type":
            charset = re.search(rb"charset\s*=\s*\"?([A-Za-z0-9_-]+)", value)
            if charset and charset.group(1).lower() not in (b"utf-8", b"utf8"):
                raise FramingError(f"unsupported charset {charset.group(1)[:30]!r}; only UTF-8 is spoken")
    if length is None:
        raise FramingError("a header block without Content-Length")
    if length > max_frame:
        raise FramingError(f"a frame of {length} bytes is over the limit of {max_frame} bytes")
    return length


class FrameDecoder:
    """Incremental decoder: :meth:`feed` bytes, get back the messages they complete.

    ``framing=None`` detects it from the first non-whitespace byte. After a
    :class:`FramingError` the decoder is finished: the connection has to go.
    """

    def __init__(self, framing: Framing | None = None, *, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.framing: Framing | None = framing
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._body_length: int | None = None  # content-length: the body we are waiting for
        self._scanned = 0  # ndjson: bytes already searched for a newline
        self._broken: FramingError | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Any]:
        """Messages (parsed JSON) and :class:`MalformedMessage` items, in order; raises
        :class:`FramingError` when the stream can no longer be framed."""
        if self._broken is not None:
            raise self._broken
        self._buffer += data
        try:
            if self.framing is None and not self._detect():
                return []
            return self._ndjson() if self.framing == "ndjson" else self._content_length_frames()
        except FramingError as exc:
            self._broken = exc
            self._buffer.clear()
            raise

    def _detect(self) -> bool:
        if self._buffer.startswith(_BOM):  # a UTF-8 byte order mark some writers put first
            del self._buffer[: len(_BOM)]
        elif _BOM.startswith(self._buffer):  # the first bytes of one, perhaps: wait for the rest
            return False
        skipped = len(self._buffer) - len(self._buffer.lstrip(b" \t\r\n"))
        del self._buffer[:skipped]
        if not self._buffer:
            return False
        self.framing = "ndjson" if self._buffer[0] in b"{[" else "content-length"
        return True

    def _ndjson(self) -> list[Any]:
        out: list[Any] = []
        start = 0
        while True:
            end = self._buffer.find(b"\n", max(start, self._scanned))
            if end < 0:
                break
            if end - start > self.max_frame:  # the raw line, as an unfinished one is measured below
                raise FramingError(f"a line of {end - start} bytes is over the limit of {self.max_frame} bytes")
            line = bytes(self._buffer[start:end]).strip(b" \t\r")
            if line:
                out.append(parse_body(line))
            start = end + 1
        del self._buffer[:start]
        self._scanned = len(self._buffer)
        if self._scanned > self.max_frame:
            raise FramingError(f"a line longer than the limit of {self.max_frame} bytes")
        return out

    def _content_length_frames(self) -> list[Any]:
        out: list[Any] = []
        while True:
            if self._body_length is None:
                end, separator = _header_end(self._buffer)
                if end < 0:
                    if len(self._buffer) > MAX_HEADER_BLOCK:
                        raise FramingError(f"a header block longer than {MAX_HEADER_BLOCK} bytes")
                    return out
                if end > MAX_HEADER_BLOCK:
                    raise FramingError(f"a header block longer than {MAX_HEADER_BLOCK} bytes")
                self._body_length = _content_length(bytes(self._buffer[:end]), self.max_frame)
                del self._buffer[: end + separator]
            if len(self._buffer) < self._body_length:
                return out
            body = bytes(self._buffer[: self._body_length])
            del self._buffer[: self._body_length]
            self._body_length = None
            out.append(parse_body(body))
