"""A small MCP server on stdio for the tool tests: the real SDK, run as a subprocess."""

from __future__ import annotations

import json
import sys

from mcp.server.mcpserver import Image, MCPServer
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


@server.tool()
def picture() -> Image:
    """An image and no text (the bridge names it in the result instead of passing it on)."""
    return Image(data=b"\x89PNG\r\n\x1a\n", format="png")


def silent() -> None:
    """``--silent``: a server that reads and never answers, not even initialize."""
    for _ in sys.stdin:
        pass


def wedged() -> None:
    """``--wedged``: a server that answers initialize, then nothing (hung on a lock, say)."""
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("method") == "initialize":
            result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                      "serverInfo": {"name": "wedged", "version": "1"}}  # fmt: skip
            print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)


def rendezvous(fifo: str, mode: str) -> None:
    """``--rendezvous FIFO r|w``: serve only once the server at the other end of the FIFO runs too
    (opening a FIFO waits for its other end), so two such servers start only if started together."""
    open(fifo, mode).close()
    server.run()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rendezvous"]:
        rendezvous(sys.argv[2], sys.argv[3])
    else:
        {"--wedged": wedged, "--silent": silent}.get(sys.argv[1] if sys.argv[1:] else "", server.run)()
