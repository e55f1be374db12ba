"""JSON-RPC error codes and the one boundary between exceptions and wire errors.

The spec's codes (https://www.jsonrpc.org/specification#error_object)::

    -32700 parse error        the frame is not JSON
    -32600 invalid request    JSON, but not a request/notification/response object
    -32601 method not found
    -32602 invalid params     params do not match the method's schema
    -32603 internal error     a bug; logged here, never explained on the wire

plus LSP's -32800 RequestCancelled for a request the peer cancelled, and one code per
:class:`bridge.errors.BridgeError` code in the spec's server range (-32000..-32099). Every
bridge error carries ``data`` = ``BridgeErrorData`` ({code, retryable, status}); clients should
switch on ``data.code`` and treat the number as a coarse class. No traceback, exception repr or
validator dump reaches the wire.
"""

from __future__ import annotations

import logging
from typing import Any

from bridge import errors
from bridge.redact import redact
from protocol import ErrorCode, ErrorObject

log = logging.getLogger("openllm.rpc")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800

# One number per ErrorCode; the string in data.code is the precise reason.
BRIDGE_CODES: dict[ErrorCode, int] = {
    "missing_key": -32001,
    "unknown_provider": -32002,
    "unknown_model": -32003,
    "invalid_config": -32004,
    "auth": -32010,
    "not_found": -32011,
    "rate_limited": -32012,
    "bad_request": -32013,
    "context_length": -32014,
    "server": -32015,
    "network": -32016,
    "timeout": -32017,
    "protocol": -32018,
    "host_unavailable": -32020,
    "unauthorized": -32021,
    "tool_error": -32022,
    "cancelled": REQUEST_CANCELLED,
    "internal": INTERNAL_ERROR,
}
_MAX_MESSAGE = 300


class RpcError(Exception):
    """An error at the JSON-RPC level (a spec code, not a bridge failure): raised by the method
    table for unknown methods and bad params, and for a peer's error without bridge data."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"RpcError(code={self.code}, message={self.message!r})"


class RemoteError(errors.BridgeError):
    """The peer answered with a JSON-RPC error that carries no bridge error data."""

    def __init__(self, rpc_code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.rpc_code = rpc_code
        self.data = data


def _short(message: str) -> str:
    message = redact(message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def bridge_error_object(exc: errors.BridgeError) -> ErrorObject:
    return {
        "code": BRIDGE_CODES.get(exc.code, INTERNAL_ERROR),
        "message": _short(exc.message),
        "data": {"code": exc.code, "retryable": exc.retryable, "status": exc.status},
    }


def error_object(exc: BaseException, method: str | None = None, side: str = "bridge") -> ErrorObject:
    """The wire error for an exception that escaped a handler (the single boundary); ``side`` is
    the program whose log has the traceback."""
    if isinstance(exc, RpcError):
        error: ErrorObject = {"code": exc.code, "message": _short(exc.message)}
        if exc.data is not None:
            error["data"] = exc.data
        return error
    if isinstance(exc, errors.BridgeError):
        return bridge_error_object(exc)
    log.error("internal error in %s", method or "a handler", exc_info=exc)
    where = method or f"the {side}"
    return bridge_error_object(errors.InternalError(f"internal error in {where}; see the {side}'s log"))


def cancelled_object() -> ErrorObject:
    return bridge_error_object(errors.Cancelled("the request was cancelled"))


def from_error_object(error: Any) -> errors.BridgeError:
    """The exception a peer's error response stands for: the bridge error class named by
    ``data.code`` when present (so a client sees ``MissingKeyError``), else :class:`RemoteError`."""
    if not isinstance(error, dict):
        return RemoteError(INTERNAL_ERROR, "the peer sent a malformed error")
    code, message, data = error.get("code"), str(error.get("message", "")), error.get("data")
    if isinstance(data, dict) and isinstance(data.get("code"), str) and data["code"] in BRIDGE_CODES:
        cls = errors.error_class(data["code"])
        if cls is errors.Cancelled:
            return errors.Cancelled(message)
        status = data.get("status") if isinstance(data.get("status"), int) else None
        return cls(message, status=status, retryable=bool(data.get("retryable", False)))
    return RemoteError(code if isinstance(code, int) else INTERNAL_ERROR, message, data)
