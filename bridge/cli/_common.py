"""What several commands share: building the engine from the environment, printing JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bridge.engine import Engine
from bridge.settings_api import SettingsAPI
from protocol import dumps


def make_settings_api() -> SettingsAPI:
    """Keys and config from the environment, ``OPENLLM_HOME`` and the current directory as the workspace."""
    return SettingsAPI.from_environment(workspace=Path.cwd())


def make_engine() -> Engine:
    api = make_settings_api()
    return Engine(secrets=api.secrets, config=api.config)


def print_json(message: Any) -> None:
    sys.stdout.write(dumps(message) + "\n")
    sys.stdout.flush()


def positive(text: str) -> float:
    """An argparse type: a number above zero."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number above zero."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number above zero, got {text}")
    return value
