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

INTERNAL_PREFIX = "openllm_"


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
    """Whether an agent may see and call ``tool``."""
    return not tool.internal and not tool.name.startswith(INTERNAL_PREFIX)
