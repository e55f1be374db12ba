"""The Python client against a real `openllm-bridge serve`: typed methods, streams, cancellation
both ways, and what a client that leaves does to the upstream stream."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from bridge_process import NdjsonPeer, serve, wait_for_text
from openllm_client import BridgeClient, connect, spawn

from bridge import errors
from bridge.cancel import CancellationToken
from protocol import ChangedParams, validate

pytestmark = pytest.mark.anyio
SLOW_PROMPT = " ".join(f"w{i}" for i in range(400))  # 400 words at the mock's 50 ms each: 20 s if never cancelled


@pytest.fixture
async def client(cli_env: dict[str, str], tmp_path: Path) -> AsyncIterator[tuple[BridgeClient, Path]]:
    log = tmp_path / "bridge.log"
    args = ("--log-level", "debug", "--log-file", str(log))
    async with spawn(socket=str(tmp_path / "b.sock"), args=args, env=cli_env) as bridge_client:
        yield bridge_client, log


async def wait_for_log(log: Path, pattern: str) -> re.Match[str]:
    return await anyio.to_thread.run_sync(wait_for_text, log, pattern)


async def test_every_method_is_typed_and_valid(client: tuple[BridgeClient, Path]) -> None:
    bridge, _ = client
    validate("ProvidersListResult", providers := await bridge.providers())
    assert len(providers["providers"]) == 8
    validate("ModelsListResult", await bridge.models("mock"))
    validate("BridgeStatusResult", await bridge.status())
    validate("ToolsListResult", await bridge.tools())


async def test_chat_streams_chunks_then_keeps_the_result(client: tuple[BridgeClient, Path]) -> None:
    bridge, _ = client
    stream = bridge.chat("mock", "echo", "hello there")
    chunks = [chunk async for chunk in stream]
    assert "".join(c["text"] for c in chunks if c["type"] == "text") == "You said: hello there"
    assert chunks[-1] == {"type": "done", "finish_reason": "stop"}
    assert stream.result == {"message": {"role": "assistant", "content": "You said: hello there"},
                             "finish_reason": "stop", "usage": {"input_tokens": 2, "output_tokens": 4}}  # fmt: skip


async def test_errors_arrive_as_the_bridges_exception_classes(client: tuple[BridgeClient, Path]) -> None:
    bridge, _ = client
    with pytest.raises(errors.MissingKeyError, match="OPENAI_API_KEY"):
        async for _ in bridge.chat("openai", "gpt-4o", "hi"):
            pass
    with pytest.raises(errors.UnknownProviderError):
        await bridge.models("nope")
    # a failing stream is chunks, as everywhere: an error chunk and done
    chunks = [c async for c in bridge.chat("mock", "error", "rate_limited")]
    assert chunks[0]["type"] == "error" and chunks[0]["code"] == "rate_limited"


async def test_many_streams_at_once_on_one_connection(client: tuple[BridgeClient, Path]) -> None:
    bridge, _ = client
    texts: dict[int, str] = {}

    async def one(n: int) -> None:
        texts[n] = "".join([c["text"] async for c in bridge.chat("mock", "echo", f"number {n}") if c["type"] == "text"])

    async with anyio.create_task_group() as tg:
        for n in range(20):
            tg.start_soon(one, n)
    assert texts == {n: f"You said: number {n}" for n in range(20)}


@pytest.mark.parametrize("closing", ["async with", "bare loop"])
async def test_leaving_the_loop_cancels_the_upstream_stream(client: tuple[BridgeClient, Path], closing: str) -> None:
    bridge, log = client
    started = time.monotonic()
    if closing == "async with":  # closed when the block ends
        async with bridge.chat("mock", "slow", SLOW_PROMPT) as stream:
            async for chunk in stream:
                if chunk["type"] == "text":
                    break
    else:  # closed by the event loop's async-generator finalizer once the loop drops it
        async for chunk in bridge.chat("mock", "slow", SLOW_PROMPT):
            if chunk["type"] == "text":
                break
    await wait_for_log(log, r"the client cancelled request 1")
    ended = await wait_for_log(log, r"chat provider=mock model=slow ttfc=\S+ duration=([\d.]+)ms")
    assert float(ended.group(1)) < 5000 and time.monotonic() - started < 5
    assert (await bridge.status())["pid"] > 0  # the connection is still good


async def test_a_token_cancels_and_the_stream_ends_like_the_engines(client: tuple[BridgeClient, Path]) -> None:
    bridge, log = client
    token = CancellationToken()
    chunks = []
    async for chunk in bridge.chat("mock", "slow", SLOW_PROMPT, cancel=token):
        chunks.append(chunk)
        if len(chunks) == 2:
            token.cancel()
    assert chunks[-2]["type"] == "error" and chunks[-2]["code"] == "cancelled"
    assert chunks[-1] == {"type": "done", "finish_reason": "error"}
    assert len(chunks) < 40
    await wait_for_log(log, r"chat provider=mock model=slow")


async def test_a_client_that_disconnects_mid_stream_cancels_upstream(cli_env: dict[str, str], tmp_path: Path) -> None:
    with serve(cli_env, tmp_path) as bridge:
        peer = NdjsonPeer(bridge.connect())
        peer.send_message({"jsonrpc": "2.0", "id": 1, "method": "chat/stream",
                           "params": {"provider": "mock", "model": "slow",
                                      "messages": [{"role": "user", "content": SLOW_PROMPT}]}})  # fmt: skip
        assert peer.receive()["params"]["chunk"]["type"] == "text"
        peer.close()
        closed_at = time.monotonic()
        await wait_for_log(bridge.log_file, "chat provider=mock model=slow .* outcome=abandoned")
        assert time.monotonic() - closed_at < 2, "the upstream stream outlived its client"
        await wait_for_log(bridge.log_file, "client disconnected")


async def test_a_token_protected_bridge(cli_env: dict[str, str], tmp_path: Path) -> None:
    async with spawn(socket=str(tmp_path / "t.sock"), token="tok-123456", env=cli_env) as bridge:
        assert (await bridge.status())["pid"] > 0
        with pytest.raises(errors.UnauthorizedError, match="wrong token"):
            async with connect(str(tmp_path / "t.sock"), token="wrong"):
                pass
        async with connect(str(tmp_path / "t.sock")) as anonymous:
            with pytest.raises(errors.UnauthorizedError, match="bridge/authenticate"):
                await anonymous.providers()


async def test_a_bridge_that_goes_away_fails_calls_as_network_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    with serve(cli_env, tmp_path) as bridge:
        async with connect(bridge.socket) as client:
            with pytest.raises(errors.NetworkError, match="closed"):
                async for _ in client.chat("mock", "slow", SLOW_PROMPT):
                    bridge.process.kill()


@pytest.mark.parametrize(
    ("program", "said"),
    [
        ("import sys; sys.exit(3)", "did not start serving: it exited with status 3"),
        ("print('hello', flush=True); import time; time.sleep(30)", "printed 'hello', not its ready line"),
    ],
)
async def test_a_bridge_that_does_not_start_is_a_clear_error(program: str, said: str) -> None:
    with pytest.raises(errors.InternalError, match=re.escape(said)):
        async with spawn(command=(sys.executable, "-c", program), ready_timeout=10):
            pass


async def test_a_request_over_the_frame_limit_fails_saying_so(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The bridge answers an oversized frame with an error for no request, then drops the
    connection: its reason is what the calls fail with, not a bare "closed"."""
    with serve(cli_env, tmp_path, "--max-frame-bytes", "4096") as bridge:
        async with connect(bridge.socket) as client:
            with pytest.raises(
                errors.NetworkError, match=r"closed, after it said: a frame of \d+ bytes is over the limit of 4096"
            ):
                async for _ in client.chat("mock", "echo", "x" * 8000):
                    pass
            with pytest.raises(errors.NetworkError, match="over the limit of 4096"):
                await client.status()


async def test_secrets_and_config_methods_and_their_change_notifications(
    keychain_bus: object, cli_env: dict[str, str], tmp_path: Path
) -> None:
    key = "sk-test-0123456789abcdefghijkl"
    expected = {("secrets/changed", "openai"), ("config/changed", "mock")}
    seen: set[tuple[str, str | None]] = set()
    all_seen = anyio.Event()

    def listener(method: str, params: ChangedParams) -> None:
        seen.add((method, params["provider"]))
        if seen >= expected:
            all_seen.set()

    path = str(tmp_path / "s.sock")
    async with spawn(socket=path, env=cli_env) as writer, connect(path) as other:
        other.on_change(listener)
        assert (await writer.secrets_store("openai", key, "keychain"))["destination"] == "keychain"
        resolved = await writer.secrets_resolve("openai")
        validate("SecretsResolveResult", resolved)
        assert (resolved["found"], resolved["source"], "value" in resolved) == (True, "keychain", False)
        assert resolved["masked"] == "sk-…ijkl"
        assert (await writer.secrets_resolve("openai", reveal=True))["value"] == key
        validate("SecretsListResult", await writer.secrets_list())

        disabled = await writer.config_set_provider({"name": "mock", "enabled": False}, "user")
        validate("ConfigSetProviderResult", disabled)
        mock = next(p for p in (await writer.status())["providers"] if p["id"] == "mock")
        assert mock["available"] is False and "disabled" in mock["reason"]
        with pytest.raises(errors.InvalidConfigError, match="disabled"):
            async for _ in writer.chat("mock", "echo", "hi"):
                pass
        validate("ConfigProvidersResult", await writer.config_providers())
        validate("ConfigExportResult", await writer.config_export("user"))
        assert (await writer.config_remove_provider("mock"))["removed_from"] == ["user"]
        assert [c async for c in writer.chat("mock", "echo", "hi")][-1]["type"] == "done"

        deleted = await writer.secrets_delete("openai")
        assert deleted["deleted_from"] == ["keychain"]
        with anyio.fail_after(5):
            await all_seen.wait()
    assert seen == expected
