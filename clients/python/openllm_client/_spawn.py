"""Start ``openllm-bridge serve`` as a child process and connect to it.

The child prints ``{"socket": PATH, "pid": N}`` once it accepts; the token goes to it through the
environment (never argv, which other users can read in ``ps``). Leaving the block stops it with
SIGTERM (it removes its socket) and waits for it; should this process die first, the child stops
by itself (``--exit-with-parent``).
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
    argv = [*command, "serve", *(["--socket", socket] if socket else []), "--exit-with-parent", *args]
    child_env = dict(os.environ if env is None else env)
    if token is not None:
        child_env["OPENLLM_BRIDGE_TOKEN"] = token
    process = await anyio.open_process(argv, env=child_env, stdin=subprocess.DEVNULL, stderr=None)
    try:
        assert process.stdout is not None
        try:
            with anyio.fail_after(ready_timeout):
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", _READY_LINE_LIMIT)
        except (TimeoutError, anyio.EndOfStream, anyio.IncompleteRead) as exc:
            command_line = " ".join(argv)
            raise errors.InternalError(f"`{command_line}` did not start serving (exit {process.returncode})") from exc
        ready = json.loads(line)
        async with connect(ready["socket"], token=token) as client:
            yield client
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
            await process.wait()
            await process.aclose()
