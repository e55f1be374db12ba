"""Every benchmark in one run, one table: relay, concurrency, start-up and memory, normalize, resolve.

    .venv/bin/python bench/run_all.py            # the README's figures (about 4 minutes)
    .venv/bin/python bench/run_all.py --quick    # tiny sizes, no LiteLLM: checks that each one runs (CI)
    .venv/bin/python bench/run_all.py --only relay normalize

LiteLLM's columns need bench/setup_litellm.sh once (or LITELLM_PYTHON pointing at a Python that
has ``litellm`` and its proxy); without it they say so. Exits 1 when a benchmark failed to run;
a target that is not met is reported in the table, never as a failure.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

import concurrency
import normalize
import relay
import resolve
import startup_memory
from _common import Row, litellm_python, machine, print_table

BENCHES: dict[str, Callable[[bool], list[Row]]] = {
    "relay": relay.run,
    "concurrency": concurrency.run,
    "startup": startup_memory.run,
    "normalize": normalize.run,
    "resolve": resolve.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no LiteLLM: only checks that each runs")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), default=list(BENCHES))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    peer = "not used (--quick)" if args.quick else (litellm_python() or "not installed: run bench/setup_litellm.sh")
    print(f"LiteLLM: {peer}")
    print(f"command: python bench/run_all.py{' --quick' if args.quick else ''}\n", flush=True)
    rows: list[Row] = []
    failed = []
    for name in args.only:
        started = time.perf_counter()
        try:
            rows += BENCHES[name](args.quick)
        except Exception as exc:
            traceback.print_exc()
            failed.append(name)
            rows.append(Row(name, "failed to run", f"{type(exc).__name__}: {exc}"))
        print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    if args.quick:  # tiny sizes say nothing about the targets
        for row in rows:
            row.met = None
    print_table(rows)
    met = [r.met for r in rows if r.met is not None]
    print("\ntargets: not judged (--quick)" if args.quick else f"\ntargets met: {sum(met)} of {len(met)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
