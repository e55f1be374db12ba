"""``openllm-bridge serve``: the bridge API on a Unix socket until SIGINT/SIGTERM (or, with
``--exit-with-parent`` or ``OPENLLM_PARENT_PID``, until the process that started it is gone).

Prints one JSON line ``{"socket": PATH, "pid": N}`` on stdout once it accepts connections, so a
spawner can read where to connect; nothing else goes to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import resource
import signal
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from bridge.cli import EXIT_OK
from bridge.cli._common import positive_int, print_json
from bridge.rpc import DEFAULT_MAX_FRAME
from bridge.runtime import add_host_options, host_from_args, open_runtime
from bridge.server import BridgeApi, UnixServer, socket_path

log = logging.getLogger("openllm.serve")
PARENT_CHECK_SECONDS = 1.0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("serve", parents=[common], help="serve the bridge API (JSON-RPC) on a Unix socket")
    p.add_argument("--socket", metavar="PATH", help="default: under $XDG_RUNTIME_DIR, else a private temp dir")
    p.add_argument("--token", help="require this token (bridge/authenticate); default: env OPENLLM_BRIDGE_TOKEN")
    p.add_argument("--max-frame-bytes", type=positive_int, default=DEFAULT_MAX_FRAME, metavar="N",
                   help=f"refuse messages larger than this (default {DEFAULT_MAX_FRAME})")  # fmt: skip
    p.add_argument("--exit-with-parent", action="store_true",
                   help="stop when the process that started serve exits (editors pass it, so that a crashed "
                        "editor leaves no bridge behind)")  # fmt: skip
    add_host_options(p)
    p.set_defaults(handler=run, event_loop="uvloop")


async def _stop_on_signal(scope: anyio.CancelScope, *, task_status: anyio.abc.TaskStatus[None]) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        task_status.started()  # the ready line goes out only once a SIGTERM would be handled
        async for _ in signals:
            scope.cancel()
            return


def _starter(exit_with_parent: bool) -> tuple[int, bool] | None:
    """The process whose exit stops ``serve``, and whether it was named, if any: the pid in
    ``OPENLLM_PARENT_PID`` (a spawner's own: it holds through a wrapper such as a shell script that
    does not exec, and when the spawner dies before this process gets this far; an environment
    variable, so that a bridge too old to know it just ignores it), else with
    ``--exit-with-parent`` the parent as it is now. The variable is not passed on to the bridge's
    own children (MCP servers it starts)."""
    named = os.environ.pop("OPENLLM_PARENT_PID", "")
    if named.isascii() and named.isdigit() and int(named) > 1:  # 0 would be our process group
        return int(named), True
    return (os.getppid(), False) if exit_with_parent else None


def _gone(pid: int, named: bool) -> bool:
    if not named:
        return os.getppid() != pid  # an orphan is handed to init (or a subreaper)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # there, another user's
        pass
    try:  # exited but not yet reaped by its own parent (a zombie) is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):  # no /proc (macOS): signal 0 answered, so it runs
        return False


async def _stop_with_parent(scope: anyio.CancelScope, starter: tuple[int, bool]) -> None:
    """Cancel ``scope`` once the process that started this one has exited, checked every second."""
    while True:  # another process's exit is no event of ours (pidfd_open would be, on Linux 5.3+ only)
        if _gone(*starter):  # checked first: it may have gone while this process started
            break
        await anyio.sleep(PARENT_CHECK_SECONDS)
    log.warning("the process that started serve (pid %d) has exited: stopping", starter[0])
    scope.cancel()


def _lift_open_file_limit() -> None:
    """Every streamed chat holds an upstream connection and every client one more, so a soft limit
    of 1,024 open files (a common default) would refuse chats long before the machine is busy:
    raise it to the hard limit, as servers do."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard if hard != resource.RLIM_INFINITY else 1 << 20, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # else keep the limit we were given
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def run(args: argparse.Namespace) -> int:
    starter = _starter(args.exit_with_parent)  # first: the starter may die while the runtime starts
    _lift_open_file_limit()
    token = args.token or os.environ.get("OPENLLM_BRIDGE_TOKEN") or None

    def ready(path: Path) -> None:
        print_json({"socket": str(path), "pid": os.getpid()})

    host = host_from_args(args)
    with socket_path(args.socket) as path:
        async with open_runtime(host, workspace=Path.cwd()) as runtime, anyio.create_task_group() as tg:
            await tg.start(_stop_on_signal, tg.cancel_scope)
            if starter is not None:
                tg.start_soon(_stop_with_parent, tg.cancel_scope, starter)
            api = BridgeApi(runtime.engine, settings=runtime.settings, token=token, host=host, tools=runtime.tools)
            await UnixServer(api, path, max_frame=args.max_frame_bytes).serve(ready)
    return EXIT_OK
