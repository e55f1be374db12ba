"""Streaming throughput: a 10,000-chunk reply from the loopback fake provider server, read five ways.

1. bare httpx2: the same HTTP stream read with httpx2 alone (``aiter_bytes``), no parsing;
2. bare bridge.http: read with the bridge's own HTTP client alone (``read_some``), no parsing;
3. the provider layer: ``OpenAIProvider.stream_chat`` over bridge.http (SSE decoding, JSON, StreamChunks);
4. the engine: ``Engine.chat``, what the CLI, JSON-RPC and MCP surfaces call (adds the task
   hand-off and the log line);
5. LiteLLM: ``litellm.acompletion(..., stream=True, api_base=...)`` against the same server.

The server runs in a child process, so the CPU time measured here (``time.process_time``) is the
client's alone. Each event carries a different delta (LiteLLM aborts a stream that repeats one
delta 100 times). Prints chunks per second and CPU microseconds per chunk, the median of
``--runs`` runs each. Run it with any Python that can import the bridge (this file puts the
repository on ``sys.path``) and, for the LiteLLM row, ``litellm``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import anyio  # noqa: E402
import httpx2  # noqa: E402
from fake_provider import FakeServer  # noqa: E402
from fake_provider.replies import text_reply  # noqa: E402

from bridge.engine import Engine  # noqa: E402
from bridge.http import HTTPClient  # noqa: E402
from bridge.providers import ModelConfig  # noqa: E402
from bridge.providers.openai import OpenAIProvider  # noqa: E402
from bridge.redact import Secret  # noqa: E402
from bridge.secrets import EnvSecretStore, UnifiedSecretResolver  # noqa: E402

KEY = "sk-bench-0000000000000000000000"
MESSAGES = [{"role": "user", "content": "Write a long story."}]


def serve(chunks: int) -> None:
    """The child process: answer every request with the same long stream until stdin closes."""
    words = [f" w{i}" for i in range(chunks)]
    with FakeServer(default=text_reply("openai", words, usage=(5, chunks))) as server:
        print(server.port, flush=True)
        sys.stdin.read()


async def bare_httpx(base: str) -> int:
    async with httpx2.AsyncClient() as http:
        body = {"model": "m", "messages": MESSAGES, "stream": True}
        async with http.stream("POST", f"{base}/chat/completions", json=body) as response:
            return sum([1 async for part in response.aiter_bytes() if part])


async def bare_bridge_http(base: str) -> int:
    async with HTTPClient() as http:
        body = json.dumps({"model": "m", "messages": MESSAGES, "stream": True}).encode()
        headers = {"Content-Type": "application/json"}
        async with http.stream("POST", f"{base}/chat/completions", headers=headers, body=body) as response:
            count = 0
            while await response.read_some():
                count += 1
            return count


async def provider_layer(base: str) -> int:
    async with HTTPClient() as http:
        provider = OpenAIProvider("openai", http)
        config = ModelConfig(model="m", api_key=Secret(KEY), api_base=base)
        return sum([1 async for c in provider.stream_chat(MESSAGES, config, {}) if c["type"] == "text"])


async def engine(base: str) -> int:
    async with Engine(secrets=UnifiedSecretResolver(env=EnvSecretStore(environ={"OPENAI_API_KEY": KEY}))) as bridge:
        request = {"provider": "openai", "model": "m", "messages": MESSAGES, "api_base": base}
        async with bridge.chat(request) as stream:
            return sum([1 async for c in stream if c["type"] == "text"])


async def litellm_stream(base: str) -> int:
    import litellm

    response = await litellm.acompletion(model="openai/m", api_base=base, api_key=KEY, messages=MESSAGES, stream=True)
    return sum([1 async for c in response if c.choices and c.choices[0].delta.content])


async def measure(read: Callable[[str], Awaitable[int]], base: str, runs: int) -> tuple[float, float, int]:
    await read(base)  # warm up: imports, connection setup, caches
    walls, cpus, counts = [], [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        counts.append(await read(base))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), statistics.median(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.chunks)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--chunks", str(args.chunks)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None
        base = f"http://127.0.0.1:{child.stdout.readline().strip()}/v1"
        readers: list[tuple[str, Callable[[str], Awaitable[int]] | None]] = [
            ("bare httpx2 (bytes only)", bare_httpx), ("bare bridge.http (bytes only)", bare_bridge_http),
            ("bridge provider layer", provider_layer),
            ("bridge engine", engine), ("LiteLLM acompletion", litellm_stream),
        ]  # fmt: skip
        try:
            import litellm  # noqa: F401
        except ImportError:
            readers[-1] = ("LiteLLM acompletion", None)
        print(
            f"{args.chunks} chunks from a loopback server, median of {args.runs} runs, Python {sys.version.split()[0]}"
        )
        print(f"{'reader':<30} {'chunks/s':>12} {'CPU µs/chunk':>13} {'wall s':>8}")
        for name, read in readers:
            if read is None:
                print(f"{name:<30} litellm not installed")
                continue
            wall, cpu, count = anyio.run(measure, read, base, args.runs)
            chunks = args.chunks if name.startswith("bare") else count
            print(f"{name:<30} {chunks / wall:>12,.0f} {cpu / chunks * 1e6:>13.1f} {wall:>8.3f}")
            if not name.startswith("bare") and count != args.chunks:
                print(f"  (got {count} text chunks, expected {args.chunks})")
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)


if __name__ == "__main__":
    main()
