"""The engine over the mock provider: chunk order, errors, cancellation, backpressure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import pytest

from bridge import errors
from bridge.cancel import CancellationToken
from bridge.engine import CHANNEL_SIZE, Engine
from bridge.providers import BUILTIN, ModelConfig, Provider, ProviderSpec, Registry
from bridge.secrets import EnvSecretStore, UnifiedSecretResolver
from protocol import ChatMessage, ChatRequest, StreamChunk, StreamOptions, validate

pytestmark = pytest.mark.anyio


def _request(model: str, text: str = "hello there", **options: object) -> ChatRequest:
    return {"provider": "mock", "model": model, "messages": [{"role": "user", "content": text}], "options": options}  # type: ignore[typeddict-item]


async def _collect(engine: Engine, request: ChatRequest, cancel: CancellationToken | None = None) -> list[StreamChunk]:
    async with engine.chat(request, cancel) as chunks:
        return [chunk async for chunk in chunks]


def _assert_well_formed(chunks: list[StreamChunk]) -> None:
    for chunk in chunks:
        validate("StreamChunk", chunk)
    assert chunks[-1]["type"] == "done"
    assert [c["type"] for c in chunks].count("done") == 1


async def test_echo_streams_words_then_usage_then_done() -> None:
    chunks = await _collect(Engine(), _request("echo"))
    _assert_well_formed(chunks)
    assert "".join(c["text"] for c in chunks if c["type"] == "text") == "You said: hello there"
    assert chunks[-2] == {"type": "usage", "input_tokens": 2, "output_tokens": 4}
    assert chunks[-1] == {"type": "done", "finish_reason": "stop"}


async def test_max_tokens_truncates_with_length() -> None:
    chunks = await _collect(Engine(), _request("long", "50", max_tokens=5))
    assert sum(c["type"] == "text" for c in chunks) == 5
    assert chunks[-1] == {"type": "done", "finish_reason": "length"}


@pytest.mark.parametrize("count", ["9" * 5000, "²"])  # past int()'s 4,300 digits; a digit int() refuses
async def test_the_long_model_takes_any_number_as_its_length(count: str) -> None:
    chunks = await _collect(Engine(), _request("long", count, max_tokens=3))
    assert sum(c["type"] == "text" for c in chunks) == 3
    assert chunks[-1] == {"type": "done", "finish_reason": "length"}


async def test_tool_call_then_answer_from_results() -> None:
    tool = {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    }
    chunks = await _collect(Engine(), _request("tools", "Paris", tools=[tool]))
    _assert_well_formed(chunks)
    call = next(c for c in chunks if c["type"] == "tool_call")
    assert call["name"] == "get_weather" and call["arguments"] == {"city": "Paris", "days": 1}
    assert chunks[-1] == {"type": "done", "finish_reason": "tool_calls"}

    messages: list[ChatMessage] = [
        {"role": "user", "content": "Paris"},
        {
            "role": "assistant",
            "content": [{"type": "tool_call", "id": call["id"], "name": call["name"], "arguments": call["arguments"]}],
        },
        {
            "role": "tool",
            "content": [{"type": "tool_result", "tool_call_id": call["id"], "name": "get_weather", "content": "18C"}],
        },
    ]
    follow_up = await _collect(
        Engine(), {"provider": "mock", "model": "tools", "messages": messages, "options": {"tools": [tool]}}
    )  # type: ignore[list-item]
    assert "".join(c["text"] for c in follow_up if c["type"] == "text") == "Tool results: get_weather -> 18C"


@pytest.mark.parametrize("code", ["rate_limited", "auth", "context_length", "server"])
async def test_errors_become_an_error_chunk_then_done(code: str) -> None:
    chunks = await _collect(Engine(), _request("error", code))
    _assert_well_formed(chunks)
    assert chunks[0]["type"] == "error" and chunks[0]["code"] == code
    assert chunks[0]["retryable"] == (code in {"rate_limited", "server"})
    assert chunks[-1] == {"type": "done", "finish_reason": "error"}


async def test_setup_errors_raise_before_streaming() -> None:
    engine = Engine(secrets=UnifiedSecretResolver(env=EnvSecretStore(environ={})))
    with pytest.raises(errors.UnknownProviderError, match="known providers: openai"):
        await _collect(engine, {"provider": "nope", "model": "x", "messages": [{"role": "user", "content": "x"}]})
    with pytest.raises(errors.MissingKeyError, match="set OPENAI_API_KEY, or run `openllm-bridge secrets set openai`"):
        await _collect(
            engine, {"provider": "openai", "model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
        )
    with pytest.raises(errors.MissingKeyError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        await _collect(engine, {"provider": "gemini", "model": "g", "messages": [{"role": "user", "content": "x"}]})


async def test_cancellation_ends_with_cancelled_and_stops_the_provider() -> None:
    token = CancellationToken()
    seen: list[StreamChunk] = []
    async with Engine().chat(_request("slow", " ".join(["w"] * 200)), token) as chunks:
        async for chunk in chunks:
            seen.append(chunk)
            if len(seen) == 3:
                token.cancel("user pressed stop")
    _assert_well_formed(seen)
    assert seen[-2] == {
        "type": "error",
        "code": "cancelled",
        "message": "user pressed stop",
        "retryable": False,
        "status": None,
    }
    assert len(seen) == 5


class _CountingProvider(Provider):
    """Counts how far the provider got, to observe backpressure and early exits."""

    produced = 0
    closed = False

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncIterator[StreamChunk]:
        try:
            for i in range(1000):
                type(self).produced = i + 1
                yield {"type": "text", "text": f"{i} "}
            yield {"type": "done", "finish_reason": "stop"}
        finally:
            type(self).closed = True


def _counting_engine() -> Engine:
    spec = ProviderSpec("counting", "Counting", None, (), False, BUILTIN.get("mock").capabilities,
                        f"{__name__}:_CountingProvider", uses_http=False)  # fmt: skip
    return Engine(registry=Registry([spec]))


async def test_slow_reader_applies_backpressure_and_leaving_closes_the_provider() -> None:
    _CountingProvider.produced, _CountingProvider.closed = 0, False
    async with _counting_engine().chat(
        {"provider": "counting", "model": "m", "messages": [{"role": "user", "content": "x"}]}
    ) as chunks:
        async for chunk in chunks:
            assert chunk["type"] == "text"
            for _ in range(10):
                await anyio.lowlevel.checkpoint()
            break
        # The reader took one chunk; the producer may be at most the channel plus one ahead of it.
        assert _CountingProvider.produced <= CHANNEL_SIZE + 2
    assert _CountingProvider.closed


async def test_no_content_after_the_cancel_even_when_the_provider_ran_ahead() -> None:
    _CountingProvider.produced, _CountingProvider.closed = 0, False
    token = CancellationToken()
    seen: list[StreamChunk] = []
    async with _counting_engine().chat(
        {"provider": "counting", "model": "m", "messages": [{"role": "user", "content": "x"}]}, token
    ) as chunks:
        async for chunk in chunks:
            seen.append(chunk)
            if len(seen) == 1:
                for _ in range(10):  # let the provider fill the channel
                    await anyio.lowlevel.checkpoint()
                token.cancel("stop")
    assert _CountingProvider.produced > 2  # it had run ahead: chunks were waiting in the channel
    assert [c["type"] for c in seen] == ["text", "error", "done"]
    assert seen[1]["code"] == "cancelled"  # type: ignore[typeddict-item]
    assert _CountingProvider.closed


async def test_a_stream_without_done_is_a_protocol_error() -> None:
    class NoDone(Provider):
        async def stream_chat(
            self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
        ) -> AsyncIterator[StreamChunk]:
            yield {"type": "text", "text": "partial"}

    globals()["_NoDone"] = NoDone
    spec = ProviderSpec(
        "nodone", "No done", None, (), False, BUILTIN.get("mock").capabilities, f"{__name__}:_NoDone", uses_http=False
    )
    chunks = await _collect(
        Engine(registry=Registry([spec])),
        {"provider": "nodone", "model": "m", "messages": [{"role": "user", "content": "x"}]},
    )
    _assert_well_formed(chunks)
    assert chunks[-2]["type"] == "error" and chunks[-2]["code"] == "protocol"


def test_registry_rejects_duplicate_ids() -> None:
    spec = BUILTIN.get("mock")
    with pytest.raises(ValueError, match="registered twice"):
        Registry([spec, spec])


def test_every_builtin_provider_metadata_is_valid() -> None:
    ids = [spec.id for spec in BUILTIN]
    assert ids == ["openai", "anthropic", "gemini", "mistral", "ollama", "azure", "openrouter", "mock"]
    for spec in BUILTIN:
        validate("ProviderMetadata", spec.metadata())


async def test_an_error_in_the_callers_block_comes_out_as_itself() -> None:
    """Not wrapped in an ExceptionGroup by the engine's task group, so the JSON-RPC and MCP
    adapters can map it (a client that disconnected mid-stream is a NetworkError, not a bug)."""
    with pytest.raises(errors.NetworkError, match="the client left"):
        async with _counting_engine().chat(
            {"provider": "counting", "model": "m", "messages": [{"role": "user", "content": "x"}]}
        ) as chunks:
            async for _ in chunks:
                raise errors.NetworkError("the client left")
    assert _CountingProvider.closed


class _WakingProvider(Provider):
    """Yields one chunk, then waits for ``wake`` and yields more: the test wakes it just before
    leaving, so it resumes (and hands over a chunk) after the reader's end is closed."""

    wake: anyio.Event
    closed = False

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncIterator[StreamChunk]:
        try:
            yield {"type": "text", "text": "first "}
            await type(self).wake.wait()
            for _ in range(3):
                yield {"type": "text", "text": "more "}
            yield {"type": "done", "finish_reason": "stop"}
        finally:
            type(self).closed = True


async def test_a_provider_waking_after_the_reader_left_ends_quietly(caplog: pytest.LogCaptureFixture) -> None:
    _WakingProvider.wake, _WakingProvider.closed = anyio.Event(), False
    spec = ProviderSpec("waking", "Waking", None, (), False, BUILTIN.get("mock").capabilities,
                        f"{__name__}:_WakingProvider", uses_http=False)  # fmt: skip
    async with Engine(registry=Registry([spec])).chat(
        {"provider": "waking", "model": "m", "messages": [{"role": "user", "content": "x"}]}
    ) as chunks:
        async for _ in chunks:
            _WakingProvider.wake.set()
            break
    assert _WakingProvider.closed
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text


async def test_the_log_line_tells_a_finished_chat_from_one_the_reader_left(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="openllm.engine")
    await _collect(Engine(), _request("echo"))
    async with Engine().chat(_request("long", "100")) as chunks:
        async for _ in chunks:
            break
    outcomes = [r.getMessage().rsplit("outcome=", 1)[1] for r in caplog.records if "outcome=" in r.getMessage()]
    assert outcomes == ["ok", "abandoned"]


async def test_a_cancelled_reader_is_cancelled_even_when_the_provider_ended_first() -> None:
    # The reader's scope is cancelled just after a chunk woke it, so the cancel finds it already
    # runnable and must wait; meanwhile the provider, cancelled too, ends the channel. The reader
    # must then come out cancelled, not with a made-up end of stream (a chat/stream cancelled by
    # the client was answered with a result).
    more = anyio.Event()

    class TwoThenWait(Provider):
        async def stream_chat(
            self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
        ) -> AsyncIterator[StreamChunk]:
            yield {"type": "text", "text": "one"}
            await more.wait()
            yield {"type": "text", "text": "two"}
            await anyio.sleep_forever()

    globals()["_TwoThenWait"] = TwoThenWait
    spec = ProviderSpec(
        "two", "Two", None, (), False, BUILTIN.get("mock").capabilities, f"{__name__}:_TwoThenWait", uses_http=False
    )
    engine = Engine(registry=Registry([spec]))
    seen: list[str] = []
    scope = anyio.CancelScope()

    async def cancel_after_the_second_chunk_is_queued() -> None:
        more.set()
        await anyio.lowlevel.checkpoint()  # the provider puts "two" (waking the reader), then we cancel
        scope.cancel()

    request: ChatRequest = {"provider": "two", "model": "m", "messages": [{"role": "user", "content": "x"}]}
    with scope:
        async with engine.chat(request) as chunks, anyio.create_task_group() as tg:
            async for chunk in chunks:
                seen.append(chunk["type"])
                if len(seen) == 1:
                    tg.start_soon(cancel_after_the_second_chunk_is_queued)
    assert scope.cancelled_caught
    assert "done" not in seen and "error" not in seen
