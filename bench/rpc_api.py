"""The JSON-RPC API's own costs: start to accepting, a request's round trip, streaming throughput.

    .venv/bin/python bench/rpc_api.py [--runs 5] [--requests 2000] [--chunks 50000]

Starts ``openllm-bridge serve`` --runs times (wall time until the ``{"socket", "pid"}`` line);
then, on one bridge, times --requests sequential ``providers/list`` round trips with the Python
client, and streams --chunks mock chunks (``long`` model) through ``chat/stream`` beside the same
stream read from the engine in-process, so the table shows what the socket and JSON-RPC add.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]  # runnable from a checkout as it is

import anyio  # noqa: E402
from openllm_client import connect  # noqa: E402

from bridge.engine import Engine  # noqa: E402
from protocol import loads  # noqa: E402

BIN = Path(sys.executable).parent


def start_bridge(socket: str) -> tuple[subprocess.Popen[str], float]:
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    process = subprocess.Popen(["openllm-bridge", "serve", "--socket", socket], stdout=subprocess.PIPE, text=True,
                               env=env)  # fmt: skip
    assert process.stdout is not None
    loads(process.stdout.readline())
    return process, time.perf_counter() - started


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


async def engine_stream(chunks: int) -> float:
    request = {"provider": "mock", "model": "long", "messages": [{"role": "user", "content": str(chunks)}]}
    started = time.perf_counter()
    async with Engine() as engine, engine.chat(request) as stream:  # type: ignore[arg-type]
        async for _ in stream:
            pass
    return time.perf_counter() - started


async def measure(socket: str, requests: int, chunks: int) -> dict[str, float]:
    async with connect(socket) as client:
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            await client.providers()
            latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        received = sum([1 async for _ in client.chat("mock", "long", str(chunks))])
        over_rpc = time.perf_counter() - started
    return {
        "median_rtt_ms": statistics.median(latencies) * 1000,
        "p99_rtt_ms": sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000,
        "rpc_chunks_per_s": received / over_rpc,
        "engine_chunks_per_s": (chunks + 2) / await engine_stream(chunks),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--chunks", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        socket = str(Path(tmp) / "bench.sock")
        starts = []
        for _ in range(args.runs):
            process, took = start_bridge(socket)
            starts.append(took * 1000)
            stop(process)
        process, _ = start_bridge(socket)
        try:
            figures = anyio.run(measure, socket, args.requests, args.chunks)
        finally:
            stop(process)
    print("| measure | value |")
    print("|---|---|")
    print(f"| `serve` start to accepting, median of {args.runs} | {statistics.median(starts):.0f} ms |")
    print(f"| `providers/list` round trip, median / p99 of {args.requests} | "
          f"{figures['median_rtt_ms']:.2f} / {figures['p99_rtt_ms']:.2f} ms |")  # fmt: skip
    print(f"| `chat/stream` over the socket, Python client | {figures['rpc_chunks_per_s']:,.0f} chunks/s |")
    print(f"| the same stream from the engine in-process | {figures['engine_chunks_per_s']:,.0f} chunks/s |")


if __name__ == "__main__":
    main()
