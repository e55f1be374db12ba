"""The simple secret stores: environment variables, memory, and a chain of stores.

Stores are keyed by provider id; the env store maps it to the provider's variable names from the
registry (``GEMINI_API_KEY`` then ``GOOGLE_API_KEY``). Every answer says where the key was found.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from bridge.errors import InvalidConfigError, StoreUnavailableError
from bridge.providers import BUILTIN, Registry
from bridge.redact import Secret
from bridge.types import Availability, ResolvedSecret, SecretStore


def env_names(registry: Registry, provider: str) -> tuple[str, ...]:
    """The variables that may hold ``provider``'s key (none for a provider the registry does not know)."""
    return registry.get(provider).env_vars if provider in registry else ()


class EnvSecretStore:
    """Read-only: the variable names in the registry, plus any named by ``api_key_env``."""

    name = "env"
    writable = False

    def __init__(self, registry: Registry = BUILTIN, environ: Mapping[str, str] | None = None) -> None:
        self._registry = registry
        self._environ = os.environ if environ is None else environ

    async def availability(self) -> Availability:
        return Availability(True)

    async def get(self, provider: str) -> ResolvedSecret | None:
        return await self.lookup(env_names(self._registry, provider))

    async def lookup(self, names: Sequence[str]) -> ResolvedSecret | None:
        for name in names:
            value = self._environ.get(name)
            if value and value.strip():
                return ResolvedSecret(Secret(value.strip()), "env", f"env:{name}")
        return None

    async def store(self, provider: str, value: Secret) -> None:
        names = " or ".join(env_names(self._registry, provider)) or "a variable"
        raise InvalidConfigError(f"environment variables are read-only here; set {names} in your shell instead")

    async def delete(self, provider: str) -> bool:
        return False


class MemorySecretStore:
    """Keys held in this process only (tests, embedding, a key handed over at start)."""

    writable = True

    def __init__(self, values: Mapping[str, str] | None = None, name: str = "memory") -> None:
        self.name = name
        self._values = {provider: Secret(value) for provider, value in (values or {}).items()}

    async def availability(self) -> Availability:
        return Availability(True)

    async def get(self, provider: str) -> ResolvedSecret | None:
        value = self._values.get(provider)
        return ResolvedSecret(value, self.name, self.name) if value is not None else None

    async def store(self, provider: str, value: Secret) -> None:
        self._values[provider] = value

    async def delete(self, provider: str) -> bool:
        return self._values.pop(provider, None) is not None


class ChainSecretStore:
    """Stores tried in order, first hit wins (jaraco/keyring's chainer shape), answering with the
    store that had the key. Writes go to the first writable store that is available; deletes
    reach every writable store. Unavailable stores are passed over."""

    name = "chain"

    def __init__(self, stores: Sequence[SecretStore]) -> None:
        self.stores = list(stores)
        self.writable = any(store.writable for store in self.stores)

    async def availability(self) -> Availability:
        reasons = []
        for store in self.stores:
            state = await store.availability()
            if state.available:
                return Availability(True)
            reasons.append(f"{store.name}: {state.reason}")
        return Availability(False, "; ".join(reasons) or "the chain is empty")

    async def get(self, provider: str) -> ResolvedSecret | None:
        for store in self.stores:
            if (await store.availability()).available:
                found = await store.get(provider)
                if found is not None:
                    return found
        return None

    async def store(self, provider: str, value: Secret) -> None:
        for store in self.stores:
            if store.writable and (await store.availability()).available:
                await store.store(provider, value)
                return
        raise StoreUnavailableError("no writable store in the chain is available")

    async def delete(self, provider: str) -> bool:
        deleted = False
        for store in self.stores:
            if store.writable and (await store.availability()).available:
                deleted = await store.delete(provider) or deleted
        return deleted
