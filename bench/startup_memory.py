"""Start-up and memory: from spawning ``openllm-bridge serve`` to its ready line, from spawning
``openllm-bridge mcp`` to its answer to ``initialize``, and the idle RSS of each, beside the LiteLLM
proxy's start (spawn until its liveness probe answers) and idle RSS.

    .venv/bin/python bench/startup_memory.py [--quick] [--runs 7] [--litellm-runs 3]

Each command runs once to warm the page cache, then ``--runs`` times; medians are printed. Idle
RSS is read from /proc half a second after the process is ready (children included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import NOT_INSTALLED, Row, bridge_command, bridge_env, bridge_serve, median, print_table, rss_mib, stop

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "bench", "version": "0"}}}  # fmt: skip
SETTLE = 0.5


def serve_once() -> tuple[float, float]:
    with bridge_serve() as (_, proc, ready):
        time.sleep(SETTLE)
        return ready, rss_mib(proc.pid)


def mcp_once() -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-mcp-") as tmp:
        started = time.perf_counter()
        proc = subprocess.Popen([*bridge_command(), "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=bridge_env(Path(tmp)))  # fmt: skip
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps(INITIALIZE) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            ready = time.perf_counter() - started
            if "result" not in answer:
                raise RuntimeError(f"openllm-bridge mcp answered initialize with {answer}")
            time.sleep(SETTLE)
            return ready, rss_mib(proc.pid)
        finally:
            proc.stdin.close()  # type: ignore[union-attr]
            stop(proc)


def litellm_once() -> tuple[float, float]:
    from _common import Upstream, litellm_proxy

    with Upstream() as upstream, litellm_proxy(upstream.base) as (_, proc, ready):
        time.sleep(SETTLE)
        return ready, rss_mib(proc.pid)


def sample(once: Callable[[], tuple[float, float]], runs: int) -> tuple[float, float]:
    once()
    samples = [once() for _ in range(runs)]
    return median([s[0] for s in samples]), median([s[1] for s in samples])


def run(quick: bool = False, runs: int = 7, litellm_runs: int = 3) -> list[Row]:
    from _common import litellm_python

    if quick:
        runs = 1
    serve_ready, serve_rss = sample(serve_once, runs)
    mcp_ready, mcp_rss = sample(mcp_once, runs)
    litellm: tuple[float, float] | None = None
    if not quick and litellm_python() is not None:
        litellm = sample(litellm_once, litellm_runs)
    missing = "not run (--quick)" if quick else NOT_INSTALLED
    lite_ready = f"{litellm[0]:.2f} s (proxy answers)" if litellm else missing
    lite_rss = f"{litellm[1]:.0f} MiB (proxy)" if litellm else missing

    def ahead(mine: float, index: int) -> bool:
        return litellm is None or mine < litellm[index]

    return [
        Row("start-up", "`serve`: spawn to ready line", f"{serve_ready:.3f} s", "", lite_ready, "< 0.3 s",
            serve_ready < 0.3 and ahead(serve_ready, 0)),
        Row("start-up", "`mcp`: spawn to initialize answer", f"{mcp_ready:.3f} s", "", lite_ready,
            "ahead of LiteLLM", ahead(mcp_ready, 0)),
        Row("memory", "`serve` idle RSS", f"{serve_rss:.0f} MiB", "", lite_rss, "< 60 MB",
            serve_rss * 1.048576 < 60 and ahead(serve_rss, 1)),
        Row("memory", "`mcp` idle RSS", f"{mcp_rss:.0f} MiB", "", lite_rss, "ahead of LiteLLM", ahead(mcp_rss, 1)),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run each, no LiteLLM: only checks that it runs")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--litellm-runs", type=int, default=3)
    args = parser.parse_args()
    print_table(run(args.quick, args.runs, args.litellm_runs))


if __name__ == "__main__":
    main()
