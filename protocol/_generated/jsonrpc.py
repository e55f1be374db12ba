"""Generated from schemas/jsonrpc.schema.json (sha256 12d978047e5180ed6b151bc9a8e407960b1dce7c510d19a648b31788a96835c3); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict
from protocol._generated.core import ErrorCode

__all__ = ["BridgeErrorData", "ErrorObject", "ErrorResponse", "Notification", "Request", "RequestId", "SuccessResponse"]


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


class BridgeErrorData(TypedDict):
    """The data member of a JSON-RPC error raised by the bridge: the error code of core.schema.json and whether a retry may help."""

    code: ErrorCode
    retryable: bool
    status: NotRequired[int | None]
