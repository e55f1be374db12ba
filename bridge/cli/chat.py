"""``openllm-bridge chat``: stream one reply to the terminal, or as StreamChunks with --json.

``--image PATH`` (repeatable) attaches images to the prompt as base64 parts; ``--tools FILE``
offers the model the tool specs in a JSON list (each checked against the ``ToolSpec`` schema).
Tool calls are printed, not run: this command streams one turn.
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import sys
from pathlib import Path
from typing import Any, Literal

import anyio

from bridge.cancel import CancellationToken
from bridge.cli import EXIT_OK, EXIT_USAGE, exit_code
from bridge.cli._common import make_engine, print_json
from bridge.errors import InvalidConfigError
from bridge.redact import redact
from protocol import (
    ChatMessage,
    ChatRequest,
    ContentPart,
    ImagePart,
    SchemaError,
    StreamChunk,
    StreamOptions,
    ToolSpec,
    validate,
)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("chat", parents=[common], help="stream a reply from a model")
    p.add_argument("--provider", required=True, help="provider id (see `openllm-bridge providers`)")
    p.add_argument("--model", required=True, help="model name")
    p.add_argument("--api-base", help="override the provider's base URL")
    p.add_argument("--system", help="a system prompt")
    p.add_argument("--json", action="store_true", help="print one StreamChunk JSON object per line")
    p.add_argument("--temperature", type=float)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--image", action="append", default=[], metavar="PATH", help="attach an image (repeatable)")
    p.add_argument("--tools", metavar="FILE", help="a JSON file with a list of tool specs the model may call")
    p.add_argument("prompt", nargs="*", help="the prompt (read from stdin when absent)")
    p.set_defaults(handler=run)


_IMAGE_TYPES: dict[str, Literal["image/png", "image/jpeg", "image/gif", "image/webp"]] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
}  # fmt: skip


def _image(path: str) -> ImagePart:
    media_type = _IMAGE_TYPES.get(Path(path).suffix.lower())
    if media_type is None:
        raise InvalidConfigError(f"--image {path}: use a .png, .jpg, .gif or .webp file")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidConfigError(f"--image {path}: {exc.strerror}") from exc
    return {"type": "image", "media_type": media_type, "data": base64.b64encode(data).decode("ascii")}


def _tools(path: str) -> list[ToolSpec]:
    try:
        tools = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidConfigError(f"--tools {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise InvalidConfigError(f"--tools {path}: not valid JSON ({exc})") from exc
    if not isinstance(tools, list):
        raise InvalidConfigError(f"--tools {path}: expected a JSON list of tool specs")
    for index, tool in enumerate(tools):
        try:
            validate("ToolSpec", tool)
        except SchemaError as exc:
            raise InvalidConfigError(f"--tools {path}: tool {index}: {exc}") from exc
    return tools


def _request(args: argparse.Namespace, prompt: str) -> ChatRequest:
    messages: list[ChatMessage] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    if args.image:
        parts: list[ContentPart] = [{"type": "text", "text": prompt}, *(_image(path) for path in args.image)]
        messages.append({"role": "user", "content": parts})
    else:
        messages.append({"role": "user", "content": prompt})
    options: StreamOptions = {}
    if args.tools:
        options["tools"] = _tools(args.tools)
    if args.temperature is not None:
        options["temperature"] = args.temperature
    if args.max_tokens is not None:
        options["max_tokens"] = args.max_tokens
    request: ChatRequest = {"provider": args.provider, "model": args.model, "messages": messages, "options": options}
    if args.api_base:
        request["api_base"] = args.api_base
    try:  # the checks chat/stream and MCP apply, said in the flags' names
        validate("ChatRequest", request)
    except SchemaError as exc:
        flag = _FLAGS.get(exc.path, exc.path)
        raise InvalidConfigError(f"{flag}: {exc.reason}") from exc
    return request


_FLAGS = {
    "/options/temperature": "--temperature", "/options/max_tokens": "--max-tokens", "/provider": "--provider",
    "/model": "--model", "/api_base": "--api-base",
}  # fmt: skip


def _render(chunk: StreamChunk) -> None:
    """Text to stdout as it arrives; everything else a person should see to stderr."""
    if chunk["type"] == "text":
        sys.stdout.write(chunk["text"])
        sys.stdout.flush()
    elif chunk["type"] == "thinking":
        sys.stderr.write(chunk["text"])
    elif chunk["type"] == "tool_call":
        arguments = (
            chunk["arguments"] if "invalid_arguments" not in chunk else f"not JSON: {chunk['invalid_arguments']!r}"
        )
        sys.stderr.write(f"\n[tool call] {chunk['name']}({arguments})\n")


async def _cancel_on_sigint(token: CancellationToken) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            token.cancel("interrupted")
            return


async def run(args: argparse.Namespace) -> int:
    prompt = " ".join(args.prompt) if args.prompt else ("" if sys.stdin.isatty() else sys.stdin.read())
    if not prompt.strip():
        print("openllm-bridge chat: give a prompt as arguments or on stdin", file=sys.stderr)
        return EXIT_USAGE
    token = CancellationToken()
    status, wrote_text = EXIT_OK, False
    async with (
        make_engine() as engine,
        engine.chat(_request(args, prompt), token) as chunks,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(_cancel_on_sigint, token)
        async for chunk in chunks:
            if args.json:
                print_json(chunk)
            else:
                _render(chunk)
                wrote_text = wrote_text or chunk["type"] == "text"
            if chunk["type"] == "error":
                print(f"openllm-bridge: {chunk['code']}: {redact(chunk['message'])}", file=sys.stderr)
                status = exit_code(chunk["code"])
        tg.cancel_scope.cancel()
    if wrote_text:  # the reply's line ends; a failure with no text leaves stdout empty
        sys.stdout.write("\n")
    return status
