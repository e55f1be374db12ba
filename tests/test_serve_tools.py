"""Tools over `openllm-bridge serve` from config.yaml and with the client's approval.

- The `tools:` sections of the user's and the workspace's config.yaml (workspace winning): a
  configured MCP server (tests/mcp_tool_server.py, the real SDK on stdio) becomes a tool source
  whose tools are offered as `<server>__<tool>`, filtered, and run by the tool loop.
- `approve_tools`: the bridge asks its client (`tools/approve`, a request the client serves)
  before each call; the Python client approves one call and refuses another, and the model (the
  loopback fake provider, OpenAI format) receives the refusal as an error result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from bridge_process import NdjsonPeer, serve
from fake_provider import FakeServer
from fake_provider.harness import KEY
from fake_provider.replies import openai_tool_round, text_reply
from hosts import running_host
from openllm_client import connect

from protocol import ToolApproveResult, ToolCallPart, validate

ROOT = Path(__file__).resolve().parent.parent
CHAT = {"provider": "mock", "model": "tools", "messages": [{"role": "user", "content": "hi"}], "run_tools": True}


def _ask(peer: NdjsonPeer, request_id: int, method: str, params: Any) -> list[Any]:
    peer.send_message({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    return peer.receive_until(lambda m: m.get("id") == request_id and "method" not in m)


def test_mcp_servers_configured_in_config_yaml_are_tool_sources(
    cli_env: dict[str, str], tmp_path: Path, openllm_home: Path
) -> None:
    workspace = tmp_path / "project"
    (workspace / ".openllm").mkdir(parents=True)
    server = {"name": "tests", "command": sys.executable, "args": [str(ROOT / "tests" / "mcp_tool_server.py")]}
    user = {"tools": {"exclude": ["tests__echo"]}, "settings": {"trustedWorkspaces": [str(workspace)]}}
    (openllm_home / "config.yaml").write_text(json.dumps(user), encoding="utf-8")
    workspace_tools = {"exclude": ["tests__broken", "tests__picture"], "mcp_servers": [server]}  # replaces the user's
    (workspace / ".openllm" / "config.yaml").write_text(json.dumps({"tools": workspace_tools}), encoding="utf-8")
    with serve(cli_env, tmp_path, cwd=workspace) as bridge:
        peer = NdjsonPeer(bridge.connect())
        try:
            listing = _ask(peer, 1, "tools/list", {})[-1]["result"]
            messages = _ask(peer, 2, "chat/stream", CHAT)
            limited = _ask(peer, 3, "chat/stream", {**CHAT, "max_tool_rounds": 1})[-1]["result"]
        finally:
            peer.close()
    # at the round limit the calls the model still asked for are in the answer, not dropped
    assert limited["finish_reason"] == "tool_calls"
    assert [p["name"] for p in limited["message"]["content"] if p["type"] == "tool_call"] == ["tests__shout"]
    validate("ToolsListResult", listing)
    assert [t["name"] for t in listing["tools"]] == ["tests__shout", "tests__echo"]
    chunks = [m["params"]["chunk"] for m in messages if m.get("method") == "chat/chunk"]
    assert chunks[0]["type"] == "tool_call" and chunks[0]["name"] == "tests__shout"
    assert messages[-1]["result"]["message"] == {"role": "assistant", "content": "Tool results: tests__shout -> HI"}


def test_an_untrusted_workspace_starts_no_mcp_server(cli_env: dict[str, str], tmp_path: Path) -> None:
    """A repository's config.yaml must not run commands on the machine of whoever opens it."""
    workspace, ran = tmp_path / "cloned-repo", tmp_path / "ran"
    (workspace / ".openllm").mkdir(parents=True)
    server = {"name": "evil", "command": sys.executable, "args": ["-c", f"open({str(ran)!r}, 'w')"]}
    tools = {"tools": {"mcp_servers": [server]}}
    (workspace / ".openllm" / "config.yaml").write_text(json.dumps(tools), encoding="utf-8")
    with serve(cli_env, tmp_path, cwd=workspace) as bridge:
        peer = NdjsonPeer(bridge.connect())
        try:
            answer = _ask(peer, 1, "tools/list", {})[-1]
        finally:
            peer.close()
        log = bridge.log()
    assert not ran.exists()
    assert answer["result"] == {"tools": []}
    assert f"ignoring tools.mcp_servers from {workspace}: the workspace {workspace} is not trusted" in log


@pytest.mark.anyio
async def test_the_client_approves_one_tool_call_and_refuses_another(cli_env: dict[str, str], tmp_path: Path) -> None:
    asked: list[str] = []

    async def approve(call: ToolCallPart) -> bool | ToolApproveResult:
        asked.append(call["name"])
        return call["name"] == "add" or {"approved": False, "reason": "no peeking at folders"}

    (tmp_path / "host").mkdir()
    with FakeServer() as fake, running_host("python", tmp_path / "host") as host:
        fake.enqueue(openai_tool_round(), text_reply("openai", ["2 + 40", " is 42"]))
        args = ("--host-socket", str(host.socket), "--host-token", host.token)
        with serve({**cli_env, "OPENAI_API_KEY": KEY}, tmp_path, *args) as bridge:
            async with connect(bridge.socket) as client:
                stream = client.chat("openai", "m", "sum and where?", api_base=fake.url + "/v1", approve=approve)
                async with stream:
                    chunks = [chunk async for chunk in stream]
    assert sorted(asked) == ["add", "workspace_root"]
    assert [c["name"] for c in chunks if c["type"] == "tool_call"] == ["add", "workspace_root"]
    assert stream.result is not None and stream.result["message"]["content"] == "2 + 40 is 42"
    second = fake.requests[1].json
    results = {m["tool_call_id"]: m["content"] for m in second["messages"] if m["role"] == "tool"}
    assert results["call_1"] == "42"
    assert results["call_2"] == "the user did not allow workspace_root to run: no peeking at folders"


@pytest.mark.anyio
async def test_at_the_round_limit_the_answer_is_the_last_turn_with_its_text(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "host").mkdir()
    with FakeServer() as fake, running_host("python", tmp_path / "host") as host:
        fake.enqueue(openai_tool_round(text="Let me add that up."))
        args = ("--host-socket", str(host.socket), "--host-token", host.token)
        with serve({**cli_env, "OPENAI_API_KEY": KEY}, tmp_path, *args) as bridge:
            async with connect(bridge.socket) as client:
                stream = client.chat(
                    "openai", "m", "sum?", api_base=fake.url + "/v1", run_tools=True, max_tool_rounds=1
                )
                async with stream:
                    chunks = [chunk async for chunk in stream]
    assert [c["type"] for c in chunks] == ["text", "tool_call", "tool_call", "usage", "done"]
    assert stream.result is not None and stream.result["finish_reason"] == "tool_calls"
    content = stream.result["message"]["content"]
    assert isinstance(content, list) and content[0] == {"type": "text", "text": "Let me add that up."}
    assert [p["name"] for p in content[1:] if p["type"] == "tool_call"] == ["add", "workspace_root"]


@pytest.mark.anyio
async def test_an_approve_callback_that_raises_is_a_refusal_that_points_at_the_clients_log(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    async def approve(call: ToolCallPart) -> bool:
        raise RuntimeError("a bug in the script")

    (tmp_path / "host").mkdir()
    with (
        running_host("python", tmp_path / "host") as host,
        serve(cli_env, tmp_path, "--host-socket", str(host.socket), "--host-token", host.token) as bridge,
    ):
        async with connect(bridge.socket) as client:
            stream = client.chat("mock", "tools", "hi", approve=approve)
            async with stream:
                [_ async for _ in stream]
    assert stream.result is not None
    said = stream.result["message"]["content"]
    assert isinstance(said, str) and "internal error in tools/approve; see the client's log" in said


def test_a_client_that_serves_no_tools_approve_refuses_and_cannot_call_it(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "host").mkdir()
    with (
        running_host("python", tmp_path / "host") as host,
        serve(cli_env, tmp_path, "--host-socket", str(host.socket), "--host-token", host.token) as bridge,
    ):
        peer = NdjsonPeer(bridge.connect())
        try:
            peer.send_message({"jsonrpc": "2.0", "id": 1, "method": "chat/stream",
                               "params": {**CHAT, "approve_tools": True}})  # fmt: skip
            ask = peer.receive_until(lambda m: m.get("method") == "tools/approve")[-1]
            validate("ToolApproveParams", ask["params"])
            assert ask["params"]["request_id"] == 1 and ask["params"]["call"]["name"] == "echo"
            peer.send_message({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -32601, "message": "no"}})
            answer = peer.receive_until(lambda m: m.get("id") == 1 and "method" not in m)[-1]
            wrong_way = _ask(peer, 2, "tools/approve", {"request_id": 1, "call": ask["params"]["call"]})[-1]
        finally:
            peer.close()
    content = answer["result"]["message"]["content"]
    assert content.startswith("Tool results: echo -> the user did not allow echo to run: the client did not answer")
    assert wrong_way["error"]["code"] == -32601
