"""The reference editor hosts as real processes, for the host tests.

``HostProcess`` starts ``clients/python-host/host.py`` or ``clients/node-host/host.js`` on a
socket in a temporary folder, waits for its ready line, and can kill and restart it;
``running_host`` gives one seeded with ``STATE``, ``connect`` a client connected to it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from bridge.host import Backoff, HostClient
from bridge.rpc import Framing

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "python": [sys.executable, str(ROOT / "clients" / "python-host" / "host.py")],
    "node": ["node", str(ROOT / "clients" / "node-host" / "host.js")],
}
TOKEN = "host-token-for-tests-0123456789"
ANTHROPIC_KEY = "sk-ant-host-0123456789abcdef"
STATE: dict[str, Any] = {
    "secrets": {"openllm.anthropic.apiKey": ANTHROPIC_KEY},
    "config": {
        "user": {"openai": {"name": "openai", "models": ["gpt-4o-mini"], "api_base": "https://user.example/v1"}},
        "workspace": {
            "openai": {"name": "openai", "api_base": "https://ws.example/v1"},
            "ollama": {"name": "ollama", "enabled": False},
        },
    },
    "settings": {"secrets": {"primaryStore": "host"}, "tools": {"exclude": ["sleep"]}},
    "workspace": {"folders": ["/src/app", "/src/lib"]},
}


class HostProcess:
    def __init__(self, kind: str, folder: Path, socket: Path, state: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.socket = socket  # short: a Unix socket path has at most 107 bytes
        self.token = TOKEN
        self.log = folder / "host.log"
        self.process: subprocess.Popen[str] | None = None
        if state is not None:
            (folder / "host-state.json").write_text(json.dumps(state), encoding="utf-8")

    def start(self, timeout: float = 20.0) -> HostProcess:
        command = [*COMMANDS[self.kind], "--socket", str(self.socket), "--folder", str(self.folder), "--control"]
        env = {**os.environ, "OPENLLM_HOST_TOKEN": self.token}
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError(f"the {self.kind} host did not start: {self.log.read_text()[-2000:]}")
        assert json.loads(line) == {"socket": str(self.socket), "pid": self.process.pid}
        return self

    def kill(self) -> None:
        """SIGKILL: the host dies without closing anything, as a crashed editor would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process.stdout.close()  # type: ignore[union-attr]
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()  # type: ignore[union-attr]
        self.process = None


@contextmanager
def running_host(kind: str, folder: Path, state: dict[str, Any] | None = None) -> Iterator[HostProcess]:
    """A started host of ``kind`` (``python`` or ``node``) seeded with ``state`` (default STATE)."""
    with tempfile.TemporaryDirectory(prefix="oh-") as short:  # a Unix socket path has at most 107 bytes
        process = HostProcess(kind, folder, Path(short) / "h.sock", STATE if state is None else state).start()
        try:
            yield process
        finally:
            process.stop()


@asynccontextmanager
async def connect(
    host: HostProcess, token: str | None = None, framing: Framing = "content-length"
) -> AsyncIterator[HostClient]:
    client = HostClient(host.socket, token or host.token, framing=framing, timeout=5.0, backoff=Backoff(0.02, 0.2))
    async with client:
        assert client.connected
        yield client
