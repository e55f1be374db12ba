"""What a tool is to the bridge, and what a source of tools must do.

A tool comes from a *source*: the editor host (``tools/list`` / ``tools/call`` over host RPC),
an MCP server the user configured, or Python functions registered in-process. Every source
answers with :class:`Tool` and :class:`ToolResult`, so the registry and the tool-calling loop
know nothing of where a tool lives.

A source reports a tool's own ``internal`` flag (the host's ``_internal: true``); whether a
tool is shown to a model is decided in one place only, :mod:`bridge.tools.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from protocol import ToolSpec


@dataclass(frozen=True)
class Tool:
    """``name`` is what a model sees and calls (unique across sources); ``source_name`` is the
    name the source knows it by (an MCP server's tool ``read`` is offered as ``files__read``)."""

    name: str
    description: str
    parameters: Mapping[str, Any]
    source: str
    source_name: str
    internal: bool = False

    def spec(self) -> ToolSpec:
        spec: ToolSpec = {"name": self.name, "parameters": dict(self.parameters)}
        if self.description:
            spec["description"] = self.description
        return spec


@dataclass(frozen=True)
class ToolResult:
    """What a tool answered, as the model will read it; ``is_error`` marks a failed call (the
    model sees the message and may correct itself)."""

    text: str
    is_error: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


def omitted(kind: str | None, base64_data: Any = None) -> str:
    """What a model reads for content it is not given (an image, audio, a resource): that there
    was some, not an empty success."""
    size = ""
    if isinstance(base64_data, str):
        size = f", {len(base64_data) * 3 // 4 - base64_data[-2:].count('=')} bytes"
    return f"[{kind or 'content'}{size} omitted: the bridge passes tools' text only]"


class ToolSource(Protocol):
    """A place tools come from. ``list_tools`` includes internal tools, flagged; ``call_tool``
    takes the tool as listed. Failures to reach the source raise a BridgeError
    (``host_unavailable``, ``tool_error``); a tool that ran and failed answers ``is_error``."""

    name: str

    async def list_tools(self) -> list[Tool]: ...
    async def call_tool(self, tool: Tool, arguments: dict[str, Any]) -> ToolResult: ...
