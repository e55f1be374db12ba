"""One YAML file, read and written the way a file people edit by hand should be.

Reading and writing go through ruamel.yaml's round-trip mode, so comments, key order, quoting and
fields we do not know survive an update. Writers hold an ``flock`` on a sidecar lock file for the
whole read-modify-write, so two processes adding different providers at once both land. The new
text goes to a temp file in the same folder, is fsynced and renamed over the old one, so a reader
or a ``kill -9`` sees the old file or the new one, never a torn one. A symlinked file (dotfile
managers link it) is written through the link: the target is replaced and locked, the link stays.
What ruamel does not keep by itself is detected and kept: the layout (:mod:`bridge.config.yamllayout`:
indentation, what surrounds the document, the YAML version), a byte order mark, CRLF line breaks,
the comments of a file that has no document yet (where comments go when entries are added or
removed: :mod:`bridge.config.yamlcomments`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bridge.config.yamlcomments import comments_in
from bridge.config.yamllayout import Layout, body, drop_start_comment, framed, layout_of, writer
from bridge.errors import InvalidConfigError
from bridge.redact import redact

# ruamel quotes both values of a duplicate key, and the key may be one (an api_key given twice)
_DUPLICATE_VALUES = re.compile(r' with value ".*', re.DOTALL)


@dataclass
class Loaded:
    """A parsed document (``None`` for a missing or empty file), the layout of its text, and what
    a file without a document holds (its comments), so that a rewrite keeps what the user wrote."""

    document: Any
    layout: Layout = field(default_factory=Layout)
    comments: str = ""
    text: str = ""  # as read (line breaks made \n, no byte order mark)

    def new_document(self) -> CommentedMap:
        """An empty document for a file that has none, headed by the comments the file holds."""
        document = CommentedMap()
        if self.comments.strip():
            document.yaml_set_start_comment(self.comments.removesuffix("\n"))
        return document


class YamlFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading -----------------------------------------------------------------------------

    def load(self) -> Loaded:
        try:
            with open(self.path, encoding="utf-8", newline="") as file:  # CRLF stays visible
                text = file.read()
        except FileNotFoundError:
            return Loaded(None)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidConfigError(f"{self.path}: cannot read: {exc}") from exc
        return self.parse(text)

    def parse(self, text: str) -> Loaded:
        line_break = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"  # what most lines end with
        bom = text.startswith("\ufeff")
        text = text.removeprefix("\ufeff").replace("\r\n", "\n")
        try:
            reader = YAML()
            reader.preserve_quotes = True  # "2024-10-21" stays a quoted string, not a date
            document = reader.load(text)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{self.path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(self.path)
            problem = _DUPLICATE_VALUES.sub("", exc.problem or exc.context or "invalid YAML")
            raise InvalidConfigError(redact(f"{where}: invalid YAML: {problem}")) from None
        except YAMLError as exc:
            raise InvalidConfigError(redact(f"{self.path}: invalid YAML: {exc}")) from None
        layout = layout_of(text, line_break, bom)
        drop_start_comment(document, layout)
        return Loaded(document, layout, _comment_lines(body(text, layout)) if document is None else "", text)

    def dump(self, loaded: Loaded) -> str:
        out = StringIO()
        writer(loaded.layout).dump(loaded.document, out)
        return framed(loaded.layout, out.getvalue())

    def refuse_to_drop_comments(self, loaded: Loaded) -> None:
        """Raise :class:`InvalidConfigError`, naming the first, when writing the document back as
        it is would drop a comment, so that nothing is written. ruamel cannot write the comments
        inside a list or map in flow style (``[...]``, ``{...}``) written over several lines."""
        if loaded.document is None:
            return
        written = self.dump(loaded).removeprefix("\ufeff").replace("\r\n", "\n")  # as loaded.text is
        try:
            kept, comments = Counter(c for _, c in comments_in(written)), comments_in(loaded.text)
        except YAMLError:  # ruamel's round-trip reader took a text its plain scanner does not: not checked
            return
        for line, comment in comments:
            if kept[comment] == 0:
                raise InvalidConfigError(
                    f"{self.path}: not changed, to keep your comments: the comment on line {line} "
                    f"({comment[:60]!r}) is inside a list or map in flow style ([...] or {{...}}) written "
                    "over several lines, whose comments cannot be written back; write it one `- item` "
                    "(or `key: value`) a line, or make this change by hand"
                )
            kept[comment] -= 1

    # -- writing -----------------------------------------------------------------------------

    def target(self) -> Path:
        """The file written: the path with its symlinks resolved (it may not exist yet)."""
        return Path(os.path.realpath(self.path))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes and threads (``flock`` locks belong to the open file, so two
        opens in one process exclude each other too), on a lock beside the target, so that a link
        and its target share it. Stale temp files of writers killed mid-write are removed while the
        lock is held."""
        target = self.target()
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / f".{target.name}.lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                for stale in target.parent.glob(f".{target.name}.*.tmp"):
                    stale.unlink(missing_ok=True)
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def write_text(self, text: str) -> None:
        """Replace the target atomically with ``text`` (call with the lock held)."""
        target = self.target()
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
                out.flush()
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        directory = os.open(target.parent, os.O_RDONLY)
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


def _comment_lines(text: str) -> str:
    """The comments and blank lines of a text."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.strip() or line.lstrip().startswith("#"))
