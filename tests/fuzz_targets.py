"""Fuzz targets for the parsers that read bytes from outside: the SSE, NDJSON and JSON-value
framers, the providers' chunk decoders, and (bridge/rpc) the JSON-RPC framing and dispatch.

Each target takes fuzzer bytes and raises only on a bug: an exception other than the one the code
documents for bad input (``ProtocolError``, ``FramingError``), a StreamChunk that does not match
its schema, or an answer that depends on how the bytes were split into reads. Run one for longer
by hand with atheris (coverage-guided, libFuzzer flags after the target name)::

    .venv/bin/python tests/fuzz_targets.py sse -max_total_time=600
    .venv/bin/python tests/fuzz_targets.py decoders -max_total_time=600 -jobs=2

``tests/test_fuzz.py`` runs every target for a few seconds in CI and replays the inputs that once
crashed one (each is a regression test there).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import atheris

with atheris.instrument_imports(include=["bridge", "protocol"]):
    from bridge.errors import BridgeError, ProtocolError
    from bridge.providers._http import ShapeGuard
    from bridge.providers._jsonstream import JSONValuesDecoder, NDJSONDecoder
    from bridge.providers._openai_chat import ChatDecoder
    from bridge.providers._sse import SSEDecoder
    from bridge.providers.anthropic import MessagesDecoder
    from bridge.providers.gemini import GenerateContentDecoder
    from bridge.providers.ollama import ChatLinesDecoder
    from protocol import validate

# Field names and values the decoders look at, so generated events reach past the first check.
KEYS = [
    "choices", "delta", "content", "tool_calls", "index", "id", "function", "name", "arguments", "finish_reason",
    "usage", "prompt_tokens", "completion_tokens", "type", "text", "message", "error", "candidates", "parts",
    "functionCall", "args", "finishReason", "usageMetadata", "promptTokenCount", "candidatesTokenCount",
    "thoughtsTokenCount", "promptFeedback", "blockReason", "content_block", "stop_reason", "partial_json",
    "thinking", "input", "done", "done_reason", "eval_count", "prompt_eval_count", "reasoning_content",
    "reasoning", "thought", "role", "input_tokens", "output_tokens", "signature", "status", "code",
]  # fmt: skip
STRINGS = [
    "text", "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "text_delta", "input_json_delta", "thinking_delta", "tool_use", "thinking", "stop", "length",
    "tool_calls", "end_turn", "max_tokens", "STOP", "MAX_TOKENS", "SAFETY", "assistant", "ping", "error", "{",
    '{"a": 1}', "[1, 2]", "", "0",
]  # fmt: skip
DECODERS: list[Callable[[str], Any]] = [ChatDecoder, MessagesDecoder, GenerateContentDecoder, ChatLinesDecoder]


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
    """Fed whole or in pieces, a framer gives the same values, or fails with ProtocolError either way."""

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


TARGETS: dict[str, Callable[[bytes], None]] = {
    "sse": _framer_target(sse_events),
    "ndjson": _framer_target(NDJSONDecoder),
    "jsonvalues": _framer_target(JSONValuesDecoder),
    "decoders": decoders,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer flags]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
