"""Secret stores (env, .env files, memory, the system keychain, a chain) and the unified resolver."""

from __future__ import annotations

from bridge.secrets.dotenv import DotEnvSecretStore
from bridge.secrets.keychain import SERVICE, KeychainSecretStore
from bridge.secrets.resolver import DeleteOutcome, UnifiedSecretResolver
from bridge.secrets.stores import ChainSecretStore, EnvSecretStore, MemorySecretStore

__all__ = [
    "SERVICE",
    "ChainSecretStore",
    "DeleteOutcome",
    "DotEnvSecretStore",
    "EnvSecretStore",
    "KeychainSecretStore",
    "MemorySecretStore",
    "UnifiedSecretResolver",
]
