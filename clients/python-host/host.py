"""The reference editor host in Python: serves the whole host API (DESIGN.md, surface 3) on a
Unix socket, the way the seed's VS Code extension does, for tests and for editors to start from.

    python clients/python-host/host.py --socket PATH [--token T] [--folder DIR] [--control]

The token comes from ``--token`` or ``OPENLLM_HOST_TOKEN``; a request whose ``params.auth`` is
not that token is answered with JSON-RPC error -32001 "Unauthorized" (the error the seed's host
uses; the bridge maps it to ``unauthorized``). The socket file is created mode 0600. Framing is
detected from each connection's first byte: ``{`` or ``[`` means newline-delimited JSON,
anything else ``Content-Length`` headers (what vscode-jsonrpc writes); replies use the same.
When ready it prints one JSON line, ``{"socket": PATH, "pid": N}``, on stdout.

``--control`` adds two methods for tests (both need the token too):
``_control/notify {method, params}`` sends a notification to every connected bridge, and
``_control/fault {mode}`` answers with broken bytes instead of a reply: ``garbage`` (1 MiB
without a line break), ``badjson`` (a framed body that is not JSON), ``truncated`` (a body cut
short, then the connection closed), ``huge`` (``Content-Length: 1073741824``, then 1 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from host_state import HostState
from jsonrpcserver import Error, Result, Success, async_dispatch

UNAUTHORIZED = -32001
MAX_MESSAGE = 16 * 1024 * 1024
MAX_HEADER = 8 * 1024
FAULTS = {
    "garbage": b"\x00\xffnot json-rpc " * 80_000,
    "badjson": b"Content-Length: 12\r\n\r\nnot json {{{",
    "truncated": b'Content-Length: 200\r\n\r\n{"jsonrpc":"2.0","id":',
    "huge": b"Content-Length: 1073741824\r\n\r\n" + b"x" * (1024 * 1024),
}


class FramingError(Exception):
    pass


class Connection:
    """One bridge connected to the host: reads messages, runs each request in its own task."""

    def __init__(self, host: Host, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.host = host
        self.reader = reader
        self.writer = writer
        self.ndjson = False
        self.lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()

    async def read_message(self) -> bytes | None:
        first = await self.reader.read(1)
        while first in (b"\r", b"\n", b" ", b"\t"):
            first = await self.reader.read(1)
        if not first:
            return None
        if first in (b"{", b"["):
            self.ndjson = True
            return first + await self.reader.readuntil(b"\n")
        header = first + await self.reader.readuntil(b"\r\n\r\n")
        if len(header) > MAX_HEADER:
            raise FramingError("header too long")
        length = None
        for line in header.decode("ascii", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None or not 0 <= length <= MAX_MESSAGE:
            raise FramingError(f"bad Content-Length {length}")
        return await self.reader.readexactly(length)

    async def write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        frame = body + b"\n" if self.ndjson else b"Content-Length: %d\r\n\r\n" % len(body) + body
        await self.write_raw(frame)

    async def write_raw(self, data: bytes) -> None:
        async with self.lock:
            self.writer.write(data)
            await self.writer.drain()

    async def broadcast(self, method: str, params: dict[str, Any]) -> int:
        return await self.host.broadcast(method, params)

    async def serve(self) -> None:
        try:
            while (body := await self.read_message()) is not None:
                task = asyncio.create_task(self.handle(body))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        except (FramingError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as exc:
            print(f"host: dropping a connection: {exc!r}"[:200], file=sys.stderr)
        finally:
            for task in self.tasks:
                task.cancel()
            self.writer.close()

    async def handle(self, body: bytes) -> None:
        try:
            message = json.loads(body)
        except ValueError:
            await self.write({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
            return
        if not isinstance(message, dict) or "method" not in message:
            return  # a response or a batch: the host sends no requests and takes no batches
        params = message.get("params")
        token = params.pop("auth", None) if isinstance(params, dict) else None
        if not isinstance(token, str) or not hmac.compare_digest(token.encode(), self.host.token.encode()):
            if "id" in message:
                error = {"code": UNAUTHORIZED, "message": "Unauthorized"}
                await self.write({"jsonrpc": "2.0", "id": message["id"], "error": error})
            return
        if message["method"] == "_control/fault" and self.host.control and isinstance(params, dict):
            await self.fault(str(params.get("mode")))
            return
        reply = await async_dispatch(json.dumps(message), methods=self.host.methods, context=self)
        if reply:
            await self.write(json.loads(reply))

    async def fault(self, mode: str) -> None:
        with contextlib.suppress(OSError):
            await self.write_raw(FAULTS.get(mode, FAULTS["garbage"]))
            if mode == "truncated":
                self.writer.close()


class Host:
    def __init__(self, state: HostState, token: str, control: bool) -> None:
        self.token = token
        self.control = control
        self.connections: set[Connection] = set()
        self.methods = state.methods()
        if control:
            self.methods["_control/notify"] = self.control_notify

    async def broadcast(self, method: str, params: dict[str, Any]) -> int:
        sent = 0
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                await conn.write({"jsonrpc": "2.0", "method": method, "params": params})
                sent += 1
        return sent

    async def control_notify(self, conn: Connection, *, method: str, params: dict[str, Any] | None = None) -> Result:
        if not method.startswith("notifications/"):
            return Error(-32602, "only notifications/* can be sent")
        return Success({"sent": await self.broadcast(method, params or {})})

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(self, reader, writer)
        self.connections.add(conn)
        try:
            await conn.serve()
        except asyncio.CancelledError:
            pass  # the host is shutting down
        finally:
            self.connections.discard(conn)


async def serve(socket_path: Path, host: Host) -> None:
    old_umask = os.umask(0o177)  # the socket file is born 0600: no window where others may connect
    try:
        server = await asyncio.start_unix_server(host.accept, path=str(socket_path), limit=MAX_MESSAGE)
    finally:
        os.umask(old_umask)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"socket": str(socket_path), "pid": os.getpid()}), flush=True)
    async with server:
        await stop.wait()
        for conn in list(host.connections):
            conn.writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description="Open LLM Bridge reference editor host (Python).")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--token", default=os.environ.get("OPENLLM_HOST_TOKEN"))
    parser.add_argument("--folder", type=Path, help="keep state in FOLDER/host-state.json (default: memory)")
    parser.add_argument("--control", action="store_true", help="serve the _control/* methods tests use")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set OPENLLM_HOST_TOKEN")
    args.socket.unlink(missing_ok=True)
    try:
        asyncio.run(serve(args.socket, Host(HostState(args.folder), args.token, args.control)))
    finally:
        args.socket.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
