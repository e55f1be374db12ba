"""Tools that are Python functions in the bridge's own process.

For programs that embed the engine and want to offer a model a few functions of their own, and
for tests of the tool-calling loop that need tools with exact behaviour::

    tools = LocalTools()

    @tools.tool("add", "Add two numbers.", {"type": "object", "properties": {"a": {"type": "number"}}})
    async def add(a: float, b: float) -> str:
        return str(a + b)

A function's exception becomes an error result the model reads (its type and message), as an
MCP server reports a failing tool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bridge.errors import BridgeError
from bridge.tools.base import Tool, ToolResult

ToolFunction = Callable[..., Awaitable[str]]


class LocalTools:
    def __init__(self, name: str = "local") -> None:
        self.name = name
        self._tools: dict[str, tuple[Tool, ToolFunction]] = {}

    def tool(
        self, name: str, description: str, parameters: Mapping[str, Any], *, internal: bool = False
    ) -> Callable[[ToolFunction], ToolFunction]:
        def register(function: ToolFunction) -> ToolFunction:
            if name in self._tools:
                raise ValueError(f"tool {name!r} registered twice")
            self._tools[name] = (Tool(name, description, parameters, self.name, name, internal), function)
            return function

        return register

    async def list_tools(self) -> list[Tool]:
        return [tool for tool, _ in self._tools.values()]

    async def call_tool(self, tool: Tool, arguments: dict[str, Any]) -> ToolResult:
        _, function = self._tools[tool.source_name]
        try:
            return ToolResult(await function(**arguments))
        except BridgeError:
            raise
        except Exception as exc:  # the tool's own failure is the model's to read, not a crash
            return ToolResult(f"{type(exc).__name__}: {exc}", is_error=True)
