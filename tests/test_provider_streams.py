"""The cases other libraries keep getting wrong, for every provider whose API has them: a tool
call without arguments, several (interleaved) tool calls in one turn, arguments that arrive only
in the final event, text and a tool call in one turn, usage reported exactly once, and an error
event in the middle of a stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fake_provider import FakeServer, Reply
from fake_provider.harness import collect, engine, request
from fake_provider.replies import (
    BASE_PATHS,
    OPENAI_DIALECT,
    anthropic_end,
    anthropic_event,
    anthropic_start,
    gemini_event,
    ollama_line,
    openai_event,
)

from protocol import StreamChunk

pytestmark = pytest.mark.anyio
ANY_ID = "<generated>"
GENERATED_ID = re.compile(r"call_[0-9a-f]{24}")


def _call(name: str, arguments: dict[str, Any], call_id: str = ANY_ID) -> StreamChunk:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def _tail(finish: str, usage: tuple[int, int] | None = (5, 7)) -> list[StreamChunk]:
    chunks: list[StreamChunk] = []
    if usage:
        chunks.append({"type": "usage", "input_tokens": usage[0], "output_tokens": usage[1]})
    return [*chunks, {"type": "done", "finish_reason": finish}]  # type: ignore[typeddict-item]


def _error(code: str, message: str) -> list[StreamChunk]:
    return [{"type": "error", "code": code, "message": message, "retryable": code == "server", "status": None},
            {"type": "done", "finish_reason": "error"}]  # type: ignore[list-item]  # fmt: skip


def _oa_call(
    index: int, call_id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    function = {k: v for k, v in (("name", name), ("arguments", args)) if v is not None}
    delta: dict[str, Any] = {"index": index, "function": function}
    if call_id:
        delta.update(id=call_id, type="function")
    return delta


def _ended_by_provider(message: str) -> list[StreamChunk]:
    """A reply the provider itself ended with an error: usage, then the error chunk, then done."""
    error: StreamChunk = {"type": "error", "code": "server", "message": message, "retryable": False, "status": None}
    return [_tail("error")[0], error, _tail("error")[1]]


OA_USAGE = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}
OPENAI_CASES: dict[str, tuple[Reply, list[StreamChunk]]] = {
    "arguments_that_are_not_json_are_marked_not_fatal": (  # the model's mistake: a tool loop tells it
        Reply.sse(openai_event({"tool_calls": [_oa_call(0, "call_a", "weather", '{"city": "Par')]}),
                  openai_event(finish="tool_calls"), OA_USAGE, done=True),
        [{**_call("weather", {}, "call_a"), "invalid_arguments": '{"city": "Par'}, *_tail("tool_calls")],
    ),
    "finish_reason_error_says_so": (  # Mistral's FinishReason has "error"
        Reply.sse(openai_event({"content": ""}, finish="error"), OA_USAGE, done=True),
        _ended_by_provider("{p}: the reply ended with finish_reason 'error'"),
    ),
    "no_arguments": (
        Reply.sse(openai_event({"tool_calls": [_oa_call(0, "call_a", "now", "")]}), openai_event(finish="tool_calls"),
                  OA_USAGE, done=True),
        [_call("now", {}, "call_a"), *_tail("tool_calls")],
    ),
    "parallel_interleaved": (
        Reply.sse(openai_event({"tool_calls": [_oa_call(0, "call_a", "weather", '{"city"')]}),
                  openai_event({"tool_calls": [_oa_call(1, "call_b", "time", '{"tz"')]}),
                  openai_event({"tool_calls": [_oa_call(0, args=': "Oslo"}')]}),
                  openai_event({"tool_calls": [_oa_call(1, args=': "CET"}')]}),
                  openai_event(finish="tool_calls"), OA_USAGE, done=True),
        [_call("weather", {"city": "Oslo"}, "call_a"), _call("time", {"tz": "CET"}, "call_b"), *_tail("tool_calls")],
    ),
    "arguments_only_in_final_event": (
        Reply.sse(openai_event({"tool_calls": [_oa_call(0, "call_a", "weather")]}),
                  openai_event({"tool_calls": [_oa_call(0, args='{"city": "Rome"}')]}, finish="tool_calls",
                               usage=OA_USAGE["usage"]), done=True),
        [_call("weather", {"city": "Rome"}, "call_a"), *_tail("tool_calls")],
    ),
    "text_and_tool_call": (
        Reply.sse(openai_event({"content": "Let me check."}),
                  openai_event({"tool_calls": [_oa_call(0, "call_a", "weather", '{"city": "Rome"}')]}),
                  openai_event(finish="tool_calls"), OA_USAGE, done=True),
        [{"type": "text", "text": "Let me check."}, _call("weather", {"city": "Rome"}, "call_a"), *_tail("tool_calls")],
    ),
    "usage_in_every_event_reported_once": (
        Reply.sse(openai_event({"content": "a"}, usage={"prompt_tokens": 5, "completion_tokens": 1}),
                  openai_event({"content": "b"}, usage={"prompt_tokens": 5, "completion_tokens": 2}),
                  openai_event(finish="stop", usage={"prompt_tokens": 5, "completion_tokens": 7}), done=True),
        [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}, *_tail("stop")],
    ),
    "refusal": (  # the model's words are the reply, and the finish says it declined
        Reply.sse(openai_event({"role": "assistant", "content": None, "refusal": ""}),
                  openai_event({"refusal": "I can't help with that."}), openai_event(finish="stop"), OA_USAGE,
                  done=True),
        [{"type": "text", "text": "I can't help with that."}, *_tail("content_filter")],
    ),
    "tool_call_cut_off_by_the_token_limit": (  # it cannot be run; the finish reason says why it is missing
        Reply.sse(openai_event({"content": "Checking."}),
                  openai_event({"tool_calls": [_oa_call(0, "call_a", "weather", '{"city": "Ro')]}),
                  openai_event(finish="length"), OA_USAGE, done=True),
        [{"type": "text", "text": "Checking."}, *_tail("length")],
    ),
    "error_mid_stream": (
        Reply.sse(openai_event({"content": "partial"}),
                  {"error": {"message": "Provider returned error", "code": 502}, "choices": []}),
        [{"type": "text", "text": "partial"},
         {"type": "error", "code": "server", "message": "{p} (error in stream): Provider returned error",
          "retryable": True, "status": None}, {"type": "done", "finish_reason": "error"}],
    ),
}  # fmt: skip


def _block(index: int, block: dict[str, Any]) -> bytes:
    return anthropic_event("content_block_start", index=index, content_block=block)


def _json_delta(index: int, partial: str) -> bytes:
    return anthropic_event(
        "content_block_delta", index=index, delta={"type": "input_json_delta", "partial_json": partial}
    )


def _stop(index: int) -> bytes:
    return anthropic_event("content_block_stop", index=index)


def _sse_reply(*steps: bytes) -> Reply:
    return Reply(200, [("Content-Type", "text/event-stream")], list(steps))


def _tool_use(call_id: str, name: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": {}}


ANTHROPIC_CASES: dict[str, tuple[Reply, list[StreamChunk]]] = {
    "no_arguments": (
        _sse_reply(anthropic_start(5), _block(0, _tool_use("toolu_a", "now")), _json_delta(0, ""), _stop(0),
                   *anthropic_end("tool_use", 7)),
        [_call("now", {}, "toolu_a"), *_tail("tool_calls")],
    ),
    "two_tool_calls": (
        _sse_reply(anthropic_start(5), _block(0, _tool_use("toolu_a", "weather")), _json_delta(0, '{"city":'),
                   _json_delta(0, ' "Oslo"}'), _stop(0), _block(1, _tool_use("toolu_b", "time")),
                   _json_delta(1, '{"tz": "CET"}'), _stop(1), *anthropic_end("tool_use", 7)),
        [_call("weather", {"city": "Oslo"}, "toolu_a"), _call("time", {"tz": "CET"}, "toolu_b"), *_tail("tool_calls")],
    ),
    "text_thinking_and_tool_call": (
        _sse_reply(anthropic_start(5), _block(0, {"type": "thinking", "thinking": ""}),
                   anthropic_event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Hm."}),
                   anthropic_event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "x"}),
                   _stop(0), _block(1, {"type": "text", "text": ""}),
                   anthropic_event("content_block_delta", index=1, delta={"type": "text_delta", "text": "Checking."}),
                   _stop(1), _block(2, _tool_use("toolu_a", "weather")), _json_delta(2, '{"city": "Rome"}'), _stop(2),
                   *anthropic_end("tool_use", 7)),
        [{"type": "thinking", "text": "Hm."}, {"type": "thinking", "text": "", "signature": "x"},
         {"type": "text", "text": "Checking."}, _call("weather", {"city": "Rome"}, "toolu_a"), *_tail("tool_calls")],
    ),
    "usage_reported_once": (
        _sse_reply(anthropic_start(5), anthropic_event("ping"), _block(0, {"type": "text", "text": "Hi"}), _stop(0),
                   anthropic_event("message_delta", delta={"stop_reason": None}, usage={"output_tokens": 3}),
                   *anthropic_end("max_tokens", 7)),
        [{"type": "text", "text": "Hi"}, *_tail("length")],
    ),
    "tool_call_cut_off_by_the_token_limit": (
        _sse_reply(anthropic_start(5), _block(0, _tool_use("toolu_a", "now")), _stop(0),
                   _block(1, _tool_use("toolu_b", "weather")), _json_delta(1, '{"city": "Ro'), _stop(1),
                   *anthropic_end("max_tokens", 7)),
        [_call("now", {}, "toolu_a"), *_tail("length")],
    ),
    "arguments_that_are_not_json_are_marked_at_a_tool_use_stop": (
        _sse_reply(anthropic_start(5), _block(0, _tool_use("toolu_b", "weather")), _json_delta(0, '{"city": "Ro'),
                   _stop(0), *anthropic_end("tool_use", 7)),
        [{**_call("weather", {}, "toolu_b"), "invalid_arguments": '{"city": "Ro'}, *_tail("tool_calls")],
    ),
    "error_mid_stream": (
        _sse_reply(anthropic_start(5), _block(0, {"type": "text", "text": ""}),
                   anthropic_event("content_block_delta", index=0, delta={"type": "text_delta", "text": "partial"}),
                   anthropic_event("error", error={"type": "overloaded_error", "message": "Overloaded"})),
        [{"type": "text", "text": "partial"}, *_error("server", "{p} (error in stream): Overloaded")],
    ),
}  # fmt: skip

GEMINI_CASES: dict[str, tuple[Reply, list[StreamChunk]]] = {
    "malformed_function_call_with_its_finish_message": (
        Reply.sse({**gemini_event([], "MALFORMED_FUNCTION_CALL", (5, 7)),
                   "candidates": [{"content": {"role": "model", "parts": []}, "index": 0,
                                   "finishReason": "MALFORMED_FUNCTION_CALL",
                                   "finishMessage": "Malformed function call: print(get_weather(city=Paris))"}]}),
        _ended_by_provider("{p}: the model stopped with MALFORMED_FUNCTION_CALL: "
                           "Malformed function call: print(get_weather(city=Paris))"),
    ),
    "numeric_finish_reasons_as_the_proto_numbers_them": (  # 6 is LANGUAGE (OTHER is 5), 7 BLOCKLIST
        Reply.sse(gemini_event([{"text": "Hola"}], 6, (5, 7))),  # type: ignore[arg-type]
        [{"type": "text", "text": "Hola"}, *_tail("stop")],
    ),
    "numeric_blocklist": (
        Reply.sse(gemini_event([{"text": "x"}], 7, (5, 7))),  # type: ignore[arg-type]
        [{"type": "text", "text": "x"}, *_tail("content_filter")],
    ),
    "no_arguments": (
        Reply.sse(gemini_event([{"functionCall": {"name": "now"}}], "STOP", (5, 7))),
        [_call("now", {}), *_tail("tool_calls")],
    ),
    "parallel_calls_and_text_in_one_turn": (
        Reply.sse(gemini_event([{"text": "Checking both."}]),
                  gemini_event([{"functionCall": {"name": "weather", "args": {"city": "Oslo"}}},
                                {"functionCall": {"id": "fc_2", "name": "time", "args": {"tz": "CET"}}}], "STOP",
                               (5, 7))),
        [{"type": "text", "text": "Checking both."}, _call("weather", {"city": "Oslo"}),
         _call("time", {"tz": "CET"}, "fc_2"), *_tail("tool_calls")],
    ),
    "thoughts_and_usage_in_every_event_reported_once": (
        Reply.sse(gemini_event([{"text": "Plan.", "thought": True}], usage=(5, 2)),
                  gemini_event([{"text": "Hi"}], usage=(5, 4)), gemini_event([{"text": "!"}], "MAX_TOKENS", (5, 7))),
        [{"type": "thinking", "text": "Plan."}, {"type": "text", "text": "Hi"}, {"type": "text", "text": "!"},
         *_tail("length")],
    ),
    "error_mid_stream": (
        Reply.sse(gemini_event([{"text": "partial"}]),
                  {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}),
        [{"type": "text", "text": "partial"}, *_error("server", "{p} (error in stream): The model is overloaded.")],
    ),
}  # fmt: skip

OLLAMA_CASES: dict[str, tuple[Reply, list[StreamChunk]]] = {
    "no_arguments_and_two_calls": (
        Reply.ndjson(ollama_line(tool_calls=[{"function": {"name": "now", "arguments": {}}},
                                             {"function": {"name": "weather", "arguments": {"city": "Oslo"}}}]),
                     ollama_line(done=True)),
        [_call("now", {}), _call("weather", {"city": "Oslo"}), *_tail("tool_calls")],
    ),
    "thinking_text_and_tool_call": (
        Reply.ndjson(ollama_line(thinking="Hm."), ollama_line("Checking."),
                     ollama_line(tool_calls=[{"id": "call_x", "function": {"name": "weather",
                                                                           "arguments": {"city": "Rome"}}}]),
                     ollama_line(done=True)),
        [{"type": "thinking", "text": "Hm."}, {"type": "text", "text": "Checking."},
         _call("weather", {"city": "Rome"}, "call_x"), *_tail("tool_calls")],
    ),
    "error_mid_stream": (
        Reply.ndjson(ollama_line("partial"), {"error": "model runner has unexpectedly stopped"}),
        [{"type": "text", "text": "partial"},
         *_error("server", "{p} (error in stream): model runner has unexpectedly stopped")],
    ),
}  # fmt: skip


def _cases() -> Iterator[Any]:
    for provider in OPENAI_DIALECT:
        for name in OPENAI_CASES:
            yield pytest.param(provider, OPENAI_CASES, name, id=f"{provider}-{name}")
    for provider, table in (("anthropic", ANTHROPIC_CASES), ("gemini", GEMINI_CASES), ("ollama", OLLAMA_CASES)):
        for name in table:
            yield pytest.param(provider, table, name, id=f"{provider}-{name}")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize(("provider", "table", "case"), list(_cases()))
async def test_hard_case(server: FakeServer, provider: str, table: dict[str, Any], case: str) -> None:
    reply, expected = table[case]
    server.enqueue(reply)
    chunks = await collect(engine(provider), request(provider, server.url + BASE_PATHS.get(provider, "")))
    for chunk in chunks:
        if chunk["type"] == "tool_call" and GENERATED_ID.fullmatch(chunk["id"]):
            chunk["id"] = ANY_ID
        if chunk["type"] == "error":
            chunk["message"] = chunk["message"].replace(provider, "{p}")
    assert chunks == [dict(c) for c in expected]
