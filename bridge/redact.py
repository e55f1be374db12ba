"""Keep secret values out of everything the bridge prints, logs or returns.

Two nets: every key the bridge resolves is registered here and masked wherever it appears, and
anything shaped like a well-known API key (``sk-…``, ``sk-ant-…``, ``AIza…``, bearer tokens) is
masked even if it was never registered. :class:`Secret` wraps a value so that ``repr``/``str``
show only the mask; the value is taken out with :meth:`Secret.reveal` at the one place that
needs it (the HTTP header).
"""

from __future__ import annotations

import logging
import re
import threading

_KEY_SHAPES = re.compile(
    r"(?:sk-(?:ant-|proj-|or-v1-)?[A-Za-z0-9_\-]{16,})"
    r"|(?:AIza[0-9A-Za-z_\-]{30,})"
    r"|(?:(?<=[Bb]earer )[A-Za-z0-9._\-~+/]{16,}=*)"
    r"|(?:(?<=key=)[A-Za-z0-9_\-]{20,})"
)

_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None


def mask(value: str) -> str:
    """``sk-proj-abc…wxyz`` -> ``sk-…wxyz``: enough to tell keys apart, never enough to use one."""
    if len(value) < 12:
        return "…"
    return f"{value[:3]}…{value[-4:]}"


def register(value: str) -> None:
    """Mask this exact value from now on, wherever it shows up."""
    global _known_pattern
    if len(value) < 8:
        return
    with _known_lock:
        if value not in _known:
            _known.add(value)
            ordered = sorted(_known, key=len, reverse=True)
            _known_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str) -> str:
    pattern = _known_pattern
    if pattern is not None:
        text = pattern.sub(lambda m: mask(m.group(0)), text)
    return _KEY_SHAPES.sub(lambda m: mask(m.group(0)), text)


class Secret:
    """A secret value that will not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class RedactingFilter(logging.Filter):
    """A logging filter that masks keys in the formatted message and in exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            del exc
        return True


def looks_like_key(text: str) -> bool:
    """Whether ``text`` contains something shaped like a well-known API key (used to refuse keys
    written into config files)."""
    return _KEY_SHAPES.search(text) is not None
