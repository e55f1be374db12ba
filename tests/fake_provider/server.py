"""A loopback HTTP/1.1 server that plays provider APIs byte for byte, faults included.

It runs its own asyncio loop in a thread, so an in-process async test, a CLI subprocess and a
benchmark can all talk to it over real TCP on 127.0.0.1 (ephemeral port). Tests queue
:class:`Reply` objects; each request takes the next one (FIFO, whatever the path) and is
recorded, so a test can check what the bridge sent. A reply is a list of steps:

- ``bytes``: one piece of the body, sent as its own HTTP chunk and flushed;
- :data:`RESET`: abort the TCP connection (RST); as the first step, before any header is sent;
- :data:`HANGUP`: close the connection in the middle of the body (no final chunk);
- :data:`STALL`: send nothing more and wait until the client gives up.

The server notes when each connection was closed and by whom (``client`` when it read EOF or a
reset from the client), on the same monotonic clock as the test, so tests can assert that the
bridge closed the upstream connection and how soon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

RESET, HANGUP, STALL = "reset", "hangup", "stall"
Step = bytes | str


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Reply:
        return cls(status, [("Content-Type", "application/json"), *(headers or [])], [json.dumps(payload).encode()])

    @classmethod
    def sse(cls, *events: Any, done: bool = False, status: int = 200) -> Reply:
        """One SSE event per step: dicts become ``data: <json>``, strings are sent as they are."""
        steps: list[Step] = [
            e if isinstance(e, bytes | str) and e in (RESET, HANGUP, STALL) else _sse_event(e) for e in events
        ]
        if done:
            steps.append(b"data: [DONE]\n\n")
        return cls(status, [("Content-Type", "text/event-stream")], steps)

    @classmethod
    def ndjson(cls, *lines: Any) -> Reply:
        steps: list[Step] = [
            line if line in (RESET, HANGUP, STALL) else json.dumps(line).encode() + b"\n" for line in lines
        ]
        return cls(200, [("Content-Type", "application/x-ndjson")], steps)


def _sse_event(event: Any) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return b"data: " + json.dumps(event).encode() + b"\n\n"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Connection:
    opened: float
    closed: float | None = None
    closed_by: str | None = None


class FakeServer:
    def __init__(self, default: Reply | None = None) -> None:
        """``default`` answers every request when no reply is queued (benchmarks); otherwise such
        a request gets a 599 error."""
        self.default = default
        self.requests: list[Recorded] = []
        self.connections: list[Connection] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-provider", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake provider server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def wait_closed(self, timeout: float = 5.0, count: int | None = None) -> list[Connection]:
        """Wait until every connection so far (at least ``count``) has been closed; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                done = all(c.closed is not None for c in self.connections)
                if done and len(self.connections) >= (count or 0):
                    return list(self.connections)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"connections still open after {timeout}s: {self.connections}")
                self._lock.wait(remaining)

    def wait_requests(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self._lock.wait(remaining)

    # -- the server thread ------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()  # asyncio.run then cancels the handlers still running (stalled replies)

    def _note(self, connection: Connection, by: str) -> None:
        with self._lock:
            if connection.closed is None:
                connection.closed, connection.closed_by = time.monotonic(), by
                self._lock.notify_all()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = Connection(time.monotonic())
        with self._lock:
            self.connections.append(connection)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    self._note(connection, "client")
                    return
                with self._lock:
                    self.requests.append(request)
                    self._lock.notify_all()
                    reply = self._replies.popleft() if self._replies else self.default or _NOTHING_QUEUED
                if not await self._play(reply, reader, writer, connection):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            self._note(connection, "client")
        except asyncio.CancelledError:  # the server is shutting down: end quietly
            return
        finally:
            if connection.closed is None:
                self._note(connection, "server")
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _play(
        self, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: Connection
    ) -> bool:
        """Send one reply; False when the connection is finished with."""
        if reply.steps[:1] == [RESET]:
            _reset(writer)
            self._note(connection, "server")
            return False
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        head += [f"{k}: {v}" for k, v in reply.headers]
        head.append("Transfer-Encoding: chunked")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for step in reply.steps:
            if step == RESET:
                _reset(writer)
                self._note(connection, "server")
                return False
            if step == HANGUP:
                self._note(connection, "server")
                return False
            if step == STALL:
                await writer.drain()
                with contextlib.suppress(ConnectionError):
                    await reader.read()  # returns at EOF: the client closed the connection
                self._note(connection, "client")
                return False
            if isinstance(step, bytes) and step:
                writer.write(b"%x\r\n%s\r\n" % (len(step), step))
                await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Recorded(method, target, headers, body)


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


_NOTHING_QUEUED = Reply.json({"error": "no reply queued"}, 599)
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 529: "Overloaded"}  # fmt: skip
