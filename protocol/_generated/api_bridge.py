"""Generated from schemas/api-bridge.schema.json (sha256 492da523eae59fcfd7f53830686094f33ad32e9b94c72812801411a2a37ed4c2); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import NotRequired, TypedDict
from protocol._generated.core import ToolCallPart, ToolSpec

__all__ = ["AuthenticateParams", "AuthenticateResult", "BridgeStatusParams", "BridgeStatusResult", "ChangedParams", "HostStatus", "ProviderStatus", "ToolApproveParams", "ToolApproveResult", "ToolsListParams", "ToolsListResult"]


class AuthenticateParams(TypedDict):
    """The first request on a connection to a bridge started with a token; every other request is refused (unauthorized) until it succeeds."""

    token: str


class AuthenticateResult(TypedDict):
    authenticated: bool


class BridgeStatusParams(TypedDict):
    pass


class HostStatus(TypedDict):
    """The editor host the bridge uses for secrets, config and tools (DESIGN.md surface 3)."""

    connected: bool
    socket: NotRequired[str | None]


class ProviderStatus(TypedDict):
    """Whether a provider can be used now; reason says why not (disabled, no key)."""

    id: str
    available: bool
    key_source: NotRequired[str | None]
    reason: NotRequired[str]


class BridgeStatusResult(TypedDict):
    version: str
    pid: int
    host: HostStatus
    providers: list[ProviderStatus]


class ChangedParams(TypedDict):
    """Sent by the bridge to every authenticated client after keys (secrets/changed) or provider configuration (config/changed) changed: the provider concerned, or null when anything may have changed. Drop caches and ask again."""

    provider: str | None


class ToolApproveParams(TypedDict):
    """A request the bridge sends to its CLIENT (direction to_client: the client serves it) during a chat/stream with run_tools and approve_tools: may this tool call run? request_id is the chat/stream's id."""

    request_id: int | str
    call: ToolCallPart


class ToolApproveResult(TypedDict):
    """The client's answer to tools/approve. A refused call (or no valid answer) reaches the model as an error result carrying the reason."""

    approved: bool
    reason: NotRequired[str]


class ToolsListParams(TypedDict):
    pass


class ToolsListResult(TypedDict):
    """The tools a model may be offered (the editor host's user tools; never internal ones)."""

    tools: list[ToolSpec]
