"""Where the own-line comments of a hand-written YAML file go when its entries change.

ruamel.yaml keeps an own-line comment with the line above it, but in a file people write a comment
heads what follows it: ``# the work account`` over ``- name: azure``. So when lines are added at
the end of an entry or of the list (:func:`comments_kept_below`), or an entry is removed
(:func:`remove_item`), the comments below it are moved to stay above what they headed.
:func:`comments_in` finds the comments of a text, to check that a rewrite keeps them all.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken

_BLOCK_SCALARS = (LiteralScalarString, FoldedScalarString)  # a comment below one has no line break first
_HASH = re.compile(r"(?:^|(?<=[ \t]))#", re.MULTILINE)  # a comment begins a line or follows a blank


def comments_in(text: str) -> list[tuple[int, str]]:
    """The comments of a YAML text that parses, each as (its line, from 1; the comment from its
    ``#`` to the end of the line): a ``#`` that begins a line or follows a blank, outside every
    token the YAML scanner reads (in a quoted or block scalar it is text)."""
    tokens = YAML(typ="safe", pure=True).scan(text)
    spans = [(t.start_mark.index, t.end_mark.index) for t in tokens if t.end_mark.index > t.start_mark.index]
    starts = [start for start, _ in spans]  # the scanner's tokens follow one another: sorted, apart
    line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
    found: list[tuple[int, str]] = []
    end = 0  # of the last comment found: a "#" in it is its text
    for match in _HASH.finditer(text):
        at = match.start()
        inside = bisect_right(starts, at) - 1
        if at < end or (inside >= 0 and spans[inside][0] <= at < spans[inside][1]):
            continue
        line = bisect_right(line_starts, at)
        end = line_starts[line] - 1 if line < len(line_starts) else len(text)
        found.append((line, text[at:end].rstrip()))
    return found


def remove_item(items: CommentedSeq, index: int) -> None:
    """Remove one item of a block list, keeping the own-line comments above and below it: ruamel
    keeps those below with the item's last line, but they head what comes next. They go below the
    item before, or (for the first item) below the line of the list's key."""
    below = _comments_below(items, index)
    if index > 0:  # below a flow collection, ruamel keeps the comments over an item with the item
        above = (items.ca.items.get(index) or [None, None])[1]
        below = "".join(" " * int(token.column) + str(token.value) for token in above or []) + below
    del items[index]
    if below and index > 0:
        _append_below(items, index - 1, below)
    elif below:
        _append_below_key(items, below)


def replace_items(parent: CommentedMap, key: Any, values: list[Any]) -> None:
    """Make the list ``parent[key]`` hold ``values``, in place (a flow list stays a flow list): each
    value that was there before keeps the comment beside it and, in a block list, the own-line
    comments over it (a slice assignment drops them all); the comments below the list stay below
    it, however long it is now."""
    items = parent[key]
    with comments_kept_below(items):
        flow = bool(items.fa.flow_style())
        beside: dict[Any, list[Any]] = {}
        over: dict[Any, str] = {}  # ruamel keeps them with the item above
        for index, value in enumerate(items):
            tokens = items.ca.items.get(index)
            if not _hashable(value) or tokens is None:
                continue
            if flow or tokens[0] is None:
                beside.setdefault(value, tokens)
                continue
            line, _, below = str(tokens[0].value).partition("\n")
            if line:
                beside.setdefault(value, [CommentToken(line + "\n", CommentMark(tokens[0].column)), None, None, None])
            if below and index + 1 < len(items) and _hashable(items[index + 1]):
                over.setdefault(items[index + 1], below)
        items[:] = values
        for index, value in enumerate(values):
            if _hashable(value) and value in beside:
                items.ca.items[index] = beside.pop(value)
        for index, value in enumerate(values):
            if _hashable(value) and value in over:
                comments = over.pop(value)
                _append_below(items, index - 1, comments) if index else _append_below_key(items, comments)
    settle_list(parent, key)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not isinstance(value, _BLOCK_SCALARS)


@contextlib.contextmanager
def comments_kept_below(node: CommentedMap | CommentedSeq) -> Iterator[None]:
    """Around a change that may add lines at the end of ``node`` (a field to an entry, an entry to
    the list): the own-line comments after its last line head what follows it, so they stay after
    its last line, whichever line that is then. ruamel keeps them with the old last line, which
    would put the new lines below them, under a comment that was about something else."""
    below = _take_comments_below(node, _last_key(node)) if node else ""
    yield
    if below and node:
        _append_below(node, _last_key(node), below)
    elif below and isinstance(node, CommentedSeq):
        _append_below_key(node, below)


def _last_key(node: CommentedMap | CommentedSeq) -> Any:
    return next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1


def _take_comments_below(node: CommentedMap | CommentedSeq, key: Any) -> str:
    """:func:`_comments_below`, removed from where they were (the end-of-line comment stays)."""
    below = _comments_below(node, key)
    if below:
        comments, key, slot, value = _last_line(node, key)
        token = comments[key][slot]
        if isinstance(value, _BLOCK_SCALARS):
            comments[key][slot] = None
        else:
            token.value = str(token.value).partition("\n")[0] + "\n"
    return below


def _last_line(node: CommentedMap | CommentedSeq, key: Any) -> tuple[dict[Any, list[Any]], Any, int, Any]:
    """Where ruamel keeps the comment token of the last line of ``node[key]``, the one at the end
    of that line and the own-line ones below it: (the comments, their key, the slot, the value)."""
    value = node[key]
    if type(value) in (dict, list) and value:  # a value just set: made a node that can hold comments
        value = node[key] = _commented(value)
    if isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        return _last_line(value, _last_key(value))
    return node.ca.items, key, 2 if isinstance(node, CommentedMap) else 0, value


def _commented(value: Any) -> Any:
    if isinstance(value, CommentedMap | CommentedSeq):
        return value
    if isinstance(value, dict):
        return CommentedMap((key, _commented(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    return value


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
    if isinstance(value, CommentedMap | CommentedSeq) and not value:
        value.fa.set_flow_style()  # "key: []", with the comments after it (below a bare "key:" is invalid)
    tokens = comments.setdefault(key, [None] * 4)
    if tokens[slot] is None:
        tokens[slot] = CommentToken("" if isinstance(value, _BLOCK_SCALARS) else "\n", CommentMark(0))
    tokens[slot].value += below


def _append_below_key(items: CommentedSeq, below: str) -> None:
    """The comments below the line of the list's key: above its first item (an emptied list keeps
    them for :func:`settle_list`)."""
    comment = items.ca.comment or [None, None]
    if items and comment[1]:
        comment[1].append(CommentToken(below, CommentMark(0)))
    elif comment[0] is not None:
        comment[0].value += below
    else:
        comment[0] = CommentToken("\n" + below, CommentMark(0))
    items.ca.comment = comment


def settle_list(parent: CommentedMap, key: Any) -> None:
    """After a change to the list ``parent[key]``, have the key's line carry the comments that
    went above its first item (:func:`_append_below_key`) when the key has comments of its own:
    ruamel then writes only those. An emptied list is written as ``key: []`` followed by every
    comment it still holds: the one at the end of the key's line, those that were above its
    first item and below its last (kept at its end when the last line was a flow collection).
    ruamel writes an emptied block list's comments above the ``[]``, which is not YAML, so the
    list is made anew and the key's line carries them."""
    items = parent.get(key)
    if not isinstance(items, CommentedSeq):
        return
    tokens = parent.ca.items.get(key) or [None] * 4
    own = items.ca.comment or [None, None]
    if items:
        if key in parent.ca.items and own[0] is not None and own[0] is not tokens[2]:
            if tokens[2] is None:
                tokens[2] = own[0]
            else:
                tokens[2].value = str(tokens[2].value) + str(own[0].value).removeprefix("\n")
            own[0] = None
        return
    text = str(tokens[2].value) if tokens[2] is not None else ""
    if own[0] is not None and own[0] is not tokens[2]:
        text += str(own[0].value).removeprefix("\n") if text else str(own[0].value)
    for token in [*(own[1] or tokens[3] or []), *(items.ca.end or [])]:  # end: after a flow collection
        text += ("" if text else "\n") + " " * int(token.column) + str(token.value)
    fresh = CommentedSeq()
    fresh.fa.set_flow_style()
    parent[key] = fresh
    parent.ca.items[key] = [tokens[0], tokens[1], CommentToken(text, CommentMark(0)) if text else None, None]
