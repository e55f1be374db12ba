"""A real ``openllm-bridge serve`` subprocess for tests, and what can be read about it from outside."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol import dumps


@dataclass
class BridgeProcess:
    process: subprocess.Popen[str]
    socket: str
    log_file: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_ticks(self) -> int:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        wait_for_text(self.log_file, re.escape(text), timeout)
        return self.log()

    def connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(self.socket)
        return sock


def wait_for_text(path: Path, pattern: str, timeout: float = 10.0) -> re.Match[str]:
    """Poll a log file of another process until ``pattern`` shows up (polling an external
    process with a deadline; never a sleep standing in for an event of our own)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, path.read_text() if path.exists() else "")
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"{pattern!r} not logged within {timeout} s; log:\n{path.read_text()[-2000:]}")


@contextmanager
def serve(
    env: dict[str, str], tmp: Path, *args: str, socket_path: str | None = None, cwd: Path | None = None
) -> Iterator[BridgeProcess]:
    log_file = tmp / f"bridge-{time.monotonic_ns()}.log"
    path = socket_path or str(tmp / "bridge.sock")
    command = ["openllm-bridge", "serve", "--socket", path, "--log-level", "debug", "--log-file", str(log_file), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, f"serve did not start: {process.stderr.read() if process.stderr else ''}"
        ready = json.loads(line)
        assert ready == {"socket": path, "pid": process.pid}
        yield BridgeProcess(process, path, log_file)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


class NdjsonPeer:
    """A blocking NDJSON client: enough to send anything and read answers line by line."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_message(self, message: Any) -> None:
        self.send(dumps(message).encode() + b"\n")

    def receive(self) -> Any:
        while b"\n" not in self._buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the bridge closed the connection")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def receive_until(self, done: Callable[[Any], bool]) -> list[Any]:
        seen = []
        while True:
            message = self.receive()
            seen.append(message)
            if done(message):
                return seen

    def ask(self, message: Any) -> Any:
        self.send_message(message)
        return self.receive_until(lambda m: m.get("id") == message["id"] and "method" not in m)[-1]

    def close(self) -> None:
        self.sock.close()
