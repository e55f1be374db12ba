"""Start ``openllm-bridge serve`` as a child process and connect to it.

The child prints ``{"socket": PATH, "pid": N}`` once it accepts; the token goes to it through the
environment (never argv, which other users can read in ``ps``). Leaving the block stops it with
SIGTERM (it removes its socket) and waits for it; should this process die first, the child stops
by itself (``OPENLLM_PARENT_PID``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import anyio
from anyio.streams.buffered import BufferedByteReceiveStream

from bridge import errors
from openllm_client._client import BridgeClient, connect

_READY_LINE_LIMIT = 4096


@asynccontextmanager
async def spawn(
    *,
    command: Sequence[str] = ("openllm-bridge",),
    socket: str | None = None,
    token: str | None = None,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
) -> AsyncIterator[BridgeClient]:
    argv = [*command, "serve", *(["--socket", socket] if socket else []), *args]
    child_env = dict(os.environ if env is None else env)
    child_env["OPENLLM_PARENT_PID"] = str(os.getpid())  # it stops should this process die first
    if token is not None:
        child_env["OPENLLM_BRIDGE_TOKEN"] = token
    process = await anyio.open_process(argv, env=child_env, stdin=subprocess.DEVNULL, stderr=None)
    try:
        assert process.stdout is not None
        try:
            with anyio.fail_after(ready_timeout):
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", _READY_LINE_LIMIT)
        except (TimeoutError, anyio.EndOfStream, anyio.IncompleteRead) as exc:
            with anyio.move_on_after(1):  # it may be exiting (a bad option): its status says more
                await process.wait()
            ended = f"it exited with status {process.returncode}" if process.returncode is not None else "it runs on"
            raise errors.InternalError(f"`{' '.join(argv)}` did not start serving: {ended}") from exc
        try:
            socket_path = json.loads(line)["socket"]
        except (ValueError, TypeError, KeyError) as exc:
            printed = line[:200].decode(errors="replace")
            raise errors.InternalError(f"`{' '.join(argv)}` printed {printed!r}, not its ready line") from exc
        async with connect(socket_path, token=token) as client:
            yield client
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
            await process.wait()
            await process.aclose()
