"""The JSON-RPC 2.0 layer every bridge surface shares (bridge API server, its Python client, the
editor-host client), in three layers as python-lsp-jsonrpc has them:

- :mod:`~bridge.rpc.framing` and :mod:`~bridge.rpc.stream`: bytes ↔ messages (Content-Length or
  NDJSON, detected or chosen; a frame size limit);
- :mod:`~bridge.rpc.endpoint`: one connection in both directions: ids, requests in flight,
  notifications, cancellation, the exception-to-wire boundary; it knows no method names;
- :mod:`~bridge.rpc.methods`: the method table, params validated against schemas/.
"""

from __future__ import annotations

from bridge.rpc.calls import Call
from bridge.rpc.endpoint import CANCEL_METHODS, CancelMethod, Endpoint, Handler, RequestContext
from bridge.rpc.errors import RemoteError, RpcError
from bridge.rpc.framing import DEFAULT_MAX_FRAME, FrameDecoder, Framing, FramingError, MalformedMessage, encode
from bridge.rpc.methods import MethodHandler, MethodTable
from bridge.rpc.stream import MessageStream

__all__ = [
    "CANCEL_METHODS",
    "DEFAULT_MAX_FRAME",
    "Call",
    "CancelMethod",
    "Endpoint",
    "FrameDecoder",
    "Framing",
    "FramingError",
    "Handler",
    "MalformedMessage",
    "MessageStream",
    "MethodHandler",
    "MethodTable",
    "RemoteError",
    "RequestContext",
    "RpcError",
    "encode",
]
