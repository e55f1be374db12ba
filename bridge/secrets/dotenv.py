"""DotEnvSecretStore: read-only keys from ``.env`` files, parsed by python-dotenv.

The files, most specific first: ``<workspace>/.openllm/.env``, ``<workspace>/.env``,
``~/.openllm/.env``; the workspace's two only in a workspace the user trusts
(:mod:`bridge.config.trust`). Files are read on every lookup (they are small, and the resolver caches), so
an edit is seen without a restart. Variables are not interpolated: a ``.env`` line means exactly
what it says, whatever the surrounding environment holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread

from bridge.errors import InvalidConfigError
from bridge.providers import BUILTIN, Registry
from bridge.redact import Secret
from bridge.secrets.stores import env_names
from bridge.types import Availability, ResolvedSecret

if TYPE_CHECKING:
    from bridge.config.trust import WorkspaceTrust

log = logging.getLogger("openllm.secrets")


class DotEnvSecretStore:
    name = "dotenv"
    writable = False

    def __init__(
        self, files: Sequence[Path], registry: Registry = BUILTIN, trust: WorkspaceTrust | None = None
    ) -> None:
        """``trust``: whether the workspace's files among ``files`` count (without one, all do)."""
        self.files = list(files)
        self._registry = registry
        self._trust = trust

    async def counted(self) -> list[Path]:
        """The files that count now (the workspace's only when it is trusted)."""
        return self.files if self._trust is None else await self._trust.dotenv_files(self.files)

    async def present(self) -> list[Path]:
        """The files that count and exist now."""
        files = await self.counted()
        return await anyio.to_thread.run_sync(lambda: [f for f in files if f.is_file()])

    async def availability(self) -> Availability:
        if await self.present():
            return Availability(True)
        return Availability(False, "no .env file at " + ", ".join(str(f) for f in self.files))

    async def get(self, provider: str) -> ResolvedSecret | None:
        return await self.lookup(env_names(self._registry, provider))

    async def lookup(self, names: Sequence[str]) -> ResolvedSecret | None:
        if not names:
            return None
        return await anyio.to_thread.run_sync(self._lookup, await self.counted(), tuple(names))

    def _lookup(self, files: list[Path], names: tuple[str, ...]) -> ResolvedSecret | None:
        from dotenv import dotenv_values

        for path in files:
            if not path.is_file():
                continue
            try:
                values = dotenv_values(path, interpolate=False, encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:  # one unreadable file does not hide the others
                reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
                log.warning("skipping the .env file %s: %s", path, reason)
                continue
            for name in names:
                value = values.get(name)
                if value and value.strip():
                    return ResolvedSecret(Secret(value.strip()), "dotenv", f"dotenv:{path}")
        return None

    async def store(self, provider: str, value: Secret) -> None:
        raise InvalidConfigError(".env files are read-only for the bridge; edit the file, or store the key elsewhere")

    async def delete(self, provider: str) -> bool:
        return False
