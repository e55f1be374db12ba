"""Cold start of the main job, whole process, beside importing LiteLLM in the same run.

    .venv/bin/python bench/startup.py [--runs 9] [--litellm-python /path/to/python]

Each command runs once to warm the page cache, then --runs times; wall time is measured around
the process and peak RSS is the kernel's ru_maxrss of that child (os.wait4). Prints medians with
min and max. The LiteLLM row needs a Python with litellm installed (`pip install litellm`):
pass it with --litellm-python or LITELLM_PYTHON; without one the row says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_maxrss / 1024


def row(name: str, argv: list[str], runs: int, env: dict[str, str]) -> str:
    measure(argv, env)
    samples = [measure(argv, env) for _ in range(runs)]
    walls = [s[0] * 1000 for s in samples]
    rss = [s[1] for s in samples]
    return (
        f"| {name} | {statistics.median(walls):.0f} ms ({min(walls):.0f}–{max(walls):.0f}) "
        f"| {statistics.median(rss):.0f} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--litellm-python", default=os.environ.get("LITELLM_PYTHON"))
    args = parser.parse_args()
    bridge = shutil.which("openllm-bridge", path=str(Path(sys.executable).parent)) or "openllm-bridge"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.runs} runs (min–max)")
    print("| command | wall | peak RSS |\n|---|---|---|")
    print(row("`python -c pass` (interpreter floor)", [sys.executable, "-c", "pass"], args.runs, env))
    chat = [bridge, "chat", "--provider", "mock", "--model", "echo", "--json", "hello"]
    print(row("`openllm-bridge chat --provider mock --model echo --json hello`", chat, args.runs, env))
    if args.litellm_python:
        importing = [args.litellm_python, "-c", "import litellm"]
        print(row('`python -c "import litellm"`', importing, args.runs, env))
    else:
        print('| `python -c "import litellm"` | not measured: pass --litellm-python | |')


if __name__ == "__main__":
    main()
