"""``openllm-bridge secrets set|where|delete``: keys in and out of the stores, never on argv or stdout."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bridge.cli import EXIT_OK, EXIT_USAGE
from bridge.cli._common import make_settings_api, print_json


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("secrets", parents=[common], help="store, find and delete API keys")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = sub.add_parser("set", parents=[common], help="store a key (read from a hidden prompt, or stdin when piped)")
    s.add_argument("provider")
    s.add_argument(
        "--store",
        choices=("auto", "keychain", "host"),
        default="auto",
        help="where to keep it; auto: the editor host when connected, else the keychain",
    )
    s.set_defaults(handler=set_key)
    w = sub.add_parser("where", parents=[common], help="which providers have a key, and where (never the key)")
    w.add_argument("provider", nargs="?")
    w.add_argument("--json", action="store_true")
    w.set_defaults(handler=where)
    d = sub.add_parser("delete", parents=[common], help="remove a key from every writable store")
    d.add_argument("provider")
    d.add_argument("--json", action="store_true")
    d.set_defaults(handler=delete)


def _read_key(provider: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"API key for {provider} (input hidden): ").strip()
    return sys.stdin.read().strip()


async def set_key(args: argparse.Namespace) -> int:
    api = make_settings_api()
    api.secrets.registry.get(args.provider)  # fail on a typo before asking for the key
    value = _read_key(args.provider)
    if not value or "\n" in value:
        print("openllm-bridge secrets set: give exactly one key, on stdin or at the prompt", file=sys.stderr)
        return EXIT_USAGE
    result = await api.secrets_store({"provider": args.provider, "value": value, "destination": args.store})
    print(f"stored the key for {args.provider} in the {result['destination']}")
    return EXIT_OK


async def where(args: argparse.Namespace) -> int:
    api = make_settings_api()
    locations = [await api.secrets.locate(args.provider)] if args.provider else await api.secrets.locations()
    if args.json:
        print_json({"secrets": locations})
        return EXIT_OK
    for loc in locations:
        if not loc["found"]:
            print(f"{loc['provider']:<11} no key" + (" found" if loc.get("unreachable") else ""))
        else:
            also = f"  (also in {', '.join(loc['also_in'])})" if loc["also_in"] else ""
            print(f"{loc['provider']:<11} {loc['detail']}  {loc['masked']}{also}")
        for place in loc.get("unreachable", []):
            print(f"{'':<11} could not ask {place}")
    return EXIT_OK


async def delete(args: argparse.Namespace) -> int:
    api = make_settings_api()
    result = await api.secrets_delete({"provider": args.provider})
    if args.json:
        print_json(result)
        return EXIT_OK
    deleted = ", ".join(result["deleted_from"]) or "nowhere (no stored key)"
    print(f"deleted the key for {args.provider} from {deleted}")
    for place in result["still_in"]:
        print(f"a key is still set in {place} (read-only for the bridge: remove it there)")
    for place in result["unreachable"]:
        print(f"could not check {place}")
    return EXIT_OK
