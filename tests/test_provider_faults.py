"""Injected faults: each ends in the right chunks or error, within bounded time, with the fake
server seeing the connection closed; retries happen only before the first chunk; cancelling
closes the upstream connection."""

from __future__ import annotations

import email.utils
import json
import logging
import ssl
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fake_provider import HANGUP, RESET, STALL, Connection, FakeServer, Reply
from fake_provider.harness import KEY, engine, request, text
from fake_provider.replies import BASE_PATHS, anthropic_event, openai_event, text_reply

from bridge.cancel import CancellationToken
from bridge.http import HTTPClient
from bridge.http.connect import Proxy, open_connection
from bridge.http.connection import Connection as HTTPConnection
from bridge.http.request import Origin
from bridge.providers import BUILTIN, ModelConfig
from bridge.providers._errors import retry_after
from bridge.redact import Secret
from protocol import StreamChunk, validate

pytestmark = pytest.mark.anyio

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05, "max_retries": 2}
NO_RETRY = {"max_retries": 0}
ALL = ["openai", "anthropic", "gemini", "mistral", "ollama", "azure", "openrouter"]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


async def _chat(
    server: FakeServer,
    timeouts: dict[str, Any],
    provider: str = "openai",
    *,
    provider_closes: bool = True,
    **extra: Any,
) -> tuple[list[StreamChunk], list[Connection]]:
    """Run one chat. With ``provider_closes``, every connection must be closed by the time the
    stream has ended, while the HTTP client is still open (so the provider closed it, not the
    client's shutdown); otherwise once the engine is closed."""
    bridge = engine(provider, timeouts=timeouts, **extra)
    with anyio.fail_after(15):
        async with bridge, bridge.chat(request(provider, server.url + BASE_PATHS.get(provider, ""))) as chunks:
            seen = [chunk async for chunk in chunks]
            if provider_closes:
                closed = await anyio.to_thread.run_sync(server.wait_closed)
        if not provider_closes:
            closed = await anyio.to_thread.run_sync(server.wait_closed)
    for chunk in seen:
        validate("StreamChunk", chunk)
    return seen, closed


def _failure(chunks: list[StreamChunk]) -> dict[str, Any]:
    assert chunks[-1] == {"type": "done", "finish_reason": "error"}, chunks
    error = chunks[-2]
    assert error["type"] == "error"
    assert KEY not in error["message"]
    return dict(error)


def _html_502() -> Reply:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    return Reply(502, [("Content-Type", "text/html")], [page])


def _stream(*steps: Any, done: bool = False) -> Reply:
    return Reply.sse(openai_event({"content": "Hello"}), *steps, done=done)


@pytest.mark.parametrize("status", [429, 503, 529])  # an overloaded server says when to come back too
async def test_retry_after_seconds_is_honoured_then_succeeds(server: FakeServer, status: int) -> None:
    server.enqueue(
        Reply.json({"error": {"message": "slow down"}}, status, [("Retry-After", "1")]), text_reply("openai", ["ok"])
    )
    started = time.monotonic()
    chunks, _ = await _chat(server, FAST, provider_closes=False)
    assert time.monotonic() - started >= 0.9  # waited as told (a lower bound only)
    assert text(chunks) == "ok" and len(server.requests) == 2


async def test_429_with_retry_after_http_date(server: FakeServer) -> None:
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    server.enqueue(
        Reply.json({"error": {"message": "slow down"}}, 429, [("Retry-After", when)]), text_reply("openai", ["ok"])
    )
    chunks, _ = await _chat(server, FAST, provider_closes=False)
    assert text(chunks) == "ok" and len(server.requests) == 2


async def test_retry_after_beyond_the_deadline_fails_at_once(server: FakeServer) -> None:
    server.enqueue(Reply.json({"error": {"message": "quota"}}, 429, [("Retry-After", "120")]))
    chunks, _ = await _chat(server, {**FAST, "retry_deadline": 5}, provider_closes=False)
    error = _failure(chunks)
    assert (error["code"], error["status"], error["retryable"]) == ("rate_limited", 429, True)
    assert "quota" in error["message"] and len(server.requests) == 1


@pytest.mark.parametrize("status", [500, 503, 529])
async def test_server_errors_are_retried_then_succeed(
    server: FakeServer, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="openllm")
    server.enqueue(Reply.json({"error": {"message": "boom"}}, status), text_reply("anthropic", ["fine"]))
    chunks, _ = await _chat(server, FAST, "anthropic", provider_closes=False)
    assert text(chunks) == "fine" and len(server.requests) == 2
    assert "retries=1 outcome=ok" in caplog.text  # the engine's log line counts the retry


async def test_server_errors_give_up_after_max_retries(server: FakeServer) -> None:
    server.enqueue(
        *[Reply.json({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, 529)] * 3
    )
    chunks, _ = await _chat(server, FAST, "anthropic", provider_closes=False)
    error = _failure(chunks)
    assert (error["code"], error["status"], error["retryable"]) == ("server", 529, True)
    assert "Overloaded" in error["message"] and len(server.requests) == 3


_REFUSED = {
    "type": "response.failed",
    "response": {"status": "failed", "error": {"code": "invalid_prompt", "message": "Invalid prompt"}},
}
_RATE_LIMITED = {"error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}}


@pytest.mark.parametrize(
    ("provider", "extra", "first", "code", "requests"),
    [
        # a request refused for what it is fails the same way every time: not retried
        ("openai", {"api": "responses"}, Reply.sse(_REFUSED), "bad_request", 1),
        ("anthropic", {}, Reply.sse(anthropic_event("error", error={"type": "billing_error", "message": "Billing"})),
         "bad_request", 1),
        # a rate limit that only the code names (the type is "tokens") is one, and worth a retry
        ("openai", {}, Reply.sse(_RATE_LIMITED), "rate_limited", 3),
    ],
)  # fmt: skip
async def test_an_error_in_a_200_stream_is_classed_by_its_code_or_type(
    server: FakeServer, provider: str, extra: dict[str, Any], first: Reply, code: str, requests: int
) -> None:
    server.enqueue(*[first] * 3)
    chunks, _ = await _chat(server, FAST, provider, provider_closes=False, **extra)
    assert _failure(chunks)["code"] == code and len(server.requests) == requests


async def test_reset_before_headers_is_retried(server: FakeServer) -> None:
    server.enqueue(Reply(steps=[RESET]), text_reply("gemini", ["after", " reset"]))
    chunks, _ = await _chat(server, FAST, "gemini", provider_closes=False)
    assert text(chunks) == "after reset" and len(server.requests) == 2


async def test_reset_before_headers_every_time_is_a_network_error(server: FakeServer) -> None:
    server.enqueue(*[Reply(steps=[RESET])] * 3)
    chunks, closed = await _chat(server, FAST, "ollama")
    assert _failure(chunks)["code"] == "network" and len(closed) == 3


async def test_disconnect_mid_stream_ends_with_a_network_error_and_no_retry(server: FakeServer) -> None:
    server.enqueue(_stream(HANGUP), text_reply("openai", ["must not be used"]))
    chunks, _ = await _chat(server, FAST)
    assert text(chunks) == "Hello"
    assert _failure(chunks)["code"] == "network" and len(server.requests) == 1


async def test_a_malformed_sse_line_is_ignored_as_the_spec_says(server: FakeServer) -> None:
    server.enqueue(_stream(b"this line has no colon\n", b":\n", openai_event({"content": " world"}),
                           openai_event(finish="stop"), done=True))  # fmt: skip
    chunks, _ = await _chat(server, NO_RETRY, provider_closes=False)
    assert text(chunks) == "Hello world" and chunks[-1] == {"type": "done", "finish_reason": "stop"}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
async def test_invalid_json_in_a_data_line_is_a_protocol_error(server: FakeServer, provider: str) -> None:
    reply = text_reply(provider, ["Hello"])
    reply.steps[2:] = [b'data: {"choices": [{"delta": {"content": "x"}\n\n', STALL]
    server.enqueue(reply)
    chunks, closed = await _chat(server, NO_RETRY, provider)
    error = _failure(chunks)
    assert error["code"] == "protocol" and "invalid JSON" in error["message"]
    assert closed[0].closed_by == "client"


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
async def test_the_events_before_invalid_json_in_the_same_read_still_arrive(server: FakeServer, provider: str) -> None:
    reply = text_reply(provider, ["Hello"])
    bad = b'{"message": {"content": "x"}\n' if provider == "ollama" else b'data: {"choices": [{"delta": {\n\n'
    hello = next(i for i, step in enumerate(reply.steps) if b"Hello" in step) + 1
    reply.steps[:] = [b"".join(reply.steps[:hello]) + bad, STALL]  # one write: one network read
    server.enqueue(reply)
    chunks, _ = await _chat(server, NO_RETRY, provider)
    error = _failure(chunks)
    assert error["code"] == "protocol" and "invalid JSON" in error["message"]
    assert text(chunks) == "Hello"


@pytest.mark.parametrize("provider", ["openai", "ollama"])
async def test_the_events_before_an_oversized_one_in_the_same_read_still_arrive(
    server: FakeServer, provider: str
) -> None:
    reply = text_reply(provider, ["Hello"])
    hello = next(i for i, step in enumerate(reply.steps) if b"Hello" in step) + 1
    big = b'{"x": "' + b"x" * 8192  # a line over the 1 KiB limit, cut off: it can never be whole
    reply.steps[:] = [b"".join(reply.steps[:hello]) + (big if provider == "ollama" else b"data: " + big), STALL]
    server.enqueue(reply)
    chunks, _ = await _chat(server, NO_RETRY, provider, max_event_bytes=1024)
    assert text(chunks) == "Hello" and _failure(chunks)["code"] == "protocol"
    assert "exceeds 1024 bytes" in chunks[-2]["message"]


async def test_the_values_before_an_oversized_one_in_a_json_array_body_still_arrive(server: FakeServer) -> None:
    # Gemini's streamGenerateContent without alt=sse: one JSON array, its elements sent as they come
    hello = b'{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hello"}]}}]}'
    big = b'{"x": "' + b"x" * 8192  # an element over the 1 KiB limit, cut off: it can never be whole
    server.enqueue(Reply(200, [("Content-Type", "application/json")], [b"[" + hello + b",\r\n" + big, STALL]))
    chunks, _ = await _chat(server, NO_RETRY, "gemini", max_event_bytes=1024)
    assert text(chunks) == "Hello" and _failure(chunks)["code"] == "protocol"
    assert "exceeds 1024 bytes" in chunks[-2]["message"]


async def test_a_stall_longer_than_the_gap_timeout_times_out(server: FakeServer) -> None:
    server.enqueue(_stream(STALL))
    started = time.monotonic()
    chunks, closed = await _chat(server, {**NO_RETRY, "gap": 0.3})
    assert text(chunks) == "Hello" and _failure(chunks)["code"] == "timeout"
    assert "stalled" in chunks[-2]["message"] and closed[0].closed_by == "client"
    assert time.monotonic() - started < 5


async def test_no_first_byte_in_time_times_out_and_is_retried(server: FakeServer) -> None:
    server.enqueue(Reply(200, [("Content-Type", "text/event-stream")], [STALL]), text_reply("mistral", ["late"]))
    chunks, _ = await _chat(server, {**FAST, "first_byte": 0.3}, "mistral", provider_closes=False)
    assert text(chunks) == "late" and len(server.requests) == 2
    assert server.connections[0].closed_by == "client"


async def test_a_1_mib_event_is_decoded(server: FakeServer) -> None:
    big = "".join(f"{i:07d} " for i in range(1 << 17))  # 1 MiB of varied text in one event
    server.enqueue(Reply.sse(openai_event({"content": big}), openai_event(finish="stop"), done=True))
    chunks, _ = await _chat(server, NO_RETRY, provider_closes=False)
    assert len(big) == 1 << 20 and text(chunks) == big


async def test_an_event_over_the_configured_limit_is_a_protocol_error(server: FakeServer) -> None:
    server.enqueue(_stream(b"data: " + b"x" * (1 << 20), STALL))
    chunks, closed = await _chat(server, NO_RETRY, max_event_bytes=64 * 1024)
    assert text(chunks) == "Hello" and _failure(chunks)["code"] == "protocol"
    assert closed[0].closed_by == "client"


async def test_an_html_502_page_is_a_server_error_with_a_short_message(server: FakeServer) -> None:
    server.enqueue(_html_502(), _html_502())
    chunks, _ = await _chat(server, {**FAST, "max_retries": 1}, "openrouter", provider_closes=False)
    error = _failure(chunks)
    assert (error["code"], error["status"]) == ("server", 502) and len(server.requests) == 2
    assert error["message"] == "openrouter (502): HTTP 502 with an HTML page (502 Bad Gateway)"


async def test_a_redirect_is_a_config_error_naming_where_it_points_and_is_not_followed(server: FakeServer) -> None:
    page = b"<html><head><title>301 Moved Permanently</title></head></html>"
    location = "https://user:secret@api.example.test/v1/chat/completions?token=abc#x"
    server.enqueue(Reply(301, [("Content-Type", "text/html"), ("Location", location)], [page]))
    chunks, _ = await _chat(server, FAST, provider_closes=False)
    error = _failure(chunks)
    assert (error["code"], error["status"], error["retryable"]) == ("invalid_config", 301, False)
    assert "redirected the request (301) to https://api.example.test/v1/chat/completions;" in error["message"]
    assert "secret" not in error["message"] and "token" not in error["message"] and len(server.requests) == 1


@pytest.mark.parametrize(
    ("location", "shown"),
    [("/v2/chat/completions", " to http://127.0.0.1:{port}/v2/chat/completions;"),  # resolved against the request
     ("user:s3cretpass@proxy.corp/v1", "(301);")],  # not a URL to show (and no password)
)  # fmt: skip
async def test_a_redirect_s_location_is_resolved_or_left_out(server: FakeServer, location: str, shown: str) -> None:
    server.enqueue(Reply(301, [("Location", location)], [b""]))
    chunks, _ = await _chat(server, FAST, provider_closes=False)
    message = _failure(chunks)["message"]
    assert shown.format(port=server.url.rsplit(":", 1)[1]) in message and "s3cret" not in message


async def test_a_key_echoed_in_an_error_body_is_masked(server: FakeServer) -> None:
    server.enqueue(
        Reply.json({"error": {"message": f"Incorrect API key provided: {KEY}.", "code": "invalid_api_key"}}, 401)
    )
    chunks, _ = await _chat(server, NO_RETRY, provider_closes=False)
    error = _failure(chunks)  # asserts the key is not in the message
    assert error["code"] == "auth" and f"Incorrect API key provided: {KEY[:3]}…{KEY[-4:]}." in error["message"]


UPSTREAM_TOO_LONG = json.dumps(  # OpenRouter passes the upstream's error body on as a string
    {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"},
    }
)


@pytest.mark.parametrize(
    ("status", "metadata", "code", "shown"),
    [
        (400, {"provider_name": "Anthropic", "raw": UPSTREAM_TOO_LONG}, "context_length",
         "Provider returned error (Anthropic: prompt is too long: 210000 tokens > 200000 maximum)"),
        (502, {"provider_name": "Mistral", "raw": {"message": "upstream overloaded"}}, "server",
         "Provider returned error (Mistral: upstream overloaded)"),
        (403, {"reasons": ["violence"], "flagged_input": "...", "provider_name": "OpenAI"}, "bad_request",
         "Provider returned error (OpenAI: flagged by moderation: violence)"),
    ],
)  # fmt: skip
async def test_openrouter_errors_say_what_upstream_said_and_moderation_is_not_auth(
    server: FakeServer, status: int, metadata: dict[str, Any], code: str, shown: str
) -> None:
    body = {"error": {"message": "Provider returned error", "code": status, "metadata": metadata}}
    server.enqueue(Reply.json(body, status))
    chunks, _ = await _chat(server, NO_RETRY, "openrouter", provider_closes=False)
    error = _failure(chunks)
    assert error["code"] == code and error["message"] == f"openrouter ({status}): {shown}"


async def test_connection_refused_is_a_network_error(server: FakeServer) -> None:
    bridge = engine("openai", timeouts=NO_RETRY)
    async with bridge, bridge.chat(request("openai", "http://127.0.0.1:9/v1")) as chunks:
        error = _failure([chunk async for chunk in chunks])
    assert error["code"] == "network" and "cannot connect to http://127.0.0.1:9" in error["message"]
    assert error["message"].endswith(
        "nothing listens there: start the openai server, or point the bridge at another with "
        "`openllm-bridge config set-provider openai --api-base URL`"
    )


@pytest.mark.parametrize("provider", ALL)
async def test_cancelling_closes_the_upstream_connection(server: FakeServer, provider: str) -> None:
    reply = text_reply(provider, ["one", " two", " three"])
    reply.steps = [*reply.steps[:3], STALL]
    server.enqueue(reply)
    token = CancellationToken()
    bridge = engine(provider)
    seen: list[StreamChunk] = []
    with anyio.fail_after(10):
        async with bridge, bridge.chat(request(provider, server.url + BASE_PATHS.get(provider, "")), token) as chunks:
            async for chunk in chunks:
                seen.append(chunk)
                if chunk["type"] == "text" and not token.cancelled:
                    cancelled_at = time.monotonic()
                    token.cancel("user pressed stop")
            closed = await anyio.to_thread.run_sync(server.wait_closed)
    assert seen[-2:] == [
        {"type": "error", "code": "cancelled", "message": "user pressed stop", "retryable": False, "status": None},
        {"type": "done", "finish_reason": "error"},
    ]
    assert closed[0].closed_by == "client"
    latency = closed[0].closed - cancelled_at  # type: ignore[operator]
    # Measured: median 0.5 ms, max 4 ms over 70 runs on a loaded 2-core machine; 100 ms is the promise.
    assert latency < 0.1, f"upstream closed {latency * 1000:.0f} ms after the cancel"


def test_retry_after_forms() -> None:
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after-ms": "250", "Retry-After": "1"}) == 0.25
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after({"Retry-After": soon}) or 0) <= 30
    assert retry_after({"Retry-After": "soon-ish"}) is None
    gemini = {"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "48s"}]}}
    assert retry_after({}, gemini) == 48


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
async def test_closing_a_provider_stream_closes_its_upstream_connection_at_once(
    server: FakeServer, provider: str
) -> None:
    """The engine closes a stream whose reader left (``aclose``); the provider's own generator must
    close the exchange it holds then, not when the garbage collector finds it some loop turns later."""
    reply = text_reply(provider, ["one", " two"])
    reply.steps = [*reply.steps[:3], STALL]
    server.enqueue(reply)
    opened: list[HTTPConnection] = []

    async def recording(
        origin: Origin, proxy: Proxy | None, tls: ssl.SSLContext | None, connect_timeout: float | None
    ) -> HTTPConnection:
        opened.append(await open_connection(origin, proxy, tls, connect_timeout))
        return opened[-1]

    async with HTTPClient(connector=recording, trust_env=False) as http:
        config = ModelConfig(model="m", api_key=Secret(KEY), api_base=server.url + BASE_PATHS.get(provider, ""))
        stream = (
            BUILTIN.get(provider).load()(provider, http).stream_chat([{"role": "user", "content": "hi"}], config, {})
        )
        assert (await anext(stream))["type"] == "text"
        assert [c.transport.is_closing() for c in opened] == [False]
        await stream.aclose()
        assert [c.transport.is_closing() for c in opened] == [True]
