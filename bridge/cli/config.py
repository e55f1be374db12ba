"""``openllm-bridge config show|set-provider|remove-provider|export|import``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import anyio

from bridge.cli import EXIT_OK, EXIT_USAGE
from bridge.cli._common import make_settings_api, print_json
from protocol import ProviderConfig


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("config", parents=[common], help="show and change provider configuration")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = sub.add_parser("show", parents=[common], help="the merged configuration, each provider with its source")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=show_config)

    setp = sub.add_parser("set-provider", parents=[common], help="add a provider or change the fields given")
    setp.add_argument("name")
    setp.add_argument("--api-base", help="the provider's base URL")
    setp.add_argument("--model", action="append", dest="models", metavar="MODEL", help="repeat for several")
    on = setp.add_mutually_exclusive_group()
    on.add_argument("--enable", action="store_const", const=True, dest="enabled")
    on.add_argument("--disable", action="store_const", const=False, dest="enabled")
    setp.add_argument("--api-key-env", metavar="VAR", help="read the key from this environment variable")
    setp.add_argument("--api-version", help="Azure: the API version")
    setp.add_argument("--deployment", help="Azure: the deployment name")
    setp.add_argument("--scope", choices=("user", "workspace"), help="which config.yaml (default: user)")
    setp.set_defaults(handler=set_provider)

    rm = sub.add_parser("remove-provider", parents=[common], help="remove a provider from the config files")
    rm.add_argument("name")
    rm.add_argument("--scope", choices=("user", "workspace"), help="default: every file that has it")
    rm.set_defaults(handler=remove_provider)

    ex = sub.add_parser("export", parents=[common], help="the configuration as JSON")
    ex.add_argument("--scope", choices=("user", "workspace", "merged"), default="merged")
    ex.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    ex.set_defaults(handler=export_config)

    im = sub.add_parser("import", parents=[common], help="replace a config.yaml's providers from a JSON export")
    im.add_argument("file", help="a JSON file from `config export` (- for stdin)")
    im.add_argument("--scope", choices=("user", "workspace"), default="user")
    im.set_defaults(handler=import_config)


async def show_config(args: argparse.Namespace) -> int:
    result = await make_settings_api().config_providers({})
    if args.json:
        print_json(result)
        return EXIT_OK
    if not result["providers"]:
        print("no providers configured (see `openllm-bridge config set-provider --help`)")
    for config in result["providers"]:
        state = "enabled" if config.get("enabled", True) else "disabled"
        print(f"{config['name']:<11} {state:<8} from {config.get('source')}: {config.get('source_detail')}")
        for field, value in config.items():
            if field not in ("name", "enabled", "source", "source_detail"):
                print(f"    {field}: {json.dumps(value)}")
    settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in result["settings"].items())
    print(f"settings: {settings}")
    return EXIT_OK


async def set_provider(args: argparse.Namespace) -> int:
    config: dict[str, Any] = {"name": args.name}
    for field in ("api_base", "models", "enabled", "api_key_env", "api_version", "deployment"):
        value = getattr(args, field)
        if value is not None:
            config[field] = value
    result = await make_settings_api().config_set_provider({"config": config, **_scope(args)})  # type: ignore[typeddict-item]
    print(f"{args.name}: written to {result['path'] or result['scope']}")
    return EXIT_OK


async def remove_provider(args: argparse.Namespace) -> int:
    result = await make_settings_api().config_remove_provider({"name": args.name, **_scope(args)})  # type: ignore[typeddict-item]
    if not result["removed_from"]:
        print(f"openllm-bridge config: {args.name} is not in the config files", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.name}: removed from the {' and '.join(result['removed_from'])} configuration")
    return EXIT_OK


async def export_config(args: argparse.Namespace) -> int:
    result = await make_settings_api().config_export({"scope": args.scope})
    text = json.dumps({"providers": result["providers"]}, indent=2) + "\n"
    if args.output:
        try:
            await anyio.Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"openllm-bridge config export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    return EXIT_OK


async def import_config(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else await anyio.Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        print(f"openllm-bridge config import: cannot read {args.file}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    try:
        data = json.loads(text)
    except ValueError as exc:
        print(f"openllm-bridge config import: {args.file} is not JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE
    providers: list[ProviderConfig] | None = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(providers, list):
        print("openllm-bridge config import: expected a JSON object with a 'providers' list", file=sys.stderr)
        return EXIT_USAGE
    result = await make_settings_api().config_import({"providers": providers, "scope": args.scope})
    backup = f" (the old file is in {result['backup']})" if result["backup"] else ""
    print(f"imported {result['count']} providers into {result['path']}{backup}")
    return EXIT_OK


def _scope(args: argparse.Namespace) -> dict[str, str]:
    return {"scope": args.scope} if args.scope else {}
