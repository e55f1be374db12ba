"""A private D-Bus session bus with a real gnome-keyring Secret Service, for the keychain tests.

PEERS.md's recipe made into a fixture: a ``dbus-daemon --session`` of our own (its environment
has a temp HOME, so D-Bus activation never reaches the developer's keyring) and, when asked, a
``gnome-keyring-daemon --unlock --components=secrets`` on it. Both exit with the bus. A missing
program fails the test with the Debian package that provides it; it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SECRETS_NAME = "org.freedesktop.secrets"
_PACKAGES = {"dbus-daemon": "dbus", "gnome-keyring-daemon": "gnome-keyring", "secret-tool": "libsecret-tools"}


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(
            f"{program} is not installed: install the Debian package {_PACKAGES[program]} "
            "(it is in scripts/apt-packages.txt; run `bash scripts/setup.sh`)"
        )
    return path


@dataclass
class SessionBus:
    address: str
    home: Path
    bus_pid: int
    keyring_pid: int | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process that should use this bus (and nothing of the real session)."""
        return {**_base_env(self.home), "DBUS_SESSION_BUS_ADDRESS": self.address}

    def stop(self) -> None:
        for pid in (self.keyring_pid, self.bus_pid):
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGCONT)  # a test may have stopped it
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_", "GNOME_KEYRING"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    run = home / "run"
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(run),
        XDG_DATA_HOME=str(home / "share"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    return env


def start_bus(home: Path, *, unlocked_keyring: bool) -> SessionBus:
    """A new session bus; with ``unlocked_keyring`` an unlocked gnome-keyring serves secrets on it."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    started = subprocess.run(
        [require("dbus-daemon"), "--session", "--fork", "--nosyslog", "--print-address=1", "--print-pid=1"],
        env=_base_env(home),
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    address, pid = started.stdout.split()
    bus = SessionBus(address, home, int(pid))
    if unlocked_keyring:
        subprocess.run(
            [require("gnome-keyring-daemon"), "--unlock", "--components=secrets"],
            input="test-password",
            env=bus.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        bus.keyring_pid = _wait_for_owner(bus, SECRETS_NAME)
    return bus


def _wait_for_owner(bus: SessionBus, name: str, deadline: float = 10.0) -> int:
    """Poll the bus until ``name`` has an owner; answer the owner's pid."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    dbus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
    end = time.monotonic() + deadline
    with open_dbus_connection(bus.address) as connection:
        while time.monotonic() < end:
            (owned,) = connection.send_and_get_reply(new_method_call(dbus, "NameHasOwner", "s", (name,))).body
            if owned:
                reply = connection.send_and_get_reply(new_method_call(dbus, "GetConnectionUnixProcessID", "s", (name,)))
                return int(reply.body[0])
            time.sleep(0.02)  # polling an external process, with a deadline
    raise AssertionError(f"{name} did not appear on the private bus within {deadline} s")
