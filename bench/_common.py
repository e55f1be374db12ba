"""What the benchmark scripts share: the result rows and the table, process figures from /proc,
percentiles, and starting the processes under test (the upstream, ``openllm-bridge serve``, the
LiteLLM proxy) as children with a deadline.

Every figure about a process is read from the kernel (``/proc/PID``), never from the process
itself, so the bridge and LiteLLM are measured the same way; a process's figures include its
children (LiteLLM's proxy may fork workers).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
KEY = "sk-bench-0000000000000000000000"
LITELLM_KEY = "sk-litellm-master-0000000000000"
NOT_INSTALLED = "not installed: run bench/setup_litellm.sh"
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One figure: the bridge's, beside a direct read of the upstream and LiteLLM's where they apply,
    and the target it must meet."""

    bench: str
    figure: str
    bridge: str
    direct: str = ""
    litellm: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not measured


def print_table(rows: Sequence[Row], out: IO[str] = sys.stdout) -> None:
    verdict = {True: "yes", False: "**no**", None: ""}
    out.write("| bench | figure | bridge | direct | LiteLLM | target | met |\n|---|---|---|---|---|---|---|\n")
    for r in rows:
        cells = (r.bench, r.figure, r.bridge, r.direct, r.litellm, r.target, verdict[r.met])
        out.write("| " + " | ".join(cells) + " |\n")
    out.flush()


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores {cpu}, {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average {load} at the start, "
            f"{time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- /proc ----------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    """The process and its descendants."""
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue.extend(_children(current))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree so far."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _status_kib(pid: int, field: str) -> int:
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
    return total


def rss_mib(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def peak_rss_mib(pid: int) -> float:
    """The high-water mark of each process's resident memory, summed over the tree."""
    return _status_kib(pid, "VmHWM") / 1024


def open_fds(pid: int) -> int:
    return sum(len(os.listdir(f"/proc/{p}/fd")) for p in tree(pid) if os.path.isdir(f"/proc/{p}/fd"))


# -- child processes ------------------------------------------------------------------------------


def stop(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_json_line(proc: subprocess.Popen[str], timeout: float, what: str) -> Any:
    """The first JSON line a child prints on stdout, within ``timeout`` seconds."""
    assert proc.stdout is not None
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            stop(proc)
            raise RuntimeError(f"{what} printed nothing within {timeout:g}s")
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"{what} exited ({proc.wait()}) before it was ready")
    return json.loads(line)


class Upstream:
    """``bench/_upstream.py`` in a child process: its port, and its :meth:`stats`."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(BENCH / "_upstream.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)  # fmt: skip
        self.port = int(read_json_line(self.proc, 10, "the upstream")["port"])
        self.base = f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, int]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return dict(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        stop(self.proc)

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bridge_command() -> list[str]:
    """``openllm-bridge`` from this Python's environment."""
    found = shutil.which("openllm-bridge", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "bridge"]


def bridge_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(OPENAI_API_KEY=KEY, OPENLLM_HOME=str(home), OPENLLM_LOG_LEVEL="warning")
    return env


@contextlib.contextmanager
def bridge_serve(argv: Sequence[str] | None = None) -> Iterator[tuple[Path, subprocess.Popen[str], float]]:
    """``openllm-bridge serve --socket PATH`` until the block ends: (socket, process, seconds to ready)."""
    with tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp:
        path = Path(tmp) / "bridge.sock"
        started = time.perf_counter()
        proc = subprocess.Popen([*(argv or bridge_command()), "serve", "--socket", str(path)], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, env=bridge_env(Path(tmp)))  # fmt: skip
        try:
            ready = read_json_line(proc, 30, "openllm-bridge serve")
            elapsed = time.perf_counter() - started
            yield Path(ready["socket"]), proc, elapsed
        finally:
            stop(proc)


def litellm_python() -> Path | None:
    """The Python that has LiteLLM and its proxy (bench/setup_litellm.sh), or LITELLM_PYTHON."""
    given = os.environ.get("LITELLM_PYTHON")
    candidate = Path(given) if given else BENCH / ".litellm-venv" / "bin" / "python"
    return candidate if candidate.is_file() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http_ok(port: int, path: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextlib.contextmanager
def litellm_proxy(upstream_base: str) -> Iterator[tuple[int, subprocess.Popen[bytes], float]]:
    """The LiteLLM proxy with model ``m`` pointing at ``upstream_base`` (an OpenAI-compatible
    server): (port, process, seconds until it answered its liveness probe)."""
    python = litellm_python()
    if python is None:
        raise RuntimeError(NOT_INSTALLED)
    with tempfile.TemporaryDirectory(prefix="bench-litellm-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/m\n"
            f"      api_base: {upstream_base}\n      api_key: {KEY}\n"
            f"general_settings:\n  master_key: {LITELLM_KEY}\n"
            "litellm_settings:\n  telemetry: false\n"
        )
        port = free_port()
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HOME": tmp, "LITELLM_LOG": "ERROR"}
        started = time.perf_counter()
        proc = subprocess.Popen([str(python.parent / "litellm"), "--config", str(config), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=env, cwd=tmp)  # fmt: skip
        try:
            deadline = started + 120
            while not _http_ok(port, "/health/liveliness"):
                if proc.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"the LiteLLM proxy did not start (exit {proc.poll()})")
                time.sleep(0.05)
            yield port, proc, time.perf_counter() - started
        finally:
            stop(proc)


def chat_spec(stream_id: str, n: int, rate: float = 0, fault: str | None = None) -> str:
    """The upstream's instructions for one reply, as the user message's text (bench/_upstream.py)."""
    return json.dumps({"id": stream_id, "n": n, "rate": rate, "fault": fault})
