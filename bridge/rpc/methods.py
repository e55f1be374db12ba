"""The method table: method name → params type → one ``async def`` handler.

The params type of each method comes from the ``x-methods`` table of schemas/ (so the schemas,
not this module, say what a method takes), and params are validated against it before the
handler runs: a mismatch is answered -32602 with the JSON path and a short reason, never a
validator dump. An unknown method is -32601, and so is one that schemas/ marks ``direction:
to_client`` (``tools/approve``: the bridge asks it of its client), which cannot be registered
here. Handlers receive the validated params as the generated TypedDict and return the result
type; tests validate results against the schema.

A table is an :data:`bridge.rpc.endpoint.Handler`, so an endpoint dispatches straight into it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.rpc.endpoint import RequestContext
from bridge.rpc.errors import INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, RpcError
from protocol import SchemaError, methods, validate

MethodHandler = Callable[[RequestContext, Any], Awaitable[Any]]
log = logging.getLogger("openllm.rpc")


class MethodTable:
    def __init__(self) -> None:
        self._handlers: dict[str, tuple[str, MethodHandler]] = {}
        self._requests: set[str] = set()  # the methods that answer: they are not run without an id

    def add(self, method: str, handler: MethodHandler) -> None:
        """Register the handler of a method that schemas/ declares; twice is a programming error."""
        spec = methods().get(method)
        if spec is None:
            raise KeyError(f"no schema declares the method {method!r}")
        if spec.direction == "to_client":
            raise ValueError(f"{method!r} goes to the client (the client serves it), not to this server")
        if method in self._handlers:
            raise ValueError(f"the method {method!r} is registered twice")
        self._handlers[method] = (spec.params, handler)
        if spec.kind == "request":
            self._requests.add(method)

    def __contains__(self, method: object) -> bool:
        return method in self._handlers

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)

    async def __call__(self, ctx: RequestContext, method: str, params: Any) -> Any:
        entry = self._handlers.get(method)
        if entry is None:
            raise RpcError(METHOD_NOT_FOUND, f"method not found: {method[:100]}")
        params_type, handler = entry
        if ctx.request_id is None and method in self._requests:
            # Sent as a notification (no id), its answer could go nowhere, and a chat/stream run so
            # would hold up the reading of the connection until it ended, its tool approvals with it.
            log.warning("ignoring %s sent as a notification (no id): it is a request, send it with an id", method)
            raise RpcError(INVALID_REQUEST, f"{method} is a request: send it with an id")
        params = {} if params is None else params
        try:
            validate(params_type, params)
        except SchemaError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid params at {exc.path or '/'}: {exc.reason}") from None
        return await handler(ctx, params)
