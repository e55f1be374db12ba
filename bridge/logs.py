"""Logging for every command: Python's ``logging``, one redaction filter, never stdout.

stdout is reserved for the MCP stdio wire and ``chat --json``; logs go to stderr or to the file
given with ``--log-file``. ``--log-level`` (or ``OPENLLM_LOG_LEVEL`` for spawned processes) picks
the level; ``none`` turns logging off.
"""

from __future__ import annotations

import logging
import os
import sys

from bridge.redact import RedactingFilter

LEVELS = ("debug", "info", "warning", "error", "none")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str | None = None, file: str | None = None) -> None:
    level = (level or os.environ.get("OPENLLM_LOG_LEVEL") or "warning").lower()
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; choose one of {', '.join(LEVELS)}")
    root = logging.getLogger("openllm")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.propagate = False
    if level == "none":
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.CRITICAL + 1)
        return
    output: logging.Handler = logging.FileHandler(file, encoding="utf-8") if file else logging.StreamHandler(sys.stderr)
    output.addFilter(RedactingFilter())
    output.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(output)
    root.setLevel(level.upper())
