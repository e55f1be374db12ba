"""Ollama's native chat API: ``POST {api_base}/api/chat`` (default base
``http://localhost:11434``), no key, NDJSON stream.

Request: ``messages`` with ``images`` as a list of bare base64 strings, assistant
``tool_calls`` with ``arguments`` as an object, tool results as ``role: "tool"`` messages with
``tool_name``; tools in the OpenAI function format; temperature, top_p, max_tokens
(``num_predict``) and stop under ``options``. Ollama has no ``tool_choice``: ``none`` leaves the
tools out, the other choices send them and let the model decide. The config field ``think``
(true, or "low"/"medium"/"high") asks thinking models to think aloud.

Stream: one JSON object per line, ``message.content`` (text), ``message.thinking``,
``message.tool_calls`` (whole calls, ids made up when absent), and a last ``done: true`` line with
``done_reason`` and the counts ``prompt_eval_count``/``eval_count``; ``{"error": "…"}`` lines
are errors. ``/api/generate`` lines (``response`` instead of ``message``) decode the same way, and
a non-streamed body is a single such object. Models come from ``GET {api_base}/api/tags``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial
from typing import Any

from bridge.errors import ProtocolError
from bridge.providers import _errors
from bridge.providers._content import (
    closing_chunks,
    function_tool,
    images_of,
    text_of,
    tool_call_chunk,
    tool_calls_of,
    tool_results_of,
)
from bridge.providers._http import HTTPRequest, get_json, stream_chunks
from bridge.providers.base import ModelConfig, Provider
from protocol import ChatMessage, FinishReason, ModelInfo, StreamChunk, StreamOptions

_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


def build_body(
    model: str, messages: list[ChatMessage], options: StreamOptions, extra: dict[str, Any]
) -> dict[str, Any]:
    names = {c["id"]: c["name"] for m in messages for c in tool_calls_of(m)}
    out: list[dict[str, Any]] = []
    for message in messages:
        for result in tool_results_of(message):
            name = result.get("name") or names.get(result["tool_call_id"], "")
            out.append({"role": "tool", "content": result["content"], "tool_name": name})
        calls, images, text = tool_calls_of(message), images_of(message), text_of(message)
        if not (text or images or calls) and tool_results_of(message):
            continue
        role = "user" if message["role"] == "tool" else message["role"]
        entry: dict[str, Any] = {"role": role, "content": text}
        if images:
            entry["images"] = [i["data"] for i in images]
        if calls:
            entry["tool_calls"] = [{"function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]
        out.append(entry)
    body: dict[str, Any] = {"model": model, "messages": out, "stream": True}
    settings = {
        theirs: options[ours]  # type: ignore[literal-required]
        for ours, theirs in (("temperature", "temperature"), ("top_p", "top_p"), ("max_tokens", "num_predict"),
                             ("stop", "stop"))
        if ours in options
    }  # fmt: skip
    if settings:
        body["options"] = settings
    if options.get("tools") and options.get("tool_choice") != "none":
        body["tools"] = [function_tool(t) for t in options["tools"]]
    if "think" in extra:
        body["think"] = extra["think"]
    return body


class ChatLinesDecoder:
    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._finish: str | None = None
        self._usage: tuple[int, int] | None = None
        self._tool_calls = 0

    def feed(self, line: Any) -> list[StreamChunk]:
        if not isinstance(line, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object per line")
        if line.get("error"):
            raise _errors.from_payload(self._provider, line)
        message = line.get("message") or {}
        chunks: list[StreamChunk] = []
        thinking = message.get("thinking") or line.get("thinking")
        if isinstance(thinking, str) and thinking:
            chunks.append({"type": "thinking", "text": thinking})
        text = message.get("content") if "message" in line else line.get("response")
        if isinstance(text, str) and text:
            chunks.append({"type": "text", "text": text})
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            self._tool_calls += 1
            chunks.append(tool_call_chunk(call.get("id"), function.get("name", ""), function.get("arguments")))
        if line.get("done"):
            self._finish = line.get("done_reason") or "stop"
            if "eval_count" in line or "prompt_eval_count" in line:
                self._usage = (int(line.get("prompt_eval_count") or 0), int(line.get("eval_count") or 0))
        return chunks

    def finish(self) -> list[StreamChunk]:
        if self._finish is None:
            raise ProtocolError(f"{self._provider}: the stream ended before a line with done: true")
        return closing_chunks(_FINISH.get(self._finish, "stop"), self._usage, self._tool_calls > 0)


class OllamaProvider(Provider):
    def _base(self, config: ModelConfig) -> str:
        return (config.api_base or "").rstrip("/")

    def _headers(self, config: ModelConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {config.api_key.reveal()}"} if config.api_key is not None else {}

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        body = build_body(config.model, messages, options, dict(config.extra))
        headers = {**self._headers(config), "Accept": "application/x-ndjson"}
        request = HTTPRequest("POST", f"{self._base(config)}/api/chat", headers, body)
        decoder = partial(ChatLinesDecoder, self.id)
        async with aclosing(stream_chunks(self.client(), self.id, request, config, decoder)) as chunks:
            async for chunk in chunks:  # closing this stream closes the upstream exchange at once
                yield chunk

    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        request = HTTPRequest("GET", f"{self._base(config)}/api/tags", self._headers(config))
        payload = await get_json(self.client(), self.id, request, config)
        return [{"id": m["name"], "provider": self.id} for m in payload.get("models", []) if "name" in m]
