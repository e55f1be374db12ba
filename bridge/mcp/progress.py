"""Progress notifications for one tool call: the text as it streams, and a heartbeat.

MCP clients commonly give a tool call 60 s and reset that timer on every progress notification
(the TypeScript SDK's ``resetTimeoutOnProgress``). A model that thinks for a minute before its
first token, or a proxied tool that runs long, would otherwise be abandoned mid-answer. So while
a call runs, a notification goes out whenever nothing else was sent for ``interval`` seconds.

Streamed text travels in ``message``; a heartbeat has no ``message``, so a client that joins the
messages gets exactly the reply. ``progress`` counts notifications (it must only increase) and
there is no ``total``. Without a progress token in the request the SDK sends nothing at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

DEFAULT_HEARTBEAT_SECONDS = 5.0

SendProgress = Callable[[float, str | None], Awaitable[None]]


class Progress:
    def __init__(self, send: SendProgress, interval: float = DEFAULT_HEARTBEAT_SECONDS) -> None:
        self._send = send
        self._interval = interval
        self._count = 0
        self._last = anyio.current_time()
        self._lock = anyio.Lock()  # keeps the counter and the wire order the same

    async def report(self, message: str | None = None) -> None:
        async with self._lock:
            self._count += 1
            self._last = anyio.current_time()
            await self._send(self._count, message)

    @asynccontextmanager
    async def heartbeat(self) -> AsyncIterator[Progress]:
        """Beat while the block runs; the beat stops with the block, however it ends."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._beat)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()

    async def _beat(self) -> None:
        while True:
            # never negative: uvloop's clock is read once per turn of the loop, so a report made
            # later in this turn can stamp _last past "now" as _beat sees it
            await anyio.sleep(max(self._last + self._interval - anyio.current_time(), 0.0))
            if anyio.current_time() - self._last >= self._interval:
                await self.report()
