"""Every recorded provider response, replayed byte for byte over real HTTP at random split points,
must decode into the StreamChunks its expect.json describes."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator

import pytest
from fake_provider import FakeServer
from fake_provider.harness import NO_RETRIES, collect, engine, request, text
from fake_provider.vectors import Case, all_cases

from bridge.providers import _openai_chat, _openai_responses, anthropic, gemini, ollama
from bridge.turn import Turn
from protocol import ChatMessage, StreamChunk, loads, validate

pytestmark = pytest.mark.anyio

BASES = {"openai": "/v1", "mistral": "/v1", "openrouter": "/api/v1"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _check(case: Case, chunks: list[StreamChunk]) -> None:
    code = case.expected_error()
    if code is not None:
        error = chunks[0]
        assert [c["type"] for c in chunks] == ["error", "done"], chunks
        assert error["type"] == "error" and error["code"] == code and error["status"] == case.expect["status"]
        assert case.expect["error"]["message"].split("\n")[0][:200] in error["message"]
        assert error["retryable"] == (code == "rate_limited")
        return
    kinds = [c["type"] for c in chunks]
    content_end = len(kinds) - 1 - (1 if "usage" in kinds else 0)
    assert set(kinds[:content_end]) <= {"text", "thinking", "tool_call"}, kinds
    assert text(chunks) == (case.expect["text"] or "")
    assert text(chunks, "thinking") == (case.expect["thinking"] or "")
    calls = [c for c in chunks if c["type"] == "tool_call"]
    expected_calls = case.expect["tool_calls"]
    assert [(c["name"], c["arguments"]) for c in calls] == [(e["name"], e["arguments"]) for e in expected_calls]
    for call, expected in zip(calls, expected_calls, strict=True):
        assert call["id"] == expected["id"] if expected["id"] else call["id"].startswith("call_")
    usage = case.expected_usage()
    usage_chunks = [(c["input_tokens"], c["output_tokens"]) for c in chunks if c["type"] == "usage"]
    assert usage_chunks == ([] if usage is None else [usage])
    assert chunks[-1] == {"type": "done", "finish_reason": case.expected_finish()}


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
async def test_recorded_response_decodes_as_expected(server: FakeServer, case: Case) -> None:
    rng = random.Random(case.name)
    for _ in range(2):  # two different random splits of the same bytes
        server.enqueue(case.reply(rng))
        provider = case.decoding_provider
        chat = request(provider, server.url + BASES.get(provider, ""), model=case.expect.get("model") or "m")
        chunks = await collect(engine(provider, timeouts=NO_RETRIES, **case.settings), chat)
        _check(case, chunks)


def test_every_vector_is_replayed_including_the_responses_api() -> None:
    formats = {c.expect["wire_format"] for c in all_cases()}
    assert {"openai-responses-sse", "openai-responses-json"} <= formats
    responses = [c for c in all_cases() if c.settings]
    assert all("responses" in c.name for c in responses)
    assert len(responses) >= 13 and len(all_cases()) >= 100


async def test_a_gemini_3_tool_call_keeps_its_thought_signature_into_the_next_request(server: FakeServer) -> None:
    """Gemini 3 refuses a function call in the history without the thoughtSignature it came with
    (ai.google.dev/gemini-api/docs/thought-signatures): recorded, decoded, kept by the turn, sent back."""
    case = next(c for c in all_cases() if c.name == "gemini/stream_json_array_function_call_thought_signature")
    parts = [p for event in loads(case.body) for p in event["candidates"][0]["content"]["parts"]]
    recorded = next(p["thoughtSignature"] for p in parts if "thoughtSignature" in p)
    server.enqueue(case.reply(random.Random(0)))
    chunks = await collect(engine("gemini", timeouts=NO_RETRIES), request("gemini", server.url, model="gemini-3"))
    turn = Turn()
    for chunk in chunks:
        turn.take(chunk)
    (call,) = turn.calls
    assert call["signature"] == recorded
    answered: list[ChatMessage] = [
        {"role": "user", "content": "5 times 3?"},
        turn.message(),
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": call["id"], "content": "15"}]},
    ]
    for message in answered:
        validate("ChatMessage", message)
    sent = gemini.build_body(answered, {})["contents"][1]["parts"]
    assert sent == [{"functionCall": {"name": "multiply", "args": {"y": 3, "x": 5}}, "thoughtSignature": recorded}]


@pytest.mark.parametrize("name", ["gemini/stream_thinking", "gemini/stream_json_array_text"])
async def test_a_gemini_3_reply_keeps_its_text_signature_into_the_next_turn(server: FakeServer, name: str) -> None:
    """A Gemini 3 reply ends with a part of empty text holding a thoughtSignature; sent back with the
    turn's text, the model's reasoning carries over (ai.google.dev/gemini-api/docs/thought-signatures).
    No other provider is sent it."""
    case = next(c for c in all_cases() if c.name == name)
    (recorded,) = re.findall(r'"thoughtSignature": *"([^"]+)"', case.body.decode())  # the reply has one, on text
    server.enqueue(case.reply(random.Random(0)))
    chunks = await collect(engine("gemini", timeouts=NO_RETRIES), request("gemini", server.url, model="gemini-3"))
    turn = Turn()
    for chunk in chunks:
        turn.take(chunk)
    reply = turn.message()
    validate("ChatMessage", reply)
    assert reply["content"] == [{"type": "text", "text": case.expect["text"], "signature": recorded}]
    history: list[ChatMessage] = [{"role": "user", "content": "hi"}, reply, {"role": "user", "content": "and?"}]
    assert gemini.build_body(history, {})["contents"][1]["parts"] == [
        {"text": case.expect["text"], "thoughtSignature": recorded}
    ]
    elsewhere = [
        anthropic.build_body("m", history, {}, {}),
        ollama.build_body("m", history, {}, {}),
        _openai_chat.build_body("m", history, {}, _openai_chat.ChatDialect()),
        _openai_responses.build_body("m", history, {}),
    ]
    for body in elsewhere:  # the text goes to every provider, the signature to none of the others
        sent = json.dumps(body, ensure_ascii=False)
        assert json.dumps(case.expect["text"], ensure_ascii=False) in sent and recorded not in sent
