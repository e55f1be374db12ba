"""Every recorded provider response, replayed byte for byte over real HTTP at random split points,
must decode into the StreamChunks its expect.json describes."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from fake_provider import FakeServer
from fake_provider.harness import NO_RETRIES, collect, engine, request, text
from fake_provider.vectors import Case, all_cases

from protocol import StreamChunk

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
