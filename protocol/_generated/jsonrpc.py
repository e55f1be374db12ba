"""Generated from schemas/jsonrpc.schema.json (sha256 01530604a387e833a4c6aef57b846527eb75550beb2466e8955a72c5b4433def); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict
from protocol._generated.core import ErrorCode

__all__ = ["BridgeErrorData", "CancelRequestParams", "CancelledParams", "ErrorObject", "ErrorResponse", "Notification", "Request", "RequestId", "SuccessResponse"]


RequestId = int | str


class Request(TypedDict):
    jsonrpc: Literal["2.0"]
    id: RequestId
    method: str
    params: NotRequired[dict[str, Any] | list[Any]]


class Notification(TypedDict):
    jsonrpc: Literal["2.0"]
    method: str
    params: NotRequired[dict[str, Any] | list[Any]]


class ErrorObject(TypedDict):
    code: int
    message: str
    data: NotRequired[Any]


class SuccessResponse(TypedDict):
    jsonrpc: Literal["2.0"]
    id: RequestId
    result: Any


class ErrorResponse(TypedDict):
    jsonrpc: Literal["2.0"]
    id: RequestId | None
    error: ErrorObject


class CancelRequestParams(TypedDict):
    """Cancel a request in flight, as LSP and vscode-jsonrpc send it. The request is answered with -32800."""

    id: RequestId


class CancelledParams(TypedDict):
    """Cancel a request in flight, as MCP sends it."""

    requestId: RequestId
    reason: NotRequired[str]


class BridgeErrorData(TypedDict):
    """The data member of a JSON-RPC error raised by the bridge: the error code of core.schema.json and whether a retry may help."""

    code: ErrorCode
    retryable: bool
    status: NotRequired[int | None]
