"""Whether the workspace's config.yaml may say where keys go and what runs.

A workspace's ``.openllm/config.yaml`` comes with the repository, written by whoever can push to
it. Two kinds of its fields would let that person take the user's keys or run code on the user's
machine, so they count only in a workspace the user trusts:

- a provider's ``api_base`` and ``api_key_env``: where the key is sent, and which environment
  variable is sent as the key;
- ``tools.mcp_servers``: commands the bridge starts.

The same goes for the workspace's ``.env`` files (read with ``secrets.checkDotEnv`` on): one that
comes with a repository can hold its owner's key, and the user's prompts would go to the owner's
account, where the owner can read what was sent.

Everything else in it (models, ``enabled``, deployments, timeouts, tool filters) counts anywhere.
The user trusts a folder, and every folder below it, in the ``settings:`` block of their own
config.yaml, which no repository writes::

    settings:
      trustedWorkspaces: [~/src/project, ~/work]   # absolute or ~ paths; a relative one is ignored

A workspace the editor host names (``workspace/getRoot``) is trusted: the editor has decided, and
the VS Code extension does not run in a workspace the user has not trusted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from bridge import paths
from bridge.config.files import FileConfigProvider
from protocol import ProviderConfig

log = logging.getLogger("openllm.config")

SETTING = "trustedWorkspaces"
ROUTING_FIELDS = ("api_base", "api_key_env")


class WorkspaceTrust:
    """The verdict for one workspace, re-read when the user's file changes."""

    def __init__(self, user: FileConfigProvider, workspace: Path, *, named_by_host: bool = False) -> None:
        self.user = user
        self.workspace = workspace
        self._named_by_host = named_by_host
        # run from the home folder, the workspace's config.yaml is the user's own
        # realpath, not resolve(): a config.yaml that is a symlink loop is the reader's error to report
        self._user_file = os.path.realpath(paths.workspace_config_path(workspace)) == os.path.realpath(user.path)
        self._verdict: tuple[Mapping[str, Any], bool] | None = None  # (the settings block read, verdict)
        # (the providers given, as they count, what was left out): the same list answers the same list
        self._withheld: tuple[list[ProviderConfig], list[ProviderConfig], list[str]] | None = None
        self._ignored: dict[str, list[str]] = {}  # what the workspace set that does not count, by section

    async def trusted(self) -> bool:
        if self._named_by_host or self._user_file:
            return True
        block = await self.user.read_settings()  # the same object until the file changes
        if self._verdict is None or self._verdict[0] is not block:
            self._verdict = (block, _listed(block.get(SETTING), self.workspace))
        return self._verdict[1]

    async def providers(self, providers: list[ProviderConfig]) -> list[ProviderConfig]:
        """The workspace's providers as they count: without their routing fields when untrusted
        (the same list back for the same list given, so the merge above is kept)."""
        if await self.trusted():
            self._ignored.pop("providers", None)
            return providers
        withheld = self._withheld
        if withheld is None or withheld[0] is not providers:
            ignored = [f"{p['name']}.{f}" for p in providers for f in ROUTING_FIELDS if f in p]
            withheld = self._withheld = (providers, [_without_routing(p) for p in providers], ignored)
            self._warn(ignored)
        self._ignored["providers"] = withheld[2]
        return withheld[1]

    async def tools_section(self, section: Any) -> Any:
        """The workspace's ``tools:`` section as it counts: without ``mcp_servers`` when untrusted
        (read once, when the tool sources start)."""
        if not isinstance(section, Mapping) or "mcp_servers" not in section or await self.trusted():
            self._ignored.pop("tools", None)
            return section
        self._ignored["tools"] = ["tools.mcp_servers"]
        self._warn(self._ignored["tools"])
        return {k: v for k, v in section.items() if k != "mcp_servers"}

    async def dotenv_files(self, files: list[Path]) -> list[Path]:
        """The .env files that count: without the workspace's own when it is untrusted."""
        if await self.trusted():
            self._ignored.pop("dotenv", None)
            return files
        own = paths.workspace_dotenv_paths(self.workspace)
        left_out = [str(file) for file in files if file in own and file.is_file()]
        if left_out != self._ignored.get("dotenv", []):
            self._warn(left_out)
        self._ignored["dotenv"] = left_out
        return [file for file in files if file not in own]

    def hint(self) -> str:
        return (
            f"the workspace {self.workspace} is not trusted; to trust it, list it under settings: "
            f"{SETTING}: in {self.user.path}"
        )

    @property
    def ignored(self) -> list[str]:
        """What the workspace set that does not count (``openai.api_base``, ``tools.mcp_servers``,
        the path of a ``.env`` file)."""
        return [name for names in self._ignored.values() for name in names]

    def ignored_in(self, section: str) -> list[str]:
        """What of one section (``providers``, ``tools``, ``dotenv``) does not count."""
        return list(self._ignored.get(section, ()))

    def _warn(self, ignored: list[str]) -> None:
        if ignored:
            log.warning("ignoring %s from %s: %s", ", ".join(ignored), self.workspace, self.hint())


def _without_routing(provider: ProviderConfig) -> ProviderConfig:
    return cast(ProviderConfig, {k: v for k, v in provider.items() if k not in ROUTING_FIELDS})


def _listed(entries: Any, workspace: Path) -> bool:
    if isinstance(entries, str):
        entries = [entries]
    if not isinstance(entries, Sequence):
        return False
    here = workspace.expanduser().resolve()
    for entry in entries:
        folder = Path(entry.strip()).expanduser() if isinstance(entry, str) and entry.strip() else None
        if folder is None or not folder.is_absolute():  # "." would trust whatever folder the bridge runs in
            continue
        folder = folder.resolve()
        if here == folder or folder in here.parents:
            return True
    return False
