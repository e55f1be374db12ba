"""A sans-I/O decoder for ``text/event-stream`` (the WHATWG HTML "event stream" rules).

Fed bytes as they arrive, it returns the events those bytes complete; how the bytes were split
never changes the result. The rules it follows, because providers and proxies exercise all of
them: lines end with CRLF, LF or a lone CR (a CR at the end of one chunk may be the first half of
a CRLF split across two reads); ``data:`` lines accumulate, joined with ``\\n``; ``event:``,
``id:`` and ``retry:`` set the event's fields; lines starting with ``:`` are comments
(OpenRouter's ``: OPENROUTER PROCESSING`` keep-alives); one space after the colon is dropped; a
blank line dispatches the event, and an event with no data is not dispatched. A stream that ends
in the middle of an event drops that event, as the spec says.

Lines are split only on CR and LF (never with ``str.splitlines``, which also splits on U+2028
and friends, legal raw inside JSON strings), and they are split as bytes: no byte of a UTF-8
multi-byte character is a CR or LF, so each finished line is decoded on its own (invalid UTF-8 as
U+FFFD) and a character cut between two reads waits in the unfinished line. Every event of every
stream passes here, so the common read (LF line ends only) takes one ``bytes.split``. A line or
event longer than ``max_event_bytes`` bytes raises :class:`bridge.errors.ProtocolError`, so a
misbehaving server cannot grow our memory without bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from bridge.errors import ProtocolError

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class SSEEvent(NamedTuple):  # a tuple: made once per event of every stream, it must be cheap
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._partial: bytes | bytearray = b""  # the unfinished last line (a bytearray while it grows)
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to that line end
        self._at_start = True  # a leading byte order mark is dropped once
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        return list(self.events(chunk))

    def events(self, chunk: bytes) -> Iterator[SSEEvent]:
        """:meth:`feed`, one event at a time: what comes before a line over the limit is taken
        before the error, however much of the stream one read holds."""
        if not self._partial:
            buffer = chunk
        elif b"\n" in chunk or b"\r" in chunk:
            buffer = bytes(self._partial) + chunk if isinstance(self._partial, bytearray) else self._partial + chunk
        else:
            self._extend_line(chunk)  # a long line goes on: keep the piece, scan nothing again
            return
        if self._at_start:
            if len(buffer) < len(_BOM) and _BOM.startswith(buffer):
                self._partial = buffer  # maybe the start of a byte order mark: wait for the rest
                return
            self._at_start = False
            if buffer.startswith(_BOM):
                buffer = buffer[len(_BOM) :]
        if self._skip_lf and buffer:
            self._skip_lf = False
            if buffer.startswith(b"\n"):
                buffer = buffer[1:]
        lines = _LINE_END.split(buffer) if b"\r" in buffer else buffer.split(b"\n")
        self._partial = lines.pop()
        if buffer.endswith(b"\r"):
            self._skip_lf = True
        for line in lines:
            if len(line) > self._max:  # however the reads were cut (a whole line can arrive in one read)
                raise ProtocolError(f"an event-stream line exceeds {self._max} bytes")
            event = self._line(line)
            if event is not None:
                yield event
        if len(self._partial) > self._max:
            raise ProtocolError(f"an event-stream line exceeds {self._max} bytes")

    def _extend_line(self, piece: bytes) -> None:
        if not isinstance(self._partial, bytearray):
            self._partial = bytearray(self._partial)
        self._partial += piece
        if len(self._partial) > self._max:
            raise ProtocolError(f"an event-stream line exceeds {self._max} bytes")

    def flush(self) -> list[SSEEvent]:
        """The stream ended: an unfinished line still counts as a line, an unfinished event is dropped."""
        tail, self._partial = bytes(self._partial), b""
        if self._at_start and _BOM.startswith(tail):
            tail = b""
        events: list[SSEEvent] = []
        if tail:
            event = self._line(tail)
            if event is not None:
                events.append(event)
        self._data, self._data_size, self._event = [], 0, ""
        return events

    def _line(self, line: bytes) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line[0] == 0x3A:  # ":" a comment
            return None
        field, colon, raw = line.partition(b":")
        if colon and raw[:1] == b" ":
            raw = raw[1:]
        if field == b"data":
            value = raw.decode("utf-8", "replace")
            self._data.append(value)
            self._data_size += len(raw) + 1
            if self._data_size > self._max:
                raise ProtocolError(f"an event-stream event exceeds {self._max} bytes")
        elif field == b"event":
            self._event = raw.decode("utf-8", "replace")
        elif field == b"id":
            if b"\0" not in raw:
                self._last_id = raw.decode("utf-8", "replace")
        elif field == b"retry" and raw.isdigit():
            self._retry = int(raw)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent("\n".join(self._data), self._event or "message", self._last_id, self._retry)
        self._data, self._data_size, self._event = [], 0, ""
        return event
