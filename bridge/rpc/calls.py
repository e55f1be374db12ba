"""One outgoing request and its answer.

A :class:`Call` has its id before it is sent, so a caller can route what the peer sends about it
(``chat/chunk`` notifications carry the request id) before the first byte goes out::

    call = endpoint.call("chat/stream", params)
    routes[call.id] = ...
    async with call:                 # sends the request
        result = await call.result() # raises the peer's error as a BridgeError

Leaving the block before the answer (an exception, a cancelled task, a timeout) tells the peer to
stop working on it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from bridge import errors
from bridge.rpc.errors import from_error_object
from protocol import RequestId

if TYPE_CHECKING:
    from bridge.rpc.endpoint import Endpoint


class Call:
    def __init__(
        self, endpoint: Endpoint, request_id: RequestId, method: str, params: Any, on_settled: Callable[[], None] | None
    ) -> None:
        self.id = request_id
        self.method = method
        self._endpoint = endpoint
        self._params = params
        self._on_settled = on_settled
        self._done = anyio.Event()
        self._result: Any = None
        self._error: errors.BridgeError | None = None

    @property
    def settled(self) -> bool:
        return self._done.is_set()

    async def __aenter__(self) -> Call:
        self._endpoint._register(self)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.id, "method": self.method}
        if self._params is not None:
            message["params"] = self._params
        try:
            await self._endpoint._send(message)
        except BaseException:
            self._endpoint._forget(self)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.settled:
            self._endpoint._forget(self)
            await self._endpoint._cancel_outgoing(self)

    async def cancel(self) -> None:
        """Ask the peer to stop; the call stays open and settles with the peer's answer (a
        :class:`bridge.errors.Cancelled` from a bridge)."""
        if not self.settled:
            await self._endpoint._cancel_outgoing(self)

    async def result(self, timeout: float | None = None) -> Any:  # noqa: ASYNC109 (a timeout becomes a bridge error)
        """The peer's result; its error raised as a :class:`BridgeError` (the class ``data.code``
        names), :class:`bridge.errors.UpstreamTimeout` after ``timeout`` seconds."""
        try:
            with anyio.fail_after(timeout):
                await self._done.wait()
        except TimeoutError:
            raise errors.UpstreamTimeout(f"{self.method} got no answer within {timeout:g} s") from None
        if self._error is not None:
            raise self._error
        return self._result

    def settle(self, result: Any, error: Any) -> None:
        if error is not None:
            self._error = from_error_object(error)
        else:
            self._result = result
        self._finish()

    def fail(self, error: errors.BridgeError) -> None:
        self._error = error
        self._finish()

    def _finish(self) -> None:
        self._done.set()
        if self._on_settled is not None:
            self._on_settled()
