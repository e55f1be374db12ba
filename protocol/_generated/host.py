"""Generated from schemas/host.schema.json (sha256 53b10418b517b3ee8158c30608f0f4b18b7d9c6a3b373f18fa00901b1852bc26); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict
from protocol._generated.core import ProviderConfig

__all__ = ["HostAuthParams", "HostCapabilitiesResult", "HostConfigChangedParams", "HostConfigGetParams", "HostConfigGetResult", "HostConfigScope", "HostConfigSetParams", "HostConfigSetResult", "HostConfigSettings", "HostPingResult", "HostSecretChangedParams", "HostSecretDeleteParams", "HostSecretDeleteResult", "HostSecretGetParams", "HostSecretGetResult", "HostSecretSettings", "HostSecretStoreParams", "HostSecretStoreResult", "HostSettings", "HostTextContent", "HostTool", "HostToolSettings", "HostToolsCallParams", "HostToolsCallResult", "HostToolsListParams", "HostToolsListResult", "HostWorkspacePathsResult", "HostWorkspaceRootResult"]


class HostAuthParams(TypedDict):
    """Params of the methods that take nothing but the token."""

    auth: str


class HostPingResult(TypedDict):
    pong: Literal[True]


class HostCapabilitiesResult(TypedDict):
    """Who the host is and which of the host methods it serves."""

    name: str
    version: str
    methods: list[str]


class HostSecretGetParams(TypedDict):
    auth: str
    key: str


class HostSecretGetResult(TypedDict):
    """The stored value, or null when the host has none under that key."""

    value: str | None


class HostSecretStoreParams(TypedDict):
    auth: str
    key: str
    value: str


class HostSecretStoreResult(TypedDict):
    stored: Literal[True]


class HostSecretDeleteParams(TypedDict):
    auth: str
    key: str


class HostSecretDeleteResult(TypedDict):
    """Whether there was a value to delete."""

    deleted: bool


HostConfigScope = Literal["user", "workspace"]


class HostConfigGetParams(TypedDict):
    """One provider's settings, or every provider's with provider "*". workspacePath picks a workspace folder in a multi-root workspace."""

    auth: str
    provider: str
    scope: HostConfigScope
    workspacePath: NotRequired[str]


class HostConfigGetResult(TypedDict):
    providers: list[ProviderConfig]


class HostConfigSetParams(TypedDict):
    """Replace one provider's settings at a scope; config null removes them."""

    auth: str
    provider: str
    scope: HostConfigScope
    config: ProviderConfig | None
    workspacePath: NotRequired[str]


class HostConfigSetResult(TypedDict):
    ok: Literal[True]


class HostSecretSettings(TypedDict):
    """The seed's openLLM.secrets.* settings; primaryStore "host" is the seed's "vscode"."""

    primaryStore: NotRequired[Literal["host", "keychain"]]
    checkEnvironment: NotRequired[bool]
    checkDotEnv: NotRequired[bool]


class HostConfigSettings(TypedDict):
    """The seed's openLLM.config.* settings; source "host" is the seed's "vscode"."""

    source: NotRequired[Literal["host", "native"]]
    nativeLevel: NotRequired[Literal["user", "workspace", "both"]]


class HostToolSettings(TypedDict):
    """Which tools a model may see: all off, glob patterns to include and exclude, names turned off."""

    enabled: NotRequired[bool]
    include: NotRequired[list[str]]
    exclude: NotRequired[list[str]]
    disabled: NotRequired[list[str]]


class HostSettings(TypedDict):
    """The host's own settings for the bridge (config/getSettings); every part optional."""

    secrets: NotRequired[HostSecretSettings]
    config: NotRequired[HostConfigSettings]
    tools: NotRequired[HostToolSettings]


class HostWorkspaceRootResult(TypedDict):
    """The folder whose .openllm/config.yaml is the workspace config; null with no folder open."""

    root: str | None


class HostWorkspacePathsResult(TypedDict):
    """Every folder of the (multi-root) workspace, the root first."""

    folders: list[str]


class HostTool(TypedDict):
    """A tool as MCP lists it. Internal tools (_internal true, or a name starting openllm_) are for the bridge itself and never shown to a model or an agent."""

    name: str
    description: NotRequired[str]
    inputSchema: dict[str, Any]
    _internal: NotRequired[bool]


class HostToolsListParams(TypedDict):
    auth: str
    includeInternal: NotRequired[bool]


class HostToolsListResult(TypedDict):
    tools: list[HostTool]


class HostToolsCallParams(TypedDict):
    auth: str
    name: str
    arguments: dict[str, Any]


class HostTextContent(TypedDict):
    type: Literal["text"]
    text: str


class HostToolsCallResult(TypedDict):
    """As MCP's CallToolResult: text content, and isError when the tool failed (the model sees that as an error result)."""

    content: list[HostTextContent]
    isError: NotRequired[bool]


class HostConfigChangedParams(TypedDict):
    """Host to bridge: provider settings (or the host settings) changed; drop cached config."""

    scope: NotRequired[HostConfigScope]
    provider: NotRequired[str]


class HostSecretChangedParams(TypedDict):
    """Host to bridge: the secret under key changed or was deleted; drop cached keys."""

    key: str
