"""The OpenAI Responses API (``POST {api_base}/responses``), for OpenAI and Azure OpenAI when the
provider config says ``api: responses``; Chat Completions stays the default.

Sans-I/O like :mod:`._openai_chat`: :func:`build_body` makes the request and
:class:`ResponsesDecoder` turns parsed events into StreamChunks; the HTTP call is
:func:`bridge.providers._http.stream_chunks`. The request carries system messages as
``instructions``, the rest as ``input`` items (``function_call`` / ``function_call_output`` for a
tool call and its result), tools as ``{type: function, name, parameters}``, and ``store: false``:
the bridge sends the whole conversation each turn, so nothing needs to be kept upstream. The API
has no ``stop`` sequences; that option is not sent.

The decoder reads the typed stream events (``response.output_text.delta``, reasoning summary
deltas, ``response.output_item.added``/``done`` and ``response.function_call_arguments.*`` for
tool calls, keyed by item id, and the terminal ``response.completed``/``incomplete``/``failed``
with ``usage`` and ``status``) and also a whole ``response`` JSON object (what a non-streamed
request returns). Tool calls are sent as whole chunks when the response ends, as in the chat
dialect, so arguments that only arrive in the ``done`` events are complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import ProtocolError
from bridge.providers import _errors
from bridge.providers._content import (
    closing_chunks,
    data_url,
    parts_of,
    text_of,
    tool_call_unless_cut,
    tool_calls_of,
    tool_results_of,
)
from protocol import ChatMessage, FinishReason, StreamChunk, StreamOptions

_INCOMPLETE: dict[str, FinishReason] = {"max_output_tokens": "length", "content_filter": "content_filter"}
_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
_THINKING_DELTAS = frozenset({"response.reasoning_summary_text.delta"})


def build_body(model: str, messages: list[ChatMessage], options: StreamOptions) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": _input(messages), "stream": True, "store": False}
    instructions = "\n\n".join(text_of(m) for m in messages if m["role"] == "system")
    if instructions:
        body["instructions"] = instructions
    body.update({name: options[name] for name in ("temperature", "top_p") if name in options})
    if "max_tokens" in options:
        body["max_output_tokens"] = options["max_tokens"]
    if options.get("tools"):
        body["tools"] = [
            {"type": "function", "name": t["name"], "parameters": t["parameters"], "strict": False,
             **({"description": t["description"]} if "description" in t else {})}
            for t in options["tools"]
        ]  # fmt: skip
    choice = options.get("tool_choice")
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "function", "name": choice["name"]}
    elif choice is not None:
        body["tool_choice"] = choice
    return body


def _input(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role == "system":
            continue
        if role == "assistant":
            text = text_of(message)
            if text:
                items.append({"role": "assistant", "content": text})
            for call in tool_calls_of(message):
                items.append(
                    {"type": "function_call", "call_id": call["id"], "name": call["name"],
                     "arguments": json.dumps(call["arguments"])}
                )  # fmt: skip
            continue
        for result in tool_results_of(message):
            items.append(
                {"type": "function_call_output", "call_id": result["tool_call_id"], "output": result["content"]}
            )
        parts = [p for p in parts_of(message) if p["type"] in ("text", "image")]
        if not parts:
            continue
        if all(p["type"] == "text" for p in parts):
            items.append({"role": "user", "content": text_of(message)})
            continue
        content: list[dict[str, Any]] = []
        for part in parts:
            if part["type"] == "text":
                content.append({"type": "input_text", "text": part["text"]})
            elif part["type"] == "image":
                content.append({"type": "input_image", "image_url": data_url(part)})
        items.append({"role": "user", "content": content})
    return items


@dataclass
class _Call:
    call_id: str | None = None
    name: str = ""
    fragments: list[str] = field(default_factory=list)
    arguments: str | None = None  # the whole string, from a ``done`` event or a JSON body


class ResponsesDecoder:
    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._calls: list[_Call] = []
        self._by_item: dict[str, _Call] = {}
        self._finish: FinishReason | None = None
        self._usage: tuple[int, int] | None = None
        self._refused = False  # the model declined: its words are the text, the finish content_filter

    def feed(self, event: Any) -> list[StreamChunk]:
        if not isinstance(event, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object in the stream, got {type(event).__name__}")
        kind = event.get("type")
        if kind is None and event.get("object") == "response":
            return self._whole(event)
        if kind == "error":
            nested = event.get("error")  # newer servers nest it; older ones put code and message beside "type"
            error = nested if isinstance(nested, dict) else {k: v for k, v in event.items() if k != "type"}
            raise _errors.from_payload(self._provider, {"error": error})
        delta = event.get("delta")
        if kind == "response.output_text.delta":
            return [{"type": "text", "text": delta}] if isinstance(delta, str) and delta else []
        if kind == "response.refusal.delta" and isinstance(delta, str) and delta:
            self._refused = True
            return [{"type": "text", "text": delta}]
        if kind in _THINKING_DELTAS:
            return [{"type": "thinking", "text": delta}] if isinstance(delta, str) and delta else []
        if kind in ("response.output_item.added", "response.output_item.done"):
            item = event.get("item") or {}
            if item.get("type") == "function_call":
                self._item_call(item, event)
        elif kind == "response.function_call_arguments.delta":
            self._call_for(event).fragments.append(delta if isinstance(delta, str) else "")
        elif kind == "response.function_call_arguments.done" and isinstance(event.get("arguments"), str):
            self._call_for(event).arguments = event["arguments"]
        elif kind in _TERMINAL:
            self._end(event.get("response") or {})
        return []

    def finish(self) -> list[StreamChunk]:
        if self._finish is None:
            raise ProtocolError(f"{self._provider}: the stream ended before the response completed")
        calls = [
            tool_call_unless_cut(c.call_id, c.name, c.arguments if c.arguments is not None else "".join(c.fragments),
                                 self._finish)
            for c in self._calls
        ]  # fmt: skip
        chunks = [call for call in calls if call is not None]
        return chunks + closing_chunks(self._finish, self._usage, bool(chunks))

    def _whole(self, response: dict[str, Any]) -> list[StreamChunk]:
        """A non-streamed ``response`` object: its output items in order, then its status."""
        chunks: list[StreamChunk] = []
        for item in response.get("output") or []:
            kind = item.get("type")
            if kind == "reasoning":
                text = "".join(s.get("text", "") for s in item.get("summary") or [] if s.get("type") == "summary_text")
                if text:
                    chunks.append({"type": "thinking", "text": text})
            elif kind == "message":
                parts = [p for p in item.get("content") or [] if p.get("type") in ("output_text", "refusal")]
                self._refused = self._refused or any(p["type"] == "refusal" for p in parts)
                text = "".join(p.get("text") or p.get("refusal") or "" for p in parts)
                if text:
                    chunks.append({"type": "text", "text": text})
            elif kind == "function_call":
                self._item_call(item, {})
        self._end(response)
        return chunks

    def _item_call(self, item: dict[str, Any], event: dict[str, Any]) -> None:
        call = self._call_for({"item_id": item.get("id"), "output_index": event.get("output_index")})
        call.call_id = item.get("call_id") or call.call_id
        call.name = item.get("name") or call.name
        if isinstance(item.get("arguments"), str) and item["arguments"]:
            call.arguments = item["arguments"]

    def _call_for(self, event: dict[str, Any]) -> _Call:
        """The call an event is about, by item id (or output index); an unknown one starts a call."""
        key = event.get("item_id")
        key = str(key) if key else f"#{event.get('output_index', len(self._calls))}"
        call = self._by_item.get(key)
        if call is None:
            call = self._by_item[key] = _Call()
            self._calls.append(call)
        return call

    def _end(self, response: dict[str, Any]) -> None:
        usage = response.get("usage")
        if isinstance(usage, dict):
            self._usage = (int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0))
        status = response.get("status")
        if status == "failed":
            error = response.get("error") or {"message": "the response failed"}
            raise _errors.from_payload(self._provider, {"error": error})
        if status == "incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            self._finish = _INCOMPLETE.get(str(reason), "length")
        else:
            self._finish = "content_filter" if self._refused else "stop"
