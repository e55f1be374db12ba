"""Run the MCP server on stdio or on loopback streamable HTTP.

On stdio, a line that is not a JSON-RPC message gets the JSON-RPC error a client can read: -32700
for a line that is not JSON, -32600 for JSON that is not a request, notification or answer (a
batch, which MCP no longer has, a method that is not a string), with the line's id when it has
one; a blank line is passed over. The SDK's stdio transport passes such lines on as exceptions,
which its server drops without a word; the streamable HTTP transport answers them itself.

HTTP binds 127.0.0.1 only and keeps the SDK's DNS-rebinding protection on, spelled out here
rather than left to the SDK's default: a request whose ``Host`` is not this loopback address
gets 421 and one whose ``Origin`` is a foreign site gets 403, so a web page in the user's
browser cannot drive the bridge (and spend the user's API keys) through a rebound DNS name.
Streams are resumable (:mod:`bridge.mcp.events`). The socket is bound before the server starts,
so ``--port 0`` works and the URL can be announced before the first request; connections made
in between wait in the listen backlog.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from bridge.mcp.events import RecentEvents

LOOPBACK = "127.0.0.1"
PATH = "/mcp"
RETRY_MS = 250  # how soon a client should reconnect to a dropped stream (sent in each stream's first event)


def security_settings() -> TransportSecuritySettings:
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{LOOPBACK}:*", "localhost:*"],
        allowed_origins=[f"http://{LOOPBACK}:*", "http://localhost:*"],
    )


def adopt_library_logging() -> None:
    """Send the SDK's and uvicorn's log records through the bridge's handler (stderr or the log
    file, redacted) at warning and above. Done before ``MCPServer`` is built: it installs its own
    root handler only when the root logger has none."""
    bridge = logging.getLogger("openllm")
    root = logging.getLogger()
    for handler in bridge.handlers:
        root.addHandler(handler)
    root.setLevel(max(bridge.getEffectiveLevel(), logging.WARNING))


async def serve_stdio(server: MCPServer[Any]) -> None:
    """``server.run_stdio_async()``, with the lines that are not messages answered (see above)."""
    lowlevel = server._lowlevel_server  # what run_stdio_async runs; MCPServer has no public name for it
    async with stdio_server() as (lines, replies):
        send, messages = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def answer_what_is_not_a_message() -> None:
            async with send:
                async for item in lines:
                    if isinstance(item, Exception):
                        if (answer := not_a_message(item)) is not None:
                            await replies.send(SessionMessage(answer))
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(answer_what_is_not_a_message)
            await lowlevel.run(messages, replies, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()


def not_a_message(exc: Exception) -> mcp_types.JSONRPCError | None:
    """The answer to a stdio line the SDK could not read as a JSON-RPC message (``exc``, its
    pydantic error, carries what was read); none to a blank line (a keep-alive, say)."""
    problems = exc.errors() if isinstance(exc, ValidationError) else []
    if problems and isinstance(problems[0].get("input"), str) and not problems[0]["input"].strip():
        return None
    if problems and problems[0]["type"] == "json_invalid":
        message = f"Parse error: the line is not JSON ({problems[0].get('ctx', {}).get('error', 'invalid')})"
        return _error(None, mcp_types.PARSE_ERROR, message)
    read = problems[0].get("input") if problems else None
    if isinstance(read, list):
        return _error(None, mcp_types.INVALID_REQUEST, "Invalid Request: MCP has no batches; send one message a line")
    # The message as read is the input of an error about it (loc: the union member) or about a
    # field it lacks (loc: member, field); deeper errors carry inner values.
    whole = (p["input"] for p in problems if len(p["loc"]) == 1 or (len(p["loc"]) == 2 and p["type"] == "missing"))
    request_id = next((m.get("id") for m in whole if isinstance(m, dict)), None)
    if isinstance(request_id, bool) or not isinstance(request_id, int | str):
        request_id = None
    first = next((p for p in problems if p["loc"][1:]), problems[0] if problems else None)
    why = f"{'.'.join(map(str, first['loc'][1:])) or 'message'}: {first['msg']}" if first else str(exc)[:200]
    return _error(request_id, mcp_types.INVALID_REQUEST, f"Invalid Request: not a JSON-RPC 2.0 message ({why})")


def _error(request_id: int | str | None, code: int, message: str) -> mcp_types.JSONRPCError:
    return mcp_types.JSONRPCError(jsonrpc="2.0", id=request_id, error=mcp_types.ErrorData(code=code, message=message))


async def serve_http(server: MCPServer[Any], port: int, announce: Callable[[str], None]) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(128)
    sock.setblocking(False)
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        host=LOOPBACK,
        transport_security=security_settings(),
        event_store=RecentEvents(),
        retry_interval=RETRY_MS,
    )
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2)
    announce(f"http://{LOOPBACK}:{sock.getsockname()[1]}{PATH}")
    with sock:
        await uvicorn.Server(config).serve(sockets=[sock])
