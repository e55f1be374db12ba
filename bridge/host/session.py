"""The editor host plugged into the bridge: resolvers, settings, workspace, tools, migration.

:func:`host_session` connects to the host the spawner named and builds the
:class:`~bridge.settings_api.SettingsAPI` over it with the seed's priorities (keys: env, then
host, then keychain, ``auto`` writes to the host while it is connected; config: workspace over
user, native over host), the seed's settings from ``config/getSettings`` (from the user's
config.yaml while the host is away) and the workspace from ``workspace/getRoot``. The host's
change notifications, and every connect and disconnect, drop the resolvers' caches.

The seed's import/export between the host's settings and the native YAML files:
:func:`export_host_to_yaml` writes the host's providers into a config.yaml (the file is backed
up first), :func:`import_yaml_to_host` replaces the host's providers at a scope with a YAML
file's (the host's previous providers are saved to ``$OPENLLM_HOME/backups`` first).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from bridge import errors, paths
from bridge.config import FileConfigProvider, FileSettings, Settings, SettingsSource
from bridge.host.client import HostClient
from bridge.host.stores import HostConfigProvider, HostSecretStore, HostToolSource, Scope, provider_of_key
from bridge.settings_api import SettingsAPI
from bridge.types import SecretStore
from protocol import ProviderConfig

log = logging.getLogger("openllm.host")


class HostSettings:
    """The seed's settings as the host holds them; the fallback's while the host is away."""

    def __init__(self, client: HostClient, fallback: SettingsSource) -> None:
        self.client = client
        self.fallback = fallback

    async def raw(self) -> dict[str, Any] | None:
        try:
            answer = await self.client.request("config/getSettings")
        except errors.HostUnavailableError:
            return None
        return answer if isinstance(answer, dict) else {}

    async def get_settings(self) -> Settings:
        raw = await self.raw()
        if raw is None:
            return await self.fallback.get_settings()
        return Settings.from_mapping(raw, "the editor host's settings (config/getSettings)")


async def workspace_root(client: HostClient) -> Path | None:
    """The folder the host has open (None with none open, or no host)."""
    try:
        answer = await client.request("workspace/getRoot")
    except errors.HostUnavailableError:
        return None
    root = answer.get("root") if isinstance(answer, dict) else None
    return Path(root) if isinstance(root, str) and root else None


@dataclass
class HostSession:
    client: HostClient
    api: SettingsAPI
    settings: HostSettings
    config: HostConfigProvider
    tools: HostToolSource
    workspace: Path | None


@asynccontextmanager
async def host_session(
    client: HostClient,
    *,
    environ: Mapping[str, str] | None = None,
    workspace: Path | None = None,
    keychain: SecretStore | None = None,
) -> AsyncIterator[HostSession]:
    """Connect ``client`` and build the resolvers over it; ``workspace`` is used when the host
    names none."""
    environ = os.environ if environ is None else environ
    async with client:
        config = HostConfigProvider(client)
        settings = HostSettings(client, FileSettings(FileConfigProvider.user(environ)))
        named = await workspace_root(client)
        root = named or workspace
        api = SettingsAPI.from_environment(
            environ=environ,
            workspace=root,
            host_secrets=HostSecretStore(client),
            host_config=config,
            settings=settings,
            keychain=keychain,
            workspace_named_by_host=named is not None,
        )

        def on_notification(method: str, params: Mapping[str, Any]) -> None:
            if method == "notifications/secretChanged":
                key = params.get("key")
                provider = provider_of_key(key) if isinstance(key, str) else None
                api.secrets.invalidate(provider)
            else:
                api.invalidate()

        client.on_notification(on_notification)
        client.on_connection(lambda connected: api.invalidate())
        yield HostSession(client, api, settings, config, HostToolSource(client), root)


async def export_host_to_yaml(session: HostSession, scope: Scope) -> tuple[Path, Path | None, int]:
    """The host's providers (both scopes merged) into the ``scope`` config.yaml; answers the
    file, its backup and how many providers were written."""
    computed = ("source", "source_detail")
    providers: list[ProviderConfig] = [
        {k: v for k, v in p.items() if k not in computed}  # type: ignore[misc]
        for p in await session.config.get_providers()
    ]
    path, backup = await session.api.config.import_providers(providers, scope)
    log.info("exported %d providers from the editor host to %s", len(providers), path)
    return path, backup, len(providers)


async def import_yaml_to_host(
    session: HostSession, source: Scope, host_scope: Scope, environ: Mapping[str, str] | None = None
) -> tuple[Path, int]:
    """Replace the host's providers at ``host_scope`` with those of the ``source`` config.yaml;
    answers the backup of what the host had and how many providers were imported."""
    providers = await session.api.config.export(source)
    previous = await session.config.scope_providers(host_scope)
    backups = paths.openllm_home(environ) / "backups"
    backup = backups / f"host-{host_scope}-{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns()}.json"

    def save() -> None:
        backups.mkdir(parents=True, exist_ok=True, mode=0o700)
        backup.write_text(json.dumps({"providers": list(previous.values())}, indent=2), encoding="utf-8")
        os.chmod(backup, 0o600)

    await anyio.to_thread.run_sync(save)
    wanted = {p["name"] for p in providers}
    for name in previous.keys() - wanted:
        await session.config.set(name, None, host_scope)
    for provider in providers:
        await session.config.set(provider["name"], provider, host_scope)
    session.api.invalidate()
    log.info("imported %d providers into the editor host's %s settings", len(providers), host_scope)
    return backup, len(providers)
