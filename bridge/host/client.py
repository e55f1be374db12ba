"""The bridge's client of the editor host (DESIGN.md, surface 3), on the shared JSON-RPC layer.

The spawner passes the socket and a token (``OPENLLM_HOST_SOCKET`` / ``OPENLLM_HOST_TOKEN`` or
``--host-socket`` / ``--host-token``); every request carries ``params.auth = token``. Frames are
``Content-Length`` (what vscode-jsonrpc reads) unless NDJSON is configured
(``OPENLLM_HOST_FRAMING=ndjson``). Many requests may be in flight, each with its own timeout.

A background task keeps the connection: it connects, serves it until it ends (the host quit, or
sent bytes that cannot be framed: a frame over ``max_frame``, garbage; the shared layer logs it
and drops the connection without buffering more than one frame), then connects again with
exponential backoff. While it is down, :meth:`HostClient.request` fails at once with
``host_unavailable``, so the resolvers pass over the host instead of waiting on it; a request in
flight when the connection goes fails the same way, at once (once the loss is announced: whoever
sees the failure sees ``connected`` False).

The host's ``notifications/configChanged`` and ``notifications/secretChanged`` are handed to
listeners (the resolvers' ``invalidate``), and every connect and disconnect is announced too,
since the host's answers may have changed while it was away.

A host that refuses the token answers -32001 "Unauthorized" (clients/README.md); that becomes
:class:`~bridge.errors.UnauthorizedError`.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import anyio
from anyio.abc import TaskGroup, TaskStatus

from bridge import errors
from bridge.redact import Secret
from bridge.rpc import DEFAULT_MAX_FRAME, Endpoint, Framing, MessageStream, RemoteError, RequestContext, RpcError
from bridge.rpc.errors import METHOD_NOT_FOUND
from bridge.types import Availability

log = logging.getLogger("openllm.host")

UNAUTHORIZED = -32001
NOTIFICATIONS = ("notifications/configChanged", "notifications/secretChanged")
NotificationListener = Callable[[str, Mapping[str, Any]], Awaitable[None] | None]
ConnectionListener = Callable[[bool], Awaitable[None] | None]


@dataclass(frozen=True)
class Backoff:
    """Seconds between reconnection attempts: ``initial``, doubled after each failure up to
    ``maximum``, back to ``initial`` once connected."""

    initial: float = 0.1
    maximum: float = 5.0


class HostClient:
    def __init__(
        self,
        socket_path: str | os.PathLike[str],
        token: str,
        *,
        framing: Framing = "content-length",
        timeout: float = 10.0,
        backoff: Backoff | None = None,
        max_frame: int = DEFAULT_MAX_FRAME,
    ) -> None:
        self.socket_path = Path(socket_path)
        self.framing: Framing = framing
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.max_frame = max_frame
        self._token = Secret(token)
        self._endpoint: Endpoint | None = None
        self._connected = False  # as announced: listeners have seen it (see _announce)
        self._problem = "not connected yet"
        self._connections = 0
        self._changed = anyio.Event()
        self._notification_listeners: list[NotificationListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._task_group: TaskGroup | None = None

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        socket_path: str | None = None,
        token: str | None = None,
        framing: str | None = None,
    ) -> HostClient | None:
        """The client the spawner asked for (options over ``OPENLLM_HOST_*``), or None when no
        host socket is given. A socket without a token is a configuration error."""
        env = os.environ if environ is None else environ
        socket_path = socket_path or env.get("OPENLLM_HOST_SOCKET")
        if not socket_path:
            return None
        token = token or env.get("OPENLLM_HOST_TOKEN")
        if not token:
            raise errors.InvalidConfigError("an editor host socket was given without a token: set OPENLLM_HOST_TOKEN")
        framing = framing or env.get("OPENLLM_HOST_FRAMING") or "content-length"
        if framing not in ("content-length", "ndjson"):
            raise errors.InvalidConfigError(f"OPENLLM_HOST_FRAMING must be content-length or ndjson, not {framing!r}")
        return cls(socket_path, token, framing=cast(Framing, framing))

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> HostClient:
        """Starts the connection task; returns after the first attempt, connected or not."""
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        await self._task_group.start(self._maintain)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task_group is not None:
            self._task_group.cancel_scope.cancel()
            await self._task_group.__aexit__(None, None, None)
            self._task_group = None
        self._set_connected(False)  # wakes the calls that failed with the connection (_loss_announced)

    @property
    def connected(self) -> bool:
        """The state the listeners were last told of: whoever sees ``False`` here also sees the
        resolvers' caches already dropped. Requests fail fast on a closed connection regardless."""
        return self._connected

    @property
    def connections(self) -> int:
        """How many times a connection was made (1 after the first, 2 after a reconnect, …)."""
        return self._connections

    def availability(self) -> Availability:
        if self.connected:
            return Availability(True)
        return Availability(False, f"the editor host is not connected ({self._problem})")

    async def wait_for_change(self) -> None:
        """Return at the next connect or disconnect."""
        await self._changed.wait()

    def on_notification(self, listener: NotificationListener) -> None:
        self._notification_listeners.append(listener)

    def on_connection(self, listener: ConnectionListener) -> None:
        self._connection_listeners.append(listener)

    # -- requests ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a per-request limit, turned into host_unavailable)
    ) -> Any:
        """Call a host method with the token added; the host's answer, or a BridgeError."""
        endpoint = self._endpoint
        if endpoint is None or endpoint.closed:
            raise errors.HostUnavailableError(f"the editor host is not connected ({self._problem})")
        wait = self.timeout if timeout is None else timeout
        try:
            return await endpoint.request(method, {**(params or {}), "auth": self._token.reveal()}, timeout=wait)
        except errors.UpstreamTimeout:
            raise errors.HostUnavailableError(f"the editor host did not answer {method} within {wait:g}s") from None
        except errors.HostUnavailableError:
            await self._loss_announced(endpoint)
            raise
        except RemoteError as exc:
            if exc.rpc_code == UNAUTHORIZED:
                raise errors.UnauthorizedError(
                    "the editor host refused the token: check OPENLLM_HOST_TOKEN (or --host-token)"
                ) from exc
            raise

    async def _loss_announced(self, endpoint: Endpoint) -> None:
        """Wait (a second at most) until the loss of ``endpoint`` has been announced, so that
        whoever sees a call fail with its connection also sees ``connected`` False and the
        resolvers' caches dropped: the calls fail at the end of the input, a little before the
        connection's end is announced."""
        with anyio.move_on_after(1):
            while self._connected and self._endpoint is endpoint:
                await self._changed.wait()

    # -- the connection ------------------------------------------------------------------------

    async def _maintain(self, *, task_status: TaskStatus[None]) -> None:
        delay = self.backoff.initial
        started = False
        while True:
            try:
                socket = await anyio.connect_unix(self.socket_path)
            except OSError as exc:
                self._problem = f"cannot connect to {self.socket_path}: {exc.strerror or exc}"
                log.debug("%s; next attempt in %.1fs", self._problem, delay)
            else:
                delay = self.backoff.initial
                stream = MessageStream(socket, self.framing, max_frame=self.max_frame)
                endpoint = Endpoint(stream, self._handle, name="editor host", closed_error=errors.HostUnavailableError)
                self._endpoint = endpoint
                self._connections += 1
                log.info("connected to the editor host at %s", self.socket_path)
                await self._announce(True)
                if not started:
                    started = True
                    task_status.started()
                await endpoint.run()
                left = f", {stream.buffered} bytes of an unfinished message dropped" if stream.buffered else ""
                self._problem = f"the connection closed{left}"
                log.warning("lost the editor host at %s: %s", self.socket_path, self._problem)
                await self._announce(False)
            if not started:
                started = True
                task_status.started()
            await anyio.sleep(delay)
            delay = min(delay * 2, self.backoff.maximum)

    async def _announce(self, connected: bool) -> None:
        for listener in self._connection_listeners:
            await _call(listener, connected)
        self._set_connected(connected)

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        changed, self._changed = self._changed, anyio.Event()
        changed.set()

    async def _handle(self, ctx: RequestContext, method: str, params: Any) -> Any:
        if ctx.request_id is not None:
            raise RpcError(METHOD_NOT_FOUND, f"the bridge serves no {method[:100]} to the host")
        if method not in NOTIFICATIONS:
            log.debug("ignored a %s notification from the editor host", method[:100])
            return None
        for listener in self._notification_listeners:
            await _call(listener, method, params if isinstance(params, dict) else {})
        return None


async def _call(listener: Callable[..., Awaitable[None] | None], *args: Any) -> None:
    try:
        outcome = listener(*args)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception:  # one listener's bug must not cut the host off from the others
        log.exception("a host listener failed")
