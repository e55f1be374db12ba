"""The one HTTP call every provider makes: open, check, frame, decode, retry.

:func:`stream_chunks` sends a request with ``async with http.stream(...)`` (:mod:`bridge.http`;
cancelling the task aborts the upstream connection as it leaves the block), turns an error status
into a :mod:`bridge.errors` error (:mod:`._errors`), frames the body by its content type (SSE,
NDJSON, or a JSON value/array), and feeds each parsed JSON event to the provider's
:class:`ChunkDecoder`.

Retries happen only while nothing has reached the caller: a retryable error (connect failure,
reset, timeout, status 429/500/502/503/504/529) before the first chunk starts a new attempt after
``Retry-After`` or a capped exponential backoff with full jitter, within ``retry_deadline`` and
``max_retries``; once a chunk has been yielded an error ends the stream. Timeouts: ``connect``,
``first_byte`` (request sent until response headers and the first body bytes), ``gap`` (silence
between two reads of the body). All come from :class:`bridge.providers.base.Timeouts`, overridden
per provider by the config field ``timeouts: {connect: 5, first_byte: 30, gap: 20, ...}``;
``max_event_bytes`` bounds one line or event (16 MiB by default); error bodies are read up to
64 KiB. The timeouts are the HTTP client's own (one timer per response, not one per read).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from bridge import errors
from bridge.http import HTTPClient, HTTPError, ReadTimeout, Response
from bridge.providers import _errors
from bridge.providers._jsonstream import JSONValuesFramer, NDJSONFramer, parse_json
from bridge.providers._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder, SSEEvent
from bridge.providers.base import ModelConfig, Timeouts
from protocol import StreamChunk

log = logging.getLogger("openllm.providers")

_MAX_ERROR_BODY = 64 * 1024


@dataclass(frozen=True)
class HTTPRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None


class ChunkDecoder(Protocol):
    """A provider's pure stream decoder: parsed JSON events in, StreamChunks out."""

    def feed(self, event: Any) -> list[StreamChunk]: ...

    def finish(self) -> list[StreamChunk]:
        """The body ended: the closing chunks (tool calls, usage, done), or ProtocolError if the
        provider never said it had finished."""
        ...


_SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)


class ShapeGuard:
    """A decoder whose every call maps the exceptions of an unexpected event shape (a string
    where an object was documented, a list for a number, ...) to :class:`ProtocolError`.

    The decoders read documented shapes and check the fields they branch on, but a server can
    send anything; this is the one boundary where a ``TypeError`` or ``AttributeError`` from
    reading such an event becomes the provider's fault with a short message, rather than an
    ``internal`` error in the bridge (the fuzz harness, tests/fuzz_targets.py, feeds them random
    events)."""

    def __init__(self, provider: str, decoder: ChunkDecoder) -> None:
        self._provider, self._decoder = provider, decoder

    # Each call is written out rather than passed to a helper: feed runs for every event.
    def feed(self, event: Any) -> list[StreamChunk]:
        try:
            return self._decoder.feed(event)
        except errors.BridgeError:
            raise
        except _SHAPE_ERRORS as exc:
            raise self._unexpected(exc) from exc

    def finish(self) -> list[StreamChunk]:
        try:
            return self._decoder.finish()
        except errors.BridgeError:
            raise
        except _SHAPE_ERRORS as exc:
            raise self._unexpected(exc) from exc

    def _unexpected(self, exc: Exception) -> errors.ProtocolError:
        return errors.ProtocolError(
            f"{self._provider}: a streamed event of an unexpected shape ({type(exc).__name__}: {exc})"[:300]
        )


class _Framer(Protocol):
    """Body bytes in, the JSON text of each complete event out (:mod:`._jsonstream`), one at a
    time: the reader takes each before a later one in the same read can fail the stream."""

    what: str  # what an event is called in the message of invalid JSON

    def texts(self, chunk: bytes) -> Iterable[str] | Iterable[bytes]: ...
    def flush(self) -> Iterable[str] | Iterable[bytes]: ...


class _SSEData:
    """The data of SSE events, each a JSON text; OpenAI's ``[DONE]`` sentinel carries nothing more."""

    what = "event"

    def __init__(self, max_event_bytes: int) -> None:
        self._sse = SSEDecoder(max_event_bytes)

    def texts(self, chunk: bytes) -> Iterator[str]:
        return _json_data(self._sse.events(chunk))

    def flush(self) -> Iterator[str]:
        return _json_data(self._sse.flush())


def _json_data(events: Iterable[SSEEvent]) -> Iterator[str]:
    return (e.data for e in events if e.data and e.data != "[DONE]")


def settings(config: ModelConfig) -> Timeouts:
    """The provider's timeouts: the defaults, overridden by the config's ``timeouts`` mapping."""
    overrides = config.extra.get("timeouts")
    if not isinstance(overrides, Mapping):
        return config.timeouts
    known = {f.name for f in dataclasses.fields(Timeouts)}
    unknown = set(overrides) - known
    if unknown:
        raise errors.InvalidConfigError(f"unknown timeouts {sorted(unknown)}; known: {sorted(known)}")
    try:
        return dataclasses.replace(
            config.timeouts, **{k: type(getattr(config.timeouts, k))(v) for k, v in overrides.items()}
        )
    except (TypeError, ValueError) as exc:
        raise errors.InvalidConfigError(f"invalid timeouts {dict(overrides)!r}: {exc}") from exc


def _framer(content_type: str, max_event_bytes: int) -> _Framer:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/event-stream":
        return _SSEData(max_event_bytes)
    if kind in ("application/x-ndjson", "application/jsonl", "application/ndjson"):
        return NDJSONFramer(max_event_bytes)
    return JSONValuesFramer(max_event_bytes)


async def stream_chunks(
    http: HTTPClient,
    provider: str,
    request: HTTPRequest,
    config: ModelConfig,
    new_decoder: Callable[[], ChunkDecoder],
) -> AsyncGenerator[StreamChunk, None]:
    limits = settings(config)
    max_event = int(config.extra.get("max_event_bytes", DEFAULT_MAX_EVENT_BYTES))
    deadline = anyio.current_time() + limits.retry_deadline
    attempt = 0
    while True:
        started = False
        try:
            decoder = ShapeGuard(provider, new_decoder())
            async with aclosing(_attempt(http, provider, request, limits, max_event, decoder)) as chunks:
                async for chunk in chunks:
                    started = True
                    yield chunk
            return
        except errors.BridgeError as exc:
            if started or not exc.retryable or attempt >= limits.max_retries:
                raise
            delay = getattr(exc, "retry_after", None)
            if delay is None:
                delay = random.uniform(0, min(limits.backoff_cap, limits.backoff_base * 2**attempt))
            if anyio.current_time() + delay > deadline:
                raise
            attempt += 1
            config.stats.retries += 1
            log.info("%s: retry %d in %.2fs after %s", provider, attempt, delay, exc.code)
            await anyio.sleep(delay)


async def _attempt(
    http: HTTPClient,
    provider: str,
    request: HTTPRequest,
    limits: Timeouts,
    max_event: int,
    decoder: ChunkDecoder,
) -> AsyncGenerator[StreamChunk, None]:
    async with _exchange(http, provider, request, limits) as exchange:
        response = exchange.response
        if response.status >= 300:
            error_body = await response.read(_MAX_ERROR_BODY)
            raise _errors.from_response(provider, response.status, response.headers, error_body, request.url)
        framer = _framer(response.headers.get("content-type", ""), max_event)
        part = await response.read_some()
        exchange.phase = _Phase.BODY
        what = framer.what
        while part:
            for text in framer.texts(part):  # one by one: the events before a bad one go first
                for chunk in decoder.feed(parse_json(text, what)):
                    yield chunk
            part = await response.read_some()
        for text in framer.flush():
            for chunk in decoder.feed(parse_json(text, what)):
                yield chunk
        for chunk in decoder.finish():
            yield chunk


class _Exchange:
    """One request's response, and how far reading it got (for the message of a read timeout)."""

    __slots__ = ("phase", "response")

    def __init__(self, response: Response) -> None:
        self.response = response
        self.phase = _Phase.FIRST_BYTES


@asynccontextmanager
async def _exchange(
    http: HTTPClient, provider: str, request: HTTPRequest, limits: Timeouts
) -> AsyncIterator[_Exchange]:
    """``http.stream`` with the provider's timeouts; the client's errors, raised while the head is
    awaited or in the caller's block, come out as bridge errors."""
    headers, body = _encoded(request)
    exchange: _Exchange | None = None
    try:
        async with http.stream(
            request.method, request.url, headers=headers, body=body, connect_timeout=limits.connect,
            first_byte_timeout=limits.first_byte, read_timeout=limits.gap,
        ) as response:  # fmt: skip
            exchange = _Exchange(response)
            yield exchange
    except ReadTimeout as exc:
        raise _timed_out(provider, exchange.phase if exchange else _Phase.HEAD, limits) from exc
    except HTTPError as exc:
        raise _errors.from_transport(provider, exc) from exc


class _Phase(enum.Enum):
    """How far an exchange got, for the message of a read timeout."""

    HEAD = "no response within {first_byte:g}s"
    FIRST_BYTES = "no response body within the first-byte timeout ({first_byte:g}s)"
    BODY = "the stream stalled (no data for {gap:g}s)"


def _timed_out(provider: str, phase: _Phase, limits: Timeouts) -> errors.UpstreamTimeout:
    return errors.UpstreamTimeout(f"{provider}: {phase.value.format(first_byte=limits.first_byte, gap=limits.gap)}")


def _encoded(request: HTTPRequest) -> tuple[Mapping[str, str], bytes | None]:
    """The headers and body to send: ``json`` serialized compactly, as httpx does, with its
    ``Content-Type`` unless the provider gave one."""
    if request.json is None:
        return request.headers, None
    body = json.dumps(request.json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    if any(name.lower() == "content-type" for name in request.headers):
        return request.headers, body
    return {**request.headers, "Content-Type": "application/json"}, body


async def get_json(http: HTTPClient, provider: str, request: HTTPRequest, config: ModelConfig) -> Any:
    """A plain request for a JSON answer (model lists), with the same timeouts and error mapping."""
    async with _exchange(http, provider, request, settings(config)) as exchange:
        response = exchange.response
        content = await response.read(_MAX_ERROR_BODY if response.status >= 300 else None)
    if response.status >= 300:
        raise _errors.from_response(provider, response.status, response.headers, content, request.url)
    return parse_json(content, "response")
