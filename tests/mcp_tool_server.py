"""A small MCP server on stdio for the tool tests: the real SDK, run as a subprocess."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("test-tools")


@server.tool()
def shout(text: str) -> str:
    """Upper-case the text."""
    return text.upper()


@server.tool()
def echo(text: str) -> str:
    """The same name as a host tool; offered as <server>__echo, so no clash."""
    return f"mcp echo: {text}"


@server.tool()
def broken(reason: str) -> str:
    """Always fails, with the reason given (a deliberate tool error reaches the model)."""
    raise ToolError(reason)


if __name__ == "__main__":
    server.run()
