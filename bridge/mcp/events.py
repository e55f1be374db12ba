"""Resumable HTTP streams: the recent SSE events of every stream, kept in memory and bounded.

With an event store the SDK numbers each event it sends on a streamable-HTTP response; a client
whose connection dropped mid-call (a laptop sleeping through a long answer) reconnects with
``Last-Event-ID`` and is sent what it missed, then the rest (SEP-1699). Only the newest
``limit`` events, weighing at most ``max_bytes`` as JSON, are kept, so memory stays bounded
however large the tool results (a proxied tool may answer megabytes); ids are random, so one
session cannot guess its way into another's stream.
"""

from __future__ import annotations

import secrets
from collections import deque

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage

DEFAULT_LIMIT = 4096
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class RecentEvents(EventStore):
    def __init__(self, limit: int = DEFAULT_LIMIT, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._events: deque[tuple[EventId, StreamId, JSONRPCMessage | None, int]] = deque()
        self._limit = limit
        self._max_bytes = max_bytes
        self._bytes = 0

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        event_id = secrets.token_urlsafe(12)
        size = 0 if message is None else len(message.model_dump_json(by_alias=True, exclude_none=True))
        self._events.append((event_id, stream_id, message, size))
        self._bytes += size
        while len(self._events) > self._limit or (self._bytes > self._max_bytes and len(self._events) > 1):
            self._bytes -= self._events.popleft()[3]
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        stream: StreamId | None = None
        for event_id, stream_id, message, _ in list(self._events):  # a copy: sending yields, others may append
            if stream is None:
                stream = stream_id if event_id == last_event_id else None
            elif stream_id == stream and message is not None:  # None: a priming event, nothing to resend
                await send_callback(EventMessage(message, event_id))
        return stream
