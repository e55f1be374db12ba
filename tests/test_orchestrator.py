"""The tool-calling loop: the mock provider's ``tools`` model first, then a scripted model for
what the mock cannot ask (several calls at once, endless calls, errors mid-loop)."""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator
from typing import Any, ClassVar

import anyio
import pytest

from bridge.cancel import CancellationToken
from bridge.engine import Engine
from bridge.errors import MissingKeyError
from bridge.orchestrator import ChatOrchestrator, LoopStream
from bridge.providers import BUILTIN, ModelConfig, Provider, ProviderSpec, Registry
from bridge.tools import LocalTools, ToolRegistry
from protocol import ChatMessage, ChatRequest, StreamChunk, StreamOptions, ToolCallChunk, validate

TEXT: dict[str, Any] = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


class ScriptedProvider(Provider):
    """Plays one scripted turn per call and records what it was sent."""

    script: ClassVar[list[list[StreamChunk]]] = []
    seen: ClassVar[list[tuple[list[ChatMessage], StreamOptions]]] = []

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        type(self).seen.append((copy.deepcopy(messages), copy.deepcopy(options)))
        turn = type(self).script.pop(0) if len(type(self).script) > 1 else type(self).script[0]
        for chunk in turn:
            yield chunk


SCRIPTED = Registry(
    [
        *BUILTIN,
        ProviderSpec("scripted", "Scripted", None, (), False, BUILTIN.get("mock").capabilities,
                     "test_orchestrator:ScriptedProvider", uses_http=False),
    ]
)  # fmt: skip


def call(name: str, call_id: str, **arguments: Any) -> ToolCallChunk:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def turn(*chunks: StreamChunk, finish: str = "tool_calls") -> list[StreamChunk]:
    return [
        *chunks,
        {"type": "usage", "input_tokens": 2, "output_tokens": 1},
        {"type": "done", "finish_reason": finish},
    ]


def request(provider: str = "scripted", model: str = "m", prompt: str = "hello") -> ChatRequest:
    return {"provider": provider, "model": model, "messages": [{"role": "user", "content": prompt}]}


@pytest.fixture
def script() -> type[ScriptedProvider]:
    ScriptedProvider.script = []
    ScriptedProvider.seen = []
    return ScriptedProvider


def tools() -> LocalTools:
    local = LocalTools()

    async def echo(text: str) -> str:
        return f"echoed {text}"

    async def status() -> str:
        return "internal"

    local.tool("echo", "Repeat the text.", TEXT)(echo)
    local.tool("openllm_status", "Internal.", {"type": "object"})(status)
    local.tool("reload_window", "Internal.", {"type": "object"}, internal=True)(status)
    return local


async def run(
    loop: ChatOrchestrator, req: ChatRequest, cancel: CancellationToken | None = None
) -> tuple[list[StreamChunk], LoopStream]:
    async with loop.chat(req, cancel) as stream:
        chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        validate("StreamChunk", chunk)
    assert [c["type"] for c in chunks].count("done") == 1 and chunks[-1]["type"] == "done"
    return chunks, stream


@pytest.mark.anyio
async def test_mock_tools_model_calls_a_tool_and_answers_with_its_result() -> None:
    loop = ChatOrchestrator(Engine(), ToolRegistry([tools()]))
    chunks, stream = await run(loop, request("mock", "tools", "hello"))
    assert chunks[0] == {"type": "tool_call", "id": "call_mock_1", "name": "echo", "arguments": {"text": "hello"}}
    text = "".join(c["text"] for c in chunks if c["type"] == "text")
    assert text == "Tool results: echo -> echoed hello"
    assert chunks[-2:] == [
        {"type": "usage", "input_tokens": 2, "output_tokens": 7},
        {"type": "done", "finish_reason": "stop"},
    ]
    outcome = stream.outcome
    assert (outcome.rounds, outcome.finish_reason, outcome.limit_reached) == (2, "stop", False)
    assert [m["role"] for m in outcome.messages] == ["assistant", "tool", "assistant"]
    assert outcome.messages[1]["content"] == [
        {"type": "tool_result", "tool_call_id": "call_mock_1", "name": "echo", "content": "echoed hello"}
    ]
    for message in outcome.messages:
        validate("ChatMessage", message)


@pytest.mark.anyio
async def test_internal_tools_are_not_offered_to_the_model(script: type[ScriptedProvider]) -> None:
    script.script = [turn(finish="stop")]
    await run(ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()])), request())
    assert [t["name"] for t in script.seen[0][1]["tools"]] == ["echo"]


@pytest.mark.anyio
async def test_several_calls_run_at_once_and_results_keep_the_call_order(script: type[ScriptedProvider]) -> None:
    local = LocalTools()
    first_started = anyio.Event()

    async def first(text: str) -> str:
        first_started.set()
        return "first done"

    async def second(text: str) -> str:
        with anyio.fail_after(5):  # deadlocks (and fails) if the calls ran one after the other
            await first_started.wait()
        return "second done"

    local.tool("second", "Waits for first.", TEXT)(second)
    local.tool("first", "Starts.", TEXT)(first)
    script.script = [turn(call("second", "a", text="x"), call("first", "b", text="y")), turn(finish="stop")]
    _, stream = await run(ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([local])), request())
    results = script.seen[1][0][-1]["content"]
    assert [(r["tool_call_id"], r["content"]) for r in results] == [("a", "second done"), ("b", "first done")]
    assert [run.call["id"] for run in stream.outcome.tool_runs] == ["a", "b"]
    assert script.seen[1][0][-2]["content"][0] == {
        "type": "tool_call",
        "id": "a",
        "name": "second",
        "arguments": {"text": "x"},
    }


@pytest.mark.anyio
async def test_failing_unknown_and_timed_out_tools_become_error_results(script: type[ScriptedProvider]) -> None:
    local = LocalTools()

    async def broken(text: str) -> str:
        raise ValueError(f"cannot handle {text}")

    async def forever(text: str) -> str:
        await anyio.Event().wait()
        return "never"

    local.tool("broken", "Fails.", TEXT)(broken)
    local.tool("forever", "Hangs.", TEXT)(forever)
    calls = [call("broken", "1", text="x"), call("nope", "2"), call("forever", "3", text="x")]
    script.script = [turn(*calls), turn({"type": "text", "text": "sorry"}, finish="stop")]
    loop = ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([local]), tool_timeout=0.2)
    chunks, stream = await run(loop, request())
    results = script.seen[1][0][-1]["content"]
    assert [(r["content"], r.get("is_error")) for r in results] == [
        ("ValueError: cannot handle x", True),
        ("nope failed: no tool named 'nope' is available", True),
        ("forever timed out after 0.2s", True),
    ]
    assert stream.outcome.finish_reason == "stop" and chunks[-1] == {"type": "done", "finish_reason": "stop"}


@pytest.mark.anyio
async def test_the_approval_hook_decides_each_call(script: type[ScriptedProvider]) -> None:
    asked: list[str] = []

    async def approve(tool_call: ToolCallChunk) -> bool:
        asked.append(tool_call["arguments"]["text"])
        return tool_call["arguments"]["text"] == "yes"

    script.script = [turn(call("echo", "1", text="yes"), call("echo", "2", text="no")), turn(finish="stop")]
    loop = ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()]), approve=approve)
    await run(loop, request())
    assert sorted(asked) == ["no", "yes"]
    results = script.seen[1][0][-1]["content"]
    assert [(r["content"], r.get("is_error")) for r in results] == [
        ("echoed yes", None),
        ("the user did not allow echo to run", True),
    ]


@pytest.mark.anyio
async def test_the_round_limit_ends_the_loop_with_calls_pending(script: type[ScriptedProvider]) -> None:
    script.script = [turn(call("echo", "1", text="again"))]
    loop = ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()]), max_rounds=3)
    chunks, stream = await run(loop, request())
    assert (stream.outcome.rounds, stream.outcome.limit_reached) == (3, True)
    assert len(stream.outcome.tool_runs) == 2  # the third round's call is not run
    assert stream.outcome.last_turn is not None  # but kept, for the caller to see or run
    assert [c["id"] for c in stream.outcome.last_turn.calls] == ["1"]
    last = stream.outcome.messages[-1]["content"]
    assert [p["type"] for p in last] == ["tool_call"]  # type: ignore[union-attr,index]
    assert chunks[-2:] == [
        {"type": "usage", "input_tokens": 6, "output_tokens": 3},
        {"type": "done", "finish_reason": "tool_calls"},
    ]


@pytest.mark.anyio
async def test_cancelling_stops_the_running_tools_and_ends_with_cancelled(script: type[ScriptedProvider]) -> None:
    local = LocalTools()
    started, stopped = anyio.Event(), anyio.Event()

    async def hang(text: str) -> str:
        started.set()
        try:
            await anyio.Event().wait()
        finally:
            stopped.set()
        return "never"

    local.tool("hang", "Hangs.", TEXT)(hang)
    script.script = [turn(call("hang", "1", text="x")), turn(finish="stop")]
    cancel = CancellationToken()
    loop = ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([local]))
    async with loop.chat(request(), cancel) as stream:
        chunks = []
        async for chunk in stream:
            chunks.append(chunk)
            if chunk["type"] == "tool_call":
                await started.wait()
                cancel.cancel("stopped by the user")
    assert stopped.is_set()
    assert chunks[-2:] == [
        {"type": "error", "code": "cancelled", "message": "stopped by the user", "retryable": False, "status": None},
        {"type": "done", "finish_reason": "error"},
    ]
    assert len(script.seen) == 1


@pytest.mark.anyio
async def test_a_model_error_in_a_later_round_ends_the_stream(script: type[ScriptedProvider]) -> None:
    error: StreamChunk = {
        "type": "error",
        "code": "rate_limited",
        "message": "slow down",
        "retryable": True,
        "status": 429,
    }
    script.script = [turn(call("echo", "1", text="x")), [error, {"type": "done", "finish_reason": "error"}]]
    chunks, stream = await run(ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()])), request())
    assert chunks[-2:] == [error, {"type": "done", "finish_reason": "error"}]
    assert stream.outcome.finish_reason == "error"


@pytest.mark.anyio
async def test_configuration_errors_raise_before_streaming() -> None:
    loop = ChatOrchestrator(Engine(), ToolRegistry([tools()]))
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        async with loop.chat(request("openai", "gpt-4o-mini")):
            pass


@pytest.mark.anyio
async def test_arguments_that_are_not_json_are_told_to_the_model_not_run(script: type[ScriptedProvider]) -> None:
    """The model's mistake becomes an error result it can correct; the loop goes on."""
    broken: StreamChunk = {**call("echo", "1"), "invalid_arguments": '{"text": "two'}  # type: ignore[typeddict-item]
    script.script = [
        turn(broken),
        turn(call("echo", "2", text="two")),
        turn({"type": "text", "text": "done"}, finish="stop"),
    ]
    _, stream = await run(ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()])), request())
    assert (stream.outcome.rounds, stream.outcome.finish_reason) == (3, "stop")
    results = [each.result for each in stream.outcome.tool_runs]
    assert [(r.text, r.is_error) for r in results] == [
        (
            'the arguments of echo are not a JSON object (\'{"text": "two\'); nothing was run: call it again with its '
            "arguments as one JSON object",
            True,
        ),
        ("echoed two", False),
    ]
    sent_back = script.seen[1][0][-2]["content"][0]  # the broken call goes back as {}, the schema's shape
    assert sent_back == {"type": "tool_call", "id": "1", "name": "echo", "arguments": {}}


@pytest.mark.anyio
async def test_a_signed_text_goes_back_with_its_turn_and_stays_on_the_last(script: type[ScriptedProvider]) -> None:
    """Gemini 3 signs its replies' text (a last chunk of empty text): the next round is sent the
    turn's text with that signature, and the loop's last message keeps its own."""
    script.script = [
        turn({"type": "text", "text": "Let me look."}, {"type": "text", "text": "", "signature": "sig-1"},
             call("echo", "a", text="x")),
        turn({"type": "text", "text": "Done."}, {"type": "text", "text": "", "signature": "sig-2"}, finish="stop"),
    ]  # fmt: skip
    _, stream = await run(ChatOrchestrator(Engine(registry=SCRIPTED), ToolRegistry([tools()])), request())
    sent = script.seen[1][0][-2]["content"]
    assert sent[0] == {"type": "text", "text": "Let me look.", "signature": "sig-1"}
    assert stream.outcome.messages[-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Done.", "signature": "sig-2"}],
    }
    for message in stream.outcome.messages:
        validate("ChatMessage", message)
