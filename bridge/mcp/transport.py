"""Run the MCP server on stdio or on loopback streamable HTTP.

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

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

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
    await server.run_stdio_async()


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
