"""End to end: a model played by the loopback fake provider (OpenAI's and Anthropic's wire
formats) asks for two of the editor host's tools at once; the host (a real reference host
process) runs them; the model receives the results and answers. What the bridge sent the model
is read back from the fake server: internal host tools are never in it."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_provider import FakeServer, Reply
from fake_provider.harness import NO_RETRIES, engine, request
from fake_provider.replies import (
    BASE_PATHS,
    anthropic_end,
    anthropic_event,
    anthropic_start,
    openai_tool_round,
    text_reply,
)
from fake_provider.vectors import all_cases
from hosts import HostProcess, connect, running_host

from bridge.host import HostToolSource
from bridge.orchestrator import ChatOrchestrator
from bridge.tools import LocalTools, ToolRegistry
from protocol import validate

VISIBLE = ["echo", "add", "workspace_root", "fail", "sleep"]
INTERNAL = ("openllm_status", "reload_window")


def anthropic_tool_round() -> Reply:
    def block(index: int, call_id: str, name: str, arguments: str) -> list[bytes]:
        start = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        return [
            anthropic_event("content_block_start", index=index, content_block=start),
            anthropic_event(
                "content_block_delta", index=index, delta={"type": "input_json_delta", "partial_json": arguments}
            ),
            anthropic_event("content_block_stop", index=index),
        ]

    steps = [anthropic_start(30), *block(0, "toolu_1", "add", '{"a": 2, "b": 40}'),
             *block(1, "toolu_2", "workspace_root", "{}"), *anthropic_end("tool_use", 9)]  # fmt: skip
    return Reply(200, [("Content-Type", "text/event-stream")], steps)


def results_sent(provider: str, body: dict[str, Any]) -> dict[str, str]:
    """The tool results the model was given in its second request, by call id."""
    if provider == "openai":
        return {m["tool_call_id"]: m["content"] for m in body["messages"] if m["role"] == "tool"}
    blocks = [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    return {b["tool_use_id"]: _text(b["content"]) for b in blocks if b["type"] == "tool_result"}


def _text(content: Any) -> str:
    return content if isinstance(content, str) else "".join(part["text"] for part in content)


@pytest.fixture(params=["python", "node"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HostProcess]:
    with running_host(request.param, tmp_path) as process:
        yield process


@pytest.mark.anyio
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_model_calls_host_tools_and_answers_with_their_results(host: HostProcess, provider: str) -> None:
    tool_round = openai_tool_round() if provider == "openai" else anthropic_tool_round()
    with FakeServer() as server:
        server.enqueue(tool_round, text_reply(provider, ["The", " answer", " is", " 42"]))
        async with connect(host) as client, engine(provider, **NO_RETRIES) as bridge:
            loop = ChatOrchestrator(bridge, ToolRegistry([HostToolSource(client)]))
            chat = request(provider, server.url + BASE_PATHS.get(provider, ""), "What is 2 + 40, and where am I?")
            async with loop.chat(chat) as stream:
                chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        validate("StreamChunk", chunk)
    assert "".join(c["text"] for c in chunks if c["type"] == "text") == "The answer is 42"
    assert [c["name"] for c in chunks if c["type"] == "tool_call"] == ["add", "workspace_root"]
    assert chunks[-1] == {"type": "done", "finish_reason": "stop"}
    assert [(run.call["name"], run.result.text) for run in stream.outcome.tool_runs] == [
        ("add", "42"),
        ("workspace_root", "/src/app"),
    ]

    first, second = (recorded.json for recorded in server.requests)
    for body in (first, second):
        offered = [tool["function"]["name"] if provider == "openai" else tool["name"] for tool in body["tools"]]
        assert offered == VISIBLE
        sent = json.dumps(body)
        assert not any(name in sent for name in INTERNAL)
    ids = ("call_1", "call_2") if provider == "openai" else ("toolu_1", "toolu_2")
    assert results_sent(provider, second) == {ids[0]: "42", ids[1]: "/src/app"}


@pytest.mark.anyio
async def test_anthropic_thinking_goes_back_signed_before_the_tool_call_of_its_turn() -> None:
    """With thinking on, Anthropic refuses a turn sent back with a tool_use but not its signed
    thinking (400 "Expected thinking or redacted_thinking"): the recorded reply's thinking and
    signature must open the assistant turn of the loop's second request."""
    case = next(c for c in all_cases() if c.name == "anthropic/stream_thinking_then_tool_use")
    signature = json.loads(re.search(rb'\{"type":"signature_delta".*?\}', case.body).group())["signature"]  # type: ignore[union-attr]
    local = LocalTools()

    async def fixed_version() -> str:
        return "1.2.3"

    local.tool("fixed_version", "The version.", {"type": "object", "properties": {}})(fixed_version)
    with FakeServer() as server:
        server.enqueue(case.reply(random.Random(7)), text_reply("anthropic", ["It is 1.2.3"]))
        async with engine("anthropic", **NO_RETRIES) as bridge:
            loop = ChatOrchestrator(bridge, ToolRegistry([local]))
            chat = request("anthropic", server.url, "Which version?")
            chat["options"] = {"max_tokens": 2048}
            async with loop.chat(chat) as stream:
                chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        validate("StreamChunk", chunk)
    thinking = [c for c in chunks if c["type"] == "thinking"]
    assert "".join(c["text"] for c in thinking) == case.expect["thinking"] and thinking[-1]["signature"] == signature
    assistant = server.requests[1].json["messages"][1]
    assert assistant["role"] == "assistant"
    assert [block["type"] for block in assistant["content"]] == ["thinking", "tool_use"]
    assert assistant["content"][0] == {"type": "thinking", "thinking": case.expect["thinking"], "signature": signature}
    assert stream.outcome.messages[0]["content"][0] == {  # the turn as the caller gets it back, to send again
        "type": "thinking",
        "text": case.expect["thinking"],
        "signature": signature,
    }
