"""One YAML file, read and written the way a file people edit by hand should be.

Reading and writing go through ruamel.yaml's round-trip mode, so comments, key order, quoting and
fields we do not know survive an update. Writers hold an ``flock`` on a sidecar lock file for the
whole read-modify-write, so two processes adding different providers at once both land. The new
text goes to a temp file in the same folder, is fsynced and renamed over the old one, so a reader
or a ``kill -9`` sees the old file or the new one, never a torn one. A symlinked file (dotfile
managers link it) is written through the link: the target is replaced and locked, the link stays.
What ruamel does not keep by itself is detected and kept: the indentation, the lines through a
leading ``---`` (comments, directives, its own comment), a closing ``...`` and the comments after
it, a byte order mark, CRLF line breaks, the comments of a file that has no
document yet (where comments go when entries are added or removed: :mod:`bridge.config.yamlcomments`).
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
from ruamel.yaml.util import load_yaml_guess_indent

from bridge.errors import InvalidConfigError
from bridge.redact import redact


@dataclass(frozen=True)
class Layout:
    """How a text is laid out, so that a rewrite keeps it. The defaults are the seed's layout:
    "providers:" then "  - name: ..." with fields indented under the dash."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2  # of the dash
    explicit_start: bool = False  # the document begins with "--- <content>" (ruamel writes the "---")
    line_break: str = "\n"
    head: str = ""  # the lines through a bare "---" (comments, directives, its own comment): kept as written
    tail: str = ""  # a "..." that ends the document and the comments after it, which ruamel drops
    bom: bool = False


@dataclass
class Loaded:
    """A parsed document (``None`` for a missing or empty file), the layout of its text, and what
    a file without a document holds (its comments), so that a rewrite keeps what the user wrote."""

    document: Any
    layout: Layout = field(default_factory=Layout)
    comments: str = ""

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
            document, indent, dash = load_yaml_guess_indent(text, yaml=reader)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{self.path}, line {mark.line + 1}, column {mark.column + 1}" if mark else str(self.path)
            problem = exc.problem or exc.context or "invalid YAML"
            raise InvalidConfigError(redact(f"{where}: invalid YAML: {problem}")) from None
        except YAMLError as exc:
            raise InvalidConfigError(redact(f"{self.path}: invalid YAML: {exc}")) from None
        default = Layout()
        sequence, offset = (default.sequence, default.offset) if dash is None else (max(indent, dash + 2), dash)
        head, explicit_start = _head(text)
        tail = _tail(text)
        _drop_start_comment(document, head)
        layout = Layout(
            _mapping_indent(text) or default.mapping, sequence, offset, explicit_start, line_break, head, tail, bom
        )
        body = text[len(head) : len(text) - len(tail)]
        return Loaded(document, layout, _comment_lines(body) if document is None else "")

    def dump(self, loaded: Loaded) -> str:
        layout = loaded.layout
        yaml = YAML()
        yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
        yaml.explicit_start = layout.explicit_start
        yaml.width = 4096  # never re-wrap what the user wrote
        out = StringIO()
        yaml.dump(loaded.document, out)
        text = ("\ufeff" if layout.bom else "") + layout.head + out.getvalue() + layout.tail
        return text.replace("\n", layout.line_break)

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


_BLOCK_SCALAR_KEY = re.compile(r"(^|\s|:)[|>][-+0-9]*\s*(#.*)?$")  # "key: |", "- key: >-  # note"


def _mapping_indent(text: str) -> int | None:
    """How far most nested block mappings are indented under their keys, the first one seen on a
    tie (``None``: there is none). ruamel writes one indent for all of them."""
    indents: Counter[int] = Counter()
    key_column: int | None = None
    scalar_column: int | None = None  # of the key of a block scalar ("notes: |"), whose lines are text
    for line in text.splitlines():
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        column = len(line) - len(content)
        if scalar_column is not None and column > scalar_column:
            continue
        scalar_column = column if _BLOCK_SCALAR_KEY.search(content) else None
        if key_column is not None and column > key_column and not content.startswith("- "):
            indents[column - key_column] += 1
        key_column = column if content.rstrip().endswith(":") and not content.startswith("- ") else None
    return indents.most_common(1)[0][0] if indents else None


_START = re.compile(r"---[ \t]*(#.*)?\n?")  # a bare "---", or one with a comment
_END = re.compile(r"\.\.\.[ \t]*(#.*)?\n?")


def _head(text: str) -> tuple[str, bool]:
    """The lines through a bare ``---`` that begins the document, with the comments, blank lines
    and directives above it (``""`` when there is none), and whether the document begins with a
    ``---`` followed by content instead (the comments above that are the head)."""
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith(("#", "%")):
            if _START.fullmatch(line):
                return "".join(lines[: number + 1]), False
            starts = line.startswith(("--- ", "---\t"))
            return ("".join(lines[:number]) if starts else ""), starts
    return "", False


def _tail(text: str) -> str:
    """A ``...`` that ends the document and the comments and blank lines after it (``""``: none)."""
    lines = text.splitlines(keepends=True)
    for number in range(len(lines) - 1, -1, -1):
        line = lines[number]
        if _END.fullmatch(line):
            return "".join(lines[number:])
        if line.strip() and not line.lstrip().startswith("#"):
            return ""
    return ""


def _drop_start_comment(document: Any, head: str) -> None:
    """ruamel keeps the comment of a ``--- # note`` line as the document's first comment, and
    would write it on a line of its own: the head keeps that line as written instead."""
    lines = head.splitlines()
    comments = getattr(getattr(document, "ca", None), "comment", None)
    if lines and "#" in lines[-1] and comments and comments[1]:
        comments[1] = [token for token in comments[1] if token.start_mark.line != len(lines) - 1]


def _comment_lines(text: str) -> str:
    """The comments and blank lines of a text."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.strip() or line.lstrip().startswith("#"))
