"""The host client, the host-backed stores and the host's tools, against both reference hosts as
real processes: clients/python-host (jsonrpcserver) and clients/node-host (vscode-jsonrpc)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from hosts import ANTHROPIC_KEY, STATE, HostProcess, connect, running_host

from bridge.engine import Engine
from bridge.errors import HostUnavailableError, InvalidConfigError, ToolError, UnauthorizedError
from bridge.host import HostClient, HostConfigProvider, HostSecretStore, HostToolSource, provider_of_key
from bridge.orchestrator import ChatOrchestrator
from bridge.redact import Secret
from bridge.tools import Tool, ToolFilter, ToolRegistry
from protocol import ChatRequest, methods, validate


@pytest.fixture(params=["python", "node"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HostProcess]:
    with running_host(request.param, tmp_path) as process:
        yield process


async def reconnected(client: HostClient, connections: int) -> None:
    with anyio.fail_after(10):
        while client.connections < connections or not client.connected:
            await client.wait_for_change()


@pytest.mark.anyio
async def test_socket_is_private_and_every_answer_matches_the_schema(host: HostProcess) -> None:
    assert stat.S_IMODE(os.stat(host.socket).st_mode) == 0o600
    calls = {
        "lifecycle/ping": {},
        "lifecycle/capabilities": {},
        "secrets/get": {"key": "openllm.anthropic.apiKey"},
        "secrets/store": {"key": "openllm.mistral.apiKey", "value": "m-key"},
        "secrets/delete": {"key": "openllm.mistral.apiKey"},
        "config/get": {"provider": "*", "scope": "workspace"},
        "config/set": {"provider": "gemini", "scope": "user", "config": {"name": "gemini", "enabled": True}},
        "config/getSettings": {},
        "workspace/getRoot": {},
        "workspace/getPaths": {},
        "tools/list": {"includeInternal": True},
        "tools/call": {"name": "add", "arguments": {"a": 2, "b": 3}},
    }
    table = {name: spec for name, spec in methods("host").items() if spec.kind == "request"}
    assert set(calls) == set(table)
    async with connect(host) as client:
        for method, params in calls.items():
            validate(table[method].params, {**params, "auth": host.token})
            validate(table[method].result or "", await client.request(method, params))
        capabilities = await client.request("lifecycle/capabilities")
        assert sorted(capabilities["methods"]) == sorted(table)
        assert await client.request("workspace/getPaths") == {"folders": ["/src/app", "/src/lib"]}
        assert await client.request("workspace/getRoot") == {"root": "/src/app"}
        assert await client.request("config/getSettings") == STATE["settings"]


@pytest.mark.anyio
async def test_a_wrong_token_is_a_clear_unauthorized_error(host: HostProcess) -> None:
    async with connect(host, token="not-the-token-0123456789") as client:
        with pytest.raises(UnauthorizedError, match="refused the token: check OPENLLM_HOST_TOKEN"):
            await client.request("lifecycle/ping")
        with pytest.raises(UnauthorizedError):
            await HostSecretStore(client).get("anthropic")


@pytest.mark.anyio
async def test_secrets_round_trip_under_the_documented_key(host: HostProcess) -> None:
    async with connect(host) as client:
        store = HostSecretStore(client)
        assert (await store.availability()).available
        found = await store.get("anthropic")
        assert found is not None and found.value.reveal() == ANTHROPIC_KEY
        assert (found.source, found.detail) == ("host", "host:openllm.anthropic.apiKey")
        assert ANTHROPIC_KEY not in repr(found)
        assert await store.get("openai") is None
        await store.store("openai", Secret("sk-openai-from-the-bridge-0123"))
        assert (await client.request("secrets/get", {"key": "openllm.openai.apiKey"}))["value"].startswith("sk-openai")
        assert await store.delete("openai") is True
        assert await store.delete("openai") is False
        assert await store.get("openai") is None
    assert provider_of_key("openllm.openai.apiKey") == "openai" and provider_of_key("other.key") is None


@pytest.mark.anyio
async def test_config_scopes_merge_workspace_over_user_and_writes_go_to_a_scope(host: HostProcess) -> None:
    async with connect(host) as client:
        config = HostConfigProvider(client)
        providers = {p["name"]: p for p in await config.get_providers()}
        assert providers["openai"] == {
            "name": "openai",
            "models": ["gpt-4o-mini"],
            "api_base": "https://ws.example/v1",
            "source": "host",
            "source_detail": "host:user+workspace",
        }
        assert providers["ollama"]["source_detail"] == "host:workspace"
        for provider in providers.values():
            validate("ProviderConfig", provider)
        await config.add_provider({"name": "mistral", "models": ["mistral-small"], "source": "user"})
        await config.update_provider("mistral", {"name": "mistral", "enabled": False})
        assert (await config.scope_providers("user"))["mistral"] == {
            "name": "mistral",
            "models": ["mistral-small"],
            "enabled": False,
        }
        assert await config.remove_provider("openai") is True  # from both scopes
        assert await config.remove_provider("openai") is False
        assert "openai" not in {p["name"] for p in await config.get_providers()}
        workspace = HostConfigProvider(client, write_scope="workspace")
        await workspace.add_provider({"name": "gemini"})
        assert "gemini" in await workspace.scope_providers("workspace")


AZURE_KEY = "0123456789abcdef0123456789abcdef"  # 32 hex digits: the shape of an Azure key


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["python", "node"])
async def test_host_entries_are_checked_like_a_config_file(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A key pasted into the editor's settings is left out, not served back unmasked by
    config/providers; a field of the wrong type is left out too; the other entries still load."""
    user = {
        "azure": {"name": "azure", "apiKey": AZURE_KEY, "deployment": "gpt-4o"},
        "mistral": {"name": "mistral", "api_base": 12},
        "Bad Name": {"name": "Bad Name"},
        "gemini": {"name": "gemini", "apiBase": "https://g.example/v1beta"},
    }
    state = {**STATE, "config": {"user": user, "workspace": {"none": None}}}
    with running_host(kind, tmp_path, state) as host, caplog.at_level(logging.WARNING, logger="openllm"):
        async with connect(host) as client:
            config = HostConfigProvider(client)
            gemini = {"name": "gemini", "api_base": "https://g.example/v1beta"}
            assert await config.get_providers() == [{**gemini, "source": "host", "source_detail": "host:user"}]
            with pytest.raises(InvalidConfigError, match="field 'apiKey' holds an API key") as refused:
                await config.add_provider({"name": "openai", "apiKey": AZURE_KEY})  # type: ignore[typeddict-unknown-key]
            assert "openai" not in (await client.request("config/get", {"provider": "*", "scope": "user"}))["providers"]
    assert AZURE_KEY not in str(refused.value) and AZURE_KEY not in caplog.text
    assert "the editor host's user settings: provider 'azure', field 'apiKey' holds an API key" in caplog.text
    assert "provider 'mistral', field 'api_base' must be an http:// or https:// URL" in caplog.text
    assert "field 'name' must be a provider id" in caplog.text
    assert "the editor host's workspace settings: a provider entry must be an object" in caplog.text


class AnswersWith:
    """A host that answers every request with ``answer``, whatever the protocol says it should hold."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    async def request(self, method: str, params: Any = None, **_: Any) -> Any:
        return self.answer


@pytest.mark.anyio
@pytest.mark.parametrize(
    "answer", [{"providers": None, "tools": None, "content": None}, {"providers": 7, "tools": "x", "content": {}}, [1]]
)
async def test_a_host_answer_without_its_list_reads_as_none(answer: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Not a TypeError that fails every chat and key lookup while the host is connected."""
    client: Any = AnswersWith(answer)
    with caplog.at_level(logging.WARNING, logger="openllm"):
        assert await HostConfigProvider(client).get_providers() == []
        assert await HostToolSource(client).list_tools() == []
        result = await HostToolSource(client).call_tool(Tool("t", "", {}, "host", "t"), {})
    assert result.text == ""
    assert "the editor host answered config/get without a 'providers' list; read as none" in caplog.text
    assert "answered tools/list without a 'tools' list" in caplog.text
    assert "answered tools/call without a 'content' list" in caplog.text


@pytest.mark.anyio
async def test_notifications_reach_listeners_on_change_and_on_demand(host: HostProcess) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    arrived = anyio.Event()

    def listener(method: str, params: Any) -> None:
        seen.append((method, dict(params)))
        if len(seen) == 3:
            arrived.set()

    async with connect(host) as client, connect(host) as other:
        client.on_notification(listener)
        await HostSecretStore(other).store("openai", Secret("sk-changed-elsewhere-0123"))
        await HostConfigProvider(other).add_provider({"name": "gemini"})
        await other.request("_control/notify", {"method": "notifications/configChanged", "params": {}})
        with anyio.fail_after(5):
            await arrived.wait()
    assert seen == [
        ("notifications/secretChanged", {"key": "openllm.openai.apiKey"}),
        ("notifications/configChanged", {"scope": "user", "provider": "gemini"}),
        ("notifications/configChanged", {}),
    ]


@pytest.mark.anyio
async def test_many_requests_in_flight_and_a_timeout_per_request(host: HostProcess) -> None:
    async with connect(host) as client:
        slow_done = anyio.Event()
        answers: list[Any] = []

        async def slow() -> None:
            answers.append(await client.request("tools/call", {"name": "sleep", "arguments": {"seconds": 1}}))
            slow_done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            results = []
            for i in range(20):
                results.append(await client.request("tools/call", {"name": "add", "arguments": {"a": i, "b": 1}}))
            assert not slow_done.is_set()  # twenty answers overtook the slow one
        assert [r["content"][0]["text"] for r in results] == [str(i + 1) for i in range(20)]
        assert answers[0]["content"][0]["text"] == "slept 1s"
        with pytest.raises(HostUnavailableError, match=r"did not answer tools/call within 0\.2s"):
            await client.request("tools/call", {"name": "sleep", "arguments": {"seconds": 30}}, timeout=0.2)
        assert await client.request("lifecycle/ping") == {"pong": True}


@pytest.mark.anyio
async def test_host_tools_through_the_registry(host: HostProcess) -> None:
    async with connect(host) as client:
        source = HostToolSource(client)
        assert {t.name for t in await source.list_tools() if t.internal} == {"reload_window"}
        registry = ToolRegistry([source])
        assert [t.name for t in await registry.tools()] == ["echo", "add", "workspace_root", "fail", "sleep"]
        assert (await registry.call("workspace_root", {})).text == "/src/app"
        failed = await registry.call("fail", {"message": "no such file"})
        assert (failed.text, failed.is_error) == ("no such file", True)
        with pytest.raises(ToolError, match="no tool named 'openllm_status'"):
            await registry.call("openllm_status", {})
        with pytest.raises(ToolError, match="the editor host refused ghost: unknown tool 'ghost'"):
            await source.call_tool(Tool("ghost", "", {}, "host", "ghost"), {})


@pytest.mark.anyio
async def test_killed_mid_request_fails_fast_and_a_restart_reconnects(host: HostProcess) -> None:
    changes: list[bool] = []
    async with connect(host) as client:
        client.on_connection(changes.append)
        failure: list[BaseException] = []
        started = anyio.current_time()

        async def pending() -> None:
            try:
                await client.request("tools/call", {"name": "sleep", "arguments": {"seconds": 30}}, timeout=20)
            except HostUnavailableError as exc:
                failure.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(pending)
            await anyio.wait_all_tasks_blocked()
            await anyio.to_thread.run_sync(host.kill)
        assert failure and "connection to the editor host closed" in str(failure[0])
        assert anyio.current_time() - started < 5
        assert not client.connected
        before = anyio.current_time()
        with pytest.raises(HostUnavailableError, match="not connected"):
            await HostSecretStore(client).get("anthropic")
        assert anyio.current_time() - before < 0.1  # passed over at once, not waited on
        assert not (await HostSecretStore(client).availability()).available
        await anyio.to_thread.run_sync(host.start)
        await reconnected(client, 2)
        assert await client.request("lifecycle/ping") == {"pong": True}
    assert changes == [False, True]


@pytest.mark.anyio
async def test_a_call_in_flight_when_the_client_closes_fails_with_it(host: HostProcess) -> None:
    """Not a second later: the close is what a call that failed with its connection waits to see."""
    failure: list[BaseException] = []

    async def pending(client: HostClient) -> None:
        with pytest.raises(HostUnavailableError, match="connection to the editor host closed") as raised:
            await client.request("tools/call", {"name": "sleep", "arguments": {"seconds": 30}}, timeout=20)
        failure.append(raised.value)

    async with anyio.create_task_group() as tg:
        async with connect(host) as client:
            tg.start_soon(pending, client)
            await anyio.wait_all_tasks_blocked()
        await anyio.wait_all_tasks_blocked()  # the call is over, not waiting on an announcement
        assert failure and not client.connected


@pytest.mark.anyio
async def test_ndjson_framing_when_configured(tmp_path: Path) -> None:
    with running_host("python", tmp_path) as host:
        async with connect(host, framing="ndjson") as client:
            assert (await HostSecretStore(client).get("anthropic")) is not None
            assert await client.request("tools/call", {"name": "echo", "arguments": {"text": "é ✓"}}) == {
                "content": [{"type": "text", "text": "é ✓"}]
            }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("garbage", "a header block longer than 8192 bytes"),
        ("huge", "a frame of 1073741824 bytes is over the limit"),
        ("truncated", "bytes of an unfinished message dropped"),
    ],
)
async def test_a_host_sending_broken_bytes_is_dropped_and_the_bridge_goes_on(
    host: HostProcess, mode: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="openllm"):
        async with connect(host) as client:
            with pytest.raises(HostUnavailableError, match="connection to the editor host closed"):
                await client.request("_control/fault", {"mode": mode})
            await reconnected(client, 2)
            assert await client.request("lifecycle/ping") == {"pong": True}
    assert logged in caplog.text
    assert any(r.levelno >= logging.WARNING and logged in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_the_tool_loop_runs_a_host_tool_for_the_mock_model(host: HostProcess) -> None:
    async with connect(host) as client:
        registry = ToolRegistry([HostToolSource(client)], ToolFilter(include=("echo",)))
        loop = ChatOrchestrator(Engine(), registry)
        request: ChatRequest = {"provider": "mock", "model": "tools", "messages": [{"role": "user", "content": "ping"}]}
        async with loop.chat(request) as stream:
            text = "".join([c["text"] async for c in stream if c["type"] == "text"])
    assert text == "Tool results: echo -> ping"
    assert [(run.call["name"], run.result.text) for run in stream.outcome.tool_runs] == [("echo", "ping")]


def test_the_client_comes_from_the_spawners_environment_or_options() -> None:
    assert HostClient.from_environment({}) is None
    client = HostClient.from_environment({"OPENLLM_HOST_SOCKET": "/run/h.sock", "OPENLLM_HOST_TOKEN": "t" * 16})
    assert client is not None and (str(client.socket_path), client.framing) == ("/run/h.sock", "content-length")
    chosen = HostClient.from_environment(
        {"OPENLLM_HOST_SOCKET": "/run/h.sock", "OPENLLM_HOST_FRAMING": "ndjson"}, socket_path="/x.sock", token="tok"
    )
    assert chosen is not None and (str(chosen.socket_path), chosen.framing) == ("/x.sock", "ndjson")
    with pytest.raises(InvalidConfigError, match="without a token: set OPENLLM_HOST_TOKEN"):
        HostClient.from_environment({"OPENLLM_HOST_SOCKET": "/run/h.sock"})
    with pytest.raises(InvalidConfigError, match="must be content-length or ndjson"):
        HostClient.from_environment(
            {"OPENLLM_HOST_SOCKET": "/s", "OPENLLM_HOST_TOKEN": "t", "OPENLLM_HOST_FRAMING": "x"}
        )


@pytest.mark.anyio
async def test_host_tool_content_other_than_text_is_named_not_dropped() -> None:
    png = {"type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo="}  # 8 bytes, base64
    client: Any = AnswersWith({"content": [{"type": "text", "text": "the chart:"}, png]})
    result = await HostToolSource(client).call_tool(Tool("chart", "", {}, "host", "chart"), {})
    assert result.text == "the chart:\n[image/png, 8 bytes omitted: the bridge passes tools' text only]"
