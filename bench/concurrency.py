"""Concurrency: 100 and 1,000 concurrent streams paced at 50 chunks/s each, read (a) directly from
the upstream, (b) through one ``openllm-bridge serve`` process, (c) through the LiteLLM proxy.

    .venv/bin/python bench/concurrency.py [--quick] [--streams 100 1000] [--seconds 10] [--rate 50]

Streams start spread over the first second (as users would), each runs ``--seconds`` at
``--rate`` chunks/s. Figures: the server's CPU seconds per 1,000 chunks and in cores (CPU time over
the wall time of the load), the delivery delay of each chunk from the upstream's write to the
client's read (p50, p99; what the path adds to a direct read), the server's peak RSS, and errors:
a stream that did not deliver every chunk, in order, to the right stream, then finish normally.
Each level gets a fresh server process, so its peak RSS is that level's. The load generator's own
CPU is printed too: when it nears one core, delays include its lag, not only the server's. So is
the upstream's, measured over the same load: the machine has two cores, and what the upstream and
the load generator take is what the server cannot have.

Beside the server's CPU per chunk stands the floor (bench/_floor.py, in the direct column): the
same streams read by a uvloop protocol that only counts reads, in a process of its own. No Python
process can relay a chunk for less; a target below it cannot be met by any Python code here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from _clients import BridgeConnection, Call, http_chat
from _common import (
    BENCH,
    LITELLM_KEY,
    NOT_INSTALLED,
    Row,
    Upstream,
    bridge_serve,
    chat_spec,
    cpu_seconds,
    litellm_proxy,
    litellm_python,
    peak_rss_mib,
    percentile,
    print_table,
)

# A process that needs more than its one core does not show more than one: it falls behind, and
# its chunks arrive late. "Under one core" counts only while it keeps pace.
PACE_MS = 50
STREAMS_PER_CONNECTION = 50  # the bridge answers more than 64 requests in flight on one connection with busy


@dataclass
class Load:
    streams: int
    upstream_pid: int  # bench/_upstream.py's process, whose CPU is counted beside the server's
    cpu: float = float("nan")  # server CPU seconds during the load
    wall: float = float("nan")
    chunks: int = 0
    errors: int = 0
    peak_rss: float = float("nan")
    client_cpu: float = float("nan")
    upstream_cpu: float = float("nan")  # the upstream's cores during the load (bench/_upstream.py)
    floor_us: float = float("nan")  # bench/_floor.py's CPU per chunk for the same streams
    delays: list[int] = field(default_factory=list)

    def cpu_per_1000(self) -> float:
        return self.cpu / self.chunks * 1000 if self.chunks else float("nan")

    def cores(self) -> float:
        return self.cpu / self.wall

    def per_chunk_us(self) -> float:
        return self.cpu / self.chunks * 1e6 if self.chunks else float("nan")

    def delay(self, q: float) -> float:
        return percentile(self.delays, q) / 1e6


async def drive(load: Load, n: int, start: Callable[[int, Call], Awaitable[bool]], deadline: float) -> None:
    """Start ``load.streams`` chats spread over a second; count what arrived and what failed."""

    async def one(i: int) -> None:
        await asyncio.sleep(random.random())
        call = Call(f"c{i}")
        try:
            ok = await start(i, call)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        load.chunks += call.count
        load.delays.extend(call.delays)
        if not ok or call.count != n or call.misplaced:
            load.errors += 1

    tasks = [asyncio.create_task(one(i)) for i in range(load.streams)]
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    load.errors += len(pending)
    await asyncio.gather(*pending, return_exceptions=True)


async def measure(load: Load, pid: int | None, n: int, start: Callable[[int, Call], Awaitable[bool]],
                  seconds: float) -> None:  # fmt: skip
    cpu, client, wall = cpu_seconds(pid) if pid else 0.0, time.process_time(), time.perf_counter()
    upstream = cpu_seconds(load.upstream_pid)
    await drive(load, n, start, seconds * 3 + 30)
    load.wall = time.perf_counter() - wall
    load.client_cpu = (time.process_time() - client) / load.wall
    load.upstream_cpu = (cpu_seconds(load.upstream_pid) - upstream) / load.wall
    if pid:
        load.cpu = cpu_seconds(pid) - cpu
        load.peak_rss = peak_rss_mib(pid)


async def through_bridge(socket: str, base: str, load: Load, pid: int, rate: float, seconds: float) -> None:
    n = int(rate * seconds)
    connections = [await BridgeConnection.open(socket) for _ in range(-(-load.streams // STREAMS_PER_CONNECTION))]

    async def start(i: int, call: Call) -> bool:
        answer = await connections[i % len(connections)].chat(call, chat_spec(call.stream, n, rate), base)
        return answer.get("result", {}).get("finish_reason") == "stop"

    await measure(load, pid, n, start, seconds)
    for connection in connections:
        await connection.close()


async def over_http(port: int, key: str | None, load: Load, pid: int | None, rate: float, seconds: float) -> None:
    n = int(rate * seconds)

    async def start(i: int, call: Call) -> bool:
        outcome = await http_chat(call, port, chat_spec(call.stream, n, rate), key=key)
        return outcome["status"] == 200 and outcome["finish_reason"] == "stop"

    await measure(load, pid, n, start, seconds)


def run(quick: bool = False, levels: tuple[int, ...] = (100, 1000), seconds: float = 10, rate: float = 50) -> list[Row]:
    if quick:
        levels, seconds = (10,), 1.0
    results: list[tuple[Load, Load, Load | None]] = []
    with Upstream() as upstream:
        for streams in levels:
            direct = Load(streams, upstream.proc.pid)
            asyncio.run(over_http(upstream.port, None, direct, None, rate, seconds))
            direct.floor_us = floor(upstream.port, streams, int(rate * seconds), rate, seconds)
            bridge = Load(streams, upstream.proc.pid)
            with bridge_serve() as (socket, proc, _):
                asyncio.run(through_bridge(str(socket), upstream.base, bridge, proc.pid, rate, seconds))
            litellm = None
            if not quick and litellm_python() is not None:
                litellm = Load(streams, upstream.proc.pid)
                with litellm_proxy(upstream.base) as (port, proxy, _):
                    asyncio.run(over_http(port, LITELLM_KEY, litellm, proxy.pid, rate, seconds))
            results.append((direct, bridge, litellm))
    return rows(results, quick, rate)


def floor(port: int, streams: int, n: int, rate: float, seconds: float) -> float:
    """CPU µs per chunk of bench/_floor.py reading the same streams (NaN if it failed)."""
    run = subprocess.run([sys.executable, str(BENCH / "_floor.py"), str(port), str(streams), str(n), str(rate)],
                         capture_output=True, text=True, timeout=seconds * 3 + 30)  # fmt: skip
    if run.returncode != 0:
        return float("nan")
    figures = json.loads(run.stdout)
    return float(figures["cpu"]) / figures["chunks"] * 1e6


def rows(results: list[tuple[Load, Load, Load | None]], quick: bool, rate: float) -> list[Row]:
    missing = "not run (--quick)" if quick else NOT_INSTALLED
    out: list[Row] = []
    for direct, bridge, litellm in results:
        name = f"concurrency {bridge.streams:,}×{rate:g}/s"

        def cell(load: Load | None, fmt: str, value: Callable[[Load], float]) -> str:
            return missing if load is None else fmt.format(value(load))

        def ahead(value: Callable[[Load], float], bridge: Load = bridge, litellm: Load | None = litellm) -> bool:
            return litellm is None or value(bridge) < value(litellm)

        def added(load: Load, direct: Load = direct) -> str:
            return f"{load.delay(50) - direct.delay(50):.2f} / {load.delay(99) - direct.delay(99):.2f} ms"

        out += [
            Row(name, "errors (streams lost, cut or mixed up)", f"{bridge.errors}", f"{direct.errors}",
                cell(litellm, "{:.0f}", lambda x: x.errors), "0", bridge.errors == 0),
            Row(name, "server CPU s per 1,000 chunks", f"{bridge.cpu_per_1000():.3f}", "",
                cell(litellm, "{:.3f}", Load.cpu_per_1000), "ahead of LiteLLM", ahead(Load.cpu_per_1000)),
            Row(name, "server CPU per chunk (direct: the floor, a reader that only counts reads)",
                f"{bridge.per_chunk_us():.1f} µs", f"{direct.floor_us:.1f} µs",
                cell(litellm, "{:.1f} µs", Load.per_chunk_us)),
            Row(name, "chunks delivered per second", f"{bridge.chunks / bridge.wall:,.0f}",
                f"{direct.chunks / direct.wall:,.0f}", cell(litellm, "{:,.0f}", lambda x: x.chunks / x.wall)),
            Row(name, "server CPU, cores", f"{bridge.cores():.2f}", "", cell(litellm, "{:.2f}", Load.cores),
                f"< 1, keeping pace (delay p50 < {PACE_MS} ms)" if bridge.streams >= 1000 else "ahead of LiteLLM",
                ahead(Load.cores) and (bridge.streams < 1000 or (bridge.cores() < 1 and bridge.delay(50) < PACE_MS))),
            Row(name, "delivery delay p50", f"{bridge.delay(50):.2f} ms", f"{direct.delay(50):.2f} ms",
                cell(litellm, "{:.2f} ms", lambda x: x.delay(50)), "ahead of LiteLLM", ahead(lambda x: x.delay(50))),
            Row(name, "delivery delay p99", f"{bridge.delay(99):.2f} ms", f"{direct.delay(99):.2f} ms",
                cell(litellm, "{:.2f} ms", lambda x: x.delay(99)), "ahead of LiteLLM", ahead(lambda x: x.delay(99))),
            Row(name, "delay the path adds: its delay p50 / p99 minus the direct read's",
                added(bridge), "", cell(litellm, "{}", added)),
            Row(name, "server peak RSS", f"{bridge.peak_rss:.0f} MiB", "",
                cell(litellm, "{:.0f} MiB", lambda x: x.peak_rss), "ahead of LiteLLM", ahead(lambda x: x.peak_rss)),
            Row(name, "load generator CPU, cores (bridge run)", f"{bridge.client_cpu:.2f}", f"{direct.client_cpu:.2f}",
                cell(litellm, "{:.2f}", lambda x: x.client_cpu)),
            Row(name, "upstream CPU, cores (the fake provider, in the same run)", f"{bridge.upstream_cpu:.2f}",
                f"{direct.upstream_cpu:.2f}", cell(litellm, "{:.2f}", lambda x: x.upstream_cpu)),
        ]  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 streams for 1 s, no LiteLLM: only checks that it runs")
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=50)
    args = parser.parse_args()
    print_table(run(args.quick, tuple(args.streams), args.seconds, args.rate))


if __name__ == "__main__":
    main()
