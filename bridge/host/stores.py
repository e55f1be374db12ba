"""The editor host as a secret store, a config provider and a source of tools.

Keys live in the host's secret storage (VS Code's SecretStorage in the seed) under
``openllm.<provider>.apiKey``. Provider settings live in the host's settings in two scopes,
``user`` and ``workspace``; :class:`HostConfigProvider` reads both (``config/get`` with provider
``*``) and hands the resolver one layer, the workspace's fields over the user's, each provider
marked ``source: host`` with the scope it came from.

All three fail at once with ``host_unavailable`` while the host is away (the client does not
wait for it), which the resolvers treat as "pass over the host".
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from bridge import errors
from bridge.config.validate import Origin, check_entry
from bridge.host.client import HostClient
from bridge.redact import Secret
from bridge.rpc import RemoteError
from bridge.tools import Tool, ToolResult
from bridge.tools.base import omitted
from bridge.types import Availability, ResolvedSecret
from protocol import ProviderConfig

log = logging.getLogger("openllm.host")

Scope = Literal["user", "workspace"]
SCOPES: tuple[Scope, ...] = ("user", "workspace")
_KEY = re.compile(r"^openllm\.([a-z][a-z0-9_-]*)\.apiKey$")


def secret_key(provider: str) -> str:
    """The host's name for a provider's key: ``openllm.openai.apiKey``."""
    return f"openllm.{provider}.apiKey"


def provider_of_key(key: str) -> str | None:
    """The provider a host secret key belongs to (None for a key that is not ours)."""
    match = _KEY.match(key)
    return match.group(1) if match else None


class HostSecretStore:
    name = "host"
    writable = True

    def __init__(self, client: HostClient) -> None:
        self.client = client

    async def availability(self) -> Availability:
        return self.client.availability()

    async def get(self, provider: str) -> ResolvedSecret | None:
        key = secret_key(provider)
        answer = await self.client.request("secrets/get", {"key": key})
        value = answer.get("value") if isinstance(answer, dict) else None
        if not isinstance(value, str) or not value:
            return None
        return ResolvedSecret(Secret(value), "host", f"host:{key}")

    async def store(self, provider: str, value: Secret) -> None:
        await self.client.request("secrets/store", {"key": secret_key(provider), "value": value.reveal()})

    async def delete(self, provider: str) -> bool:
        answer = await self.client.request("secrets/delete", {"key": secret_key(provider)})
        return bool(isinstance(answer, dict) and answer.get("deleted"))


class HostConfigProvider:
    """``write_scope`` is where added and updated providers go (``user`` unless told)."""

    name = "host"

    def __init__(self, client: HostClient, write_scope: Scope = "user") -> None:
        self.client = client
        self.write_scope: Scope = write_scope

    async def scope_providers(self, scope: Scope) -> dict[str, ProviderConfig]:
        """One scope's providers by name, checked the way a config file's entries are: an entry the
        checks refuse (a key pasted into the settings, a field of the wrong type) is left out with
        a warning that says which field, and the other providers still load."""
        answer = await self.client.request("config/get", {"provider": "*", "scope": scope})
        origin = Origin(f"the editor host's {scope} settings")
        found: dict[str, ProviderConfig] = {}
        for item in _items(answer, "providers", "config/get"):
            if not isinstance(item, dict):
                log.warning("%s: a provider entry must be an object; that entry is left out", origin.name)
                continue
            try:
                config = check_entry(item, origin)
            except errors.InvalidConfigError as exc:
                log.warning("%s; that entry is left out", exc.message)
                continue
            found[config["name"]] = config
        return found

    async def get_providers(self) -> list[ProviderConfig]:
        # one scope after the other: a host that is away fails the first at once, with one error
        scopes = {scope: await self.scope_providers(scope) for scope in SCOPES}
        merged: dict[str, ProviderConfig] = {}
        for scope in SCOPES:
            for name, config in scopes[scope].items():
                before = merged.get(name)
                where = f"{before['source_detail']}+{scope}" if before else f"host:{scope}"
                merged[name] = {**(before or {}), **config, "source": "host", "source_detail": where}  # type: ignore[typeddict-item]
        return list(merged.values())

    async def add_provider(self, config: ProviderConfig) -> None:
        await self.set(config["name"], config, self.write_scope)

    async def update_provider(self, name: str, config: ProviderConfig) -> None:
        current = (await self.scope_providers(self.write_scope)).get(name, {"name": name})
        await self.set(name, {**current, **config, "name": name}, self.write_scope)

    async def remove_provider(self, name: str) -> bool:
        removed = False
        for scope in SCOPES:
            if name in await self.scope_providers(scope):
                await self.set(name, None, scope)
                removed = True
        return removed

    async def set(self, name: str, config: ProviderConfig | None, scope: Scope) -> None:
        """Write one provider (None removes it), checked first: no key goes into the settings."""
        fields = None if config is None else check_entry({**config, "name": name}, Origin("the request"))
        await self.client.request("config/set", {"provider": name, "scope": scope, "config": fields})


class HostToolSource:
    """The host's tools (``tools/list`` with its internal ones, flagged, so that the registry is
    the one place that holds them back)."""

    name = "host"

    def __init__(self, client: HostClient, *, call_timeout: float = 600.0) -> None:
        self.client = client
        self.call_timeout = call_timeout  # the tool loop sets the real limit per call

    async def list_tools(self) -> list[Tool]:
        answer = await self.client.request("tools/list", {"includeInternal": True})
        tools = []
        for item in _items(answer, "tools", "tools/list"):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            schema, description = item.get("inputSchema"), item.get("description")
            tools.append(
                Tool(
                    name=item["name"],
                    description=description if isinstance(description, str) else "",
                    parameters=schema if isinstance(schema, dict) else {"type": "object"},
                    source=self.name,
                    source_name=item["name"],
                    internal=item.get("_internal") is True,
                )
            )
        return tools

    async def call_tool(self, tool: Tool, arguments: dict[str, Any]) -> ToolResult:
        try:
            params = {"name": tool.source_name, "arguments": arguments}
            answer = await self.client.request("tools/call", params, timeout=self.call_timeout)
        except RemoteError as exc:
            raise errors.ToolError(f"the editor host refused {tool.source_name}: {exc.message}") from exc
        content = [c for c in _items(answer, "content", "tools/call") if isinstance(c, dict)]
        text = "\n".join(
            c["text"] if isinstance(c.get("text"), str) else omitted(c.get("mimeType") or c.get("type"), c.get("data"))
            for c in content
        )
        return ToolResult(text, is_error=bool(isinstance(answer, dict) and answer.get("isError")))


def _items(answer: Any, field: str, method: str) -> list[Any]:
    """The list under ``field`` of a host's answer; an answer without one (``null``, a number, no
    object at all) counts as an empty list, with a warning, rather than failing every caller."""
    items = answer.get(field) if isinstance(answer, dict) else None
    if isinstance(items, list):
        return items
    log.warning("the editor host answered %s without a %r list; read as none", method, field)
    return []
