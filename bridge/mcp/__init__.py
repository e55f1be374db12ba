"""The MCP server (``openllm-bridge mcp``): the engine's chat, providers and models as MCP tools.

Importing this package imports the ``mcp`` SDK (about 0.4 s), so only the ``mcp`` command does:
the CLI imports it lazily and the chat and JSON-RPC paths never touch it.

    server.py         which tools exist: the bridge's own and the proxied ones
    tools.py          the bridge's tools, each a short function over the engine
    progress.py       streamed text and heartbeats as progress notifications
    conversations.py  the bounded in-memory store behind ``conversation_id``
    proxy.py          the seam for user tools from the host and other MCP servers
    transport.py      stdio and loopback streamable HTTP
    events.py         the bounded event store that makes HTTP streams resumable
"""

from __future__ import annotations

from bridge.mcp.proxy import ExternalTool, ToolOutcome, ToolSource
from bridge.mcp.server import BridgeServer, build_server
from bridge.mcp.transport import serve_http, serve_stdio

__all__ = ["BridgeServer", "ExternalTool", "ToolOutcome", "ToolSource", "build_server", "serve_http", "serve_stdio"]
