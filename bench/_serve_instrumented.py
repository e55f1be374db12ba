"""``openllm-bridge serve`` as the soak runs it: the same ``bridge.cli.main``, plus a SIGUSR1 handler
that appends the process's live task count, open file descriptors and RSS to a file.

    python bench/_serve_instrumented.py STATS_FILE serve --socket PATH

Tasks can only be counted from inside the process; the handler runs in the event loop's thread
between two steps of the loop, where ``asyncio.all_tasks`` is safe. Nothing else differs from the
installed command.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from bridge.cli import main


def _report(stats: Path) -> None:
    try:
        tasks = len(asyncio.all_tasks(asyncio.get_running_loop()))
    except RuntimeError:
        tasks = -1  # the loop is not running (start-up or shutdown)
    fds = len(os.listdir("/proc/self/fd"))
    rss = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmRSS:"))  # fmt: skip
    with stats.open("a") as f:
        f.write(json.dumps({"tasks": tasks, "fds": fds, "rss_kib": rss}) + "\n")


if __name__ == "__main__":
    stats_file = Path(sys.argv[1])

    def on_signal(signum: int, frame: FrameType | None) -> None:
        _report(stats_file)

    signal.signal(signal.SIGUSR1, on_signal)
    sys.exit(main(sys.argv[2:]))
