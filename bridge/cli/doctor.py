"""``openllm-bridge doctor``: is every provider ready, and if not, what to do."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from bridge.cli import EXIT_FAILED, EXIT_OK
from bridge.cli._common import make_settings_api, print_json
from bridge.doctor import diagnose


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("doctor", parents=[common], help="check providers, keys and stores")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


async def run(args: argparse.Namespace) -> int:
    report = await diagnose(make_settings_api())
    if args.json:
        providers = [{**dataclasses.asdict(p), "status": p.status} for p in report.providers]
        print_json({**dataclasses.asdict(report), "providers": providers, "ok": report.ok})
        return EXIT_OK if report.ok else EXIT_FAILED
    if report.config_error:
        print(f"config: {report.config_error}\n")
    print("Stores")
    for store in report.stores:
        print(f"  {store.name:<9} {store.state}{': ' + store.detail if store.detail else ''}")
    print("Providers")
    for check in report.providers:
        configured = f"configured in {check.configured}" if check.configured else "not configured"
        print(f"  {check.provider:<11} {check.status:<10} key: {check.key}; {configured}")
        for problem in check.problems:
            print(f"      ! {problem}")
        for note in check.notes:
            print(f"      - {note}")
    return EXIT_OK if report.ok else EXIT_FAILED
