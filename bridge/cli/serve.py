"""``openllm-bridge serve``: the bridge API on a Unix socket until SIGINT/SIGTERM.

Prints one JSON line ``{"socket": PATH, "pid": N}`` on stdout once it accepts connections, so a
spawner can read where to connect; nothing else goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import signal
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio

from bridge.cli import EXIT_OK
from bridge.cli._common import make_settings_api, print_json
from bridge.engine import Engine
from bridge.host import HostClient
from bridge.host.session import host_session
from bridge.rpc import DEFAULT_MAX_FRAME
from bridge.server import BridgeApi, UnixServer, socket_path
from bridge.tools import ToolRegistry, ToolSettings


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("serve", parents=[common], help="serve the bridge API (JSON-RPC) on a Unix socket")
    p.add_argument("--socket", metavar="PATH", help="default: under $XDG_RUNTIME_DIR, else a private temp dir")
    p.add_argument("--token", help="require this token (bridge/authenticate); default: env OPENLLM_BRIDGE_TOKEN")
    p.add_argument("--max-frame-bytes", type=int, default=DEFAULT_MAX_FRAME, metavar="N",
                   help=f"refuse messages larger than this (default {DEFAULT_MAX_FRAME})")  # fmt: skip
    p.add_argument("--host-socket", metavar="PATH", help="the editor host's socket; default: env OPENLLM_HOST_SOCKET")
    p.add_argument("--host-token", help="the editor host's token; default: env OPENLLM_HOST_TOKEN")
    p.add_argument("--host-framing", choices=("content-length", "ndjson"), help="default: content-length")
    p.set_defaults(handler=run)


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("OPENLLM_BRIDGE_TOKEN") or None

    def ready(path: Path) -> None:
        print_json({"socket": str(path), "pid": os.getpid()})

    host = HostClient.from_environment(socket_path=args.host_socket, token=args.host_token, framing=args.host_framing)
    with socket_path(args.socket) as path:
        async with AsyncExitStack() as stack:
            settings, client, tools = make_settings_api(), None, None
            if host is not None:
                session = await stack.enter_async_context(host_session(host, workspace=Path.cwd()))
                raw = await session.settings.raw()
                tool_settings = ToolSettings.layered(("the editor host's settings", (raw or {}).get("tools")))
                settings, client = session.api, session.client
                tools = ToolRegistry([session.tools], tool_settings.filter)
            engine = await stack.enter_async_context(Engine(secrets=settings.secrets, config=settings.config))
            tg = await stack.enter_async_context(anyio.create_task_group())
            tg.start_soon(_stop_on_signal, tg.cancel_scope)
            api = BridgeApi(engine, settings=settings, token=token, host=client, tools=tools)
            server = UnixServer(api, path, max_frame=args.max_frame_bytes)
            await server.serve(ready)
    return EXIT_OK
