"""One YAML file, read and written the way a file people edit by hand should be.

Reading and writing go through ruamel.yaml's round-trip mode, so comments, key order, quoting and
fields we do not know survive an update. Writers hold an ``flock`` on a sidecar lock file for the
whole read-modify-write, so two processes adding different providers at once both land. The new
text goes to a temp file in the same folder, is fsynced and renamed over the old one, so a reader
or a ``kill -9`` sees the old file or the new one, never a torn one. A symlinked file (dotfile
managers link it) is written through the link: the target is replaced and locked, the link stays.
What ruamel does not keep by itself is detected and kept: the indentation, a leading ``---``, CRLF
line breaks, and the comments of a file that has no document yet.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from bridge.errors import InvalidConfigError
from bridge.redact import redact

_BLOCK_SCALARS = (LiteralScalarString, FoldedScalarString)  # a comment below one has no line break first


@dataclass(frozen=True)
class Layout:
    """How a text is laid out, so that a rewrite keeps it. The defaults are the seed's layout:
    "providers:" then "  - name: ..." with fields indented under the dash."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2  # of the dash
    explicit_start: bool = False  # the document begins with "---"
    line_break: str = "\n"


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
        line_break = "\r\n" if "\r\n" in text.partition("\n")[0] + "\n" else "\n"
        text = text.replace("\r\n", "\n")
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
        layout = Layout(
            _mapping_indent(text) or default.mapping, sequence, offset, _starts_explicitly(text), line_break
        )
        return Loaded(document, layout, _comment_lines(text) if document is None else "")

    def dump(self, loaded: Loaded) -> str:
        layout = loaded.layout
        yaml = YAML()
        yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
        yaml.explicit_start = layout.explicit_start
        yaml.width = 4096  # never re-wrap what the user wrote
        out = StringIO()
        yaml.dump(loaded.document, out)
        return out.getvalue().replace("\n", layout.line_break)

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


def _mapping_indent(text: str) -> int | None:
    """How far the first nested block mapping is indented under its key (``None``: there is none)."""
    key_column: int | None = None
    for line in text.splitlines():
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        column = len(line) - len(content)
        if key_column is not None and column > key_column and not content.startswith("- "):
            return column - key_column
        key_column = column if content.rstrip().endswith(":") and not content.startswith("- ") else None
    return None


def _starts_explicitly(text: str) -> bool:
    """Whether the first line that is not blank or a comment is a ``---``."""
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return line == "---" or line.startswith("--- ")
    return False


def _comment_lines(text: str) -> str:
    """The comments and blank lines of a text."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.strip() or line.lstrip().startswith("#"))


def remove_item(items: CommentedSeq, index: int) -> None:
    """Remove one item of a block list, keeping the own-line comments below it: ruamel keeps them
    with the item's last line, but they head what comes next. They go below the item before, or
    (for the first item) below the line of the list's key."""
    below = _comments_below(items, index)
    del items[index]
    if below and index > 0:
        _append_below(items, index - 1, below)
    elif below:
        _append_below_key(items, below)


def _last_line(node: CommentedMap | CommentedSeq, key: Any) -> tuple[dict[Any, list[Any]], Any, int, Any]:
    """Where ruamel keeps the comment token of the last line of ``node[key]``, the one at the end
    of that line and the own-line ones below it: (the comments, their key, the slot, the value)."""
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        return _last_line(value, next(reversed(value)) if isinstance(value, CommentedMap) else len(value) - 1)
    return node.ca.items, key, 2 if isinstance(node, CommentedMap) else 0, value


def _comments_below(node: CommentedMap | CommentedSeq, key: Any) -> str:
    """The own-line comments after the last line of ``node[key]`` (a block scalar ends that line)."""
    comments, key, slot, value = _last_line(node, key)
    token = (comments.get(key) or [None] * 4)[slot]
    if token is None:
        return ""
    if isinstance(value, _BLOCK_SCALARS):  # the token holds own lines only, the first without its indent
        return " " * int(token.column) + str(token.value)
    return str(token.value).partition("\n")[2]


def _append_below(node: CommentedMap | CommentedSeq, key: Any, below: str) -> None:
    comments, key, slot, value = _last_line(node, key)
    tokens = comments.setdefault(key, [None] * 4)
    if tokens[slot] is None:
        tokens[slot] = CommentToken("" if isinstance(value, _BLOCK_SCALARS) else "\n", CommentMark(0))
    tokens[slot].value += below


def _append_below_key(items: CommentedSeq, below: str) -> None:
    if not items:
        items.fa.set_flow_style()  # "key: []", with the comments after it
    comment = items.ca.comment or [None, None]
    if items and comment[1]:
        comment[1].append(CommentToken(below, CommentMark(0)))
    elif comment[0] is not None:
        comment[0].value += below
    else:
        comment[0] = CommentToken("\n" + below, CommentMark(0))
    items.ca.comment = comment
