"""`openllm-bridge serve --host-socket`: the bridge API with an editor host behind it (both
reference hosts as real processes): the host's tools as the host's settings filter them, the
tool loop behind `chat/stream` with `run_tools`, the host's keys and its connection in status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_process import BridgeProcess, NdjsonPeer, serve
from hosts import running_host

from protocol import validate


@pytest.fixture(params=["python", "node"])
def bridge(request: pytest.FixtureRequest, cli_env: dict[str, str], tmp_path: Path) -> Iterator[BridgeProcess]:
    folder = tmp_path / "host"
    folder.mkdir()
    with running_host(request.param, folder) as host:
        args = ("--host-socket", str(host.socket), "--host-token", host.token)
        with serve(cli_env, tmp_path, *args) as process:
            yield process


def conversation(bridge: BridgeProcess, method: str, params: Any) -> list[Any]:
    peer = NdjsonPeer(bridge.connect())
    try:
        peer.send_message({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        return peer.receive_until(lambda m: m.get("id") == 1 and "method" not in m)
    finally:
        peer.close()


def test_tools_status_and_keys_come_from_the_host(bridge: BridgeProcess) -> None:
    tools = conversation(bridge, "tools/list", {})[-1]["result"]
    validate("ToolsListResult", tools)
    assert [t["name"] for t in tools["tools"]] == [
        "echo",
        "add",
        "workspace_root",
        "fail",
    ]  # sleep: excluded by the host
    status = conversation(bridge, "bridge/status", {})[-1]["result"]
    assert status["host"]["connected"] is True and status["host"]["socket"].endswith("h.sock")
    found = conversation(bridge, "secrets/resolve", {"provider": "anthropic"})[-1]["result"]
    assert (found["found"], found["source"]) == (True, "host")


def test_chat_stream_runs_host_tools_when_asked(bridge: BridgeProcess) -> None:
    params = {"provider": "mock", "model": "tools", "messages": [{"role": "user", "content": "hi"}], "run_tools": True}
    messages = conversation(bridge, "chat/stream", params)
    chunks = [m["params"]["chunk"] for m in messages if m.get("method") == "chat/chunk"]
    assert chunks[0]["type"] == "tool_call" and chunks[0]["name"] == "echo"
    result = messages[-1]["result"]
    validate("ChatStreamResult", result)
    assert result["message"] == {"role": "assistant", "content": "Tool results: echo -> hi"}
    assert result["finish_reason"] == "stop"
    plain = conversation(bridge, "chat/stream", {**params, "run_tools": False})[-1]["result"]
    assert plain["message"] == {"role": "assistant", "content": "You said: hi"}  # no tools offered without run_tools
