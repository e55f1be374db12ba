"""FileConfigProvider: the seed's YAML config files, ``~/.openllm/config.yaml`` (user) and
``<workspace>/.openllm/config.yaml`` (workspace).

::

    providers:
      - name: openai
        enabled: true
        models: [gpt-4o, gpt-4o-mini]
      - name: azure
        api_base: https://example.openai.azure.com
        api_version: "2024-10-21"
        deployment: gpt-4o
        api_key_env: MY_AZURE_KEY     # a reference to a variable, never the key itself
    settings:                         # user file only: the seed's settings
      secrets:
        checkDotEnv: true

Reads are cached until the file changes (its inode, size or mtime), and an unchanged file answers
with the very objects it answered before (callers only read them), so what is derived from them
(the merge, the settings) can be kept too: a key lookup or a chat costs one ``stat`` of each file.
Every write re-reads the file
under the lock, changes only what it was asked to, checks the whole result and only then replaces
the file; a file that does not check out is left as it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio.to_thread
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bridge import paths
from bridge.config.validate import ALIASES, COMPUTED, Origin, check_document, check_entry
from bridge.config.yamlcomments import comments_kept_below, remove_item, replace_items, settle_list
from bridge.config.yamlfile import YamlFile
from bridge.errors import InvalidConfigError
from protocol import ProviderConfig

T = TypeVar("T")
_Signature = tuple[int, int, int]
# What a missing file answers, always the same objects (never changed by anyone: see above).
_NO_PROVIDERS: list[ProviderConfig] = []
_NO_SETTINGS: dict[str, Any] = {}


class FileConfigProvider:
    """One config.yaml. ``name`` is its layer: ``user``, ``workspace`` (or ``file``)."""

    def __init__(self, path: Path, name: Literal["user", "workspace", "file"] = "file") -> None:
        self.path = path
        self.name: str = name
        self._file = YamlFile(path)
        self._cache: tuple[_Signature, list[ProviderConfig] | InvalidConfigError, dict[str, Any]] | None = None
        self._labelled: tuple[list[ProviderConfig], list[ProviderConfig]] | None = None  # (read, with source)

    @classmethod
    def user(cls, environ: Mapping[str, str] | None = None) -> FileConfigProvider:
        return cls(paths.user_config_path(environ), "user")

    @classmethod
    def workspace(cls, workspace: Path) -> FileConfigProvider:
        return cls(paths.workspace_config_path(workspace), "workspace")

    def __repr__(self) -> str:
        return f"FileConfigProvider({self.name}, {str(self.path)!r})"

    # -- reading -----------------------------------------------------------------------------

    async def get_providers(self) -> list[ProviderConfig]:
        unchanged = self._unchanged()
        providers, _ = unchanged if unchanged is not None else await anyio.to_thread.run_sync(self._read)
        if self._labelled is None or self._labelled[0] is not providers:
            source: Literal["user", "workspace"] = "workspace" if self.name == "workspace" else "user"
            self._labelled = (providers, [{**p, "source": source, "source_detail": str(self.path)} for p in providers])
        return self._labelled[1]

    def _unchanged(self) -> tuple[list[ProviderConfig], dict[str, Any]] | None:
        """What :meth:`_read` would answer, when that needs no parsing: the file is missing, or
        its signature matches the cache. One ``stat`` is cheaper than the hop to a worker thread
        (every chat and every uncached key lookup asks), so only a changed file goes to a thread."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return _NO_PROVIDERS, _NO_SETTINGS
        except OSError:
            return None
        if self._cache is None or self._cache[0] != (stat.st_ino, stat.st_size, stat.st_mtime_ns):
            return None
        _, providers, settings = self._cache
        return None if isinstance(providers, InvalidConfigError) else (providers, settings)

    def _read(self) -> tuple[list[ProviderConfig], dict[str, Any]]:
        """Providers and settings, re-read when the file changed. A bad provider entry does not
        stop the settings from being read (``doctor`` needs them to report the entry)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return _NO_PROVIDERS, _NO_SETTINGS
        except OSError as exc:  # a symlink loop, a folder that cannot be searched
            self._cache = None
            raise InvalidConfigError(f"{self.path}: cannot read: {exc.strerror or exc}") from exc
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if self._cache is None or self._cache[0] != signature:
            self._cache = None  # until the new text parses: no settings of an older one are kept
            document = self._file.load().document
            settings = document.get("settings") if isinstance(document, Mapping) else None
            try:
                providers: list[ProviderConfig] | InvalidConfigError = check_document(document, Origin(str(self.path)))
            except InvalidConfigError as exc:
                providers = exc
            self._cache = (signature, providers, dict(settings) if isinstance(settings, Mapping) else {})
        _, providers, settings = self._cache
        if isinstance(providers, InvalidConfigError):
            raise InvalidConfigError(providers.message)
        return providers, settings

    async def read_settings(self) -> dict[str, Any]:
        unchanged = self._unchanged()
        if unchanged is not None:
            return unchanged[1]

        def read() -> dict[str, Any]:
            try:
                return self._read()[1]
            except InvalidConfigError:
                if self._cache is None:  # the file does not parse (or cannot be read): no settings
                    raise
                return self._cache[2]  # parsed, but a provider entry is bad

        return await anyio.to_thread.run_sync(read)

    async def read_section(self, name: str) -> Any:
        """Another top-level section of the file, as written (``tools:``; None when absent);
        its owner checks it."""

        def read() -> Any:
            document = self._file.load().document
            return document.get(name) if isinstance(document, Mapping) else None

        return await anyio.to_thread.run_sync(read)

    # -- writing -----------------------------------------------------------------------------

    async def add_provider(self, config: ProviderConfig) -> None:
        def add(entries: CommentedSeq) -> None:
            if _find(entries, config["name"]) is not None:
                raise InvalidConfigError(f"{self.path}: provider {config['name']!r} is already configured")
            with comments_kept_below(entries):
                entries.append(_new_entry(config))

        await self._modify(add)

    async def update_provider(self, name: str, config: ProviderConfig) -> None:
        """Set the fields given in ``config`` (a null one is removed); fields not given (and
        comments) are kept."""

        def update(entries: CommentedSeq) -> None:
            entry = _find(entries, name)
            if entry is None:
                raise InvalidConfigError(f"{self.path}: provider {name!r} is not configured here")
            _patch(entry, config)

        await self._modify(update)

    async def set_provider(self, config: ProviderConfig) -> None:
        """Add the provider, or update the fields given if it is already there."""

        def upsert(entries: CommentedSeq) -> None:
            entry = _find(entries, config["name"])
            if entry is None:
                with comments_kept_below(entries):
                    entries.append(_new_entry(config))
            else:
                _patch(entry, config)

        await self._modify(upsert)

    async def remove_provider(self, name: str) -> bool:
        def remove(entries: CommentedSeq) -> bool:
            entry = _find(entries, name)
            if entry is None:
                return False
            remove_item(entries, entries.index(entry))
            return True

        if not await anyio.to_thread.run_sync(self.path.exists):
            return False
        return await self._modify(remove)

    async def export_json(self) -> str:
        """The file's providers as JSON (the seed's ``export_json``)."""
        providers, _ = await anyio.to_thread.run_sync(self._read)
        return json.dumps({"providers": providers}, indent=2)

    async def import_json(self, text: str) -> Path | None:
        """Replace the file's providers with those of a JSON export (the seed's ``import_json``);
        the rest of the file is kept and a copy of the old file is made first. Returns the copy."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidConfigError(f"the import is not JSON: {exc}") from None
        entries = data.get("providers") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise InvalidConfigError("the import must be a JSON object with a 'providers' list")
        return await self.replace_providers(entries)

    async def replace_providers(self, entries: list[Any]) -> Path | None:
        checked = check_document({"providers": entries}, Origin("the import"))
        backup: list[Path | None] = [None]

        def replace(current: CommentedSeq) -> None:
            backup[0] = self._file.backup()
            with comments_kept_below(current):
                current.clear()
                current.extend(_new_entry(config) for config in checked)

        await self._modify(replace)
        return backup[0]

    async def _modify(self, change: Callable[[CommentedSeq], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(self._modify_locked, change)
        except OSError as exc:  # a read-only or full disk, a directory that cannot be made or locked
            where = exc.filename or self.path
            raise InvalidConfigError(f"{self.path}: cannot write: {exc.strerror or exc} ({where})") from exc

    def _modify_locked(self, change: Callable[[CommentedSeq], T]) -> T:
        with self._file.locked():
            loaded = self._file.load()
            origin = Origin(str(self.path))
            check_document(loaded.document, origin)  # never build on a file that does not check out
            self._file.refuse_to_drop_comments(loaded)
            if loaded.document is None:
                loaded.document = loaded.new_document()
            with comments_kept_below(loaded.document):  # a new section goes above the file's last comments
                entries = loaded.document.get("providers")
                if entries is None:
                    entries = loaded.document["providers"] = CommentedSeq()
                result = change(entries)
                settle_list(loaded.document, "providers")
            text = self._file.dump(loaded)
            check_document(self._file.parse(text).document, origin)
            self._file.write_text(text)
            self._cache = None
            return result


def _find(entries: CommentedSeq, name: str) -> CommentedMap | None:
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry  # type: ignore[return-value]
    return None


def _new_entry(config: Mapping[str, Any]) -> CommentedMap:
    checked = check_entry(config, Origin("the request"))
    entry = CommentedMap()
    entry["name"] = checked["name"]
    for field, value in checked.items():
        if field != "name" and value is not None:
            entry[field] = value
    return entry


def _shared(entry: CommentedMap, key: str, value: Any) -> bool:
    """Whether ``entry[key]`` is not the entry's alone: an anchored node (``&m``, which ``*m``
    repeats elsewhere) or a field merged in with ``<<: *defaults``. Changing it in place would
    change every provider that shares it."""
    anchored = getattr(getattr(value, "anchor", None), "value", None) is not None
    own_keys = getattr(entry, "_ok", None)  # ruamel keeps the keys written in the entry itself here
    return anchored or (own_keys is not None and key in entry and key not in own_keys)


def _patch(entry: CommentedMap, config: Mapping[str, Any]) -> None:
    """Write each given field under the spelling the file already uses (``apiBase`` stays ``apiBase``)."""
    checked = check_entry({**config, "name": entry.get("name")}, Origin("the request"))
    spelled = {ALIASES.get(key, key): key for key in entry}
    with comments_kept_below(entry):  # a new field goes above the comment over the next entry
        for field, value in checked.items():
            if field in COMPUTED or field == "name":
                continue
            key = spelled.get(field, field)
            current = entry.get(key)
            if value is None:  # null: the field goes (a base URL cleared in a form), not "key: ~"
                entry.pop(key, None)
            elif _shared(entry, key, current):  # an anchor's or a merge's: the entry gets its own
                entry[key] = value
            elif isinstance(current, CommentedSeq) and isinstance(value, list):
                replace_items(entry, key, value)
            elif isinstance(current, CommentedMap) and isinstance(value, dict):
                current.clear()
                current.update(value)
            else:
                entry[key] = value
