"""The floor: the least CPU that reading these streams can cost in Python on this machine.

    python bench/_floor.py PORT STREAMS CHUNKS RATE

Opens STREAMS streamed chat completions on the upstream (bench/_upstream.py), started over the
first second as bench/concurrency.py starts them, each CHUNKS chunks at RATE chunks/s, on uvloop
with one asyncio ``Protocol`` per connection that does nothing with what it reads but look for
the end of the body. No HTTP parsing, no JSON, no second socket: whatever relays these chunks
(the bridge, LiteLLM) pays at least this, plus its own work. Prints one JSON line: the process's
user+system CPU seconds while the streams ran (from the kernel, getrusage), the chunks, the reads.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

import uvloop

_END = b"0\r\n\r\n"


class _Reader(asyncio.Protocol):
    def __init__(self, request: bytes, done: asyncio.Future[int]) -> None:
        self._request, self._done, self._reads, self._tail = request, done, 0, b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self._request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self._reads += 1
        self._tail = (self._tail + data)[-len(_END) :]
        if self._tail == _END and not self._done.done():
            self._done.set_result(self._reads)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_exception(ConnectionError("the upstream closed the stream early"))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(port: int, streams: int, chunks: int, rate: float) -> None:
    loop = asyncio.get_running_loop()

    async def one(i: int) -> int:
        await asyncio.sleep(i / streams)
        spec = json.dumps({"id": f"f{i}", "n": chunks, "rate": rate, "fault": None})
        body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": spec}]}).encode()
        request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json"
                   f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
        done: asyncio.Future[int] = loop.create_future()
        transport, _ = await loop.create_connection(lambda: _Reader(request, done), "127.0.0.1", port)
        try:
            return await done
        finally:
            transport.close()

    started = _cpu()
    reads = await asyncio.gather(*(one(i) for i in range(streams)))
    print(json.dumps({"cpu": _cpu() - started, "chunks": streams * chunks, "reads": sum(reads)}), flush=True)


if __name__ == "__main__":
    port, streams, chunks, rate = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    uvloop.run(main(port, streams, chunks, rate))
