"""``openllm-bridge providers`` and ``models``: what the bridge can talk to."""

from __future__ import annotations

import argparse
from typing import Any

from bridge.cli import EXIT_OK
from bridge.cli._common import make_engine, print_json


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("providers", parents=[common], help="list providers and their capabilities")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=list_providers)
    m = subparsers.add_parser("models", parents=[common], help="list a provider's models (from its API)")
    m.add_argument("provider")
    m.add_argument("--api-base")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=list_models)


async def list_providers(args: argparse.Namespace) -> int:
    engine = make_engine()
    providers = engine.providers()
    if args.json:
        print_json({"providers": providers})
        return EXIT_OK
    print(f"{'ID':<11} {'NAME':<16} {'KEY FROM':<36} CAPABILITIES")
    for p in providers:
        caps = ", ".join(name for name, on in p["capabilities"].items() if on)
        key = " or ".join(p["env_vars"]) if p["needs_key"] else "(no key needed)"
        print(f"{p['id']:<11} {p['display_name']:<16} {key:<36} {caps}")
    return EXIT_OK


async def list_models(args: argparse.Namespace) -> int:
    async with make_engine() as engine:
        models = await engine.list_models(args.provider, args.api_base)
    if args.json:
        print_json({"models": models})
    else:
        for model in models:
            print(model["id"])
    return EXIT_OK
