"""UnifiedConfigResolver: the user's and the workspace's config.yaml and the editor host's
settings, merged with the seed's priority (workspace over user, native over the host) and steered
by the seed's settings (``config.source``, ``config.nativeLevel``).

With ``config.source: native`` (the default) the native files at the chosen level are read over
the host's settings. With ``host`` (the seed's ``vscode``) only the host's settings are read while
the host answers; when it does not, the native files stand in, so the bridge keeps working.
Writes go to the scope asked for, else to the host when it is the source, else to the workspace
file when ``nativeLevel`` is ``workspace``, else to the user file.

The host's answer and the settings are cached until :meth:`invalidate` (the host client calls it
on ``notifications/configChanged``) or for ``cache_ttl`` seconds; files are re-read when they change.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Literal

from bridge.config.files import FileConfigProvider
from bridge.config.merge import Layer, merge
from bridge.config.settings import Settings, SettingsSource, StaticSettings
from bridge.config.trust import WorkspaceTrust
from bridge.config.validate import COMPUTED
from bridge.errors import HostUnavailableError, InvalidConfigError
from bridge.types import ConfigProvider
from protocol import ConfigScope, ProviderConfig

log = logging.getLogger("openllm.config")
ExportScope = Literal["user", "workspace", "merged"]


class UnifiedConfigResolver:
    def __init__(
        self,
        *,
        user: ConfigProvider | None = None,
        workspace: ConfigProvider | None = None,
        host: ConfigProvider | None = None,
        settings: SettingsSource | None = None,
        cache_ttl: float = 30.0,
        trust: WorkspaceTrust | None = None,
    ) -> None:
        """``trust``: whether the workspace's routing fields count (:mod:`bridge.config.trust`);
        without one, a workspace given here is trusted."""
        self.user = user
        self.workspace = workspace
        self.trust = trust
        self.host = host
        self._settings_source = settings or StaticSettings()
        self._ttl = cache_ttl
        self._settings: tuple[float, Settings] | None = None
        self._host_providers: tuple[float, list[ProviderConfig] | None] | None = None
        # The last merge, and the layers' provider lists it was made of: the layers answer the same
        # lists until something changed, so an unchanged configuration is not merged again.
        self._merged: tuple[list[Layer], list[ProviderConfig], dict[str, ProviderConfig]] | None = None
        self.host_problem: str | None = None  # why the host's settings were left out, for `doctor`

    def invalidate(self) -> None:
        self._settings = None
        self._host_providers = None

    async def settings(self) -> Settings:
        if self._settings is None or time.monotonic() - self._settings[0] > self._ttl:
            self._settings = (time.monotonic(), await self._settings_source.get_settings())
        return self._settings[1]

    # -- reading -----------------------------------------------------------------------------

    async def layers(self) -> list[Layer]:
        """The layers in force now, lowest priority first."""
        settings = await self.settings()
        host = await self._host_layer()
        if settings.config_source == "host" and host is not None:
            return [host]
        layers = [host] if host is not None else []
        if self.user is not None and settings.native_level in ("user", "both"):
            layers.append(Layer("user", _detail(self.user), await self.user.get_providers()))
        if self.workspace is not None and settings.native_level in ("workspace", "both"):
            providers = await self.workspace.get_providers()
            if self.trust is not None:
                providers = await self.trust.providers(providers)
            layers.append(Layer("workspace", _detail(self.workspace), providers))
        return layers

    async def get_providers(self) -> list[ProviderConfig]:
        return (await self._merge())[0]

    async def get_provider(self, name: str) -> ProviderConfig | None:
        return (await self._merge())[1].get(name)

    async def _merge(self) -> tuple[list[ProviderConfig], dict[str, ProviderConfig]]:
        layers = await self.layers()
        last = self._merged
        if last is None or not _same_layers(last[0], layers):
            merged = merge(layers)
            last = self._merged = (layers, merged, {p["name"]: p for p in merged})
        return last[1], last[2]

    async def _host_layer(self) -> Layer | None:
        if self.host is None:
            return None
        if self._host_providers is None or time.monotonic() - self._host_providers[0] > self._ttl:
            try:
                providers: list[ProviderConfig] | None = await self.host.get_providers()
                self.host_problem = None
            except HostUnavailableError as exc:
                log.info("leaving out the host's settings: %s", exc.message)
                providers, self.host_problem = None, exc.message
            self._host_providers = (time.monotonic(), providers)
        providers = self._host_providers[1]
        return None if providers is None else Layer("host", "host", providers)

    # -- writing -----------------------------------------------------------------------------

    async def default_scope(self) -> ConfigScope:
        settings = await self.settings()
        if settings.config_source == "host" and await self._host_layer() is not None:
            return "host"
        return "workspace" if settings.native_level == "workspace" and self.workspace is not None else "user"

    def layer(self, scope: ConfigScope) -> ConfigProvider:
        target = {"user": self.user, "workspace": self.workspace, "host": self.host}[scope]
        if target is None:
            what = {"user": "no user config file", "workspace": "no workspace", "host": "no editor host"}[scope]
            raise InvalidConfigError(f"cannot write to the {scope} configuration: there is {what}")
        return target

    async def set_provider(
        self, config: ProviderConfig, scope: ConfigScope | None = None
    ) -> tuple[ConfigScope, ProviderConfig, Path | None]:
        """Add the provider to a layer or update the fields given; answers the scope written, the
        merged result and the file written (None for the host)."""
        scope = scope or await self.default_scope()
        target = self.layer(scope)
        fields: ProviderConfig = {k: v for k, v in config.items() if k not in COMPUTED}  # type: ignore[assignment]
        if isinstance(target, FileConfigProvider):
            await target.set_provider(fields)
        elif any(p["name"] == fields["name"] for p in await target.get_providers()):
            await target.update_provider(fields["name"], fields)
        else:
            await target.add_provider(fields)
        self.invalidate()
        merged = await self.get_provider(fields["name"])
        return scope, merged or fields, _path(target)

    async def remove_provider(self, name: str, scope: ConfigScope | None = None) -> list[ConfigScope]:
        """Remove from one layer, or from every layer that has it; answers where it was removed."""
        scopes: list[ConfigScope] = [scope] if scope else ["user", "workspace", "host"]
        removed: list[ConfigScope] = []
        for each in scopes:
            target = {"user": self.user, "workspace": self.workspace, "host": self.host}[each]
            if target is None and scope is not None:
                self.layer(each)  # raises: the caller named a layer that is not there
            if target is not None and await target.remove_provider(name):
                removed.append(each)
        self.invalidate()
        return removed

    async def export(self, scope: ExportScope = "merged") -> list[ProviderConfig]:
        if scope == "merged":
            return await self.get_providers()
        providers = await self.layer(scope).get_providers()
        return [{k: v for k, v in p.items() if k not in COMPUTED} for p in providers]  # type: ignore[misc]

    async def import_providers(
        self, providers: list[ProviderConfig], scope: Literal["user", "workspace"]
    ) -> tuple[Path, Path | None]:
        """Replace a file's providers; answers the file and the backup of what it replaced."""
        target = self.layer(scope)
        if not isinstance(target, FileConfigProvider):
            raise InvalidConfigError(f"the {scope} configuration is not a file; import writes config.yaml files")
        backup = await target.replace_providers([{k: v for k, v in p.items() if k not in COMPUTED} for p in providers])
        self.invalidate()
        return target.path, backup


def _detail(provider: ConfigProvider) -> str:
    return str(provider.path) if isinstance(provider, FileConfigProvider) else provider.name


def _path(provider: ConfigProvider) -> Path | None:
    return provider.path if isinstance(provider, FileConfigProvider) else None


def _same_layers(before: list[Layer], now: list[Layer]) -> bool:
    return len(before) == len(now) and all(
        a.source == b.source and a.detail == b.detail and a.providers is b.providers
        for a, b in zip(before, now, strict=True)
    )
