"""Anthropic Messages API: ``POST {api_base}/v1/messages`` (default base
``https://api.anthropic.com``, as the official SDK), headers ``x-api-key`` and
``anthropic-version: 2023-06-01``.

Request: system messages go to the top-level ``system``; tool calls are ``tool_use`` blocks in
the assistant turn and their results ``tool_result`` blocks at the start of the next user turn
(consecutive turns of one role are merged, as the API wants alternation); images are
``{"type": "image", "source": {"type": "base64", …}}``; ``max_tokens`` is required, so it
defaults to the config field ``max_tokens`` or 4096; ``tool_choice`` maps to
``auto``/``any``/``none``/``tool``. Extended thinking is asked for with the config field
``thinking_budget`` (tokens).

Stream: ``message_start`` (input usage), ``content_block_start/delta/stop`` (text, thinking, and
tool_use whose ``input_json_delta`` fragments are joined and parsed at the block's stop; an empty
string means no arguments), ``message_delta`` (stop reason, output usage), ``message_stop``, and
``error`` events mid-stream. Input tokens count cache writes and reads too. A whole ``message``
JSON body is decoded as well. Models come from ``GET {api_base}/v1/models`` (paginated).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial
from typing import Any

from bridge.errors import ProtocolError
from bridge.providers import _errors
from bridge.providers._content import closing_chunks, parts_of, text_chunk, tool_call_chunk
from bridge.providers._http import HTTPRequest, get_json, stream_chunks
from bridge.providers.base import ModelConfig, Provider
from protocol import ChatMessage, FinishReason, ModelInfo, StreamChunk, StreamOptions

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
_INPUT_USAGE = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
    "model_context_window_exceeded": "length", "tool_use": "tool_calls", "refusal": "content_filter",
}  # fmt: skip


def build_body(
    model: str, messages: list[ChatMessage], options: StreamOptions, extra: dict[str, Any]
) -> dict[str, Any]:
    system = "\n\n".join(_text(m) for m in messages if m["role"] == "system")
    budget = int(extra.get("thinking_budget") or 0)
    # the budget must be below max_tokens: without a limit given, the default comes on top of it
    default = int(extra.get("max_tokens", DEFAULT_MAX_TOKENS + budget))
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": options.get("max_tokens", default),
        "messages": _messages([m for m in messages if m["role"] != "system"]),
        "stream": True,
    }
    if system:
        body["system"] = system
    for ours, theirs in (("temperature", "temperature"), ("top_p", "top_p"), ("stop", "stop_sequences")):
        if ours in options:
            body[theirs] = options[ours]  # type: ignore[literal-required]
    if options.get("tools"):
        body["tools"] = [
            {"name": t["name"], **({"description": t["description"]} if "description" in t else {}),
             "input_schema": t["parameters"]}
            for t in options["tools"]
        ]  # fmt: skip
    choice = options.get("tool_choice")
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "tool", "name": choice["name"]}
    elif choice is not None:
        body["tool_choice"] = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
    if budget:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return body


def _text(message: ChatMessage) -> str:
    return "".join(p["text"] for p in parts_of(message) if p["type"] == "text")


def _messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = "assistant" if message["role"] == "assistant" else "user"
        blocks: list[dict[str, Any]] = []
        for part in parts_of(message, thinking=role == "assistant"):
            if part["type"] == "text":
                if part["text"]:
                    blocks.append({"type": "text", "text": part["text"]})
            elif part["type"] == "thinking":
                if "redacted" in part:
                    blocks.append({"type": "redacted_thinking", "data": part["redacted"]})
                elif "signature" in part:  # unsigned thinking is not taken back
                    blocks.append({"type": "thinking", "thinking": part["text"], "signature": part["signature"]})
            elif part["type"] == "image":
                source = {"type": "base64", "media_type": part["media_type"], "data": part["data"]}
                blocks.append({"type": "image", "source": source})
            elif part["type"] == "tool_call":
                blocks.append({"type": "tool_use", "id": part["id"], "name": part["name"], "input": part["arguments"]})
            else:
                result: dict[str, Any] = {
                    "type": "tool_result", "tool_use_id": part["tool_call_id"], "content": part["content"]
                }  # fmt: skip
                if part.get("is_error"):
                    result["is_error"] = True
                blocks.append(result)
        if not blocks:  # the API refuses a turn with no content (only unsigned thinking, empty text)
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:  # tool results must open the user turn that answers the tool calls
        turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return turns


class MessagesDecoder:
    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._blocks: dict[int, dict[str, Any]] = {}
        self._usage: dict[str, int] = {}
        self._stop_reason: str | None = None
        self._stopped = False
        self._tool_calls = 0
        self._broken_calls: list[StreamChunk] = []  # calls whose arguments are not a JSON object

    def feed(self, event: Any) -> list[StreamChunk]:
        if not isinstance(event, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object in the stream")
        kind = event.get("type")
        if kind == "error":
            raise _errors.from_payload(self._provider, event)
        if kind == "message":  # a whole, non-streamed response
            return self._whole(event)
        if kind == "message_start":
            self._add_usage(event.get("message", {}).get("usage"))
        elif kind == "content_block_start":
            block = dict(event.get("content_block") or {})
            self._blocks[event.get("index", 0)] = block
            block["partial_json"] = []
            kind = block.get("type")
            if kind == "redacted_thinking" and isinstance(block.get("data"), str):
                return [{"type": "thinking", "text": "", "redacted": block["data"]}]
            initial = block.get(kind, "") if kind in ("text", "thinking") else ""
            if isinstance(initial, str) and initial:
                return [text_chunk(initial, thinking=kind == "thinking")]
        elif kind == "content_block_delta":
            return self._delta(event.get("index", 0), event.get("delta") or {})
        elif kind == "content_block_stop":
            block = self._blocks.pop(event.get("index", 0), {})
            if block.get("type") == "tool_use":
                fragments = "".join(block["partial_json"])
                call = tool_call_chunk(block.get("id"), block.get("name", ""), fragments or block.get("input"))
                if "invalid_arguments" in call:  # cut off by max_tokens, or the model's mistake: the stop
                    self._broken_calls.append(call)  # reason, still to come, says which
                    return []
                self._tool_calls += 1
                return [call]
        elif kind == "message_delta":
            self._stop_reason = (event.get("delta") or {}).get("stop_reason") or self._stop_reason
            self._add_usage(event.get("usage"))
        elif kind == "message_stop":
            self._stopped = True
        return []

    def finish(self) -> list[StreamChunk]:
        if not self._stopped:
            raise ProtocolError(f"{self._provider}: the stream ended before message_stop")
        usage = None
        if self._usage:
            input_tokens = sum(
                self._usage.get(k, 0)
                for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
            )
            usage = (input_tokens, self._usage.get("output_tokens", 0))
        finish = _FINISH.get(self._stop_reason or "end_turn", "stop")
        broken = [] if finish == "length" else self._broken_calls  # at the token limit it was cut off: left out
        return broken + closing_chunks(finish, usage, self._tool_calls + len(broken) > 0)

    def _delta(self, index: int, delta: dict[str, Any]) -> list[StreamChunk]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [{"type": "text", "text": delta["text"]}]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [{"type": "thinking", "text": delta["thinking"]}]
        if kind == "signature_delta" and delta.get("signature"):  # the thinking block's end
            return [{"type": "thinking", "text": "", "signature": delta["signature"]}]
        if kind == "input_json_delta":
            self._blocks.setdefault(index, {"partial_json": []})["partial_json"].append(delta.get("partial_json", ""))
        return []

    def _add_usage(self, usage: Any) -> None:
        if isinstance(usage, dict):
            self._usage.update({k: v for k, v in usage.items() if isinstance(v, int)})

    def _whole(self, message: dict[str, Any]) -> list[StreamChunk]:
        chunks: list[StreamChunk] = []
        for block in message.get("content") or []:
            if block.get("type") == "text" and block.get("text"):
                chunks.append({"type": "text", "text": block["text"]})
            elif block.get("type") == "thinking" and block.get("thinking"):
                chunks.append({"type": "thinking", "text": block["thinking"]})
                if block.get("signature"):
                    chunks.append({"type": "thinking", "text": "", "signature": block["signature"]})
            elif block.get("type") == "redacted_thinking" and isinstance(block.get("data"), str):
                chunks.append({"type": "thinking", "text": "", "redacted": block["data"]})
            elif block.get("type") == "tool_use":
                self._tool_calls += 1
                chunks.append(tool_call_chunk(block.get("id"), block.get("name", ""), block.get("input")))
        self._add_usage(message.get("usage"))
        self._stop_reason, self._stopped = message.get("stop_reason"), True
        return chunks


class AnthropicProvider(Provider):
    def _headers(self, config: ModelConfig) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if config.api_key is not None:
            headers["x-api-key"] = config.api_key.reveal()
        return headers

    def _base(self, config: ModelConfig) -> str:
        return (config.api_base or "").rstrip("/")

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        body = build_body(config.model, messages, options, dict(config.extra))
        headers = {**self._headers(config), "Accept": "text/event-stream"}
        request = HTTPRequest("POST", f"{self._base(config)}/v1/messages", headers, body)
        decoder = partial(MessagesDecoder, self.id)
        async with aclosing(stream_chunks(self.client(), self.id, request, config, decoder)) as chunks:
            async for chunk in chunks:  # closing this stream closes the upstream exchange at once
                yield chunk

    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        models: list[ModelInfo] = []
        after = ""
        while True:
            url = f"{self._base(config)}/v1/models?limit=1000{after}"
            page = await get_json(self.client(), self.id, HTTPRequest("GET", url, self._headers(config)), config)
            for m in page.get("data", []):
                models.append({"id": m["id"], "provider": self.id, "display_name": m.get("display_name", m["id"])})
            if not page.get("has_more") or not page.get("last_id"):
                return models
            after = f"&after_id={page['last_id']}"
