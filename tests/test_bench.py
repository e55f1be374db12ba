"""The benchmarks and the soak run (CI runs their --quick modes). Figures are never asserted here:
speed belongs in the printed tables; what is asserted is that every benchmark ran and that the
soak's correctness checks (no lost or mixed-up stream, nothing left open, no growth) held."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
pytestmark = pytest.mark.slow


def test_run_all_quick_runs_every_benchmark_and_prints_one_table(cli_env: dict[str, str]) -> None:
    run = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--quick"], capture_output=True, text=True,
                         timeout=300, env=cli_env)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| bench | figure | bridge | direct | LiteLLM |")
    benches = {line.split(" | ")[0].removeprefix("| ").split(" ")[0] for line in table[2:]}
    assert benches == {"relay", "concurrency", "start-up", "memory", "normalize", "resolve"}
    assert "failed to run" not in run.stdout


def test_soak_quick_loses_and_leaks_nothing(cli_env: dict[str, str]) -> None:
    run = subprocess.run([sys.executable, str(BENCH / "soak.py"), "--quick"], capture_output=True, text=True,
                         timeout=300, env=cli_env)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "lost streams: 0 ok" in run.stdout and "mixed-up streams: 0 ok" in run.stdout
    assert "upstream replies left open: 0 ok" in run.stdout
    assert "ERROR" not in run.stderr, run.stderr[-4000:]  # nothing the bridge logged as a failure
