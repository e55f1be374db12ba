"""The cancellation token of the seed's Provider trait.

A token is cancelled once, by whoever owns the request (a client's cancel message, a closed
connection, Ctrl-C). Providers do not poll it: the engine runs each stream inside a cancel scope
that the token cancels, so an ``async with client.stream(...)`` in a provider closes the upstream
connection as the scope unwinds.
"""

from __future__ import annotations

import anyio


class CancellationToken:
    __slots__ = ("_event", "cancelled", "reason")

    def __init__(self) -> None:
        self._event = anyio.Event()
        self.cancelled = False  # a plain attribute: the engine reads it for every chunk
        self.reason: str | None = None

    def cancel(self, reason: str = "cancelled by the caller") -> None:
        if not self.cancelled:
            self.cancelled = True
            self.reason = reason
            self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
