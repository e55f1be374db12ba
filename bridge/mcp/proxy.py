"""The seam through which user tools from elsewhere (the editor host, other MCP servers) appear
as tools of the bridge's MCP server.

A :data:`ToolSource` is any async function returning the tools available right now; the server
asks it on every ``tools/list`` and ``tools/call``, so tools that come and go upstream need no
change notifications here. :func:`listed` is the one place that decides what an agent may see:
the host's internal tools (``openllm_*`` or marked internal) are never listed nor callable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import BridgeError
from bridge.tools import ToolRegistry, is_internal_tool


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    is_error: bool = False
    structured: dict[str, Any] | None = None


@dataclass(frozen=True)
class ExternalTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    call: Callable[[dict[str, Any]], Awaitable[ToolOutcome]] = field(repr=False)
    internal: bool = False


ToolSource = Callable[[], Awaitable[Sequence[ExternalTool]]]


def listed(tool: ExternalTool) -> bool:
    """Whether an agent may see and call ``tool`` (the rule of the tool registry, kept in one place)."""
    return not is_internal_tool(tool.name, tool.internal)


def registry_source(registry: ToolRegistry) -> ToolSource:
    """The tool registry's tools (the host's and configured MCP servers'), for :meth:`add_tool_source`."""

    async def tools() -> list[ExternalTool]:
        def caller(name: str) -> Callable[[dict[str, Any]], Awaitable[ToolOutcome]]:
            async def call(arguments: dict[str, Any]) -> ToolOutcome:
                try:
                    result = await registry.call(name, arguments)
                except BridgeError as exc:
                    return ToolOutcome(exc.message, is_error=True)
                return ToolOutcome(result.text, result.is_error)

            return call

        return [ExternalTool(t.name, t.description, dict(t.parameters), caller(t.name)) for t in await registry.tools()]

    return tools
