"""The secrets and config methods of the bridge API, written once for every surface.

Each method takes the params and returns the result of its ``schemas/api-config.schema.json``
type, so the JSON-RPC server and the MCP adapter only look a method up in :meth:`handlers` and
call it; the CLI calls the same methods. :meth:`SettingsAPI.from_environment` builds the stores
and both resolvers the way the CLI and the server run them.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from bridge import paths
from bridge.config import FileConfigProvider, FileSettings, SettingsSource, UnifiedConfigResolver
from bridge.config.trust import WorkspaceTrust
from bridge.providers import BUILTIN, Registry
from bridge.redact import Secret, mask
from bridge.secrets import DotEnvSecretStore, EnvSecretStore, KeychainSecretStore, UnifiedSecretResolver
from bridge.types import ConfigProvider, SecretStore
from protocol import (
    ConfigExportParams,
    ConfigExportResult,
    ConfigImportParams,
    ConfigImportResult,
    ConfigProvidersParams,
    ConfigProvidersResult,
    ConfigRemoveProviderParams,
    ConfigRemoveProviderResult,
    ConfigSetProviderParams,
    ConfigSetProviderResult,
    SecretsDeleteParams,
    SecretsDeleteResult,
    SecretsListParams,
    SecretsListResult,
    SecretsResolveParams,
    SecretsResolveResult,
    SecretsStoreParams,
    SecretsStoreResult,
)

Handler = Callable[[Any], Awaitable[Any]]


class SettingsAPI:
    def __init__(self, secrets: UnifiedSecretResolver, config: UnifiedConfigResolver) -> None:
        self.secrets = secrets
        self.config = config

    @classmethod
    def from_environment(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        workspace: Path | None = None,
        registry: Registry = BUILTIN,
        host_secrets: SecretStore | None = None,
        host_config: ConfigProvider | None = None,
        settings: SettingsSource | None = None,
        keychain: SecretStore | None = None,
        workspace_named_by_host: bool = False,
    ) -> SettingsAPI:
        """Env, .env files, the keychain and the host (when given) for keys; the user's and the
        workspace's config.yaml and the host for config. Without a host's ``settings`` source the
        seed's settings come from the ``settings:`` block of the user's config.yaml. The
        workspace's routing fields and .env files count when the user trusts it or the host named it."""
        environ = os.environ if environ is None else environ
        user = FileConfigProvider.user(environ)
        trust = WorkspaceTrust(user, workspace, named_by_host=workspace_named_by_host) if workspace else None
        config = UnifiedConfigResolver(
            user=user,
            workspace=FileConfigProvider.workspace(workspace) if workspace is not None else None,
            host=host_config,
            settings=settings or FileSettings(user),
            trust=trust,
        )
        secrets = UnifiedSecretResolver(
            env=EnvSecretStore(registry, environ),
            dotenv=DotEnvSecretStore(paths.dotenv_paths(environ, workspace), registry, trust),
            host=host_secrets,
            keychain=keychain if keychain is not None else KeychainSecretStore(),
            settings=settings or FileSettings(user),
            config=config,
            registry=registry,
        )
        return cls(secrets, config)

    def invalidate(self) -> None:
        """Forget cached keys, settings and host config (on the host's secretChanged/configChanged)."""
        self.secrets.invalidate()
        self.config.invalidate()

    def handlers(self) -> dict[str, Handler]:
        """Method name -> handler, for the JSON-RPC and MCP adapters."""
        return {
            "secrets/resolve": self.secrets_resolve,
            "secrets/list": self.secrets_list,
            "secrets/store": self.secrets_store,
            "secrets/delete": self.secrets_delete,
            "config/providers": self.config_providers,
            "config/setProvider": self.config_set_provider,
            "config/removeProvider": self.config_remove_provider,
            "config/export": self.config_export,
            "config/import": self.config_import,
        }

    # -- secrets -----------------------------------------------------------------------------

    async def secrets_resolve(self, params: SecretsResolveParams) -> SecretsResolveResult:
        found = await self.secrets.resolve(params["provider"])
        result: SecretsResolveResult = {
            "provider": params["provider"],
            "found": found is not None,
            "source": found.source if found else None,  # type: ignore[typeddict-item]
            "detail": found.detail if found else None,
            "masked": mask(found.value.reveal()) if found else None,
        }
        if found is not None and params.get("reveal"):
            result["value"] = found.value.reveal()
        return result

    async def secrets_list(self, params: SecretsListParams) -> SecretsListResult:
        return {"secrets": await self.secrets.locations()}

    async def secrets_store(self, params: SecretsStoreParams) -> SecretsStoreResult:
        value = Secret(params["value"])
        destination = await self.secrets.store(params["provider"], value, params.get("destination", "auto"))
        return {"provider": params["provider"], "destination": destination}

    async def secrets_delete(self, params: SecretsDeleteParams) -> SecretsDeleteResult:
        outcome = await self.secrets.delete(params["provider"])
        return {
            "provider": params["provider"],
            "deleted_from": outcome.deleted_from,
            "still_in": outcome.still_in,
            "unreachable": outcome.unreachable,
        }

    # -- config ------------------------------------------------------------------------------

    async def config_providers(self, params: ConfigProvidersParams) -> ConfigProvidersResult:
        providers = await self.config.get_providers()
        return {"providers": providers, "settings": (await self.config.settings()).to_wire()}

    async def config_set_provider(self, params: ConfigSetProviderParams) -> ConfigSetProviderResult:
        scope, merged, path = await self.config.set_provider(params["config"], params.get("scope"))
        self.secrets.invalidate(params["config"]["name"])  # api_key_env may have changed
        return {"provider": merged, "scope": scope, "path": str(path) if path else None}

    async def config_remove_provider(self, params: ConfigRemoveProviderParams) -> ConfigRemoveProviderResult:
        removed = await self.config.remove_provider(params["name"], params.get("scope"))
        self.secrets.invalidate(params["name"])
        return {"name": params["name"], "removed_from": removed}

    async def config_export(self, params: ConfigExportParams) -> ConfigExportResult:
        scope = params.get("scope", "merged")
        return {"scope": scope, "providers": await self.config.export(scope)}

    async def config_import(self, params: ConfigImportParams) -> ConfigImportResult:
        path, backup = await self.config.import_providers(params["providers"], params["scope"])
        self.secrets.invalidate()
        return {
            "scope": params["scope"],
            "path": str(path),
            "backup": str(backup) if backup else None,
            "count": len(params["providers"]),
        }
