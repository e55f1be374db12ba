"""The one HTTP call every provider makes: open, check, frame, decode, retry.

:func:`stream_chunks` sends a request with ``async with http.stream(...)`` (so cancelling the
task closes the upstream connection), turns an error status into a :mod:`bridge.errors` error
(:mod:`._errors`), frames the body by its content type (SSE, NDJSON, or a JSON value/array),
and feeds each parsed JSON event to the provider's :class:`ChunkDecoder`.

Retries happen only while nothing has reached the caller: a retryable error (connect failure,
reset, timeout, status 429/500/502/503/504/529) before the first chunk starts a new attempt after
``Retry-After`` or a capped exponential backoff with full jitter, within ``retry_deadline`` and
``max_retries``; once a chunk has been yielded an error ends the stream. Timeouts: ``connect``,
``first_byte`` (request sent until response headers and the first body bytes), ``gap`` (silence
between two reads of the body). All come from :class:`bridge.providers.base.Timeouts`, overridden
per provider by the config field ``timeouts: {connect: 5, first_byte: 30, gap: 20, ...}``;
``max_event_bytes`` bounds one line or event (16 MiB by default).
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import httpx2

from bridge import errors
from bridge.providers import _errors
from bridge.providers._jsonstream import JSONValuesDecoder, NDJSONDecoder, parse_json
from bridge.providers._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
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

    def feed(self, event: Any) -> list[StreamChunk]:
        return self._guarded(self._decoder.feed, event)

    def finish(self) -> list[StreamChunk]:
        return self._guarded(self._decoder.finish)

    def _guarded(self, call: Callable[..., list[StreamChunk]], *args: Any) -> list[StreamChunk]:
        try:
            return call(*args)
        except errors.BridgeError:
            raise
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            raise errors.ProtocolError(
                f"{self._provider}: a streamed event of an unexpected shape ({type(exc).__name__}: {exc})"[:300]
            ) from exc


class _Framer(Protocol):
    def feed(self, chunk: bytes) -> list[Any]: ...
    def flush(self) -> list[Any]: ...


class _SSEJSON:
    """SSE events whose data is JSON; OpenAI's ``[DONE]`` sentinel carries nothing more."""

    def __init__(self, max_event_bytes: int) -> None:
        self._sse = SSEDecoder(max_event_bytes)

    def feed(self, chunk: bytes) -> list[Any]:
        return [parse_json(e.data) for e in self._sse.feed(chunk) if e.data and e.data != "[DONE]"]

    def flush(self) -> list[Any]:
        return [parse_json(e.data) for e in self._sse.flush() if e.data and e.data != "[DONE]"]


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
        return _SSEJSON(max_event_bytes)
    if kind in ("application/x-ndjson", "application/jsonl", "application/ndjson"):
        return NDJSONDecoder(max_event_bytes)
    return JSONValuesDecoder(max_event_bytes)


async def stream_chunks(
    http: httpx2.AsyncClient,
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
    http: httpx2.AsyncClient,
    provider: str,
    request: HTTPRequest,
    limits: Timeouts,
    max_event: int,
    decoder: ChunkDecoder,
) -> AsyncGenerator[StreamChunk, None]:
    timeout = httpx2.Timeout(None, connect=limits.connect, pool=limits.connect)
    try:
        async with AsyncExitStack() as stack:
            first_byte_deadline = anyio.current_time() + limits.first_byte
            with anyio.move_on_after(limits.first_byte) as waiting:
                response = await stack.enter_async_context(
                    http.stream(
                        request.method, request.url, headers=request.headers, json=request.json, timeout=timeout
                    )
                )
            if waiting.cancelled_caught:
                raise errors.UpstreamTimeout(f"{provider}: no response within {limits.first_byte:g}s")
            if response.status_code >= 400:
                body = await _read_limited(provider, response, limits.gap)
                raise _errors.from_response(provider, response.status_code, response.headers, body)
            framer = _framer(response.headers.get("content-type", ""), max_event)
            parts = await stack.enter_async_context(aclosing(response.aiter_bytes()))
            first_read = max(first_byte_deadline - anyio.current_time(), 0.0)
            async for part in _TimedReads(provider, parts, first_read, limits.gap):
                for event in framer.feed(part):
                    for chunk in decoder.feed(event):
                        yield chunk
            for event in framer.flush():
                for chunk in decoder.feed(event):
                    yield chunk
            for chunk in decoder.finish():
                yield chunk
    except httpx2.HTTPError as exc:
        raise _errors.from_transport(provider, exc) from exc


class _TimedReads:
    """Body reads, each bounded: ``first`` seconds for the first, ``gap`` seconds for the rest."""

    def __init__(self, provider: str, parts: AsyncGenerator[bytes, None], first: float, gap: float) -> None:
        self._provider, self._parts, self._first, self._gap = provider, parts, first, gap
        self._started = False

    def __aiter__(self) -> _TimedReads:
        return self

    async def __anext__(self) -> bytes:
        with anyio.move_on_after(self._gap if self._started else self._first):
            part = await self._parts.__anext__()
            self._started = True
            return part
        if self._started:
            raise errors.UpstreamTimeout(f"{self._provider}: the stream stalled (no data for {self._gap:g}s)")
        raise errors.UpstreamTimeout(f"{self._provider}: no response body within the first-byte timeout")


async def _read_limited(provider: str, response: httpx2.Response, gap: float) -> bytes:
    """An error body, up to 64 KiB: enough for any message, bounded for a runaway one."""
    body = bytearray()
    async with aclosing(response.aiter_bytes()) as parts:
        async for part in _TimedReads(provider, parts, gap, gap):
            body += part
            if len(body) >= _MAX_ERROR_BODY:
                break
    return bytes(body)


async def get_json(http: httpx2.AsyncClient, provider: str, request: HTTPRequest, config: ModelConfig) -> Any:
    """A plain request for a JSON answer (model lists), with the same timeouts and error mapping."""
    limits = settings(config)
    timeout = httpx2.Timeout(limits.gap, connect=limits.connect, pool=limits.connect)
    try:
        with anyio.move_on_after(limits.first_byte + limits.gap) as waiting:
            response = await http.request(request.method, request.url, headers=request.headers, timeout=timeout)
    except httpx2.HTTPError as exc:
        raise _errors.from_transport(provider, exc) from exc
    if waiting.cancelled_caught:
        raise errors.UpstreamTimeout(f"{provider}: no answer within {limits.first_byte + limits.gap:g}s")
    if response.status_code >= 400:
        raise _errors.from_response(provider, response.status_code, response.headers, response.content)
    return parse_json(response.content, "response")
