"""Shared fixtures: a private OPENLLM_HOME, no provider keys from the developer's shell."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.providers import BUILTIN

KEY_VARS = sorted({name for spec in BUILTIN for name in spec.env_vars})
BIN = Path(sys.executable).parent


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def openllm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "openllm-home"
    home.mkdir()
    monkeypatch.setenv("OPENLLM_HOME", str(home))
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENLLM_LOG_LEVEL", raising=False)
    yield home


@pytest.fixture
def cli_env(openllm_home: Path) -> dict[str, str]:
    """The environment for a CLI subprocess (the fixture above already cleaned os.environ)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env
