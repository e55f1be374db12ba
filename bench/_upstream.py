"""The upstream for the benchmarks and the soak: an OpenAI-compatible streaming server whose
replies are paced, timestamped and checkable, run as a child process.

Why not ``tests/fake_provider``: that server plays fixed scripts, one coroutine per step, which is
what tests need. The load benchmarks need thousands of streams at a steady rate from a server that
costs little CPU (the machine is two cores, and every cycle spent here is taken from what is being
measured), with each chunk stamped at the moment it is written. So this one is an asyncio
``Protocol`` with one ticker for all paced streams. It speaks the same wire format: OpenAI Chat
Completions SSE, one event per HTTP chunk, ``data: [DONE]`` at the end, usage when asked.

What to send is in the request itself, so it passes unchanged through any proxy in front (the
bridge, LiteLLM): the last message's content is a JSON object

    {"id": "s17", "n": 2000, "rate": 50, "fault": null}

``id`` labels the stream, ``n`` is the number of content chunks, ``rate`` chunks per second
(0: as fast as the reader takes them). Chunk ``i`` carries the text ``"<id>:<i>:<ns> "``, where
``<ns>`` is ``time.monotonic_ns()`` when it was written (CLOCK_MONOTONIC, shared by every process
on the machine), so a reader knows which stream a chunk belongs to, whether it is in order, and
how long it took to arrive. Every delta differs (LiteLLM aborts a stream repeating one delta).
``fault`` is one of ``status:<code>`` (an error response; with ``status:<code>:once`` only the first
request of that id fails, so a retry succeeds), ``reset:<k>`` (TCP reset after k chunks),
``hangup:<k>`` (the connection closes mid-body), ``garbage:<k>`` (an event that is not JSON),
``stall:<k>`` (silence after k chunks, until the client leaves).

Run: ``python bench/_upstream.py`` prints ``{"port": N}``, serves until stdin closes, and then
prints its :meth:`Upstream.stats`; ``GET /stats`` answers them at any time.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import socket
import struct
import sys
import time
from typing import Any

TICK = 0.002  # the ticker's period: paced chunks leave within 2 ms of their due time


class Stream:
    """One reply being written."""

    def __init__(self, conn: Connection, spec: dict[str, Any]) -> None:
        self.conn = conn
        self.id = str(spec.get("id", "s"))
        self.n = int(spec.get("n", 10))
        self.rate = float(spec.get("rate", 0))
        self.usage = bool(spec.get("usage", True))
        kind, _, arg = str(spec.get("fault") or "").partition(":")
        self.fault = kind
        self.fault_at = int(arg) if kind in ("reset", "hangup", "garbage", "stall") else -1
        self.sent = 0
        self.finished = False

    def event(self, payload: bytes) -> None:
        self.conn.write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def next_chunk(self) -> bool:
        """Write the next step; False once the stream is finished (or faulted, or stalled)."""
        if self.finished or self.conn.closed:
            return False
        if self.sent == self.fault_at:
            return self._fault()
        if self.sent < self.n:
            text = f"{self.id}:{self.sent}:{time.monotonic_ns()} "
            self.event(b"data: " + _CHUNK_HEAD + json.dumps(text).encode() + _CHUNK_TAIL + b"\n\n")
            self.sent += 1
            return True
        self.event(b"data: " + _STOP + b"\n\n")
        if self.usage:
            usage = {"prompt_tokens": 5, "completion_tokens": self.n, "total_tokens": self.n + 5}
            self.event(b"data: " + json.dumps({**_BASE, "choices": [], "usage": usage}).encode() + b"\n\n")
        self.event(b"data: [DONE]\n\n")
        self.conn.write(b"0\r\n\r\n")
        self.finished = True
        self.conn.stream = None
        return False

    def _fault(self) -> bool:
        self.finished = True
        if self.fault == "reset":
            self.conn.reset()
        elif self.fault == "hangup":
            self.conn.transport.close()
        elif self.fault == "garbage":
            self.event(b"data: {this is not json\n\n")
        # stall: write nothing more; the client's leaving closes the connection
        return False


_BASE = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": "m"}
# A content event is this head, the JSON string of the text, this tail (json.dumps of a dict per chunk
# would cost the upstream more CPU than the text alone).
_CHUNK_HEAD = json.dumps(_BASE).encode()[:-1] + b', "choices": [{"index": 0, "delta": {"content": '
_CHUNK_TAIL = b'}, "finish_reason": null}]}'
_STOP = json.dumps({**_BASE, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode()


class Connection(asyncio.Protocol):
    def __init__(self, server: Upstream) -> None:
        self.server = server
        self.buffer = b""
        self.closed = False
        self.stream: Stream | None = None
        self.writable = asyncio.Event()
        self.writable.set()
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.writable.set()
        self.server.connections.discard(self)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def write(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)

    def reset(self) -> None:
        self.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.stream is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
            self.server.requests += 1
            self._answer(head[0], body)

    def _answer(self, request_line: str, body: bytes) -> None:
        if request_line.startswith("GET /stats"):
            self._json(200, self.server.stats())
            self.transport.close()
            return
        if request_line.startswith("GET"):
            self._json(200, {"object": "list", "data": [{"id": "m", "object": "model"}]})
            return
        try:
            messages = json.loads(body)["messages"]
            content = messages[-1]["content"]
            spec = json.loads(content if isinstance(content, str) else content[0]["text"])
        except (ValueError, KeyError, IndexError, TypeError):
            spec = {}
        stream = Stream(self, spec if isinstance(spec, dict) else {})
        if stream.fault == "status":
            code, _, once = str(spec["fault"]).split(":", 1)[1].partition(":")
            if not once or stream.id not in self.server.failed_once:
                self.server.failed_once.add(stream.id)
                self._json(int(code), {"error": {"message": f"injected {code}", "type": "server_error"}})
                return
        self.stream = stream
        self.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        if stream.rate > 0:
            self.server.schedule(stream, time.monotonic())
        else:
            asyncio.get_running_loop().create_task(self.server.burst(stream))

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.write(b"HTTP/1.1 %d Status\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                   % (status, len(body), body))  # fmt: skip


class Upstream:
    def __init__(self) -> None:
        self.requests = 0
        self.connections: set[Connection] = set()
        self.failed_once: set[str] = set()
        self._due: list[tuple[float, int, Stream]] = []
        self._order = 0
        self._wake = asyncio.Event()

    def stats(self) -> dict[str, int]:
        """Requests so far, connections open, and replies still being written on an open connection
        (a stalled or cut reply counts until the client closes its connection)."""
        active = sum(1 for c in self.connections if c.stream is not None)
        return {"requests": self.requests, "open": len(self.connections), "active": active}

    def schedule(self, stream: Stream, when: float) -> None:
        self._order += 1
        heapq.heappush(self._due, (when, self._order, stream))
        self._wake.set()

    async def ticker(self) -> None:
        """Write every paced chunk that is due, then sleep one tick (one timer for all streams)."""
        while True:
            if not self._due:
                self._wake.clear()
                await self._wake.wait()
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                when, _, stream = heapq.heappop(self._due)
                if stream.next_chunk():
                    # the next one is due a period after this one was due (no drift), but never in a burst
                    self.schedule(stream, max(when + 1 / stream.rate, now))
            await asyncio.sleep(TICK)

    async def burst(self, stream: Stream) -> None:
        while stream.next_chunk():
            await stream.conn.writable.wait()
            await asyncio.sleep(0)  # let the chunk go out on its own, as a provider's would


async def main() -> None:
    upstream = Upstream()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(upstream), "127.0.0.1", 0, backlog=4096)
    ticker = loop.create_task(upstream.ticker())
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    ticker.cancel()
    server.close()
    print(json.dumps(upstream.stats()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
