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
and friends, legal raw inside JSON strings). A line or event longer than ``max_event_bytes``
raises :class:`bridge.errors.ProtocolError`, so a misbehaving server cannot grow our memory
without bound.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from bridge.errors import ProtocolError

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
_LINE_END = re.compile(r"\r\n|\r|\n")


class SSEEvent(NamedTuple):  # a tuple: made once per event of every stream, it must be cheap
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""  # the unfinished last line
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to that line end
        self._at_start = True  # a leading byte order mark is dropped once
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        text = self._utf8.decode(chunk)
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        buffer = self._partial + text if self._partial else text
        lines = _LINE_END.split(buffer)
        self._partial = lines.pop()
        if buffer.endswith("\r"):
            self._skip_lf = True
        if len(self._partial) > self._max:
            raise ProtocolError(f"an event-stream line exceeds {self._max} bytes")
        events: list[SSEEvent] = []
        for line in lines:
            if len(line) > self._max:  # however the reads were cut (a whole line can arrive in one read)
                raise ProtocolError(f"an event-stream line exceeds {self._max} bytes")
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[SSEEvent]:
        """The stream ended: an unfinished line still counts as a line, an unfinished event is dropped."""
        tail = self._partial + self._utf8.decode(b"", final=True)
        self._partial = ""
        events: list[SSEEvent] = []
        if tail:
            event = self._line(tail)
            if event is not None:
                events.append(event)
        self._data, self._data_size, self._event = [], 0, ""
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._data_size += len(value) + 1
            if self._data_size > self._max:
                raise ProtocolError(f"an event-stream event exceeds {self._max} bytes")
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent("\n".join(self._data), self._event or "message", self._last_id, self._retry)
        self._data, self._data_size, self._event = [], 0, ""
        return event
