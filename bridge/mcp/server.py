"""The MCP server: the SDK's ``MCPServer`` with the bridge's tools and the proxied user tools.

``MCPServer`` frames the protocol (initialize, tools/list, tools/call, progress, cancellation)
on every transport; this module only decides which tools exist. It overrides the two public
methods that list and call tools, so the bridge's own tools (registered with their Python
signatures) and the proxied ones (described by their upstream JSON Schemas) are one list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, InputRequiredResult, TextContent
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from bridge.engine import Engine
from bridge.mcp.progress import DEFAULT_HEARTBEAT_SECONDS, Progress
from bridge.mcp.proxy import ExternalTool, ToolSource, listed, registry_source
from bridge.mcp.tools import DESCRIPTIONS, BridgeTools
from bridge.tools import ToolRegistry

INSTRUCTIONS = "Chat with LLMs on any provider through the local Open LLM Bridge."


class BridgeServer(MCPServer[Any]):
    def __init__(self, tools: BridgeTools) -> None:
        super().__init__("openllm-bridge", instructions=INSTRUCTIONS, version=_version())
        self.bridge_tools = tools
        self._sources: list[ToolSource] = []
        for name in DESCRIPTIONS:
            self.add_tool(getattr(tools, name), name=name, description=DESCRIPTIONS[name])
        self._own = frozenset(DESCRIPTIONS)

    async def list_tools(self) -> list[MCPTool]:
        own = [t.model_copy(update={"input_schema": lean_schema(t.input_schema)}) for t in await super().list_tools()]
        names = {t.name for t in own}
        proxied = [
            MCPTool(name=t.name, description=t.description, input_schema=t.input_schema)
            for t in await self._proxied()
            if t.name not in names
        ]
        return [*own, *proxied]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if name not in self._own:
            tool = next((t for t in await self._proxied() if t.name == name), None)
            if tool is not None:
                return await self._call_proxied(tool, arguments, context)
            if all(t.name != name for t in await super().list_tools()):  # internal ones are unknown here too
                raise MCPError(INVALID_PARAMS, f"Unknown tool: {name[:100]}")  # the spec's protocol error
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            # the SDK's message is pydantic's, which quotes each value refused (input_value='sk-…'):
            # the value may be a key sent in the wrong place, so only where and what is said
            problems = [f"/{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.__cause__.errors()]
            raise ToolError(f"invalid arguments: {'; '.join(problems)}") from None

    def add_tool_source(self, source: ToolSource) -> None:
        """Proxy the tools ``source`` returns (asked again on every list and call)."""
        self._sources.append(source)

    async def _proxied(self) -> list[ExternalTool]:
        return [t for source in self._sources for t in await source() if listed(t)]

    async def _call_proxied(
        self, tool: ExternalTool, arguments: dict[str, Any], context: Context[Any, Any] | None
    ) -> CallToolResult:
        async def send(count: float, message: str | None) -> None:
            if context is not None:
                await context.report_progress(count, message=message)

        async with Progress(send, self.bridge_tools.heartbeat).heartbeat():
            outcome = await tool.call(arguments)
        return CallToolResult(
            content=[TextContent(type="text", text=outcome.text)],
            structured_content=outcome.structured,
            is_error=outcome.is_error,
        )


def lean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop what pydantic adds that an agent does not need: titles, ``additionalProperties: true``
    (the default) and the ``null`` branch of optional parameters (optional means not required)."""
    properties = {name: _lean_property(prop) for name, prop in schema.get("properties", {}).items()}
    lean = {k: v for k, v in schema.items() if k != "title"}
    if properties:
        lean["properties"] = properties
    return lean


def _lean_property(prop: dict[str, Any]) -> dict[str, Any]:
    prop = {k: v for k, v in prop.items() if k != "title" and (k, v) != ("additionalProperties", True)}
    branches = prop.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches and prop.get("default", ...) is None:
        rest = [b for b in branches if b != {"type": "null"}]
        prop = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
        prop = {**(_lean_property(rest[0]) if len(rest) == 1 else {"anyOf": rest}), **prop}
    if isinstance(prop.get("items"), dict):
        prop["items"] = _lean_property(prop["items"])
    return prop


def build_server(
    engine: Engine,
    *,
    tools: ToolRegistry | None = None,
    tool_sources: Sequence[ToolSource] = (),
    heartbeat: float = DEFAULT_HEARTBEAT_SECONDS,
) -> BridgeServer:
    """The server over ``engine``; ``tools`` (the host's and configured MCP servers' tools) are
    proxied to agents and run by ``chat`` with ``run_tools``."""
    server = BridgeServer(BridgeTools(engine, heartbeat, tools))
    if tools is not None:
        server.add_tool_source(registry_source(tools))
    for source in tool_sources:
        server.add_tool_source(source)
    return server


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("openllm-bridge")
    except PackageNotFoundError:
        return "0"
