"""The interfaces the engine and the resolvers are written against.

Secret and config sources are small stores behind two protocols (the seed's ``SecretStore`` and
``ConfigProvider`` traits, made async because the host and the keychain are slow I/O). Stores
are keyed by provider id (``openai``); each store maps that to its own naming (an env var, a
keychain entry, a host secret key). The engine needs only the two resolver protocols at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bridge.redact import Secret
from protocol import ProviderConfig


@dataclass(frozen=True)
class ResolvedSecret:
    """A key and where it came from: ``source`` is the store (env, dotenv, host, keychain,
    memory), ``detail`` says exactly where (``env:OPENAI_API_KEY``, ``dotenv:/path/.env``)."""

    value: Secret
    source: str
    detail: str


@dataclass(frozen=True)
class Availability:
    """Whether a store can be used now, and if not, why (shown by ``doctor`` and ``secrets where``)."""

    available: bool
    reason: str | None = None


class SecretStore(Protocol):
    name: str  # env, dotenv, memory, keychain, host, chain
    writable: bool

    async def availability(self) -> Availability: ...
    async def get(self, provider: str) -> ResolvedSecret | None: ...
    async def store(self, provider: str, value: Secret) -> None: ...
    async def delete(self, provider: str) -> bool: ...


class ConfigProvider(Protocol):
    name: str  # user, workspace, host, memory

    async def get_providers(self) -> list[ProviderConfig]: ...
    async def add_provider(self, config: ProviderConfig) -> None: ...
    async def update_provider(self, name: str, config: ProviderConfig) -> None: ...
    async def remove_provider(self, name: str) -> bool: ...


class SecretResolver(Protocol):
    """What the engine asks for a key (UnifiedSecretResolver implements it)."""

    async def resolve(self, provider: str) -> ResolvedSecret | None: ...


class ConfigResolver(Protocol):
    """What the engine asks for a provider's merged settings (UnifiedConfigResolver implements it)."""

    async def get_provider(self, name: str) -> ProviderConfig | None: ...
