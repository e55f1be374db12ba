"""MCP servers as tool sources: each configured stdio command, reached with the ``mcp`` client.

Its tools are offered as ``<server>__<tool>`` so that two servers (or a server and the host)
never offer the same name; ``__`` keeps to the characters every provider accepts in a function
name. The ``mcp`` SDK is imported here, when a source is entered, and nowhere on the chat or
JSON-RPC path (it costs about 0.4 s to import).

A source is an async context manager: entering it starts the server and opens a session that
lives until exit. A server that fails to start, or does not answer ``initialize`` within
``start_timeout``, is logged and offers no tools; a call to a server that has gone away raises
``tool_error``. Content other than text (an image, a resource) is named in the result, not sent.
"""

from __future__ import annotations

import logging
import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from bridge.errors import ToolError, first_failure
from bridge.redact import redact
from bridge.tools.base import Tool, ToolResult, omitted
from bridge.tools.settings import McpServerSpec

if TYPE_CHECKING:
    from mcp import Client

log = logging.getLogger("openllm.tools.mcp")

SEPARATOR = "__"
CALL_TIMEOUT = 3600.0  # a tool may work long; the tool loop (and an agent) set the real limit per call


class McpToolSource:
    def __init__(self, server: McpServerSpec, *, start_timeout: float = 10.0) -> None:
        """``start_timeout``: how long the server may take to start and answer ``initialize``."""
        self.server = server
        self.name = f"mcp:{server.name}"
        self.start_timeout = start_timeout
        self._client: Client | None = None
        self._stack: AsyncExitStack | None = None

    async def __aenter__(self) -> McpToolSource:
        from mcp import Client
        from mcp.client.stdio import StdioServerParameters

        params = StdioServerParameters(
            command=self.server.command,
            args=list(self.server.args),
            env={**os.environ, **self.server.env},
            cwd=self.server.cwd,
        )
        stack = AsyncExitStack()
        try:  # the read timeout bounds initialize, so a server that never answers does not stop the bridge
            client = Client(params, mode="legacy", read_timeout_seconds=self.start_timeout)
            self._client = await stack.enter_async_context(client)
        except Exception as exc:  # a broken server must not stop the bridge or the other sources
            self._client = None
            await stack.aclose()
            log.error("MCP server %s did not start: %s", self.server.name, redact(_why(exc)))
            return self
        self._stack = stack
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._client = None
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def list_tools(self) -> list[Tool]:
        if self._client is None:
            return []
        try:
            listing = await self._client.list_tools()
        except Exception as exc:
            raise ToolError(f"MCP server {self.server.name} failed to list its tools: {type(exc).__name__}") from exc
        return [
            Tool(
                name=f"{self.server.name}{SEPARATOR}{tool.name}",
                description=tool.description or "",
                parameters=tool.input_schema,
                source=self.name,
                source_name=tool.name,
            )
            for tool in listing.tools
        ]

    async def call_tool(self, tool: Tool, arguments: dict[str, Any]) -> ToolResult:
        if self._client is None:
            raise ToolError(f"MCP server {self.server.name} is not running")
        try:
            result = await self._client.call_tool(tool.source_name, arguments, read_timeout_seconds=CALL_TIMEOUT)
        except Exception as exc:
            raise ToolError(redact(f"MCP server {self.server.name} failed on {tool.source_name}: {exc}")) from exc
        from mcp.types import TextContent

        texts = [
            block.text
            if isinstance(block, TextContent)
            else omitted(getattr(block, "mime_type", None) or block.type, getattr(block, "data", None))
            for block in result.content
        ]
        return ToolResult("\n".join(texts), is_error=result.is_error)


def _why(exc: BaseException) -> str:
    """The first real failure inside the SDK's task groups (not "unhandled errors in a TaskGroup")."""
    first = first_failure(exc)
    return f"{type(first).__name__}: {first}"
