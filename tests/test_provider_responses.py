"""The Responses API stream events no recording covers: reasoning summaries, tool-call arguments
that arrive only in the ``done`` events (two calls interleaved), the ``incomplete`` and ``failed``
endings, and an error event in the middle of a stream. Served by the loopback fake server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_provider import FakeServer, Reply
from fake_provider.harness import collect, engine, request

from protocol import StreamChunk

pytestmark = pytest.mark.anyio
USAGE = {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _end(kind: str = "response.completed", **response: Any) -> dict[str, Any]:
    return {"type": kind, "response": {"status": kind.rsplit(".", 1)[1], "usage": USAGE, **response}}


def _call_item(item_id: str, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    return {"id": item_id, "type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}


async def _chat(server: FakeServer, *events: Any) -> list[StreamChunk]:
    server.enqueue(Reply.sse(*events))
    return await collect(engine("openai", api="responses", timeouts={"max_retries": 0}), request("openai", server.url))


async def test_reasoning_summary_text_and_interleaved_calls_with_arguments_only_at_the_end(server: FakeServer) -> None:
    chunks = await _chat(
        server,
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "delta": "Two tools"},
        {"type": "response.output_text.delta", "delta": "Checking."},
        {"type": "response.output_item.added", "output_index": 2, "item": _call_item("fc_a", "call_a", "weather")},
        {"type": "response.output_item.added", "output_index": 3, "item": _call_item("fc_b", "call_b", "time")},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_b", "output_index": 3, "delta": '{"tz"'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_a", "output_index": 2, "delta": ""},
        {"type": "response.function_call_arguments.done", "item_id": "fc_b", "output_index": 3,
         "arguments": '{"tz": "UTC"}'},
        {"type": "response.output_item.done", "output_index": 2,
         "item": _call_item("fc_a", "call_a", "weather", '{"city": "Oslo"}')},
        _end(),
    )  # fmt: skip
    assert chunks == [
        {"type": "thinking", "text": "Two tools"},
        {"type": "text", "text": "Checking."},
        {"type": "tool_call", "id": "call_a", "name": "weather", "arguments": {"city": "Oslo"}},
        {"type": "tool_call", "id": "call_b", "name": "time", "arguments": {"tz": "UTC"}},
        {"type": "usage", "input_tokens": 9, "output_tokens": 4},
        {"type": "done", "finish_reason": "tool_calls"},
    ]


@pytest.mark.parametrize(("reason", "finish"), [("max_output_tokens", "length"), ("content_filter", "content_filter")])
async def test_an_incomplete_response_says_why(server: FakeServer, reason: str, finish: str) -> None:
    chunks = await _chat(
        server,
        {"type": "response.output_text.delta", "delta": "Partial"},
        _end("response.incomplete", incomplete_details={"reason": reason}),
    )
    assert chunks[-1] == {"type": "done", "finish_reason": finish} and chunks[0]["type"] == "text"


async def test_a_tool_call_cut_off_at_the_token_limit_is_left_out_and_the_finish_says_length(
    server: FakeServer,
) -> None:
    chunks = await _chat(
        server,
        {"type": "response.output_item.added", "output_index": 0, "item": _call_item("fc_a", "call_a", "weather")},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_a", "output_index": 0, "delta": '{"ci'},
        _end("response.incomplete", incomplete_details={"reason": "max_output_tokens"}),
    )
    assert chunks == [
        {"type": "usage", "input_tokens": 9, "output_tokens": 4},
        {"type": "done", "finish_reason": "length"},
    ]


async def test_a_refusal_is_the_reply_and_the_finish_is_content_filter(server: FakeServer) -> None:
    chunks = await _chat(server, {"type": "response.refusal.delta", "item_id": "msg_1", "delta": "I can't."}, _end())
    assert chunks[0] == {"type": "text", "text": "I can't."}
    assert chunks[-1] == {"type": "done", "finish_reason": "content_filter"}


async def test_a_failed_response_ends_in_an_error(server: FakeServer) -> None:
    failed = _end("response.failed", error={"code": "server_error", "message": "The model crashed."})
    chunks = await _chat(server, {"type": "response.output_text.delta", "delta": "Hel"}, failed)
    assert [c["type"] for c in chunks] == ["text", "error", "done"]
    assert chunks[1]["code"] == "server" and "The model crashed." in chunks[1]["message"]  # type: ignore[typeddict-item]
    assert chunks[-1] == {"type": "done", "finish_reason": "error"}


async def test_an_error_event_mid_stream_keeps_the_providers_message(server: FakeServer) -> None:
    error = {"type": "error", "error": {"type": "invalid_request_error", "code": "context_length_exceeded",
                                        "message": "Your input exceeds the context window of this model."}}  # fmt: skip
    chunks = await _chat(server, {"type": "response.output_text.delta", "delta": "Hi"}, error, _end())
    assert [c["type"] for c in chunks] == ["text", "error", "done"]
    assert chunks[1]["code"] == "context_length" and "exceeds the context window" in chunks[1]["message"]  # type: ignore[typeddict-item]


async def test_a_stream_that_never_completes_is_a_protocol_error(server: FakeServer) -> None:
    chunks = await _chat(server, {"type": "response.output_text.delta", "delta": "Hi"})
    assert [c["type"] for c in chunks] == ["text", "error", "done"] and chunks[1]["code"] == "protocol"  # type: ignore[typeddict-item]
