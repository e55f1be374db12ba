"""What several commands share: building the engine from the environment, printing JSON."""

from __future__ import annotations

import sys
from typing import Any

from bridge.engine import Engine
from protocol import dumps


def make_engine() -> Engine:
    return Engine()


def print_json(message: Any) -> None:
    sys.stdout.write(dumps(message) + "\n")
    sys.stdout.flush()
