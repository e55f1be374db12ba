"""The layout of a hand-written YAML text, which ruamel.yaml does not keep by itself: found when
the text is read (:func:`layout_of`), so that its rewrite (:func:`writer`, :func:`framed`) keeps
it. That is the indentation of mappings and lists (ruamel writes one of each, so the most used
one, not the first), the lines through a leading ``---`` as written (comments, directives, the
``---`` line's own comment), a closing ``...`` and what follows it, and the YAML version a
``%YAML`` directive names (a value written for 1.1 is quoted as 1.1 reads it: ``'no'``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML


@dataclass(frozen=True)
class Layout:
    """How a text is laid out. The defaults are the seed's layout: "providers:" then
    "  - name: ..." with fields indented under the dash."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2  # of the dash
    explicit_start: bool = False  # the document begins with "--- <content>" (ruamel writes the "---")
    line_break: str = "\n"
    head: str = ""  # the lines through a bare "---" (comments, directives, its own comment): kept as written
    tail: str = ""  # a "..." that ends the document and the comments after it, which ruamel drops
    bom: bool = False
    version: tuple[int, int] | None = None  # of a "%YAML 1.1" directive in the head


_START = re.compile(r"---(?:[ \t]+(?:#.*)?)?\n?")  # a bare "---", or one with a comment ("---#x" is a key)
_END = re.compile(r"\.\.\.(?:[ \t]+(?:#.*)?)?\n?")
_VERSION = re.compile(r"^%YAML[ \t]+(\d+)\.(\d+)", re.MULTILINE)
_COMMENT = re.compile(r"(?:^|[ \t])#.*$")  # near enough for guessing: a " #" inside quotes is rare
_BLOCK_SCALAR = re.compile(r"(?:^-|:)[ \t]+[|>][-+0-9]*$")  # "key: |", "- key: >-", "- |"


def layout_of(text: str, line_break: str, bom: bool) -> Layout:
    """The layout of ``text`` (a BOM removed, its line breaks made ``\\n``)."""
    default = Layout()
    mapping, sequence, dash = _indents(text)
    head, explicit_start = _head(text)
    version = _VERSION.search(head)
    return Layout(
        mapping or default.mapping,
        default.sequence if sequence is None or dash is None else max(sequence, dash + 2),
        default.offset if dash is None else dash,
        explicit_start,
        line_break,
        head if head.endswith("\n") or not head else head + "\n",
        _tail(text),
        bom,
        (int(version[1]), int(version[2])) if version else None,
    )


def writer(layout: Layout) -> YAML:
    yaml = YAML()
    yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    yaml.explicit_start = layout.explicit_start
    yaml.version = layout.version
    yaml.width = 1 << 30  # never re-wrap what the user wrote, however long a line
    return yaml


def framed(layout: Layout, dumped: str) -> str:
    """What :func:`writer` dumped, between the head and the tail, with the layout's line breaks."""
    if layout.version is not None:  # ruamel wrote the directive (and a "---") the head holds already
        dumped = dumped.partition("\n")[2]
        if not layout.explicit_start:  # the head ends with its own "---" line
            dumped = dumped.removeprefix("---").removeprefix("\n").removeprefix(" ")
    text = ("\ufeff" if layout.bom else "") + layout.head + dumped + layout.tail
    return text.replace("\n", layout.line_break)


def body(text: str, layout: Layout) -> str:
    """The text between the head and the tail."""
    return text[len(layout.head) : len(text) - len(layout.tail)]


def drop_start_comment(document: Any, layout: Layout) -> None:
    """ruamel keeps the comment of a ``--- # note`` line as the document's first comment, and
    would write it on a line of its own: the head keeps that line as written instead (the blank
    lines ruamel keeps with that comment stay where they were)."""
    lines = layout.head.splitlines()
    comments = getattr(getattr(document, "ca", None), "comment", None)
    if layout.explicit_start or not (lines and "#" in lines[-1] and comments and comments[1]):
        return
    for token in comments[1]:
        if token.start_mark.line == len(lines) - 1:
            token.value = str(token.value).partition("\n")[2]  # the blank lines below it, if any
            if not token.value:
                comments[1].remove(token)
            break


def _indents(text: str) -> tuple[int | None, int | None, int | None]:
    """How far most nested block mappings are indented under their keys (the first seen on a tie;
    ``None``: there is none), and for the first block list, how far its items' content and its
    dash are indented under its key. The lines of a block scalar are text, not YAML."""
    mappings: Counter[int] = Counter()
    sequence = dash = None
    key_column: int | None = None  # of a key alone on its line ("headers:")
    scalar_column: int | None = None  # of what a block scalar belongs to: its lines are deeper
    for line in text.splitlines():
        content = line.lstrip(" ")
        code = _COMMENT.sub("", content).rstrip()
        if not code or content.startswith("%") or _START.fullmatch(line) or _END.fullmatch(line):
            continue
        column = len(line) - len(content)
        if scalar_column is not None and column > scalar_column:
            continue
        item = code.startswith("- ") or code == "-"
        if item and sequence is None and key_column is not None and code != "-":
            sequence = column + len(content) - len(content[1:].lstrip(" ")) - key_column
            dash = column - key_column
        scalar_column = None
        if _BLOCK_SCALAR.search(code):  # the key's column, past any dashes ("- notes: |")
            scalar_column = column if re.fullmatch(r"-[ \t]+[|>][-+0-9]*", code) else column + _dashes(code)
        if key_column is not None and column > key_column and not item:
            mappings[column - key_column] += 1
        key_column = column if code.endswith(":") and not item else None
    return (mappings.most_common(1)[0][0] if mappings else None), sequence, dash


def _dashes(code: str) -> int:
    """How far a line's content is past its leading dashes ("- - key" → 4)."""
    rest = code
    while rest.startswith("- "):
        rest = rest[1:].lstrip(" ")
    return len(code) - len(rest)


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
