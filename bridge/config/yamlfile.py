"""One YAML file, read and written the way a file people edit by hand should be.

Reading and writing go through ruamel.yaml's round-trip mode, so comments, key order, quoting and
fields we do not know survive an update. Writers hold an ``flock`` on a sidecar lock file for the
whole read-modify-write, so two processes adding different providers at once both land. The new
text goes to a temp file in the same folder, is fsynced and renamed over the old one, so a reader
or a ``kill -9`` sees the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from bridge.errors import InvalidConfigError
from bridge.redact import redact

# the seed's layout: "providers:" then "  - name: ..." with fields indented under the dash
_DEFAULT_INDENT = (2, 4, 2)  # mapping, sequence, offset of the dash


@dataclass
class Loaded:
    """A parsed document (``None`` for a missing or empty file) and the indentation its text uses,
    so that a rewrite keeps the user's layout."""

    document: Any
    indent: tuple[int, int, int] = _DEFAULT_INDENT


class YamlFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading -----------------------------------------------------------------------------

    def load(self) -> Loaded:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Loaded(None)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidConfigError(f"{self.path}: cannot read: {exc}") from exc
        return self.parse(text)

    def parse(self, text: str) -> Loaded:
        try:
            reader = YAML()
            reader.preserve_quotes = True  # "2024-10-21" stays a quoted string, not a date
            document, indent, dash = load_yaml_guess_indent(text, yaml=reader)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{self.path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(self.path)
            problem = exc.problem or exc.context or "invalid YAML"
            raise InvalidConfigError(redact(f"{where}: invalid YAML: {problem}")) from None
        except YAMLError as exc:
            raise InvalidConfigError(redact(f"{self.path}: invalid YAML: {exc}")) from None
        if indent is None:
            return Loaded(document)
        dash = dash or 0
        return Loaded(document, (2, max(indent, dash + 2), dash))

    def dump(self, loaded: Loaded) -> str:
        yaml = YAML()
        mapping, sequence, offset = loaded.indent
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        yaml.width = 4096  # never re-wrap what the user wrote
        out = StringIO()
        yaml.dump(loaded.document, out)
        return out.getvalue()

    # -- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes and threads (``flock`` locks belong to the open file, so two
        opens in one process exclude each other too). Stale temp files of writers killed mid-write
        are removed while the lock is held."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.parent / f".{self.path.name}.lock"
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                    stale.unlink(missing_ok=True)
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def write_text(self, text: str) -> None:
        """Replace the file atomically with ``text`` (call with the lock held)."""
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def backup(self) -> Path | None:
        """Copy the file beside itself (``config.yaml.bak-20260102T030405``) before it is replaced."""
        if not self.path.exists():
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bak-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = self.path.with_name(f"{self.path.name}.bak-{stamp}-{counter}")
        shutil.copy2(self.path, target)
        return target
