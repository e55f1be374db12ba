"""``openllm-bridge mcp`` as an agent runs it: a real process, over stdio and over loopback HTTP,
driven by the official ``mcp`` Python client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_process import http_server, wait_for_text

from protocol import validate

pytestmark = pytest.mark.anyio


class _Progress:
    def __init__(self) -> None:
        self.messages: list[str | None] = []
        self.first = anyio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.messages.append(message)
        self.first.set()

    @property
    def text(self) -> str:
        return "".join(m for m in self.messages if m is not None)


def _stdio(env: dict[str, str], log: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command="openllm-bridge", args=["mcp", "--log-level", "info", "--log-file", str(log)], env=env
    )


async def test_stdio_answers_lines_that_are_not_messages_and_keeps_serving(cli_env: dict[str, str]) -> None:
    initialize = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    lines = [
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        "not json",
        "",  # a blank line (a keep-alive): no answer
        json.dumps([{"jsonrpc": "2.0", "id": 2, "method": "ping"}]),  # a batch
        json.dumps({"jsonrpc": "2.0", "id": 3, "method": 5}),
        '"\\ud800"',  # a lone surrogate: JSON that no parser takes
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
    ]
    replies: list[dict[str, Any]] = []
    with anyio.fail_after(30):
        async with await anyio.open_process(["openllm-bridge", "mcp"], env=cli_env) as proc:
            assert proc.stdin is not None and proc.stdout is not None
            await proc.stdin.send("".join(line + "\n" for line in lines).encode())
            buffer = b""
            while len(replies) < 6:
                buffer += await proc.stdout.receive()
                *complete, buffer = buffer.split(b"\n")
                replies += [json.loads(line) for line in complete]
            await proc.stdin.aclose()
    results = {r["id"]: r["result"] for r in replies if "result" in r}
    assert results[1]["serverInfo"]["name"] and results[4] == {}  # served before and after the bad lines
    errors = [r for r in replies if "error" in r]
    refused = sorted((str(r["id"]), r["error"]["code"], r["error"]["message"].split(":")[0]) for r in errors)
    assert refused == [("3", -32600, "Invalid Request"), ("None", -32700, "Parse error"),
                       ("None", -32700, "Parse error"), ("None", -32600, "Invalid Request")]  # fmt: skip
    assert any("no batches" in r["error"]["message"] for r in errors)


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    import os

    from conftest import BIN, KEY_VARS

    home = tmp_path_factory.mktemp("home")
    log = home / "bridge.log"
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env |= {"OPENLLM_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}
    with http_server(env, "--heartbeat", "0.01", "--log-level", "info", "--log-file", str(log)) as url:
        yield url, log


async def _chat_checks(client: Client) -> None:
    names = [t.name for t in (await client.list_tools()).tools]
    assert names == ["chat", "list_providers", "list_models", "compare"]
    progress = _Progress()
    result = await client.call_tool(
        "chat", {"provider": "mock", "model": "echo", "prompt": "over the wire"}, progress_callback=progress
    )
    assert not result.is_error
    assert result.content[0].text == progress.text == "You said: over the wire"  # type: ignore[union-attr]
    validate("McpChatResult", result.structured_content)
    missing = await client.call_tool("chat", {"provider": "anthropic", "model": "claude", "prompt": "hi"})
    assert missing.is_error
    assert "set ANTHROPIC_API_KEY, or run `openllm-bridge secrets set anthropic`" in missing.content[0].text  # type: ignore[union-attr]


async def _cancel_checks(client: Client, log: Path) -> None:
    progress = _Progress()
    long_prompt = " ".join(f"w{i}" for i in range(200))  # the slow model takes 10 s to say it all
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                await client.call_tool(
                    "chat", {"provider": "mock", "model": "slow", "prompt": long_prompt}, progress_callback=progress
                )

            tg.start_soon(call)
            await progress.first.wait()
            tg.cancel_scope.cancel()
    assert "chat cancelled by the client: provider=mock model=slow" in await wait_for_text(log, "chat cancelled")
    assert len(progress.text.split()) < 100
    assert not (await client.call_tool("list_models", {"provider": "mock"})).is_error


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_lists_tools_streams_chat_and_reports_errors(
    cli_env: dict[str, str], tmp_path: Path, mode: str
) -> None:
    async with Client(_stdio(cli_env, tmp_path / "log"), mode=mode) as client:
        await _chat_checks(client)


async def test_stdio_cancellation_stops_the_chat(cli_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "log"
    async with Client(stdio_client(_stdio(cli_env, log)), mode="legacy") as client:
        await _cancel_checks(client, log)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_lists_tools_streams_chat_and_reports_errors(http_url: tuple[str, Path], mode: str) -> None:
    async with Client(http_url[0], mode=mode) as client:
        await _chat_checks(client)


async def test_http_heartbeats_between_slow_tokens(http_url: tuple[str, Path]) -> None:
    progress = _Progress()
    async with Client(http_url[0], mode="legacy") as client:
        result = await client.call_tool(
            "chat", {"provider": "mock", "model": "slow", "prompt": "a b c"}, progress_callback=progress
        )
    assert progress.text == result.content[0].text == "You said: a b c"  # type: ignore[union-attr]
    assert None in progress.messages, "the server was started with --heartbeat 0.01; the slow model pauses 0.05 s"


async def test_http_cancellation_stops_the_chat(http_url: tuple[str, Path]) -> None:
    async with Client(http_url[0], mode="legacy") as client:
        await _cancel_checks(client, http_url[1])


async def test_http_refuses_foreign_hosts_and_origins(http_url: tuple[str, Path]) -> None:
    url = http_url[0]
    assert url.startswith("http://127.0.0.1:")
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient() as http:
        rebound = await http.post(url, json=body, headers={**headers, "Host": "attacker.example:80"})
        foreign = await http.post(url, json=body, headers={**headers, "Origin": "http://attacker.example"})
        local = await http.post(url, json=body, headers={**headers, "Origin": url.removesuffix("/mcp")})
    assert (rebound.status_code, foreign.status_code) == (421, 403)
    assert local.status_code not in (421, 403)
