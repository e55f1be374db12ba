"""The MCP server in memory, driven by the official ``mcp`` client over the JSON-RPC dispatcher
(``mode="legacy"``, the 2025-11-25 handshake) and the modern in-process path (``mode="auto"``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from bridge.engine import Engine
from bridge.mcp import ExternalTool, ToolOutcome, build_server
from bridge.mcp.conversations import ConversationStore
from bridge.mcp.events import RecentEvents
from bridge.mcp.server import BridgeServer
from bridge.providers import BUILTIN, ModelConfig, Provider, ProviderSpec, Registry
from bridge.tools import LocalTools, ToolRegistry
from protocol import ChatMessage, StreamChunk, StreamOptions, validate

pytestmark = pytest.mark.anyio
MODES = ["legacy", "auto"]
LEAKED = "sk-proj-LEAKCHECK0123456789abcdefWXYZ"  # a key pasted where another argument goes


class _Gated(Provider):
    """Silent until the test opens the gate (a model thinking), then answers; records its closing."""

    gate: anyio.Event
    started: anyio.Event
    closed: anyio.Event

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncIterator[StreamChunk]:
        try:
            type(self).started.set()
            await type(self).gate.wait()
            yield {"type": "text", "text": "finally"}
            yield {"type": "done", "finish_reason": "stop"}
        finally:
            type(self).closed.set()


class _Insistent(Provider):
    """Says a sentence and calls ``echo``, every round: a tool loop only ends at its round limit."""

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncIterator[StreamChunk]:
        yield {"type": "text", "text": f"Round {sum(m['role'] == 'assistant' for m in messages) + 1}: echoing."}
        yield {"type": "tool_call", "id": f"c{len(messages)}", "name": "echo", "arguments": {"text": "x"}}
        yield {"type": "done", "finish_reason": "tool_calls"}


@pytest.fixture
def gated() -> type[_Gated]:
    _Gated.gate, _Gated.started, _Gated.closed = anyio.Event(), anyio.Event(), anyio.Event()
    return _Gated


def _server(heartbeat: float = 5.0) -> BridgeServer:
    gated = ProviderSpec("gated", "Gated", None, (), False, BUILTIN.get("mock").capabilities,
                         f"{__name__}:_Gated", uses_http=False)  # fmt: skip
    return build_server(Engine(registry=Registry([*BUILTIN, gated])), heartbeat=heartbeat)


class _Progress:
    def __init__(self) -> None:
        self.events: list[tuple[float, str | None]] = []
        self.arrived = anyio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, message))
        self.arrived.set()

    @property
    def text(self) -> str:
        return "".join(m for _, m in self.events if m is not None)

    @property
    def heartbeats(self) -> int:
        return sum(m is None for _, m in self.events)


@pytest.mark.parametrize("mode", MODES)
async def test_tools_are_listed_with_lean_schemas(mode: str) -> None:
    async with Client(_server(), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert list(tools) == ["chat", "list_providers", "list_models", "compare"]
    chat = tools["chat"].input_schema
    assert chat["required"] == ["provider", "model"]
    assert chat["properties"]["prompt"] == {"type": "string", "description": "The user message"}
    assert "title" not in json.dumps(chat)


@pytest.mark.parametrize("mode", MODES)
async def test_chat_streams_text_as_progress_and_returns_text_and_usage(mode: str) -> None:
    progress = _Progress()
    async with Client(_server(), mode=mode) as client:
        result = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "hello there"}, progress_callback=progress
        )
    assert not result.is_error
    assert result.content[0].text == "You said: hello there"  # type: ignore[union-attr]
    validate("McpChatResult", result.structured_content)
    assert result.structured_content["usage"] == {"input_tokens": 2, "output_tokens": 4}
    assert progress.text == "You said: hello there"
    values = [p for p, _ in progress.events]
    assert values == sorted(set(values)), "progress must strictly increase"


async def test_conversation_id_continues_a_conversation() -> None:
    async with Client(_server(), mode="legacy") as client:
        first = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "one two", "system": "be brief"}
        )
        conversation = first.structured_content["conversation_id"]
        assert first.content[1].text.split()[:2] == ["conversation_id:", conversation]  # type: ignore[union-attr]
        second = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "three", "conversation_id": conversation}
        )
    # Input counts words of every message sent: system (2), "one two", "You said: one two", "three".
    assert second.structured_content["usage"]["input_tokens"] == 2 + 2 + 4 + 1
    assert second.structured_content["conversation_id"] == conversation


async def test_a_number_past_64_bits_in_the_history_is_kept_not_a_failed_call() -> None:
    """orjson refuses such an integer; weighing the turn with it failed every call that followed."""
    past_64_bits = [
        {"role": "assistant", "content": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"n": 2**64}}]},
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "c1", "content": "ok"}]},
    ]
    async with Client(_server(), mode="legacy") as client:
        first = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "next", "messages": past_64_bits}
        )
        assert not first.is_error, first.content
        again = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "again",
                     "conversation_id": first.structured_content["conversation_id"]},
        )  # fmt: skip
    assert not again.is_error and again.structured_content["text"] == "You said: again"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"provider": "openai", "model": "gpt-4o", "prompt": "hi"},
         "missing_key: no API key for OpenAI: set OPENAI_API_KEY, or run `openllm-bridge secrets set openai`"),
        ({"provider": "nope", "model": "m", "prompt": "hi"}, "unknown_provider: unknown provider 'nope'"),
        ({"provider": "mock", "model": "error", "prompt": "rate_limited"}, "rate_limited: mock provider: simulated"),
        ({"provider": "mock", "model": "echo"}, "give a prompt (or messages)"),
        ({"provider": "mock", "model": "echo", "prompt": "hi", "options": {"temperature": 9}},
         "invalid arguments: /options/temperature: must be at most 2"),
        ({"provider": "mock", "model": "echo", "prompt": "hi", "conversation_id": "conv_gone"},
         "unknown conversation_id 'conv_gone'"),
    ],
)  # fmt: skip
async def test_errors_are_tool_results_that_say_what_to_do(arguments: dict[str, Any], message: str) -> None:
    async with Client(_server(), mode="legacy") as client:
        result = await client.call_tool("chat", arguments)
    assert result.is_error
    assert message in result.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("chat", {"provider": "mock", "model": "echo", "prompt": "hi", "options": LEAKED},
         "invalid arguments: /options: Input should be a valid dictionary"),
        ("chat", {"provider": [LEAKED], "model": "echo", "prompt": "hi"},
         "invalid arguments: /provider: Input should be a valid string"),
        ("compare", {"prompt": "hi", "models": LEAKED}, "invalid arguments: /models: Input should be a valid list"),
    ],
)  # fmt: skip
async def test_an_argument_of_the_wrong_type_is_named_not_quoted(
    tool: str, arguments: dict[str, Any], message: str
) -> None:
    """The SDK's message would quote the value (pydantic's input_value=...), and it may be a key."""
    async with Client(_server(), mode="legacy") as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.content[0].text == message  # type: ignore[union-attr]


async def test_compare_runs_models_side_by_side() -> None:
    async with Client(_server(), mode="legacy") as client:
        result = await client.call_tool(
            "compare", {"prompt": "hi there", "models": ["mock/echo", "mock/think", "openai/gpt-4o-mini"]}
        )
    assert not result.is_error  # one model failing is part of the comparison, not a failed call
    validate("McpCompareResult", result.structured_content)
    entries = result.structured_content["results"]
    assert [(e["provider"], e["model"]) for e in entries] == [
        ("mock", "echo"),
        ("mock", "think"),
        ("openai", "gpt-4o-mini"),
    ]
    assert entries[0]["text"] == entries[1]["text"] == "You said: hi there"
    assert entries[2]["error"]["code"] == "missing_key"
    text = result.content[0].text  # type: ignore[union-attr]
    assert "## mock/echo (" in text and "2 in / 4 out tokens" in text and "error missing_key" in text


async def test_list_providers_and_models() -> None:
    async with Client(_server(), mode="legacy") as client:
        providers = await client.call_tool("list_providers", {})
        models = await client.call_tool("list_models", {"provider": "mock"})
        unknown = await client.call_tool("list_models", {"provider": "nope"})
    listed = providers.structured_content["providers"]
    assert [p["id"] for p in listed][:2] == ["openai", "anthropic"]
    assert "openai: OpenAI, needs a key: set OPENAI_API_KEY" in providers.content[0].text  # type: ignore[union-attr]
    assert models.content[0].text.split() == ["echo", "think", "slow", "long", "tools", "error"]  # type: ignore[union-attr]
    assert unknown.is_error


async def test_heartbeats_flow_while_the_model_is_silent(gated: type[_Gated]) -> None:
    progress = _Progress()
    server = _server(heartbeat=0.01)
    async with Client(server, mode="legacy") as client, anyio.create_task_group() as tg:

        async def open_after_two_heartbeats() -> None:
            while progress.heartbeats < 2:
                progress.arrived = anyio.Event()
                await progress.arrived.wait()
            gated.gate.set()

        tg.start_soon(open_after_two_heartbeats)
        result = await client.call_tool(
            "chat", {"provider": "gated", "model": "m", "prompt": "think"}, progress_callback=progress
        )
    assert result.content[0].text == "finally"  # type: ignore[union-attr]
    assert progress.heartbeats >= 2 and progress.text == "finally"


async def test_cancelling_the_call_closes_the_upstream_stream(gated: type[_Gated]) -> None:
    async with Client(_server(), mode="legacy") as client:
        with anyio.move_on_after(10) as deadline:
            async with anyio.create_task_group() as tg:

                async def call() -> None:
                    await client.call_tool("chat", {"provider": "gated", "model": "m", "prompt": "x"})

                tg.start_soon(call)
                await gated.started.wait()
                tg.cancel_scope.cancel()  # the client sends notifications/cancelled
            await gated.closed.wait()
        assert not deadline.cancelled_caught
        assert not gated.gate.is_set()
        # The session still works after the cancellation.
        assert (await client.call_tool("list_models", {"provider": "mock"})).is_error is False


async def test_a_chat_stopped_at_the_round_limit_keeps_the_last_turn_text_and_its_calls() -> None:
    local = LocalTools()

    async def echo(text: str) -> str:
        return text

    local.tool("echo", "Repeat the text.", {"type": "object", "properties": {"text": {"type": "string"}}})(echo)
    insistent = ProviderSpec("insistent", "Insistent", None, (), False, BUILTIN.get("mock").capabilities,
                             f"{__name__}:_Insistent", uses_http=False)  # fmt: skip
    server = build_server(Engine(registry=Registry([*BUILTIN, insistent])), tools=ToolRegistry([local]))
    async with Client(server, mode="legacy") as client:
        result = await client.call_tool(
            "chat", {"provider": "insistent", "model": "m", "prompt": "go", "run_tools": True}
        )
    assert not result.is_error and result.structured_content is not None
    assert result.structured_content["finish_reason"] == "tool_calls"
    assert result.structured_content["text"] == "Round 8: echoing."  # the eighth round's, not ""
    assert [c["name"] for c in result.structured_content["tool_calls"]] == ["echo"]


def _external(calls: list[dict[str, Any]], gate: anyio.Event | None = None) -> Any:
    async def call(arguments: dict[str, Any]) -> ToolOutcome:
        calls.append(arguments)
        if gate is not None:
            await gate.wait()
        return ToolOutcome("read 3 lines", structured={"lines": 3})

    async def source() -> Sequence[ExternalTool]:
        schema = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
        return [
            ExternalTool("read_file", "Read a workspace file", schema, call),
            ExternalTool("openllm_get_secret", "internal", {"type": "object"}, call),
            ExternalTool("format_code", "internal by flag", {"type": "object"}, call, internal=True),
        ]

    return source


async def test_proxied_tools_are_listed_and_called_but_internal_ones_never() -> None:
    calls: list[dict[str, Any]] = []
    server = _server()
    server.add_tool_source(_external(calls))
    async with Client(server, mode="legacy") as client:
        names = [t.name for t in (await client.list_tools()).tools]
        result = await client.call_tool("read_file", {"path": "a.txt"})
        for hidden in ("openllm_get_secret", "format_code", "no_such_tool"):  # unknown to an agent, alike
            with pytest.raises(MCPError) as refused:
                await client.call_tool(hidden, {})
            assert (refused.value.code, refused.value.message) == (INVALID_PARAMS, f"Unknown tool: {hidden}")
        assert not (await client.call_tool("list_models", {"provider": "mock"})).is_error  # the session goes on
    assert names == ["chat", "list_providers", "list_models", "compare", "read_file"]
    assert (result.is_error, result.content[0].text, result.structured_content) == (False, "read 3 lines", {"lines": 3})  # type: ignore[union-attr]
    assert calls == [{"path": "a.txt"}]


async def test_a_slow_proxied_tool_sends_heartbeats() -> None:
    gate, progress = anyio.Event(), _Progress()
    server = _server(heartbeat=0.01)
    server.add_tool_source(_external([], gate))
    async with Client(server, mode="legacy") as client, anyio.create_task_group() as tg:

        async def open_after_two_heartbeats() -> None:
            while progress.heartbeats < 2:
                progress.arrived = anyio.Event()
                await progress.arrived.wait()
            gate.set()

        tg.start_soon(open_after_two_heartbeats)
        result = await client.call_tool("read_file", {"path": "a"}, progress_callback=progress)
    assert not result.is_error and progress.heartbeats >= 2


def test_conversation_store_is_bounded() -> None:
    store = ConversationStore(max_conversations=2, max_messages=3)
    first, second, third = store.start(), store.start(), store.start()
    for conversation in (first, second, third):
        store.record(conversation, [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], None)
    assert len(store) == 2 and store.get(first.id) is None and store.get(third.id) is third
    store.record(third, [{"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}], None)
    assert [m["content"] for m in third.messages] == ["c", "d"]  # cut before a user's message, never after


def test_conversations_are_bounded_by_size_too() -> None:
    """A message with an image weighs megabytes: the oldest turns go past a conversation's bytes,
    the least recently used conversations past the store's."""
    store = ConversationStore(max_conversation_bytes=3000, max_store_bytes=5000)
    heavy, light = store.start(), store.start()
    for word in ("one", "two", "three"):  # three turns of about 1,000 bytes each
        store.record(
            heavy, [{"role": "user", "content": word + "x" * 1000}, {"role": "assistant", "content": "ok"}], None
        )
    assert [m["content"][:3] for m in heavy.messages] == ["two", "ok", "thr", "ok"]
    assert 2000 < heavy.size <= 3000
    store.record(light, [{"role": "user", "content": "h" * 500}, {"role": "assistant", "content": "hello"}], None)
    assert store.get(heavy.id) is heavy and len(store) == 2  # about 2,100 + 560 bytes: under the store's 5,000
    other = store.start()
    store.record(other, [{"role": "user", "content": "y" * 2500}, {"role": "assistant", "content": "ok"}], None)
    assert store.get(light.id) is None and store.get(heavy.id) is heavy  # light was the least recently used
    assert store.get(other.id) is other and other.messages[0]["content"] == "y" * 2500
    alone = ConversationStore(max_conversation_bytes=100)
    only = alone.start()
    alone.record(only, [{"role": "user", "content": "z" * 500}, {"role": "assistant", "content": "ok"}], None)
    assert [m["content"] for m in only.messages] == ["z" * 500, "ok"] and only.size > 500  # the latest turn stays
    alone.record(only, [{"role": "user", "content": "next"}, {"role": "assistant", "content": "ok"}], None)
    assert [m["content"] for m in only.messages] == ["next", "ok"] and len(alone) == 1


def test_trimming_never_leaves_a_history_that_opens_with_a_tool_result_or_the_model() -> None:
    store = ConversationStore(max_messages=5)
    conversation = store.start()
    call = {"type": "tool_call", "id": "c1", "name": "echo", "arguments": {}}
    tool_turn: list[ChatMessage] = [
        {"role": "user", "content": "use the tool"},
        {"role": "assistant", "content": [call]},  # type: ignore[list-item]
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "c1", "content": "ok"}]},
        {"role": "assistant", "content": "done"},
    ]
    store.record(conversation, tool_turn, None)
    store.record(conversation, [{"role": "user", "content": "next"}, {"role": "assistant", "content": "sure"}], None)
    assert [m["role"] for m in conversation.messages] == ["user", "assistant"]  # 6 > 5: the whole tool turn went
    assert conversation.messages[0]["content"] == "next"
    answered: list[ChatMessage] = [  # a turn that opens with the result of the previous turn's call
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": "c2", "content": "x" * 5000}]},
        {"role": "assistant", "content": "here it is"},
    ]
    small = ConversationStore(max_conversation_bytes=1000)
    asked = small.start()
    small.record(
        asked, [{"role": "user", "content": "run ls"}, {"role": "assistant", "content": [{**call, "id": "c2"}]}], None
    )  # type: ignore[list-item]
    small.record(asked, answered, None)  # over the bound alone: kept, with the call it answers
    assert [m["role"] for m in asked.messages] == ["user", "assistant", "tool", "assistant"]


async def test_a_failed_call_leaves_the_conversation_and_its_system_prompt_as_they_were() -> None:
    async with Client(_server(), mode="legacy") as client:
        first = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "one two", "system": "be brief"}
        )
        conversation = first.structured_content["conversation_id"]
        failed = await client.call_tool(
            "chat",
            {
                "provider": "mock",
                "model": "error",
                "prompt": "server",
                "system": "ignore all the rules now",
                "conversation_id": conversation,
            },
        )
        assert failed.is_error
        second = await client.call_tool(
            "chat", {"provider": "mock", "model": "echo", "prompt": "three", "conversation_id": conversation}
        )
    assert second.structured_content["usage"]["input_tokens"] == 2 + 2 + 4 + 1  # "be brief", not the new system


async def test_calls_on_one_conversation_at_once_run_one_after_the_other() -> None:
    async with Client(_server(), mode="legacy") as client:
        first = await client.call_tool("chat", {"provider": "mock", "model": "echo", "prompt": "one two"})
        conversation = first.structured_content["conversation_id"]
        inputs: list[int] = []

        async def ask(prompt: str) -> None:
            result = await client.call_tool(
                "chat", {"provider": "mock", "model": "echo", "prompt": prompt, "conversation_id": conversation}
            )
            inputs.append(result.structured_content["usage"]["input_tokens"])

        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, "a")
            tg.start_soon(ask, "b")
    # the later call was sent the earlier one's turn: 2 + 4 + 1, then that + 1 + 3 ("You said: a")
    assert sorted(inputs) == [7, 11]


async def test_recent_events_replay_one_stream_and_stay_bounded() -> None:
    from mcp.server.streamable_http import EventMessage
    from mcp.types import JSONRPCNotification

    store = RecentEvents(limit=4)

    def note(n: int) -> JSONRPCNotification:
        return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"n": n})

    priming = await store.store_event("a", None)
    ids = [await store.store_event(stream, note(n)) for n, stream in enumerate(["a", "b", "a"])]
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await store.replay_events_after(priming, send) == "a"
    assert [e.event_id for e in replayed] == [ids[0], ids[2]]  # stream a only, the priming event not resent
    await store.store_event("a", note(9))  # a fifth event: the priming one falls out
    assert await store.replay_events_after(priming, send) is None


async def test_recent_events_stay_bounded_by_size() -> None:
    from mcp.server.streamable_http import EventMessage
    from mcp.types import JSONRPCResponse

    store = RecentEvents(max_bytes=2500)

    def result(text: str) -> JSONRPCResponse:
        return JSONRPCResponse(jsonrpc="2.0", id=1, result={"content": [{"type": "text", "text": text}]})

    first = await store.store_event("a", result("x" * 1000))
    second = await store.store_event("a", result("y" * 1000))
    replayed: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        replayed.append(event)

    assert await store.replay_events_after(first, send) == "a" and [e.event_id for e in replayed] == [second]
    await store.store_event("a", result("z" * 1000))  # about 3,150 bytes in all: the oldest falls out
    assert await store.replay_events_after(first, send) is None
    huge = await store.store_event("b", result("w" * 5000))  # over the bound alone: kept, the rest go
    assert await store.replay_events_after(huge, send) == "b"
