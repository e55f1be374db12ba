"""What an incoming JSON value is: a request, a notification, a response, or none of these.

The rules are those of ``Request``, ``Notification``, ``SuccessResponse`` and ``ErrorResponse``
in schemas/jsonrpc.schema.json, checked by hand because this runs for every message (a test
checks that both agree on generated messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from protocol import RequestId

_REQUEST_KEYS = frozenset({"jsonrpc", "id", "method", "params"})
_RESPONSE_KEYS = frozenset({"jsonrpc", "id", "result", "error"})


@dataclass(frozen=True)
class Request:
    id: RequestId
    method: str
    params: Any


@dataclass(frozen=True)
class Notification:
    method: str
    params: Any


@dataclass(frozen=True)
class Response:
    id: RequestId | None
    result: Any
    error: Any  # the error object when the call failed, else None


@dataclass(frozen=True)
class Invalid:
    """Not a JSON-RPC message; ``id`` is the request id when one could be read (the spec asks
    to echo it), else None. ``answers``: the id of a malformed response, whose call it ends."""

    id: RequestId | None
    reason: str
    answers: RequestId | None = None


Incoming = Request | Notification | Response | Invalid


def is_request_id(value: Any) -> TypeGuard[RequestId]:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def classify(message: Any) -> Incoming:
    if not isinstance(message, dict):
        return Invalid(None, "a message must be a JSON object")
    if "method" in message:
        return _call(message)
    if "id" in message and (("result" in message) != ("error" in message)):
        return _response(message)
    return Invalid(message.get("id") if is_request_id(message.get("id")) else None, "not a request or a response")


def _call(message: dict[str, Any]) -> Incoming:
    has_id = "id" in message
    request_id = message.get("id")
    echo = request_id if is_request_id(request_id) else None
    if message.get("jsonrpc") != "2.0":
        return Invalid(echo, 'jsonrpc must be "2.0"')
    extra = message.keys() - _REQUEST_KEYS
    if extra:
        return Invalid(echo, f"unexpected member {sorted(extra)[0]!r}")
    method = message["method"]
    if not isinstance(method, str) or not method:
        return Invalid(echo, "method must be a non-empty string")
    params = message.get("params")
    if "params" in message and not isinstance(params, dict | list):
        return Invalid(echo, "params must be an object or an array")
    if not has_id:
        return Notification(method, params)
    if echo is None:
        return Invalid(None, "id must be an integer or a string")
    return Request(echo, method, params)


def _response(message: dict[str, Any]) -> Incoming:
    request_id = message["id"]
    answers = request_id if is_request_id(request_id) else None
    if message.get("jsonrpc") != "2.0" or message.keys() - _RESPONSE_KEYS:
        return Invalid(None, "a malformed response", answers)
    if "error" in message:
        error = message["error"]
        valid_error = (
            isinstance(error, dict)
            and isinstance(error.get("code"), int)
            and not isinstance(error.get("code"), bool)
            and isinstance(error.get("message"), str)
            and not error.keys() - {"code", "message", "data"}
        )
        if not valid_error or not (request_id is None or is_request_id(request_id)):
            return Invalid(None, "a malformed error response", answers)
        return Response(request_id, None, error)
    if not is_request_id(request_id):
        return Invalid(None, "a response id must be an integer or a string")
    return Response(request_id, message["result"], None)
