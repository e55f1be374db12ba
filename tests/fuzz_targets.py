"""Fuzz targets for the parsers that read bytes from outside: bridge/http's response parser, the
SSE, NDJSON and JSON-value framers, the providers' chunk decoders, and bridge/rpc's framing and
JSON-RPC dispatch.

Each target takes fuzzer bytes and raises only on a bug: an exception other than the one the code
documents for bad input (``ProtocolError``, ``FramingError``), a StreamChunk that does not match
its schema, or an answer that depends on how the bytes were split into reads. Run one for longer
by hand with atheris (coverage-guided, libFuzzer flags after the target name)::

    .venv/bin/python tests/fuzz_targets.py sse -max_total_time=600
    .venv/bin/python tests/fuzz_targets.py decoders -max_total_time=600 -jobs=2
    .venv/bin/python tests/fuzz_targets.py dispatch -max_total_time=600   # targets: see TARGETS

``tests/test_fuzz.py`` runs every target for a few seconds in CI and replays the inputs that once
crashed one (each is a regression test there).
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from typing import Any

import anyio
import atheris
from anyio.abc import UNIXSocketStream

with atheris.instrument_imports(include=["bridge", "protocol"]):
    from bridge.errors import BridgeError, ProtocolError
    from bridge.http.parser import ResponseHead, ResponseParser
    from bridge.providers._http import ShapeGuard
    from bridge.providers._jsonstream import JSONValuesFramer, NDJSONFramer
    from bridge.providers._openai_chat import ChatDecoder
    from bridge.providers._openai_responses import ResponsesDecoder
    from bridge.providers._sse import SSEDecoder
    from bridge.providers.anthropic import MessagesDecoder
    from bridge.providers.gemini import GenerateContentDecoder
    from bridge.providers.ollama import ChatLinesDecoder
    from bridge.rpc import Endpoint, FrameDecoder, FramingError, MalformedMessage, MessageStream, MethodTable
    from protocol import validate

# Field names and values the decoders look at, so generated events reach past the first check.
KEYS = [
    "choices", "delta", "content", "tool_calls", "index", "id", "function", "name", "arguments", "finish_reason",
    "usage", "prompt_tokens", "completion_tokens", "type", "text", "message", "error", "candidates", "parts",
    "functionCall", "args", "finishReason", "usageMetadata", "promptTokenCount", "candidatesTokenCount",
    "thoughtsTokenCount", "promptFeedback", "blockReason", "content_block", "stop_reason", "partial_json",
    "thinking", "input", "done", "done_reason", "eval_count", "prompt_eval_count", "reasoning_content",
    "reasoning", "thought", "role", "input_tokens", "output_tokens", "signature", "status", "code",
    "object", "item", "item_id", "output_index", "call_id", "response", "output", "summary", "incomplete_details",
]  # fmt: skip
STRINGS = [
    "text", "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "text_delta", "input_json_delta", "thinking_delta", "tool_use", "thinking", "stop", "length",
    "tool_calls", "end_turn", "max_tokens", "STOP", "MAX_TOKENS", "SAFETY", "assistant", "ping", "error", "{",
    '{"a": 1}', "[1, 2]", "", "0", "response.output_text.delta", "response.output_item.added",
    "response.function_call_arguments.delta", "response.completed", "response.incomplete", "function_call",
    "max_output_tokens", "completed", "incomplete",
]  # fmt: skip
DECODERS: list[Callable[[str], Any]] = [
    ChatDecoder, ResponsesDecoder, MessagesDecoder, GenerateContentDecoder, ChatLinesDecoder
]  # fmt: skip


def json_value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    """A JSON value shaped by the fuzzer's bytes, mostly objects keyed by the decoders' field names."""
    kind = fdp.ConsumeIntInRange(0, 9 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeIntInRange(-3, 3) if fdp.ConsumeBool() else fdp.ConsumeInt(8)
    if kind == 3:
        return fdp.ConsumeRegularFloat()
    if kind == 4:
        return fdp.PickValueInList(STRINGS)
    if kind == 5:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12))
    if kind == 6:
        return [json_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    keys = [fdp.PickValueInList(KEYS) for _ in range(fdp.ConsumeIntInRange(0, 5))]
    return {key: json_value(fdp, depth + 1) for key in keys}


def pieces(fdp: atheris.FuzzedDataProvider, data: bytes) -> list[bytes]:
    """``data`` cut at fuzzer-chosen points, as reads from a socket would cut it."""
    cuts = sorted({fdp.ConsumeIntInRange(0, len(data)) for _ in range(fdp.ConsumeIntInRange(0, 8))})
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def _framer_target(new: Callable[[int], Any]) -> Callable[[bytes], None]:
    """Fed whole or in pieces, a framer gives the same texts, or fails with ProtocolError either way."""

    def run(decoder: Any, parts: list[bytes]) -> list[Any] | str:
        try:
            out = [value for part in parts for value in decoder.feed(part)]
            return out + decoder.flush()
        except ProtocolError:
            return "ProtocolError"

    def target(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        limit = fdp.ConsumeIntInRange(1, 256)
        body = fdp.ConsumeBytes(fdp.remaining_bytes() // 2 + 1)
        whole = run(new(limit), [body])
        split = run(new(limit), pieces(fdp, body))
        if whole != split:
            raise AssertionError(f"{new.__name__} read {body!r} (limit {limit}) as {whole!r} whole, {split!r} split")

    return target


def sse_events(limit: int) -> Any:
    """SSEDecoder's events as comparable tuples."""

    class Events:
        def __init__(self) -> None:
            self.decoder = SSEDecoder(limit)

        def feed(self, part: bytes) -> list[Any]:
            return [(e.event, e.data, e.id, e.retry) for e in self.decoder.feed(part)]

        def flush(self) -> list[Any]:
            return [(e.event, e.data, e.id, e.retry) for e in self.decoder.flush()]

    return Events()


def decoders(data: bytes) -> None:
    """Any sequence of JSON events: only BridgeErrors, and every chunk a valid StreamChunk."""
    fdp = atheris.FuzzedDataProvider(data)
    decoder = ShapeGuard("fuzz", fdp.PickValueInList(DECODERS)("fuzz"))  # as _http.stream_chunks wraps it
    chunks = []
    try:
        for _ in range(fdp.ConsumeIntInRange(1, 6)):
            chunks += decoder.feed(json_value(fdp))
        chunks += decoder.finish()
    except BridgeError:
        pass
    for chunk in chunks:
        validate("StreamChunk", chunk)


def framing(data: bytes) -> None:
    """bridge/rpc's FrameDecoder: the same messages whole or in pieces, or FramingError either way."""

    def run(parts: list[bytes], mode: Any, limit: int) -> list[Any] | str:
        decoder = FrameDecoder(mode, max_frame=limit)
        try:
            out = [m for part in parts for m in decoder.feed(part)]
        except FramingError:
            return "FramingError"
        return [m.reason if isinstance(m, MalformedMessage) else m for m in out]

    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.PickValueInList([None, "ndjson", "content-length"])
    limit = fdp.ConsumeIntInRange(1, 512)
    if fdp.ConsumeBool():  # well-formed headers around fuzzed bodies, so the body paths are reached
        bodies = [fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 40)) for _ in range(fdp.ConsumeIntInRange(1, 4))]
        body = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(b), b) for b in bodies)
    else:
        body = fdp.ConsumeBytes(fdp.remaining_bytes() // 2 + 1)
    whole, split = run([body], mode, limit), run(pieces(fdp, body), mode, limit)
    if whole != split:
        raise AssertionError(f"FrameDecoder({mode}, {limit}) read {body!r} as {whole!r} whole, {split!r} split")


HTTP_HEADS = [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
]


def http_response(data: bytes) -> None:
    """bridge/http's ResponseParser: the same head, body bytes, end and verdict whole or in pieces."""

    def run(parts: list[bytes]) -> tuple[Any, ...]:
        parser = ResponseParser(method)
        heads, body, ends = [], b"", 0
        for event in [e for part in parts for e in parser.feed(part)] + parser.feed_eof():
            if isinstance(event, ResponseHead):
                heads.append((event.status, event.http_version, sorted(event.headers.items())))
            elif isinstance(event, bytes):
                body += event
            else:
                ends += 1
        return heads, body, ends, parser.error is not None

    fdp = atheris.FuzzedDataProvider(data)
    method = fdp.PickValueInList(["POST", "GET", "HEAD"])
    # a well-formed head before fuzzed bytes more often than not, so the body states are reached
    head = fdp.PickValueInList(HTTP_HEADS) if fdp.ConsumeIntInRange(0, 3) else b""
    raw = head + fdp.ConsumeBytes(fdp.remaining_bytes() // 2 + 1)
    whole, split = run([raw]), run(pieces(fdp, raw))
    if whole != split:
        raise AssertionError(f"ResponseParser({method}) read {raw!r} as {whole!r} whole, {split!r} split")


RPC_METHODS = ["bridge/status", "bridge/authenticate", "no/such", "$/cancelRequest", "notifications/cancelled", ""]
RPC_IDS: list[Any] = [1, 2, "a", "__sentinel__", None, 1.5, [], {}, -(2**70), True]


def rpc_message(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    """A JSON-RPC message, near-valid more often than not; sometimes a batch, sometimes anything."""
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind == 0:
        return json_value(fdp)
    if kind == 1 and depth == 0:
        return [rpc_message(fdp, 1) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    message: dict[str, Any] = {"jsonrpc": "2.0" if fdp.ConsumeIntInRange(0, 5) else json_value(fdp)}
    if fdp.ConsumeIntInRange(0, 4):
        message["method"] = fdp.PickValueInList(RPC_METHODS)
    if fdp.ConsumeIntInRange(0, 3):
        message["id"] = fdp.PickValueInList(RPC_IDS)
    if fdp.ConsumeBool():
        message["params"] = fdp.PickValueInList([{}, {"token": "t"}, {"id": 1}, {"requestId": "a"}, []])
    if fdp.ConsumeIntInRange(0, 5) == 0:
        message[fdp.PickValueInList(["params", "result", "error", "extra"])] = json_value(fdp)
    return message


async def _status(ctx: Any, params: Any) -> Any:
    return {"ok": True}


async def _authenticate(ctx: Any, params: Any) -> Any:
    return {"authenticated": params.get("token") == "t"}


async def _serve_messages(messages: list[Any]) -> None:
    table = MethodTable()
    table.add("bridge/status", _status)
    table.add("bridge/authenticate", _authenticate)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    server, peer = await UNIXSocketStream.from_socket(a), await UNIXSocketStream.from_socket(b)
    endpoint = Endpoint(MessageStream(server), table, max_in_flight=4)
    # The first message fixes the framing (its first byte); the endpoint would read "null" as the
    # start of a Content-Length header block, by design.
    opening = {"jsonrpc": "2.0", "id": "__start__", "method": "bridge/status"}
    sentinel = {"jsonrpc": "2.0", "id": "__end__", "method": "bridge/status"}
    payload = b"".join(json.dumps(m).encode() + b"\n" for m in [opening, *messages, sentinel])
    async with peer, anyio.create_task_group() as tg:
        tg.start_soon(endpoint.run)
        await peer.send(payload)
        reader = MessageStream(peer, "ndjson")
        with anyio.fail_after(10):
            while True:
                answer = await reader.receive()
                for response in answer if isinstance(answer, list) else [answer]:
                    validate("ErrorResponse" if "error" in response else "SuccessResponse", response)
                    if "error" in response and response["error"]["code"] == -32603:
                        raise AssertionError(f"an internal error for {messages!r}: {response}")
                if isinstance(answer, dict) and answer.get("id") == "__end__":  # (busy is an answer too)
                    break
        tg.cancel_scope.cancel()


def dispatch(data: bytes) -> None:
    """JSON-RPC dispatch (bridge/rpc's Endpoint over a socket pair, a method table with params
    schemas): whatever arrives, every answer is a valid response, none is an internal error, and
    a request after it all is still answered."""
    fdp = atheris.FuzzedDataProvider(data)
    anyio.run(_serve_messages, [rpc_message(fdp) for _ in range(fdp.ConsumeIntInRange(1, 6))])


TARGETS: dict[str, Callable[[bytes], None]] = {
    "http": http_response,
    "sse": _framer_target(sse_events),
    "ndjson": _framer_target(NDJSONFramer),
    "jsonvalues": _framer_target(JSONValuesFramer),
    "decoders": decoders,
    "framing": framing,
    "dispatch": dispatch,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
