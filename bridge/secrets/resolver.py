"""UnifiedSecretResolver: which key a provider gets, from where, and where a new key goes.

Order (the seed's, steered by its settings): a variable named by the provider's ``api_key_env``
config; then the environment (``secrets.checkEnvironment``, on by default); then ``.env`` files
(``secrets.checkDotEnv``, off by default); then the editor host and the keychain, the
``secrets.primaryStore`` first (the host by default). First hit wins, answered with its source
and detail (``env:OPENAI_API_KEY``, ``dotenv:/path/.env``, ``host``, ``keychain``). A store
that cannot answer now (no host, a locked keychain) is passed over, never fatal to a lookup.

``store(provider, key, "auto")`` writes to the primary store of the two if it is available, else
to the other, and answers which. Answers are cached for ``cache_ttl`` seconds; writes through the
resolver and :meth:`invalidate` (the host client calls it on ``notifications/secretChanged``)
drop the cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bridge.config.settings import Settings, SettingsSource, StaticSettings
from bridge.errors import BridgeError, StoreUnavailableError
from bridge.providers import BUILTIN, Registry
from bridge.redact import Secret, mask
from bridge.secrets.dotenv import DotEnvSecretStore
from bridge.secrets.stores import EnvSecretStore, MemorySecretStore, env_names
from bridge.types import ConfigResolver, ResolvedSecret, SecretStore
from protocol import SecretLocation

log = logging.getLogger("openllm.secrets")
Destination = Literal["auto", "host", "keychain", "memory"]
Stored = Literal["host", "keychain", "memory"]
_Lookup = Callable[[], Awaitable[ResolvedSecret | None]]


@dataclass(frozen=True)
class DeleteOutcome:
    deleted_from: list[str]
    still_in: list[str]  # read-only places still holding a key (env:NAME, dotenv:path)
    unreachable: list[str]  # writable stores that could not be asked, with why


class UnifiedSecretResolver:
    def __init__(
        self,
        *,
        env: EnvSecretStore | None = None,
        dotenv: DotEnvSecretStore | None = None,
        host: SecretStore | None = None,
        keychain: SecretStore | None = None,
        memory: MemorySecretStore | None = None,
        settings: SettingsSource | None = None,
        config: ConfigResolver | None = None,
        registry: Registry = BUILTIN,
        cache_ttl: float = 30.0,
    ) -> None:
        """``memory``, when given, comes before everything (keys handed to this process)."""
        self.env = env
        self.dotenv = dotenv
        self.host = host
        self.keychain = keychain
        self.memory = memory
        self.registry = registry
        self._settings = settings or StaticSettings()
        self._config = config
        self._ttl = cache_ttl
        self._cache: dict[str, tuple[float, ResolvedSecret | None]] = {}

    def invalidate(self, provider: str | None = None) -> None:
        if provider is None:
            self._cache.clear()
        else:
            self._cache.pop(provider, None)

    async def settings(self) -> Settings:
        return await self._settings.get_settings()

    # -- reading -----------------------------------------------------------------------------

    async def resolve(self, provider: str) -> ResolvedSecret | None:
        cached = self._cache.get(provider)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        found = None
        for _, lookup in await self._lookups(provider):
            found = await _ask(lookup)
            if found is not None:
                break
        self._cache[provider] = (time.monotonic(), found)
        return found

    async def locate(self, provider: str) -> SecretLocation:
        """Where ``provider``'s key is, every lower place that also has one, and the places that
        could not be asked now (a locked or hung keychain: the key may be there); never the value."""
        hits: list[ResolvedSecret] = []
        unreachable: list[str] = []
        for place, lookup in await self._lookups(provider):
            try:
                hit = await lookup()
            except BridgeError as exc:
                unreachable.append(f"{place}: {exc.message}")
                continue
            if hit is not None:
                hits.append(hit)
        first = hits[0] if hits else None
        location: SecretLocation = {
            "provider": provider,
            "found": first is not None,
            "source": first.source if first else None,  # type: ignore[typeddict-item]
            "detail": first.detail if first else None,
            "masked": mask(first.value.reveal()) if first else None,
            "also_in": [hit.detail for hit in hits[1:]],
        }
        if unreachable:
            location["unreachable"] = unreachable
        return location

    async def locations(self) -> list[SecretLocation]:
        """Every provider that needs a key or has one."""
        located = [await self.locate(spec.id) for spec in self.registry]
        return [loc for loc, spec in zip(located, self.registry, strict=True) if spec.needs_key or loc["found"]]

    async def _lookups(self, provider: str) -> list[tuple[str, _Lookup]]:
        """The places to look, in order, each named, with the call that looks there."""
        self.registry.get(provider)  # an unknown provider is an error, not a miss
        settings = await self.settings()
        names = env_names(self.registry, provider)
        named = await self._named_variable(provider)
        lookups: list[tuple[str, _Lookup]] = []
        if self.memory is not None:
            lookups.append(("memory", _getter(self.memory, provider)))
        if named and self.env is not None:
            lookups.append(("env", _named(self.env, (named,))))
        if named and self.dotenv is not None and settings.check_dotenv:
            lookups.append(("dotenv", _named(self.dotenv, (named,))))
        if self.env is not None and settings.check_environment:
            lookups.append(("env", _named(self.env, names)))
        if self.dotenv is not None and settings.check_dotenv:
            lookups.append(("dotenv", _named(self.dotenv, names)))
        for slot in self._primary_order(settings):
            store = self.host if slot == "host" else self.keychain
            if store is not None:
                lookups.append((slot, _getter(store, provider)))
        return lookups

    async def _named_variable(self, provider: str) -> str | None:
        """The provider's ``api_key_env``. A broken config file does not stop key lookups (it is
        reported where config is used); the variable it may name is then not known."""
        if self._config is None:
            return None
        try:
            config = await self._config.get_provider(provider)
        except BridgeError as exc:
            log.warning("looking up the key of %s without its config: %s", provider, exc.message)
            return None
        return config.get("api_key_env") if config else None

    @staticmethod
    def _primary_order(settings: Settings) -> list[Literal["host", "keychain"]]:
        return ["host", "keychain"] if settings.primary_store == "host" else ["keychain", "host"]

    # -- writing -----------------------------------------------------------------------------

    async def store(self, provider: str, value: Secret, destination: Destination = "auto") -> Stored:
        """Store the key; answers where it went (``host``, ``keychain`` or ``memory``)."""
        self.registry.get(provider)
        target = await self._auto_destination() if destination == "auto" else destination
        store = self._writable().get(target)
        if store is None:
            raise StoreUnavailableError(f"there is no {target} store to write to here")
        state = await store.availability()
        if not state.available:
            raise StoreUnavailableError(f"the {target} store cannot be used: {state.reason}")
        await store.store(provider, value)
        self.invalidate(provider)
        log.info("stored the key of %s in %s", provider, target)
        return target

    async def _auto_destination(self) -> Stored:
        reasons = []
        for slot in self._primary_order(await self.settings()):
            store = self.host if slot == "host" else self.keychain
            if store is None:
                reasons.append(f"{slot}: not connected" if slot == "host" else f"{slot}: not in use")
                continue
            state = await store.availability()
            if state.available:
                return slot
            reasons.append(f"{slot}: {state.reason}")
        raise StoreUnavailableError(
            "nowhere to store the key (" + "; ".join(reasons) + "). Keep it in an environment variable, "
            "or in ~/.openllm/.env with the setting secrets.checkDotEnv turned on"
        )

    async def delete(self, provider: str) -> DeleteOutcome:
        """Remove the key from every writable store; report what still holds one."""
        self.registry.get(provider)
        deleted: list[str] = []
        unreachable: list[str] = []
        for slot, store in self._writable().items():
            state = await store.availability()
            if not state.available:
                unreachable.append(f"{slot}: {state.reason}")
                continue
            try:
                if await store.delete(provider):
                    deleted.append(slot)
            except BridgeError as exc:
                unreachable.append(f"{slot}: {exc.message}")
        self.invalidate(provider)
        location = await self.locate(provider)
        still_in = [d for d in [location["detail"], *location["also_in"]] if d is not None]
        return DeleteOutcome(deleted, still_in, unreachable)

    def _writable(self) -> dict[Stored, SecretStore]:
        slots: dict[Stored, SecretStore | None] = {"memory": self.memory, "host": self.host, "keychain": self.keychain}
        return {slot: store for slot, store in slots.items() if store is not None and store.writable}


def _getter(store: SecretStore, provider: str) -> _Lookup:
    return lambda: store.get(provider)


def _named(store: EnvSecretStore | DotEnvSecretStore, names: tuple[str, ...]) -> _Lookup:
    return lambda: store.lookup(names)


async def _ask(lookup: _Lookup) -> ResolvedSecret | None:
    try:
        return await lookup()
    except BridgeError as exc:  # a store that cannot answer now is passed over
        log.info("a secret store was passed over: %s", exc.message)
        return None
