"""Lean load clients for the benchmarks and the soak: the bridge API over its Unix socket, and an
OpenAI-compatible SSE endpoint over HTTP/1.1 (the upstream itself, or the LiteLLM proxy).

They are deliberately small (plain asyncio, one ``json.loads`` per message, no validation) so the
load generator, which shares the machine's two cores with what it measures, costs as little as
it can and costs the same whichever server it reads. Every content chunk is checked as it arrives
(:class:`Call`): the upstream (bench/_upstream.py) puts ``<stream id>:<index>:<ns>`` in each one,
so a chunk of another stream, a gap or a reordering is counted, and the delay from the upstream's
write to this read is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

READ_SIZE = 64 * 1024  # as the SSE readers read


class Call:
    """One chat as a client sees it: content checked in order, the other chunks kept, the answer."""

    __slots__ = ("answer", "cancel_at", "count", "delays", "disconnect_at", "first_ns", "id", "misplaced", "other",
                 "sent_ns", "stream", "texts", "when_count")  # fmt: skip

    def __init__(self, stream: str, *, cancel_at: int | None = None, disconnect_at: int | None = None) -> None:
        self.id: int = 0
        self.stream = stream
        self.count = 0  # content chunks received in order
        self.misplaced = 0  # content chunks of another stream, out of order, or repeated
        self.delays: list[int] = []  # ns from the upstream's write to our read, per chunk
        self.texts: list[str] = []
        self.other: list[dict[str, Any]] = []  # every chunk that is not text, in order
        self.sent_ns = 0
        self.first_ns = 0
        self.cancel_at = cancel_at
        self.disconnect_at = disconnect_at
        self.when_count: tuple[int, asyncio.Event] | None = None
        self.answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def text(self, text: str, now_ns: int) -> None:
        if not self.first_ns:
            self.first_ns = now_ns
        self.texts.append(text)
        for piece in text.split():
            stream, _, rest = piece.partition(":")
            index, _, stamp = rest.partition(":")
            if stream != self.stream or not index.isdigit() or int(index) != self.count:
                self.misplaced += 1
                continue
            self.count += 1
            self.delays.append(now_ns - int(stamp))
        if self.when_count is not None and self.count >= self.when_count[0]:
            self.when_count[1].set()

    def settle(self, answer: dict[str, Any]) -> None:
        if not self.answer.done():
            self.answer.set_result(answer)

    async def reached(self, count: int) -> None:
        """Wait until ``count`` content chunks have arrived in order."""
        if self.count < count:
            self.when_count = (count, asyncio.Event())
            await self.when_count[1].wait()


class BridgeConnection:
    """One connection to ``openllm-bridge serve``, NDJSON framing, many chats at once."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._calls: dict[int, Call] = {}
        self._next_id = 0
        self.stray = 0  # chunks for a request id we do not know
        self.aborted = False
        self._task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, path: str) -> BridgeConnection:
        reader, writer = await asyncio.open_unix_connection(path, limit=READ_SIZE)
        return cls(reader, writer)

    async def chat(self, call: Call, content: str, api_base: str, provider: str = "openai") -> dict[str, Any]:
        """Run one chat/stream; the JSON-RPC response (result or error) is returned."""
        self._next_id += 1
        call.id = self._next_id
        self._calls[call.id] = call
        params = {"provider": provider, "model": "m", "api_base": api_base,
                  "messages": [{"role": "user", "content": content}]}  # fmt: skip
        call.sent_ns = time.monotonic_ns()
        self._send({"jsonrpc": "2.0", "id": call.id, "method": "chat/stream", "params": params})
        try:
            return await call.answer
        finally:
            self._calls.pop(call.id, None)

    def cancel(self, call: Call) -> None:
        self._send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": call.id}})

    def _send(self, message: dict[str, Any]) -> None:
        if not self._writer.is_closing():
            self._writer.write(json.dumps(message).encode() + b"\n")

    async def _read(self) -> None:
        # Whole reads split into lines, as the SSE readers split theirs (not a readline() per message).
        rest = b""
        try:
            while (data := await self._reader.read(READ_SIZE)) and not self.aborted:
                *lines, rest = (rest + data).split(b"\n")
                for line in lines:
                    if self.aborted:
                        break
                    self._message(json.loads(line))
        except ConnectionError:
            pass
        finally:
            for call in self._calls.values():
                call.settle({"error": {"code": "disconnected", "message": "the connection closed"}})

    def _message(self, message: dict[str, Any]) -> None:
        if message.get("method") == "chat/chunk":
            params = message["params"]
            call = self._calls.get(params["request_id"])
            if call is None:
                self.stray += 1
            else:
                self._chunk(call, params["chunk"])
        elif "id" in message and (call := self._calls.get(message["id"])) is not None:
            call.settle(message)

    def _chunk(self, call: Call, chunk: dict[str, Any]) -> None:
        if chunk["type"] == "text":
            call.text(chunk["text"], time.monotonic_ns())
            if call.cancel_at is not None and call.count == call.cancel_at:
                self.cancel(call)
            if call.disconnect_at is not None and call.count == call.disconnect_at:
                self.aborted = True  # what the reader already buffered is not looked at
                self._writer.transport.abort()
        else:
            call.other.append(chunk)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def http_chat(call: Call, port: int, content: str, *, path: str = "/v1/chat/completions",
                    key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """One streamed chat completion over its own HTTP/1.1 connection; the outcome as a dict with
    ``status`` and ``finish_reason``. Content chunks go to ``call``."""
    body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": content}]}).encode()
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=16 * 1024 * 1024)
    try:
        call.sent_ns = time.monotonic_ns()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Accept: text/event-stream\r\n{auth}Content-Length: {len(body)}\r\n\r\n")  # fmt: skip
        writer.write(head.encode() + body)
        answer = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(answer.split(" ", 2)[1])
        if status != 200:
            return {"status": status, "finish_reason": None}
        finish = None
        buffer = b""
        async for piece in _body(reader, "transfer-encoding: chunked" in answer):
            buffer += piece
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                for line in event.split(b"\n"):
                    if not line.startswith(b"data:"):
                        continue
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        return {"status": status, "finish_reason": finish}
                    finish = sse_event(call, json.loads(data)) or finish
        return {"status": status, "finish_reason": finish}
    finally:
        writer.close()


def sse_event(call: Call, event: dict[str, Any]) -> str | None:
    for choice in event.get("choices") or []:
        content = (choice.get("delta") or {}).get("content")
        if content:
            call.text(content, time.monotonic_ns())
        if choice.get("finish_reason"):
            return str(choice["finish_reason"])
    return None


async def _body(reader: asyncio.StreamReader, chunked: bool) -> Any:
    if not chunked:
        while data := await reader.read(65536):
            yield data
        return
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            return
        yield (await reader.readexactly(size + 2))[:-2]
