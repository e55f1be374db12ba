"""One client connection of the bridge API: its token gate and its change notifications.

Change notifications (``secrets/changed``, ``config/changed``) reach every authenticated client.
They are queued per connection as a set of (method, provider) pairs and written by the
connection's own task, so a client that does not read delays only itself, and however many
changes happen meanwhile its queue holds each pair once.
"""

from __future__ import annotations

from typing import Any

import anyio

from bridge import errors
from bridge.rpc import Endpoint, MethodTable, RequestContext


class Session:
    def __init__(self, table: MethodTable, *, authenticated: bool) -> None:
        self._table = table
        self.authenticated = authenticated
        self._changes: dict[tuple[str, str | None], None] = {}  # an ordered set
        self._wake = anyio.Event()

    async def __call__(self, ctx: RequestContext, method: str, params: Any) -> Any:
        """The endpoint's handler: the shared method table behind the token gate."""
        if not self.authenticated and method != "bridge/authenticate":
            raise errors.UnauthorizedError("this bridge needs a token: send bridge/authenticate {token} first")
        result = await self._table(ctx, method, params)
        if method == "bridge/authenticate":
            self.authenticated = True
        return result

    def changed(self, method: str, provider: str | None) -> None:
        if self.authenticated:
            self._changes[(method, provider)] = None
            self._wake.set()

    async def deliver_changes(self, endpoint: Endpoint) -> None:
        """Write queued change notifications until the connection closes."""
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            changes, self._changes = list(self._changes), {}
            for method, provider in changes:
                try:
                    await endpoint.notify(method, {"provider": provider})
                except errors.BridgeError:
                    return  # the connection closed
