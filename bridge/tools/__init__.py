"""Tools a model can call: sources (the editor host, MCP servers, in-process functions), the
registry that shows a model only what it may see, and their settings. The tool-calling loop
that runs them is :mod:`bridge.orchestrator`."""

from __future__ import annotations

from bridge.tools.base import Tool, ToolResult, ToolSource
from bridge.tools.local import LocalTools
from bridge.tools.mcp_source import McpToolSource
from bridge.tools.registry import ToolRegistry, is_internal, is_internal_tool
from bridge.tools.settings import McpServerSpec, ToolFilter, ToolSettings

__all__ = [
    "LocalTools",
    "McpServerSpec",
    "McpToolSource",
    "Tool",
    "ToolFilter",
    "ToolRegistry",
    "ToolResult",
    "ToolSettings",
    "ToolSource",
    "is_internal",
    "is_internal_tool",
]
