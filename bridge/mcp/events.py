"""Resumable HTTP streams: the recent SSE events of every stream, kept in memory and bounded.

With an event store the SDK numbers each event it sends on a streamable-HTTP response; a client
whose connection dropped mid-call (a laptop sleeping through a long answer) reconnects with
``Last-Event-ID`` and is sent what it missed, then the rest (SEP-1699). Only the newest
``limit`` events are kept, so memory stays bounded; ids are random, so one session cannot guess
its way into another's stream.
"""

from __future__ import annotations

import secrets
from collections import deque

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage

DEFAULT_LIMIT = 4096


class RecentEvents(EventStore):
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._events: deque[tuple[EventId, StreamId, JSONRPCMessage | None]] = deque(maxlen=limit)

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        event_id = secrets.token_urlsafe(12)
        self._events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        stream: StreamId | None = None
        for event_id, stream_id, message in list(self._events):  # a copy: sending yields, others may append
            if stream is None:
                stream = stream_id if event_id == last_event_id else None
            elif stream_id == stream and message is not None:  # None: a priming event, nothing to resend
                await send_callback(EventMessage(message, event_id))
        return stream
