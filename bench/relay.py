"""Relay: one streamed reply from the upstream, read (a) directly with the bridge's own HTTP client
(bridge.http), (b) through ``openllm-bridge serve`` over its Unix socket, (c) through the LiteLLM
proxy in front of the same upstream; and, for reference, directly with httpx2. Time to first chunk
(p50, p99) over many short replies, chunks per second over a 2,000-chunk reply, and the server's
CPU per chunk, the paths interleaved run by run.

    .venv/bin/python bench/relay.py [--quick] [--chunks 2000] [--runs 25] [--ttfc-runs 100]

Every reader parses each event's JSON and takes the text out (an HTTP client plus an SSE splitter
for (a) and (c); the socket's NDJSON for (b)), so the three do the same work on the client side.
TTFC runs from sending the request to reading the first content chunk, on a warm connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
from _clients import BridgeConnection, Call, sse_event
from _common import (
    KEY,
    LITELLM_KEY,
    NOT_INSTALLED,
    Row,
    Upstream,
    bridge_serve,
    chat_spec,
    cpu_seconds,
    litellm_proxy,
    litellm_python,
    median,
    percentile,
    print_table,
)

from bridge.http import HTTPClient

Reader = Callable[[Call, str], Awaitable[None]]


async def read_sse(http: httpx2.AsyncClient, url: str, key: str, call: Call, content: str) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": content}]}
    call.sent_ns = time.monotonic_ns()
    async with http.stream("POST", url, json=body, headers={"Authorization": f"Bearer {key}"}) as response:
        response.raise_for_status()
        splitter = _SSESplitter(call)
        async for part in response.aiter_bytes():
            splitter.feed(part)


async def read_sse_lean(http: HTTPClient, url: str, key: str, call: Call, content: str) -> None:
    body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": content}]}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    call.sent_ns = time.monotonic_ns()
    async with http.stream("POST", url, headers=headers, body=body) as response:
        if response.status != 200:
            raise RuntimeError(f"the upstream answered {response.status}")
        splitter = _SSESplitter(call)
        while part := await response.read_some():
            splitter.feed(part)


class _SSESplitter:
    def __init__(self, call: Call) -> None:
        self.call, self.buffer = call, b""

    def feed(self, part: bytes) -> None:
        self.buffer += part
        *events, self.buffer = self.buffer.split(b"\n\n")
        for event in events:
            data = event.partition(b"data:")[2].strip()
            if data and data != b"[DONE]":
                sse_event(self.call, json.loads(data))


class Path3:
    """One way to read the reply, and the server process whose CPU it costs (None: direct)."""

    def __init__(self, name: str, read: Reader, pid: int | None) -> None:
        self.name, self.read, self.pid = name, read, pid
        self.ttfc: list[float] = []
        self.rates: list[float] = []
        self.cpu_per_chunk: list[float] = []
        self.errors = 0

    async def once(self, stream: str, n: int, *, throughput: bool) -> None:
        call = Call(stream)
        cpu = cpu_seconds(self.pid) if self.pid else 0.0
        await self.read(call, chat_spec(stream, n))
        done_ns = time.monotonic_ns()
        if call.count != n or call.misplaced:
            self.errors += 1
            return
        if throughput:
            self.rates.append(n / ((done_ns - call.sent_ns) / 1e9))
            if self.pid:
                self.cpu_per_chunk.append((cpu_seconds(self.pid) - cpu) / n)
        else:
            self.ttfc.append((call.first_ns - call.sent_ns) / 1e6)


async def measure(paths: list[Path3], chunks: int, runs: int, ttfc_runs: int) -> None:
    for path in paths:  # warm up: connections, imports, caches
        for i in range(3):
            await path.once(f"w{i}", 20, throughput=False)
        path.ttfc.clear()
    for i in range(ttfc_runs):
        for path in paths:
            await path.once(f"t{i}", 5, throughput=False)
    for i in range(runs):
        for path in paths:
            await path.once(f"r{i}", chunks, throughput=True)


async def _run(upstream: Upstream, socket: Path, bridge_pid: int, litellm: tuple[int, int] | None,
               chunks: int, runs: int, ttfc_runs: int) -> list[Path3]:  # fmt: skip
    bridge = await BridgeConnection.open(str(socket))
    lean = HTTPClient()
    async with httpx2.AsyncClient(timeout=120) as http:

        async def direct(call: Call, content: str) -> None:
            await read_sse_lean(lean, f"{upstream.base}/chat/completions", KEY, call, content)

        async def direct_httpx2(call: Call, content: str) -> None:
            await read_sse(http, f"{upstream.base}/chat/completions", KEY, call, content)

        async def through_bridge(call: Call, content: str) -> None:
            answer = await bridge.chat(call, content, upstream.base)
            if "error" in answer:
                raise RuntimeError(f"the bridge answered {answer['error']}")

        paths = [Path3("direct", direct, None), Path3("bridge", through_bridge, bridge_pid),
                 Path3("httpx2", direct_httpx2, None)]  # fmt: skip
        if litellm is not None:
            port, pid = litellm

            async def through_litellm(call: Call, content: str) -> None:
                await read_sse(http, f"http://127.0.0.1:{port}/v1/chat/completions", LITELLM_KEY, call, content)

            paths.append(Path3("litellm", through_litellm, pid))
        await measure(paths, chunks, runs, ttfc_runs)
    await lean.aclose()
    await bridge.close()
    return paths


def run(quick: bool = False, chunks: int = 2000, runs: int = 25, ttfc_runs: int = 100) -> list[Row]:
    if quick:
        chunks, runs, ttfc_runs = 50, 1, 3
    with Upstream() as upstream, bridge_serve() as (socket, bridge, _):
        if quick or litellm_python() is None:
            paths = asyncio.run(_run(upstream, socket, bridge.pid, None, chunks, runs, ttfc_runs))
        else:
            with litellm_proxy(upstream.base) as (port, proxy, _):
                paths = asyncio.run(_run(upstream, socket, bridge.pid, (port, proxy.pid), chunks, runs, ttfc_runs))
    return rows(paths, chunks, skipped_litellm=quick)


def rows(paths: list[Path3], chunks: int, skipped_litellm: bool) -> list[Row]:
    direct, bridge, httpx = paths[0], paths[1], paths[2]
    litellm = paths[3] if len(paths) > 3 else None
    missing = "not run (--quick)" if skipped_litellm else NOT_INSTALLED

    def cell(path: Path3 | None, value: Callable[[Path3], float], fmt: str) -> str:
        if path is None:
            return missing
        return fmt.format(value(path)) + (f" ({path.errors} failed)" if path.errors else "")

    def ahead(lower_is_better: bool, value: Callable[[Path3], float]) -> bool:
        if litellm is None:
            return True
        return value(bridge) < value(litellm) if lower_is_better else value(bridge) > value(litellm)

    def p50(p: Path3) -> float:
        return median(p.ttfc)

    def p99(p: Path3) -> float:
        return percentile(p.ttfc, 99)

    def rate(p: Path3) -> float:
        return median(p.rates)

    def cpu(p: Path3) -> float:
        return median(p.cpu_per_chunk) * 1e6

    ratio_a = rate(bridge) / rate(direct)
    out = [
        Row("relay", "time to first chunk p50", cell(bridge, p50, "{:.2f} ms"), cell(direct, p50, "{:.2f} ms"),
            cell(litellm, p50, "{:.2f} ms"), "≤ direct + 2 ms",
            p50(bridge) <= p50(direct) + 2 and ahead(True, p50) and not bridge.errors),
        Row("relay", "time to first chunk p99", cell(bridge, p99, "{:.2f} ms"), cell(direct, p99, "{:.2f} ms"),
            cell(litellm, p99, "{:.2f} ms"), "ahead of LiteLLM", ahead(True, p99) if litellm else None),
        Row("relay", f"chunks/s ({chunks:,}-chunk reply)", cell(bridge, rate, "{:,.0f}"),
            cell(direct, rate, "{:,.0f}"), cell(litellm, rate, "{:,.0f}"), "≥ 0.7 × direct",
            ratio_a >= 0.7 and ahead(False, rate)),
        Row("relay", "throughput ratio bridge/direct (b/a)", f"{ratio_a:.2f}", "1", "", "≥ 0.7", ratio_a >= 0.7),
        Row("relay", "server CPU per chunk", cell(bridge, cpu, "{:.0f} µs"), "", cell(litellm, cpu, "{:.0f} µs"),
            "ahead of LiteLLM", ahead(True, cpu) if litellm else None),
    ]  # fmt: skip
    if litellm is not None:
        ratio_c = rate(bridge) / rate(litellm)
        out.insert(4, Row("relay", "throughput ratio bridge/LiteLLM (b/c)", f"{ratio_c:.1f}", "", "1", "> 1",
                          ratio_c > 1))  # fmt: skip
    out.append(Row("relay", "for reference: direct with httpx2, TTFC p50 / chunks/s", "",
                   f"{p50(httpx):.2f} ms / {rate(httpx):,.0f}"))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no LiteLLM: only checks that it runs")
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=25)  # a bridge run takes ~30 ms: 5 gave medians 0.63-0.80
    parser.add_argument("--ttfc-runs", type=int, default=100)
    args = parser.parse_args()
    print_table(run(args.quick, args.chunks, args.runs, args.ttfc_runs))


if __name__ == "__main__":
    main()
