"""A byte stream (a Unix socket, a pipe) as a stream of JSON-RPC messages.

The adapter between anyio and :class:`FrameDecoder`: reads at most ``READ_SIZE`` bytes at a time
(so what is buffered stays within one frame plus one read), and answers in the framing the peer
chose. Frames are written whole, never interleaved.

Writing: while :meth:`MessageStream.run_writer` runs (the endpoint runs it beside its read loop),
``send()`` queues the frame and returns, and the writer sends everything queued in one write.
A streamed chat's chunks then leave in batches: one socket write and one wake-up for the frames
of a read from the provider, not one each (bench/relay.py measured the difference). A sender
waits only while more than ``HIGH_WATER`` bytes are queued, so a peer that reads slowly still
slows the handlers that write to it, and the memory held per connection stays bounded. Without
the writer (before it starts, or after it stopped), ``send()`` writes under a lock itself.

The writer and its senders wait on bare asyncio futures and an ``asyncio.Lock``, as
:mod:`bridge.channel` does: anyio's ``Event`` and ``Lock`` take a cancellation checkpoint and
look up the async backend on every wait, and a streamed chat pays a writer wait per network read
from the provider (the engine and this layer in-process, one chunk per read: 10.6 -> 7.2 us per
chunk). The bridge runs on asyncio (anyio's asyncio backend).

A peer that has stopped writing may still read (``nc -N`` shuts down its writing side after the
request), so the end of the input is not the end of the connection: :meth:`MessageStream.wait_gone`
tells when the peer is gone, from a failed write or, on a Linux socket, from its hang-up. A peer
that reads nothing for ``stall_timeout`` seconds while a write waits on it counts as gone too: its
connection is shut down, so that a hung client (or one that half-closed and never reads) does not
hold a request, and the provider stream behind it, until the bridge stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import socket
from collections import deque
from typing import Any

import anyio
from anyio.abc import ByteStream, SocketAttribute

from bridge.channel import wake
from bridge.rpc.framing import DEFAULT_MAX_FRAME, FrameDecoder, Framing, encode
from protocol import dumpb

log = logging.getLogger("openllm.rpc")
READ_SIZE = 64 * 1024
HIGH_WATER = 64 * 1024  # queued bytes above which senders wait for the writer
STALL_TIMEOUT = 120.0  # seconds a write may wait on a peer that reads nothing
WRITE_SLICE = 64 * 1024  # the most one write hands the transport (progress is counted per slice)


class MessageStream:
    """``receive()`` gives the next message (parsed JSON or a ``MalformedMessage``) and raises
    ``anyio.EndOfStream`` when the peer closes, :class:`FramingError` when framing is lost;
    ``send()`` writes one message. ``framing=None`` detects the peer's framing (servers)."""

    def __init__(
        self,
        stream: ByteStream,
        framing: Framing | None = None,
        *,
        max_frame: int = DEFAULT_MAX_FRAME,
        stall_timeout: float | None = STALL_TIMEOUT,
    ):
        self._stream = stream
        self._decoder = FrameDecoder(framing, max_frame=max_frame)
        self._ready: deque[Any] = deque()
        self._write_lock = asyncio.Lock()
        self._default_framing: Framing = framing or "content-length"
        self._queue: list[bytes] = []
        self._queued = 0
        self._writer_running = False
        self._writer_idle: asyncio.Future[None] | None = None  # the writer waiting for something to write
        self._senders: asyncio.Future[None] | None = None  # senders waiting for the writer to take the queue
        self._broken: BaseException | None = None
        self._gone = asyncio.Event()  # set once the peer is gone: a write failed, or it hung up
        self._stopping = False
        self._stall_timeout = stall_timeout
        self._sending = False  # the writer waits on a write
        self._sends = 0  # writes finished (the stall watch sees whether one is the same write)

    @property
    def framing(self) -> Framing:
        """The framing in use: detected from the peer, or the one given (or Content-Length before
        the peer has said anything)."""
        return self._decoder.framing or self._default_framing

    @property
    def buffered(self) -> int:
        return self._decoder.buffered

    @property
    def stall_timeout(self) -> float | None:
        return self._stall_timeout

    @property
    def queued(self) -> int:
        """Bytes waiting for the writer."""
        return self._queued

    async def receive(self) -> Any:
        while not self._ready:
            data = await self._stream.receive(READ_SIZE)
            self._ready.extend(self._decoder.feed(data))
        return self._ready.popleft()

    async def send(self, message: Any) -> None:
        """Write one message (queue it, when the writer runs); raises ``anyio.BrokenResourceError``
        once a write has failed."""
        frame = encode(dumpb(message), self.framing)
        if self._broken is not None:
            raise anyio.BrokenResourceError from self._broken
        if not self._writer_running:
            async with self._write_lock:
                await self._stream.send(frame)
            return
        self._queue.append(frame)
        self._queued += len(frame)
        wake(self._writer_idle)
        while self._queued > HIGH_WATER and self._broken is None and self._writer_running:
            if self._senders is None or self._senders.done():
                self._senders = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._senders)  # shared by every waiting sender: one cancelled leaves it
        if self._broken is not None:
            raise anyio.BrokenResourceError from self._broken

    async def run_writer(self) -> None:
        """Write what :meth:`send` queued, all of it in one write each time, until
        :meth:`stop_writer` is called and the queue is empty (or the task is cancelled, or the peer
        stalled: see :meth:`_watch_stalls`)."""
        async with anyio.create_task_group() as tg:
            if self._stall_timeout is not None:
                tg.start_soon(self._watch_stalls, self._stall_timeout, tg.cancel_scope)
            try:
                await self._write_queued()
            finally:
                tg.cancel_scope.cancel()

    async def _write_queued(self) -> None:
        self._writer_running = True
        self._stopping = False
        try:
            while True:
                if not self._queue:
                    if self._stopping:
                        return
                    self._writer_idle = asyncio.get_running_loop().create_future()
                    try:
                        await self._writer_idle
                    finally:
                        self._writer_idle = None
                    continue
                data = b"".join(self._queue)
                self._queue.clear()
                self._queued = 0
                wake(self._senders)
                async with self._write_lock:
                    self._sending = True
                    try:
                        if len(data) <= WRITE_SLICE:
                            await self._stream.send(data)
                        else:  # in slices, so that a slow reader of a large answer shows progress
                            for start in range(0, len(data), WRITE_SLICE):
                                await self._stream.send(data[start : start + WRITE_SLICE])
                                self._sends += 1
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                        self._broken = exc
                        self._gone.set()
                        return
                    finally:
                        self._sending = False
                        self._sends += 1
        finally:
            self._writer_running = False
            wake(self._senders)

    async def _watch_stalls(self, stall: float, writer: anyio.CancelScope) -> None:
        """Every ``stall / 2`` seconds, look whether the writer still waits on the same write (slice);
        seen so at three looks in a row (two intervals: so for ``stall`` seconds at least, 1.5 times
        that at most), the peer is taken for gone: the write is given up, senders fail, and the socket is shut down,
        which ends the input too. A flag and a counter cost the writer nothing a timer would."""
        seen, sightings = -1, 0
        while True:
            await anyio.sleep(stall / 2)
            sightings = sightings + 1 if self._sending and self._sends == seen else 0
            seen = self._sends
            if sightings >= 2:
                break
        log.warning("the peer read nothing for %gs while a write waited on it: dropping the connection", stall)
        self._broken = TimeoutError(f"the peer read nothing for {stall:g}s")
        self._gone.set()
        sock = self._stream.extra(SocketAttribute.raw_socket, None)
        if sock is not None:  # through a duplicate: uvloop's transport socket has no shutdown()
            with contextlib.suppress(OSError), socket.socket(fileno=os.dup(sock.fileno())) as duplicate:
                duplicate.shutdown(socket.SHUT_RDWR)
        writer.cancel()

    def stop_writer(self) -> None:
        """Let the writer finish what is queued, then end."""
        self._stopping = True
        wake(self._writer_idle)

    async def wait_gone(self) -> None:
        """Return once the peer is gone: a write failed or, on a Linux socket, the peer closed its
        end entirely (one that only shut down its writing side still reads, and is not gone).
        A socket that cannot be watched so (no epoll: macOS) counts as gone at the end of its
        input, as before: a client that left must not leave a silent stream running upstream."""
        sock = self._stream.extra(SocketAttribute.raw_socket, None)
        if sock is not None and not hasattr(select, "epoll"):
            return
        async with anyio.create_task_group() as tg:
            if sock is not None and hasattr(select, "epoll"):
                tg.start_soon(self._watch_hang_up, sock)
            await self._gone.wait()
            tg.cancel_scope.cancel()

    async def _watch_hang_up(self, sock: socket.socket) -> None:
        await _hung_up(sock)
        self._gone.set()

    async def aclose(self) -> None:
        await self._stream.aclose()


async def _hung_up(sock: socket.socket) -> None:
    """Return once the peer of ``sock`` has closed its end entirely: Linux reports a hang-up
    (EPOLLHUP, whatever events were asked for) only then, not when the peer shut down just its
    writing side, which makes the socket readable for good. The socket is watched through a
    duplicate of its descriptor, so the watch outlives the transport closing it on an error."""
    try:
        fd = os.dup(sock.fileno())
    except OSError:  # closed already (its descriptor is -1): the transport lost the connection
        return
    loop = asyncio.get_running_loop()
    hung_up: asyncio.Future[None] = loop.create_future()
    try:
        with select.epoll() as poll:
            poll.register(fd, 0)  # a hang-up and an error are sticky: the poll stays readable
            loop.add_reader(poll.fileno(), wake, hung_up)
            try:
                await hung_up
            finally:
                loop.remove_reader(poll.fileno())
    finally:
        os.close(fd)
