"""``openllm-bridge``: parse, call the engine (or a client), render.

Each command group is a module of this package with ``register(subparsers)``; the table below
lists them. Commands are async functions of the parsed arguments returning an exit code.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from bridge import logs
from bridge.errors import BridgeError, first_failure
from bridge.redact import redact

# Command -> the module that registers it. Only the module of the command being run is imported
# (each pulls in its own part of the bridge: serve the JSON-RPC server, mcp the SDK, ...), so
# `chat` does not pay for the others; `--help` and unknown commands import them all.
COMMANDS = {
    "chat": "bridge.cli.chat",
    "serve": "bridge.cli.serve",
    "mcp": "bridge.cli.mcp",
    "providers": "bridge.cli.providers",
    "models": "bridge.cli.providers",
    "secrets": "bridge.cli.secrets",
    "config": "bridge.cli.config",
    "doctor": "bridge.cli.doctor",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_USAGE_CODES = {"unknown_provider", "unknown_model", "missing_key", "invalid_config"}


def exit_code(error_code: str) -> int:
    """The exit status for a failure of this code (an error chunk's or a BridgeError's): 2 for what
    the user must fix in the command or the config, 130 for a cancel, else 1."""
    if error_code == "cancelled":
        return EXIT_INTERRUPTED
    return EXIT_USAGE if error_code in _USAGE_CODES else EXIT_FAILED


def _logging_options(default: object) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--log-level", choices=logs.LEVELS, default=default, help="default: warning, or OPENLLM_LOG_LEVEL"
    )
    options.add_argument("--log-file", metavar="PATH", default=default, help="log to this file instead of stderr")
    return options


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: the first word that is neither an option nor its value."""
    words = iter(argv)
    for word in words:
        if word in ("--log-level", "--log-file"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a known command, only that command's module is loaded."""
    command = _command_word(argv) if argv is not None else None
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    parser = argparse.ArgumentParser(
        prog="openllm-bridge", description="One local bridge to every LLM provider.", parents=[_logging_options(None)]
    )
    # The commands take the same options; SUPPRESS keeps a command from resetting what was given
    # before it (`openllm-bridge --log-level debug chat ...`).
    common = _logging_options(argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import anyio

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    try:
        logs.configure(args.log_level, args.log_file)
    except (ValueError, OSError) as exc:
        print(f"openllm-bridge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        # The long-running servers run on uvloop (the event loop's share of each streamed chunk is
        # about half asyncio's); one-shot commands keep asyncio, which imports faster.
        server = getattr(args, "event_loop", None) == "uvloop"
        options = {"use_uvloop": True} if server else {}
        if server:
            gc.set_threshold(*SERVER_GC_THRESHOLDS)
        code: int = anyio.run(args.handler, args, backend_options=options)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BridgeError as exc:
        print(f"openllm-bridge: {redact(exc.message)}", file=sys.stderr)
        return exit_code(exc.code)
    except BaseExceptionGroup as group:  # a server's task group: one of its tasks refused to start
        failed, rest = group.split(BridgeError)
        first = first_failure(failed) if failed is not None else None
        if rest is not None or not isinstance(first, BridgeError):
            raise
        print(f"openllm-bridge: {redact(first.message)}", file=sys.stderr)
        return exit_code(first.code)
    return code


# A server holding a thousand streams holds hundreds of thousands of objects, and at Python's
# default thresholds (700, 10, 10) the collector's passes over the older ones stalled every stream
# often: 1,000 streams x 50 chunks/s, delivery delay p99 296-374 -> 104-162 ms and p50 109-125 ->
# 70-93 ms, server CPU and peak RSS unchanged; no change at 100 streams (bench/concurrency.py).
SERVER_GC_THRESHOLDS = (10_000, 10, 10)
