"""Shared fixtures: a private OPENLLM_HOME, no provider keys from the developer's shell, and no
access to the developer's keychain (the keychain tests bring their own Secret Service)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from secret_service import SessionBus, require, start_bus

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
    for name in ("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture(autouse=True)
def bridge_logger_restored() -> Iterator[None]:
    """A test that runs ``logs.configure`` (as the CLI does) leaves the "openllm" logger as it found
    it: cut off from the root, at a level above CRITICAL after ``none``, the next tests' caplog saw
    nothing of the bridge's warnings."""
    logger = logging.getLogger("openllm")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionBus]:
    """A private session bus with an unlocked gnome-keyring, shared by the tests that ask for it."""
    bus = start_bus(tmp_path_factory.mktemp("keyring-home"), unlocked_keyring=True)
    yield bus
    bus.stop()


@pytest.fixture
def keychain_bus(secret_service: SessionBus, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionBus]:
    """This test talks to the private Secret Service; its entries are cleared afterwards."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    yield secret_service
    subprocess.run(
        [require("secret-tool"), "clear", "service", "openllm-bridge"], env=secret_service.env, timeout=10, check=False
    )


@pytest.fixture
def cli_env(openllm_home: Path) -> dict[str, str]:
    """The environment for a CLI subprocess (the fixture above already cleaned os.environ)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env
