"""``openllm-bridge mcp``: serve the bridge to MCP agents on stdio, or on loopback HTTP with --http.

The ``mcp`` SDK is imported only when this command runs, never when the parser is built.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from bridge.cli import EXIT_OK
from bridge.cli._common import positive, print_json
from bridge.errors import InvalidConfigError
from bridge.runtime import add_host_options, host_from_args, open_runtime


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("mcp", parents=[common], help="serve MCP on stdio (or loopback HTTP with --http)")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP on 127.0.0.1 instead of stdio")
    p.add_argument("--port", type=int, default=0, help="HTTP port (default: any free port; the URL is printed)")
    p.add_argument(
        "--heartbeat", type=positive, default=5.0, metavar="SECONDS",
        help="send a progress notification when a running tool was silent this long (default: 5)",
    )  # fmt: skip
    p.add_argument(
        "--extra-module", type=Path, metavar="FILE.py",
        help="a Python file whose register(server) adds tools, resources or prompts (test fixtures)",
    )  # fmt: skip
    add_host_options(p)
    p.set_defaults(handler=run, event_loop="uvloop")


async def run(args: argparse.Namespace) -> int:
    from bridge.mcp import build_server, serve_http, serve_stdio
    from bridge.mcp.transport import adopt_library_logging

    adopt_library_logging()
    async with open_runtime(host_from_args(args), workspace=Path.cwd()) as runtime:
        server = build_server(runtime.engine, tools=runtime.tools, heartbeat=args.heartbeat)
        if args.extra_module is not None:
            _load(args.extra_module).register(server)
        if args.http:
            await serve_http(server, args.port, lambda url: print_json({"url": url, "pid": os.getpid()}))
        else:
            await serve_stdio(server)
    return EXIT_OK


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None or not path.is_file():
        raise InvalidConfigError(f"--extra-module: {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the annotations of its functions through sys.modules
    spec.loader.exec_module(module)
    return module
