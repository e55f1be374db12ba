"""MemoryConfigProvider: provider settings held in memory (tests, embedding, a process's own overrides)."""

from __future__ import annotations

from collections.abc import Iterable

from bridge.config.validate import Origin, check_entry
from bridge.errors import InvalidConfigError
from protocol import ProviderConfig


class MemoryConfigProvider:
    def __init__(self, providers: Iterable[ProviderConfig] = (), name: str = "memory") -> None:
        self.name = name
        self._providers: dict[str, ProviderConfig] = {}
        for config in providers:
            checked = check_entry(config, Origin(name))
            self._providers[checked["name"]] = checked

    async def get_providers(self) -> list[ProviderConfig]:
        return [{**config, "source": "memory", "source_detail": self.name} for config in self._providers.values()]

    async def add_provider(self, config: ProviderConfig) -> None:
        checked = check_entry(config, Origin("the request"))
        if checked["name"] in self._providers:
            raise InvalidConfigError(f"{self.name}: provider {checked['name']!r} is already configured")
        self._providers[checked["name"]] = checked

    async def update_provider(self, name: str, config: ProviderConfig) -> None:
        if name not in self._providers:
            raise InvalidConfigError(f"{self.name}: provider {name!r} is not configured here")
        self._providers[name] = check_entry({**self._providers[name], **config, "name": name}, Origin("the request"))

    async def remove_provider(self, name: str) -> bool:
        return self._providers.pop(name, None) is not None
