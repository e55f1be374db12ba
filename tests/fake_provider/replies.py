"""Well-formed streamed replies in each provider's wire format, built from parts of a turn.

Used by the hard-case tests, the request checks, the CLI tests and the throughput benchmark. The
event shapes follow the providers' documentation and the recorded vectors.
"""

from __future__ import annotations

import json
from typing import Any

from fake_provider.server import Reply

OPENAI_DIALECT = ("openai", "mistral", "azure", "openrouter")
# Where each provider's API lives under the fake server's root, as --api-base would be given.
BASE_PATHS = {"openai": "/v1", "mistral": "/v1", "openrouter": "/api/v1"}


def openai_event(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m", "choices": [choice], **extra}


def anthropic_event(kind: str, **fields: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


def anthropic_start(input_tokens: int = 10) -> bytes:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m",
               "usage": {"input_tokens": input_tokens, "output_tokens": 1}}  # fmt: skip
    return anthropic_event("message_start", message=message)


def anthropic_end(stop_reason: str, output_tokens: int) -> list[bytes]:
    return [
        anthropic_event("message_delta", delta={"stop_reason": stop_reason}, usage={"output_tokens": output_tokens}),
        anthropic_event("message_stop"),
    ]


def gemini_event(
    parts: list[dict[str, Any]], finish: str | None = None, usage: tuple[int, int] | None = None
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    event: dict[str, Any] = {"candidates": [candidate], "modelVersion": "m"}
    if usage:
        event["usageMetadata"] = {"promptTokenCount": usage[0], "candidatesTokenCount": usage[1],
                                  "totalTokenCount": sum(usage)}  # fmt: skip
    return event


def ollama_line(content: str = "", done: bool = False, **message: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"model": "m", "message": {"role": "assistant", "content": content, **message}, "done": done}
    if done:
        line.update(done_reason="stop", prompt_eval_count=5, eval_count=7)
    return line


def openai_tool_round(text: str | None = None) -> Reply:
    """A turn that calls two tools at once: ``add {a: 2, b: 40}`` (call_1) and ``workspace_root``
    (call_2), after saying ``text`` when given."""
    calls = [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": 40}'}},
        {"index": 1, "id": "call_2", "type": "function", "function": {"name": "workspace_root", "arguments": "{}"}},
    ]
    usage = {"choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39}}
    said = [openai_event({"content": text})] if text is not None else []
    return Reply.sse(*said, openai_event({"tool_calls": calls}), openai_event(finish="tool_calls"), usage, done=True)


def text_reply(provider: str, words: list[str], usage: tuple[int, int] = (5, 7)) -> Reply:
    """A plain streamed answer made of ``words`` (one delta each), with usage and a normal stop."""
    if provider in OPENAI_DIALECT:
        events = [openai_event({"content": w}) for w in words]
        events += [openai_event(finish="stop"), {"choices": [], "usage": _openai_usage(usage)}]
        return Reply.sse(*events, done=True)
    if provider == "anthropic":
        first_block = anthropic_event("content_block_start", index=0, content_block={"type": "text", "text": ""})
        steps = [anthropic_start(usage[0]), first_block]
        steps += [
            anthropic_event("content_block_delta", index=0, delta={"type": "text_delta", "text": w}) for w in words
        ]
        steps += [anthropic_event("content_block_stop", index=0), *anthropic_end("end_turn", usage[1])]
        return Reply(200, [("Content-Type", "text/event-stream")], list(steps))
    if provider == "gemini":
        events = [gemini_event([{"text": w}]) for w in words]
        events.append(gemini_event([{"text": ""}], "STOP", usage))
        return Reply.sse(*events)
    if provider == "ollama":
        last = ollama_line(done=True)
        last.update(prompt_eval_count=usage[0], eval_count=usage[1])
        return Reply.ndjson(*[ollama_line(w) for w in words], last)
    raise ValueError(provider)


def _openai_usage(usage: tuple[int, int]) -> dict[str, int]:
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}
