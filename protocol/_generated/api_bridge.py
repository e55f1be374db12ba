"""Generated from schemas/api-bridge.schema.json (sha256 a7640f9b858c87e551f8cce7def387d9dfd0cb67a25eebe48410f389c239d87d); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import NotRequired, TypedDict
from protocol._generated.core import ToolSpec

__all__ = ["AuthenticateParams", "AuthenticateResult", "BridgeStatusParams", "BridgeStatusResult", "HostStatus", "ProviderStatus", "ToolsListParams", "ToolsListResult"]


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


class ToolsListParams(TypedDict):
    pass


class ToolsListResult(TypedDict):
    """The tools a model may be offered (the editor host's user tools; never internal ones)."""

    tools: list[ToolSpec]
