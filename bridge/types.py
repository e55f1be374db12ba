"""The interfaces the engine is written against.

Secret and config sources plug into the engine through these two protocols; the unified
resolvers (env, .env, host, keychain; YAML files and host settings) implement them, and tests
can hand in anything with the same shape.
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


class SecretResolver(Protocol):
    async def resolve(self, provider: str) -> ResolvedSecret | None: ...


class ConfigResolver(Protocol):
    async def get_provider(self, name: str) -> ProviderConfig | None: ...
