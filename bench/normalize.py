"""Normalize: CPU time per chunk spent turning a provider's streamed bytes into StreamChunks, for
each wire format, in memory (no sockets), beside LiteLLM's streaming path measured the same way.

    .venv/bin/python bench/normalize.py [--quick] [--chunks 2000] [--runs 5]

The reply is ``tests/fake_provider``'s well-formed text reply in each provider's format, one event
per HTTP chunk, every delta different. The bridge is measured twice: its decoders alone (framer,
JSON parse and the provider's chunk decoder, bytes in, StreamChunks out) and its whole provider path
(``Provider.stream_chat`` over bridge.http with an in-memory transport that replays the reply one
HTTP chunk per event-loop turn, so each chunk is one read, as on a paced stream). LiteLLM runs
``acompletion(stream=True)`` over an in-memory ``httpx.MockTransport`` in its own Python
(bench/_litellm_normalize.py), so both include their HTTP client's framing and neither touches the
network. Medians of ``--runs``; CPU is ``time.process_time``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

from _common import BENCH, NOT_INSTALLED, ROOT, Row, litellm_python, median, print_table

sys.path.insert(0, str(ROOT / "tests"))

from fake_provider.replies import BASE_PATHS, text_reply

from bridge.http import HTTPClient
from bridge.http.connect import Proxy
from bridge.http.connection import Connection
from bridge.http.request import Origin
from bridge.providers import BUILTIN, ModelConfig
from bridge.providers._http import ChunkDecoder, _framer
from bridge.providers._jsonstream import parse_json
from bridge.providers._openai_chat import ChatDecoder
from bridge.providers.anthropic import MessagesDecoder
from bridge.providers.gemini import GenerateContentDecoder
from bridge.providers.ollama import ChatLinesDecoder
from bridge.redact import Secret

FORMATS: dict[str, tuple[str, Callable[[str], ChunkDecoder]]] = {
    "openai": ("OpenAI Chat Completions SSE (also Mistral, Azure, OpenRouter)", ChatDecoder),
    "anthropic": ("Anthropic Messages SSE", MessagesDecoder),
    "gemini": ("Gemini streamGenerateContent SSE", GenerateContentDecoder),
    "ollama": ("Ollama /api/chat NDJSON", ChatLinesDecoder),
}
MESSAGES: Any = [{"role": "user", "content": "hi"}]


def wire(provider: str, chunks: int) -> tuple[str, list[bytes]]:
    reply = text_reply(provider, [f" w{i}" for i in range(chunks)], usage=(5, chunks))
    content_type = dict(reply.headers)["Content-Type"]
    return content_type, [s for s in reply.steps if isinstance(s, bytes)]


def decoders_alone(provider: str, content_type: str, steps: list[bytes]) -> tuple[float, int]:
    started = time.process_time()
    framer, decoder = _framer(content_type, 16 * 1024 * 1024), FORMATS[provider][1](provider)
    count = 0
    for step in steps:
        for text in framer.texts(step):
            count += sum(1 for c in decoder.feed(parse_json(text)) if c["type"] == "text")
    for text in framer.flush():
        count += sum(1 for c in decoder.feed(parse_json(text)) if c["type"] == "text")
    decoder.finish()
    return time.process_time() - started, count


async def provider_path(provider: str, content_type: str, steps: list[bytes]) -> tuple[float, int]:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    pieces = [head, *(b"%x\r\n%s\r\n" % (len(step), step) for step in steps), b"0\r\n\r\n"]

    async def replay(
        origin: Origin, proxy: Proxy | None, tls: ssl.SSLContext | None, connect_timeout: float | None
    ) -> Connection:
        connection = Connection(str(origin))
        connection.connection_made(_Replay(connection, pieces))
        return connection

    async with HTTPClient(connector=replay) as http:
        spec = BUILTIN.get(provider)
        instance = spec.load()(provider, http)
        base = "http://provider.test" + BASE_PATHS.get(provider, "")
        config = ModelConfig(model="m", api_key=Secret("sk-bench-00000000000000000000"), api_base=base)
        started = time.process_time()
        count = sum([1 async for c in instance.stream_chat(MESSAGES, config, {}) if c["type"] == "text"])
        return time.process_time() - started, count


class _Replay(asyncio.Transport):
    """A transport that answers the request written to it with ``pieces``, one per loop turn."""

    def __init__(self, protocol: Connection, pieces: list[bytes]) -> None:
        super().__init__()
        self._protocol, self._pieces, self._closing = protocol, iter(pieces), False
        self._loop = asyncio.get_running_loop()

    def write(self, data: Any) -> None:
        self._loop.call_soon(self._next, iter(self._pieces))

    def _next(self, pieces: Iterator[bytes]) -> None:
        piece = next(pieces, None)
        if piece is not None and not self._closing:
            self._protocol.data_received(piece)
            self._loop.call_soon(self._next, pieces)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._loop.call_soon(self._protocol.connection_lost, None)

    abort = close

    def pause_reading(self) -> None:  # the reader takes every piece before the next: never reached
        pass

    def resume_reading(self) -> None:
        pass


def litellm_figures(bodies: dict[str, tuple[str, list[bytes]]], runs: int) -> dict[str, Any] | str:
    python = litellm_python()
    if python is None:
        return NOT_INSTALLED
    payload = {p: {"content_type": ct, "steps": [base64.b64encode(s).decode() for s in steps]}
               for p, (ct, steps) in bodies.items()}  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"runs": runs, "bodies": payload}, f)
        f.flush()
        env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": ""}
        argv = [str(python), str(BENCH / "_litellm_normalize.py"), f.name]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)
    if out.returncode != 0:
        return f"failed: {out.stderr.strip().splitlines()[-1:]}"
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(quick: bool = False, chunks: int = 2000, runs: int = 5) -> list[Row]:
    if quick:
        chunks, runs = 50, 1
    bodies = {p: wire(p, chunks) for p in FORMATS}
    litellm: dict[str, Any] | str = "not run (--quick)" if quick else litellm_figures(bodies, runs)
    rows = []
    for provider, (name, _) in FORMATS.items():
        content_type, steps = bodies[provider]
        alone = median([_per_chunk(decoders_alone(provider, content_type, steps), chunks) for _ in range(runs)])
        path = median([_per_chunk(asyncio.run(provider_path(provider, content_type, steps)), chunks)
                       for _ in range(runs)])  # fmt: skip
        theirs = litellm if isinstance(litellm, str) else litellm.get(provider)
        if isinstance(theirs, (int, float)):
            peer, met = f"{theirs:.0f} µs", path < theirs
        else:
            peer, met = str(theirs), None
        rows.append(Row("normalize", f"CPU per chunk: {name}", f"{path:.1f} µs (decoders alone {alone:.1f} µs)",
                        "", peer, "ahead of LiteLLM", met))  # fmt: skip
    return rows


def _per_chunk(measured: tuple[float, int], expected: int) -> float:
    seconds, count = measured
    if count != expected:
        raise RuntimeError(f"decoded {count} text chunks, expected {expected}")
    return seconds / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 chunks, one run, no LiteLLM: only checks that it runs")
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print_table(run(args.quick, args.chunks, args.runs))


if __name__ == "__main__":
    main()
