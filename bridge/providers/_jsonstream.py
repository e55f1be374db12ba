"""Sans-I/O framers for the two JSON framings providers stream besides SSE, and the parser of
what every framing delivers.

- :class:`NDJSONFramer`: one JSON value per ``\\n``-terminated line (Ollama). Split on LF only
  (a CR before it is whitespace to JSON); blank lines are skipped.
- :class:`JSONValuesFramer`: a body that is one JSON value, or a JSON array delivered bit by
  bit (Gemini's ``streamGenerateContent`` without ``alt=sse`` sends ``[{…}\\n,\\r\\n{…}]``).
  It returns each top-level array element as soon as its closing bracket arrives, or the whole
  value when the body is not an array. The scanner only tracks strings and nesting.

Both return the JSON text of each complete value from ``feed(bytes)``, finish with ``flush()``,
and raise :class:`bridge.errors.ProtocolError` on a value larger than ``max_event_bytes``.
:func:`parse_json` parses each text, one at a time as the reader takes them from ``texts`` (and
from the SSE decoder's ``events``): the values before an invalid or oversized one in the same
network read still reach the caller, before its error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from bridge.errors import ProtocolError
from bridge.providers._sse import DEFAULT_MAX_EVENT_BYTES


def parse_json(text: str | bytes, what: str = "event") -> Any:
    """One value a provider sent: strict JSON (no NaN or Infinity), parsed by orjson as is.

    Unlike :func:`protocol.loads` (the bridge's own wire), it does not look for integers beyond
    64 bits to parse them exactly: orjson makes them floats, and no provider sends one that was
    not a float already (counts are small; tool arguments are a JSON string to OpenAI, Anthropic
    and Mistral, and the float64 numbers of a protobuf Struct or a Go map to Gemini and Ollama).
    That look cost 0.7 us of every streamed event's 2 (bench/relay.py)."""
    try:
        return orjson.loads(text)
    except ValueError as exc:
        preview = text[:80].decode("utf-8", "replace") if isinstance(text, bytes) else text[:80]
        raise ProtocolError(f"invalid JSON in a streamed {what}: {exc.args[0]} (starts {preview!r})") from exc


class NDJSONFramer:
    what = "line"  # for the message of invalid JSON

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._partial = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        return list(self.texts(chunk))

    def texts(self, chunk: bytes) -> Iterator[bytes]:
        """:meth:`feed`, one line at a time: the lines before one over the limit are taken before
        the error, however much of the stream one read holds."""
        self._partial += chunk
        if b"\n" in chunk:
            *lines, rest = bytes(self._partial).split(b"\n")
            self._partial = bytearray(rest)
            yield from self._lines(lines)
        self._check_size()

    def flush(self) -> list[bytes]:
        rest, self._partial = bytes(self._partial), bytearray()
        return list(self._lines([rest]))

    def _lines(self, lines: list[bytes]) -> Iterator[bytes]:
        for line in lines:
            if len(line) > self._max:  # however the reads were cut (a whole line can arrive in one read)
                raise ProtocolError(f"a JSON line exceeds {self._max} bytes")
            if line.strip():
                yield line

    def _check_size(self) -> None:
        if len(self._partial) > self._max:
            raise ProtocolError(f"a JSON line exceeds {self._max} bytes")


_STRUCTURE = re.compile(rb'["\[\]{}]')
_STRING_END = re.compile(rb'["\\]')


class JSONValuesFramer:
    what = "JSON value"

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._buffer = bytearray()
        self._pos = 0  # how far the buffer has been scanned
        self._start = -1  # where the value being collected starts, -1 when between values
        self._depth = 0  # nesting depth, the top-level array itself counting as 1
        self._in_string = False
        self._array: bool | None = None  # None until the first non-blank byte says what the body is
        self._values: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        self._values = []
        buffer, pos = self._buffer, self._pos
        if self._array is None:
            stripped = buffer.lstrip()
            if not stripped:
                return []
            self._array = stripped[:1] == b"["
            if not self._array:
                self._start = len(buffer) - len(stripped)
        while pos < len(buffer):
            if self._in_string:
                match = _STRING_END.search(buffer, pos)
                if match is None:
                    pos = len(buffer)
                    break
                if match.group() == b"\\":
                    if match.end() >= len(buffer):  # the escaped byte has not arrived yet
                        pos = match.start()
                        break
                    pos = match.end() + 1
                    continue
                self._in_string, pos = False, match.end()
                self._value_end(pos)
                continue
            match = _STRUCTURE.search(buffer, pos)
            if match is None:
                pos = len(buffer)
                break
            byte, pos = match.group(), match.end()
            if byte == b'"':
                self._in_string = True
                self._begin(match.start())
            elif byte in b"[{":
                self._depth += 1
                if self._depth > 1 or not self._array:
                    self._begin(match.start())
            else:
                self._depth -= 1
                self._value_end(pos)
        self._pos = pos
        self._compact()
        return self._values

    def texts(self, chunk: bytes) -> Iterator[bytes]:
        """:meth:`feed` as the reader takes it: the values completed before one over the limit
        in the same read are handed over first, then the error."""
        try:
            values = self.feed(chunk)
        except ProtocolError:
            yield from self._values  # what this read completed before the scan failed
            raise
        yield from values

    def flush(self) -> list[bytes]:
        rest = bytes(self._buffer).strip()
        self._buffer, self._pos, self._start = bytearray(), 0, -1
        if self._array is False and rest:  # a scalar body, or an object cut short: let json say which
            self._check_value(len(rest))
            return [rest]
        if self._depth or self._in_string or rest not in (b"", b"]"):
            raise ProtocolError("the JSON response body ended in the middle of a value")
        return []

    def _value_end(self, end: int) -> None:
        if self._depth == (1 if self._array else 0) and self._start >= 0:
            self._check_value(end - self._start)
            self._values.append(bytes(self._buffer[self._start : end]))
            self._start = -1

    def _check_value(self, size: int) -> None:
        if size > self._max:  # however the reads were cut (a whole value can arrive in one read)
            raise ProtocolError(f"a JSON value exceeds {self._max} bytes")

    def _begin(self, offset: int) -> None:
        if self._start < 0:
            self._start = offset

    def _compact(self) -> None:
        """Drop what has been consumed, so a long stream does not keep every element in memory."""
        keep_from = self._start if self._start >= 0 else self._pos
        if keep_from > 0:
            del self._buffer[:keep_from]
            self._pos -= keep_from
            if self._start >= 0:
                self._start = 0
        if self._start >= 0 and len(self._buffer) > self._max:
            raise ProtocolError(f"a JSON value exceeds {self._max} bytes")
