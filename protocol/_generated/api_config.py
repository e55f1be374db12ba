"""Generated from schemas/api-config.schema.json (sha256 4db27a78be14ec39714176282354aeed31dd97b33a39972c571bc2201851d473); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict
from protocol._generated.core import ProviderConfig

__all__ = ["ConfigExportParams", "ConfigExportResult", "ConfigImportParams", "ConfigImportResult", "ConfigProvidersParams", "ConfigProvidersResult", "ConfigRemoveProviderParams", "ConfigRemoveProviderResult", "ConfigScope", "ConfigSetProviderParams", "ConfigSetProviderResult", "ResolverSettings", "SecretDestination", "SecretLocation", "SecretSource", "SecretsDeleteParams", "SecretsDeleteResult", "SecretsListParams", "SecretsListResult", "SecretsResolveParams", "SecretsResolveResult", "SecretsStoreParams", "SecretsStoreResult"]


SecretSource = Literal["env", "dotenv", "host", "keychain", "memory"]
"""The store a key was found in."""


SecretDestination = Literal["auto", "host", "keychain", "memory"]
"""Where to store a key: auto is the host when it is connected, else the keychain."""


ConfigScope = Literal["user", "workspace", "host"]
"""A writable configuration layer: the user's or the workspace's config.yaml, or the editor host's settings."""


class ResolverSettings(TypedDict):
    """The seed's settings (openLLM.secrets.primaryStore, checkEnvironment, checkDotEnv; openLLM.config.source, nativeLevel) as the resolvers apply them; the seed's "vscode" is "host" here."""

    primary_store: Literal["host", "keychain"]
    check_environment: bool
    check_dotenv: bool
    config_source: Literal["native", "host"]
    native_level: Literal["user", "workspace", "both"]


class SecretsResolveParams(TypedDict):
    provider: str
    reveal: NotRequired[bool]


class SecretsResolveResult(TypedDict):
    provider: str
    found: bool
    source: SecretSource | None
    detail: str | None
    masked: str | None
    value: NotRequired[str]


class SecretsListParams(TypedDict):
    pass


class SecretLocation(TypedDict):
    """Whether a provider has a key and where; never the value."""

    provider: str
    found: bool
    source: SecretSource | None
    detail: str | None
    masked: str | None
    also_in: list[str]
    unreachable: NotRequired[list[str]]


class SecretsListResult(TypedDict):
    secrets: list[SecretLocation]


class SecretsStoreParams(TypedDict):
    provider: str
    value: str
    destination: NotRequired[SecretDestination]


class SecretsStoreResult(TypedDict):
    provider: str
    destination: Literal["host", "keychain", "memory"]


class SecretsDeleteParams(TypedDict):
    provider: str


class SecretsDeleteResult(TypedDict):
    provider: str
    deleted_from: list[str]
    still_in: list[str]
    unreachable: list[str]


class ConfigProvidersParams(TypedDict):
    pass


class ConfigProvidersResult(TypedDict):
    providers: list[ProviderConfig]
    settings: ResolverSettings


class ConfigSetProviderParams(TypedDict):
    config: ProviderConfig
    scope: NotRequired[ConfigScope]


class ConfigSetProviderResult(TypedDict):
    provider: ProviderConfig
    scope: ConfigScope
    path: str | None


class ConfigRemoveProviderParams(TypedDict):
    name: str
    scope: NotRequired[ConfigScope]


class ConfigRemoveProviderResult(TypedDict):
    name: str
    removed_from: list[ConfigScope]


class ConfigExportParams(TypedDict):
    scope: NotRequired[Literal["user", "workspace", "merged"]]


class ConfigExportResult(TypedDict):
    scope: Literal["user", "workspace", "merged"]
    providers: list[ProviderConfig]


class ConfigImportParams(TypedDict):
    providers: list[ProviderConfig]
    scope: Literal["user", "workspace"]


class ConfigImportResult(TypedDict):
    scope: Literal["user", "workspace"]
    path: str
    backup: str | None
    count: int
