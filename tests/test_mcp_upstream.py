"""``openllm-bridge mcp`` in front of a real (loopback) provider API: the official ``mcp`` client
calls ``chat`` over stdio and over HTTP, the bridge streams from the fake OpenAI server, and
cancelling the call closes the upstream connection (the fake server sees it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from fake_provider import STALL, FakeServer
from fake_provider.harness import KEY
from fake_provider.replies import text_reply
from mcp import Client, StdioServerParameters
from mcp_process import http_server

from protocol import validate

pytestmark = pytest.mark.anyio

WORDS = ["Hello", " from", " the", " upstream"]


class _Progress:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.first = anyio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        if message is not None:
            self.messages.append(message)
            self.first.set()


@pytest.fixture
def upstream() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def env(cli_env: dict[str, str], openllm_home: Path, upstream: FakeServer) -> dict[str, str]:
    """The provider is pointed at the fake server the way a user would: in config.yaml."""
    (openllm_home / "config.yaml").write_text(
        f"providers:\n  - name: openai\n    api_base: {upstream.url}/v1\n    models: [gpt-4o-mini]\n"
    )
    return cli_env | {"OPENAI_API_KEY": KEY}


def _stdio(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command="openllm-bridge", args=["mcp", "--log-level", "none"], env=env)


async def _chat_through(client: Client, upstream: FakeServer) -> None:
    upstream.enqueue(text_reply("openai", WORDS, usage=(9, 4)))
    progress = _Progress()
    result = await client.call_tool(
        "chat", {"provider": "openai", "model": "gpt-4o-mini", "prompt": "greet me"}, progress_callback=progress
    )
    assert not result.is_error, result.content
    assert result.content[0].text == "".join(progress.messages) == "Hello from the upstream"  # type: ignore[union-attr]
    validate("McpChatResult", result.structured_content)
    assert result.structured_content is not None
    assert result.structured_content["usage"] == {"input_tokens": 9, "output_tokens": 4}
    sent = upstream.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["messages"] == [{"role": "user", "content": "greet me"}]


async def _cancel_closes_upstream(client: Client, upstream: FakeServer) -> None:
    reply = text_reply("openai", WORDS)
    reply.steps = [*reply.steps[:2], STALL]  # two words, then the upstream goes quiet
    upstream.enqueue(reply)
    progress = _Progress()
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                await client.call_tool(
                    "chat", {"provider": "openai", "model": "gpt-4o-mini", "prompt": "x"}, progress_callback=progress
                )

            tg.start_soon(call)
            await progress.first.wait()
            tg.cancel_scope.cancel()
    closed = await anyio.to_thread.run_sync(lambda: upstream.wait_closed(timeout=5))
    assert closed[-1].closed_by == "client", closed[-1]  # the bridge hung up; the upstream never ended it


async def test_stdio_chat_streams_from_the_provider_api(env: dict[str, str], upstream: FakeServer) -> None:
    async with Client(_stdio(env), mode="legacy") as client:
        await _chat_through(client, upstream)
        await _cancel_closes_upstream(client, upstream)
        await _chat_through(client, upstream)  # the session goes on after a cancel


async def test_http_chat_streams_from_the_provider_api(env: dict[str, str], upstream: FakeServer) -> None:
    with http_server(env, "--log-level", "none") as url:
        async with Client(url, mode="auto") as client:
            await _chat_through(client, upstream)
            await _cancel_closes_upstream(client, upstream)
