"""The hand-off between a chat's provider task and its reader: a bounded queue on asyncio futures.

Every chunk of every chat passes here, so it is built for that one use instead of taken from
anyio's memory object streams, which on each wait of the reader pay a checkpoint (a whole extra
turn of the event loop), an ``Event`` and a ``WouldBlock`` exception: with chunks arriving one
network read at a time, that was most of the engine's cost per chunk (bench/concurrency.py). Here
a put or get that need not wait touches a deque; one that must wait awaits one future, which the
other side resolves.

- :meth:`put` (producer) queues a chunk; while ``size`` chunks are queued it waits for the reader
  (backpressure). It returns False once the reader has left, so the producer stops.
- :meth:`get` (reader) takes the next chunk, waiting while none is queued; ``None`` once the
  producer has closed the channel and everything queued has been taken.
- :meth:`close` (producer: no more chunks) and :meth:`abandon` (reader: not reading any more)
  wake whoever waits on the other side.

Cancellation is the task's: a cancelled ``put`` or ``get`` raises where it waits and leaves the
channel consistent. It runs on the asyncio event loop the bridge runs on (anyio's asyncio backend).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Channel(Generic[T]):
    __slots__ = ("_closed", "_getter", "_items", "_loop", "_putter", "_reader_gone", "_size")

    def __init__(self, size: int) -> None:
        """Made in the event loop it serves: each wait asks it for a future, and asking
        ``asyncio.get_running_loop()`` instead costs a ``getpid`` system call on Python 3.11."""
        self._loop = asyncio.get_running_loop()
        self._items: deque[T] = deque()
        self._size = size
        self._getter: asyncio.Future[None] | None = None  # the reader waiting for a chunk
        self._putter: asyncio.Future[None] | None = None  # the producer waiting for room
        self._closed = False
        self._reader_gone = False

    async def put(self, item: T) -> bool:
        """Queue ``item``; False (and nothing queued) when the reader has left."""
        while len(self._items) >= self._size and not self._reader_gone:
            self._putter = self._loop.create_future()
            try:
                await self._putter
            finally:
                self._putter = None
        if self._reader_gone:
            return False
        self._items.append(item)
        wake(self._getter)
        return True

    async def get(self) -> T | None:
        """The next item, or None when the producer closed the channel and nothing is left."""
        while not self._items:
            if self._closed:
                return None
            self._getter = self._loop.create_future()
            try:
                await self._getter
            finally:
                self._getter = None
        item = self._items.popleft()
        wake(self._putter)
        return item

    def close(self) -> None:
        """The producer's end: the reader gets what is queued, then None."""
        self._closed = True
        wake(self._getter)

    def abandon(self) -> None:
        """The reader's end: queued items are dropped and the producer's puts return False."""
        self._reader_gone = True
        self._items.clear()
        wake(self._putter)


def wake(waiter: asyncio.Future[None] | None) -> None:
    """Resolve the future a side waits on, if it waits (also bridge/server/transport.py's waiters)."""
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
