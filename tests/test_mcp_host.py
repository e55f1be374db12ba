"""`openllm-bridge mcp` in front of an editor host, as an agent runs it: the official `mcp` client
drives a real bridge process (stdio and HTTP) whose host is a reference host, a real process
(Python and Node). The host's user tools are listed and proxied, internal ones never; its keys
feed the resolvers; the `tools:` settings merge host < user config.yaml; `chat` with `run_tools`
runs a slow host tool while heartbeat notifications keep coming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hosts import STATE, HostProcess, running_host
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from mcp_process import http_server

pytestmark = pytest.mark.anyio

BRIDGE_TOOLS = ["chat", "list_providers", "list_models", "compare"]
# the host's settings exclude sleep; the user's config.yaml replaces that exclude with fail
HOST_TOOLS = ["echo", "add", "workspace_root", "sleep"]
INTERNAL = {"openllm_status", "reload_window"}


class _Progress:
    def __init__(self) -> None:
        self.messages: list[str | None] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.messages.append(message)


@pytest.fixture(params=["python", "node"])
def host(request: pytest.FixtureRequest, tmp_path: Path, openllm_home: Path) -> Iterator[HostProcess]:
    (openllm_home / "config.yaml").write_text(json.dumps({"tools": {"exclude": ["fail"]}}), encoding="utf-8")
    folder = tmp_path / "host"
    folder.mkdir()
    with running_host(request.param, folder) as process:
        yield process


def _stdio(host: HostProcess, env: dict[str, str], log: Path) -> StdioServerParameters:
    args = [
        "mcp",
        "--host-socket",
        str(host.socket),
        "--heartbeat",
        "0.1",
        "--log-level",
        "info",
        "--log-file",
        str(log),
    ]
    return StdioServerParameters(command="openllm-bridge", args=args, env={**env, "OPENLLM_HOST_TOKEN": host.token})


async def _text(client: Client, tool: str, arguments: dict[str, Any], **kwargs: Any) -> tuple[str, bool, Any]:
    result = await client.call_tool(tool, arguments, **kwargs)
    return result.content[0].text, bool(result.is_error), result.structured_content  # type: ignore[union-attr]


async def test_stdio_lists_and_proxies_the_hosts_user_tools_and_uses_its_keys(
    host: HostProcess, cli_env: dict[str, str], tmp_path: Path
) -> None:
    async with Client(_stdio(host, cli_env, tmp_path / "bridge.log"), mode="legacy") as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert names == BRIDGE_TOOLS + HOST_TOOLS
        assert not INTERNAL & set(names)
        assert await _text(client, "add", {"a": 2, "b": 40}) == ("42", False, None)
        for hidden in ("openllm_status", "fail"):  # internal; filtered out by the user's config.yaml
            with pytest.raises(MCPError) as refused:
                await client.call_tool(hidden, {})
            assert (refused.value.code, refused.value.message) == (INVALID_PARAMS, f"Unknown tool: {hidden}")
        _, _, listing = await _text(client, "list_providers", {})
    sources = {p["id"]: p["key_source"] for p in listing["providers"]}
    assert sources["anthropic"] == "host:openllm.anthropic.apiKey"


async def test_chat_runs_a_slow_host_tool_with_heartbeats(
    host: HostProcess, cli_env: dict[str, str], tmp_path: Path
) -> None:
    progress = _Progress()
    arguments = {"provider": "mock", "model": "tools", "prompt": "nap", "run_tools": True,
                 "options": {"tool_choice": {"type": "tool", "name": "sleep"}}}  # fmt: skip
    async with Client(_stdio(host, cli_env, tmp_path / "bridge.log"), mode="legacy") as client:
        text, is_error, result = await _text(client, "chat", arguments, progress_callback=progress)
        follow_up = {
            "provider": "mock",
            "model": "echo",
            "prompt": "again",
            "conversation_id": result["conversation_id"],
        }
        again, _, _ = await _text(client, "chat", follow_up)
    assert not is_error, text
    assert text.startswith("Tool results: sleep -> slept 1.5") and result["finish_reason"] == "stop"
    # the mock sleeps 1.5 s in the host; the bridge beats every 0.1 s while nothing else is sent
    assert progress.messages.count(None) >= 5, progress.messages
    assert "tool_calls" not in result  # the loop ran them: nothing is left for the caller to do
    assert again == "You said: again"


async def test_without_tools_run_tools_says_what_to_configure(cli_env: dict[str, str], tmp_path: Path) -> None:
    params = StdioServerParameters(command="openllm-bridge", args=["mcp"], env=cli_env)
    async with Client(params, mode="legacy") as client:
        text, is_error, _ = await _text(client, "chat", {"provider": "mock", "model": "tools", "prompt": "x",
                                                         "run_tools": True})  # fmt: skip
    assert is_error and "--host-socket" in text and "tools.mcp_servers" in text


@pytest.mark.parametrize("kind", ["python"])
async def test_http_proxies_the_hosts_tools(kind: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    state = {**STATE, "workspace": {"folders": ["/src/over-http"]}}
    with running_host(kind, tmp_path, state) as host:
        env = {**cli_env, "OPENLLM_HOST_SOCKET": str(host.socket), "OPENLLM_HOST_TOKEN": host.token}
        with http_server(env) as url:
            async with Client(url, mode="legacy") as client:
                names = [t.name for t in (await client.list_tools()).tools]
                answer = await _text(client, "workspace_root", {})
    assert names == [*BRIDGE_TOOLS, "echo", "add", "workspace_root", "fail"]
    assert answer == ("/src/over-http", False, None)
