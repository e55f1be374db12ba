"""Start ``openllm-bridge mcp --http`` as a real process and wait for its ready line."""

from __future__ import annotations

import json
import selectors
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "mcp_fixtures.py"


@contextmanager
def http_server(env: dict[str, str], *args: str, timeout: float = 30.0) -> Iterator[str]:
    """Yield the server's URL (from the JSON line it prints when it listens); stop it afterwards."""
    proc = subprocess.Popen(
        ["openllm-bridge", "mcp", "--http", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                raise TimeoutError(f"no ready line within {timeout} s")
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the server exited: {proc.wait()}\n{proc.stderr.read() if proc.stderr else ''}")
        ready = json.loads(line)
        assert ready["pid"] == proc.pid
        yield str(ready["url"])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


async def wait_for_text(path: Path, text: str) -> str:
    """Poll a log file written by another process until ``text`` appears, for up to 10 s (async:
    the client's own tasks, such as the one posting notifications/cancelled, must keep running)."""
    log, content = anyio.Path(path), ""
    with anyio.move_on_after(10):
        while text not in content:
            content = await log.read_text() if await log.exists() else ""
            await anyio.sleep(0.02)
    return content
