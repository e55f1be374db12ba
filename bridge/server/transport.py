"""A client connection of the bridge API as an anyio byte stream, straight over an asyncio transport.

anyio's own socket streams cost the bridge on every chunk it relays: each ``send`` first takes a
checkpoint (a whole extra turn of the event loop for the connection's writer) and each
``receive`` pauses and resumes reading on the socket (two ``epoll_ctl`` calls). Here a send is a
``transport.write`` that waits only while the transport has asked us to pause (its buffer is
over the high-water mark: a client that reads slowly), and received data is buffered by the
protocol until the reader takes it, reading paused only while more than ``HIGH_WATER`` bytes wait
(so a client that writes faster than we parse is slowed, not buffered without bound).

It implements :class:`anyio.abc.ByteStream`, so :class:`bridge.rpc.MessageStream` and the
endpoint above it neither know nor care; ``extra(SocketAttribute.raw_socket)`` gives the socket
(the server reads the peer's credentials from it). It needs the asyncio event loop, which is what
the bridge runs on (anyio's asyncio backend, on uvloop under ``serve``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, cast

import anyio
import anyio.lowlevel
from anyio.abc import ByteStream, SocketAttribute

from bridge.channel import wake

HIGH_WATER = 256 * 1024  # received bytes waiting for the reader above which the socket is not read


class TransportStream(ByteStream):
    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._received: deque[bytes] = deque()
        self._received_bytes = 0
        self._reading_paused = False
        self._eof = False
        self._lost: BaseException | None = None  # why the connection went, once it has
        self._closed = False
        self._reader: asyncio.Future[None] | None = None  # receive() waiting for data
        self._writable = True  # False while the transport asks us to pause writing
        self._drain: asyncio.Future[None] | None = None  # send() waiting for the transport

    @property
    def extra_attributes(self) -> Mapping[Any, Callable[[], Any]]:
        return {SocketAttribute.raw_socket: lambda: self._transport.get_extra_info("socket")}

    async def receive(self, max_bytes: int = 65536) -> bytes:
        while not self._received:
            if self._closed:
                raise anyio.ClosedResourceError
            if self._eof or self._lost is not None:
                raise anyio.EndOfStream
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        data = self._received.popleft()
        if len(data) > max_bytes:
            data, rest = data[:max_bytes], data[max_bytes:]
            self._received.appendleft(rest)
        self._received_bytes -= len(data)
        if self._reading_paused and self._received_bytes <= HIGH_WATER // 2:
            self._reading_paused = False
            self._transport.resume_reading()
        return data

    async def send(self, item: bytes) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        if self._lost is not None or self._transport.is_closing():
            raise anyio.BrokenResourceError from self._lost
        self._transport.write(item)
        while not self._writable and self._lost is None:
            self._drain = asyncio.get_running_loop().create_future()
            try:
                await self._drain
            finally:
                self._drain = None
        if self._lost is not None:
            raise anyio.BrokenResourceError from self._lost

    async def send_eof(self) -> None:
        if self._transport.can_write_eof():
            self._transport.write_eof()

    async def aclose(self) -> None:
        self._closed = True
        self._transport.close()
        wake(self._reader)
        wake(self._drain)
        await anyio.lowlevel.checkpoint()

    # -- called by the protocol --------------------------------------------------------------

    def _data(self, data: bytes) -> None:
        self._received.append(data)
        self._received_bytes += len(data)
        if not self._reading_paused and self._received_bytes > HIGH_WATER:
            self._reading_paused = True
            self._transport.pause_reading()
        wake(self._reader)

    def _eof_received(self) -> None:
        self._eof = True
        wake(self._reader)

    def _set_writable(self, writable: bool) -> None:
        self._writable = writable
        if writable:
            wake(self._drain)

    def _connection_lost(self, exc: BaseException | None) -> None:
        self._lost = exc or ConnectionResetError("the connection closed")
        self._writable = True
        wake(self._reader)
        wake(self._drain)


class StreamProtocol(asyncio.Protocol):
    """Feeds one :class:`TransportStream`; ``accepted`` gets the stream once the connection is made."""

    def __init__(self, accepted: Callable[[TransportStream], None]) -> None:
        self._accepted = accepted
        self._stream: TransportStream | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._stream = TransportStream(cast(asyncio.Transport, transport))  # uvloop's is not a subclass
        self._accepted(self._stream)

    def data_received(self, data: bytes) -> None:
        assert self._stream is not None
        self._stream._data(data)

    def eof_received(self) -> bool:
        assert self._stream is not None
        self._stream._eof_received()
        return True  # keep the transport open for writing: a last answer may still go out

    def pause_writing(self) -> None:
        assert self._stream is not None
        self._stream._set_writable(False)

    def resume_writing(self) -> None:
        assert self._stream is not None
        self._stream._set_writable(True)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stream is not None:
            self._stream._connection_lost(exc)
