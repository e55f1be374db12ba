"""Endurance: one bridge process (``serve`` on a Unix socket) under a mix of chats, cancellations,
client disconnects and injected provider faults for a bounded time, loopback only.

    .venv/bin/python bench/soak.py [--seconds 180] [--workers 32]     # by hand: a few minutes
    .venv/bin/python bench/soak.py --quick                              # about 20 s (CI runs this)

Every chat asks the upstream (bench/_upstream.py) for a reply whose chunks say which stream they
belong to and their index, so each one is checked as it arrives: a chunk of another stream, a gap,
a repeat or a reordering counts as a mixed-up stream; a chat that did not end as its action says
(every chunk then ``done: stop``; the chunks before the fault then ``error`` and ``done: error``; a
cancelled request answered -32800; ...) counts as a lost one. Both must be 0. Then: no upstream
reply may still be open (cancelling and disconnecting must close them), no chunk may arrive for
an unknown request, and the bridge's file descriptors, asyncio tasks and RSS, sampled when idle at
the start, the middle and the end, must not grow beyond noise. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _clients import BridgeConnection, Call
from _common import BENCH, Upstream, bridge_env, chat_spec, read_json_line, stop

# action -> weight; see Soak.check for what each must end with
ACTIONS = {"complete": 40, "cancel": 14, "disconnect": 10, "reset": 7, "hangup": 7, "garbage": 7,
           "retried_503": 5, "status_400": 5, "stall_cancel": 5}  # fmt: skip
NOISE_RSS_MIB = 8.0  # allocator pools and caches: RSS may move this much without a leak
IDLE_WAIT = 6.0  # past the HTTP client's 5 s keep-alive expiry, so pooled upstream connections are comparable


class Soak:
    def __init__(self, socket: str, upstream: Upstream, seconds: float, workers: int) -> None:
        self.socket, self.upstream, self.seconds, self.workers = socket, upstream, seconds, workers
        self.done: collections.Counter[str] = collections.Counter()
        self.lost: list[str] = []
        self.mixed: list[str] = []
        self.chunks = 0
        self.shared: list[BridgeConnection] = []
        self._next = 0

    async def run(self) -> None:
        self.shared = [await BridgeConnection.open(self.socket) for _ in range(4)]
        deadline = time.monotonic() + self.seconds
        await asyncio.gather(*(self.worker(w, deadline) for w in range(self.workers)))
        for connection in self.shared:
            await connection.close()

    async def worker(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            action = rng.choices(list(ACTIONS), list(ACTIONS.values()))[0]
            self._next += 1
            await self.one(action, f"k{self._next}", rng)

    async def one(self, action: str, stream: str, rng: random.Random) -> None:
        n = rng.randint(5, 200)
        at = rng.randint(1, n - 1)
        rate = rng.choice([0, 200, 1000])
        fault = {"reset": f"reset:{at}", "hangup": f"hangup:{at}", "garbage": f"garbage:{at}",
                 "retried_503": "status:503:once", "status_400": "status:400",
                 "stall_cancel": f"stall:{at}"}.get(action)  # fmt: skip
        call = Call(stream, cancel_at=at if action in ("cancel", "stall_cancel") else None,
                    disconnect_at=at if action == "disconnect" else None)  # fmt: skip
        connection = await BridgeConnection.open(self.socket) if action == "disconnect" else rng.choice(self.shared)
        try:
            answer = await asyncio.wait_for(connection.chat(call, chat_spec(stream, n, rate, fault),
                                                            self.upstream.base), 60)  # fmt: skip
        except TimeoutError:
            answer = {"error": {"code": "timeout", "message": "no answer in 60 s"}}
        finally:
            if action == "disconnect":
                await connection.close()
        self.chunks += call.count
        self.done[action] += 1
        if call.misplaced:
            self.mixed.append(f"{action} {stream}: {call.misplaced} chunks out of place")
        problem = self.check(action, call, answer, n, at)
        if problem:
            self.lost.append(f"{action} {stream} (n={n}, at={at}, rate={rate}): {problem}")

    @staticmethod
    def check(action: str, call: Call, answer: dict[str, Any], n: int, at: int) -> str | None:
        kinds = [c["type"] for c in call.other]
        result = answer.get("result") or {}
        if action in ("complete", "retried_503"):
            if call.count != n or kinds != ["usage", "done"] or result.get("finish_reason") != "stop":
                return f"got {call.count}/{n} chunks, then {kinds}, answer {answer.get('error') or 'ok'}"
            if result.get("message", {}).get("content") != "".join(call.texts):
                return "the answer's text is not the chunks' text"
            return None
        if action in ("reset", "hangup", "garbage", "status_400"):
            # A TCP reset discards what the bridge had not read yet, so fewer chunks may arrive.
            expected = range(at + 1) if action == "reset" else range(at, at + 1) if action != "status_400" else range(1)
            codes = [c.get("code") for c in call.other if c["type"] == "error"]
            if call.count not in expected or kinds != ["error", "done"] or result.get("finish_reason") != "error":
                return f"got {call.count}/{at} chunks, then {kinds} {codes}, answer {answer.get('error') or 'ok'}"
            return None
        if action in ("cancel", "stall_cancel"):
            if action == "cancel" and result.get("finish_reason") == "stop" and call.count == n:
                return None  # the whole reply had left before the cancel arrived
            limit = at if action == "stall_cancel" else n
            if not at <= call.count <= limit or answer.get("error", {}).get("code") != -32800:
                return f"got {call.count} chunks (cancelled at {at}), answer {str(answer)[:200]}"
            return None
        if action == "disconnect":
            return None if call.count == at else f"got {call.count} chunks before disconnecting at {at}"
        raise AssertionError(action)


class Bridge:
    """The instrumented serve process and its idle samples."""

    def __init__(self, tmp: Path) -> None:
        self.stats = tmp / "stats.jsonl"
        self.socket = tmp / "bridge.sock"
        self.proc = subprocess.Popen([sys.executable, str(BENCH / "_serve_instrumented.py"), str(self.stats), "serve",
                                      "--socket", str(self.socket)], stdout=subprocess.PIPE, text=True,
                                     env=bridge_env(tmp))  # fmt: skip
        read_json_line(self.proc, 30, "openllm-bridge serve")
        self.samples: list[tuple[str, dict[str, int]]] = []

    async def sample(self, label: str, upstream: Upstream) -> None:
        """Wait until idle (pooled upstream connections expire), make one chat so the pool drops
        expired ones, then read the process's figures."""
        await asyncio.sleep(IDLE_WAIT)
        connection = await BridgeConnection.open(str(self.socket))
        await connection.chat(Call("idle"), chat_spec("idle", 3), upstream.base)
        await connection.close()
        await asyncio.sleep(0.2)
        seen = len(self.stats.read_text().splitlines()) if self.stats.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not self.stats.exists() or len(self.stats.read_text().splitlines()) <= seen:
            if time.monotonic() > deadline:
                raise RuntimeError("the bridge did not report its figures")
            await asyncio.sleep(0.05)
        self.samples.append((label, json.loads(self.stats.read_text().splitlines()[-1])))


async def soak(seconds: float, workers: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp, Upstream() as upstream:
        bridge = Bridge(Path(tmp))
        try:
            await bridge.sample("start", upstream)
            half = Soak(str(bridge.socket), upstream, seconds / 2, workers)
            await half.run()
            await bridge.sample("middle", upstream)
            rest = Soak(str(bridge.socket), upstream, seconds / 2, workers)
            await rest.run()
            await bridge.sample("end", upstream)
            open_replies = upstream.stats()["active"]
        finally:
            stop(bridge.proc)
    return report([half, rest], bridge.samples, open_replies)


def report(runs: list[Soak], samples: list[tuple[str, dict[str, int]]], open_replies: int) -> int:
    done = sum((r.done for r in runs), collections.Counter())
    lost = [x for r in runs for x in r.lost]
    mixed = [x for r in runs for x in r.mixed]
    stray = sum(c.stray for r in runs for c in r.shared)
    print(f"chats: {sum(done.values())} ({', '.join(f'{k} {v}' for k, v in sorted(done.items()))}); "
          f"content chunks checked: {sum(r.chunks for r in runs):,}")  # fmt: skip
    print("| when (idle) | fds | asyncio tasks | RSS MiB |\n|---|---|---|---|")
    for label, s in samples:
        print(f"| {label} | {s['fds']} | {s['tasks']} | {s['rss_kib'] / 1024:.1f} |")
    start, end = samples[0][1], samples[-1][1]
    growth = {"fds": end["fds"] - start["fds"], "tasks": end["tasks"] - start["tasks"],
              "rss": (end["rss_kib"] - samples[1][1]["rss_kib"]) / 1024}  # fmt: skip
    checks = {
        "lost streams": (len(lost), len(lost) == 0),
        "mixed-up streams": (len(mixed), len(mixed) == 0),
        "chunks for unknown requests": (stray, stray == 0),
        "upstream replies left open": (open_replies, open_replies == 0),
        "fd growth, start to end": (growth["fds"], growth["fds"] <= 0),
        "task growth, start to end": (growth["tasks"], growth["tasks"] <= 0),
        f"RSS growth, middle to end (MiB; noise {NOISE_RSS_MIB:g})": (round(growth["rss"], 1),
                                                                        growth["rss"] <= NOISE_RSS_MIB),
    }  # fmt: skip
    for name, (value, ok) in checks.items():
        print(f"{name}: {value} {'ok' if ok else 'FAILED'}")
    for line in (lost + mixed)[:20]:
        print(f"  {line}")
    return 0 if all(ok for _, ok in checks.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="about 20 s in all, for CI")
    parser.add_argument("--seconds", type=float, default=180, help="time under load (default 180)")
    parser.add_argument("--workers", type=int, default=32, help="chats in flight at once (default 32)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.workers = 4.0, 12
    return asyncio.run(soak(args.seconds, args.workers))


if __name__ == "__main__":
    sys.exit(main())
