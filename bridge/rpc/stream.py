"""A byte stream (a Unix socket, a pipe) as a stream of JSON-RPC messages.

The adapter between anyio and :class:`FrameDecoder`: reads at most ``READ_SIZE`` bytes at a time
(so what is buffered stays within one frame plus one read), writes each frame whole under a
lock (so concurrent handlers never interleave bytes), and answers in the framing the peer chose.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import anyio
from anyio.abc import ByteStream

from bridge.rpc.framing import DEFAULT_MAX_FRAME, FrameDecoder, Framing, encode
from protocol import dumps

READ_SIZE = 64 * 1024


class MessageStream:
    """``receive()`` gives the next message (parsed JSON or a ``MalformedMessage``) and raises
    ``anyio.EndOfStream`` when the peer closes, :class:`FramingError` when framing is lost;
    ``send()`` writes one message. ``framing=None`` detects the peer's framing (servers)."""

    def __init__(self, stream: ByteStream, framing: Framing | None = None, *, max_frame: int = DEFAULT_MAX_FRAME):
        self._stream = stream
        self._decoder = FrameDecoder(framing, max_frame=max_frame)
        self._ready: deque[Any] = deque()
        self._write_lock = anyio.Lock()
        self._default_framing: Framing = framing or "content-length"

    @property
    def framing(self) -> Framing:
        """The framing in use: detected from the peer, or the one given (or Content-Length before
        the peer has said anything)."""
        return self._decoder.framing or self._default_framing

    @property
    def buffered(self) -> int:
        return self._decoder.buffered

    async def receive(self) -> Any:
        while not self._ready:
            data = await self._stream.receive(READ_SIZE)
            self._ready.extend(self._decoder.feed(data))
        return self._ready.popleft()

    async def send(self, message: Any) -> None:
        frame = encode(dumps(message), self.framing)
        async with self._write_lock:
            await self._stream.send(frame)

    async def aclose(self) -> None:
        await self._stream.aclose()
