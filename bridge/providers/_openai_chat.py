"""The OpenAI Chat Completions dialect, spoken by OpenAI, Mistral, Azure OpenAI and OpenRouter.

One request builder, one stream decoder and one provider base class; a provider module only says
where the endpoint is, how to authenticate, and which of the dialect's few variations it needs
(:class:`ChatDialect`). The decoder also accepts a whole ``chat.completion`` JSON body (what a
server that ignores ``stream: true`` answers) and the reasoning fields OpenAI-compatible servers
add: ``reasoning_content`` (vLLM, DeepSeek), ``reasoning`` (OpenRouter, Ollama) and Mistral's
``{"type": "thinking"}`` content parts.

Tool calls are assembled from their deltas by ``index`` (a new ``id`` at a known index starts a
new call, for servers that number every call 0) and sent as whole chunks when the stream ends,
so arguments that only arrive in the final event are still complete.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Literal

from bridge.errors import InvalidConfigError, ProtocolError
from bridge.providers import _errors, _openai_responses
from bridge.providers._content import (
    closing_chunks,
    data_url,
    function_tool,
    parts_of,
    text_of,
    tool_call_unless_cut,
    tool_calls_of,
    tool_results_of,
)
from bridge.providers._http import ChunkDecoder, HTTPRequest, get_json, stream_chunks
from bridge.providers.base import ModelConfig, Provider
from protocol import ChatMessage, ContentPart, FinishReason, ModelInfo, StreamChunk, StreamOptions

_FINISH: dict[str, FinishReason] = {
    "stop": "stop", "length": "length", "model_length": "length", "tool_calls": "tool_calls",
    "function_call": "tool_calls", "content_filter": "content_filter", "error": "error",
}  # fmt: skip


_BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True)
class ChatDialect:
    max_tokens_field: str = "max_completion_tokens"  # OpenAI's reasoning models reject max_tokens
    image_url_as_string: bool = False  # Mistral documents {"image_url": "data:…"}
    required_tool_choice: str = "required"  # Mistral calls it "any"
    stream_usage: bool = True  # send stream_options.include_usage (Mistral reports usage anyway)
    short_call_ids: bool = False  # Mistral takes only ids of 9 letters and digits (see _nine_alnum)


def build_body(model: str, messages: list[ChatMessage], options: StreamOptions, dialect: ChatDialect) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": _messages(messages, dialect), "stream": True}
    if dialect.stream_usage:
        body["stream_options"] = {"include_usage": True}
    body.update({name: options[name] for name in ("temperature", "top_p", "stop") if name in options})
    if "max_tokens" in options:
        body[dialect.max_tokens_field] = options["max_tokens"]
    if options.get("tools"):
        body["tools"] = [function_tool(t) for t in options["tools"]]
    choice = options.get("tool_choice")
    if isinstance(choice, dict):
        body["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    elif choice is not None:
        body["tool_choice"] = dialect.required_tool_choice if choice == "required" else choice
    return body


def _messages(messages: list[ChatMessage], dialect: ChatDialect) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    call_id = _nine_alnum if dialect.short_call_ids else str
    for message in messages:
        role = message["role"]
        if role == "system":
            out.append({"role": "system", "content": text_of(message)})
        elif role == "assistant":
            calls = tool_calls_of(message)
            if not calls and not text_of(message):  # a reply that said nothing: content null is refused
                continue
            entry: dict[str, Any] = {"role": "assistant", "content": text_of(message) or None}
            if calls:
                entry["tool_calls"] = [
                    {"id": call_id(c["id"]), "type": "function",
                     "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                    for c in calls
                ]  # fmt: skip
            out.append(entry)
        else:
            for result in tool_results_of(message):
                out.append(
                    {"role": "tool", "tool_call_id": call_id(result["tool_call_id"]), "content": result["content"]}
                )
            rest = [p for p in parts_of(message) if p["type"] in ("text", "image")]
            if rest:
                out.append({"role": "user", "content": _user_content(rest, dialect)})
    return out


def _nine_alnum(call_id: str) -> str:
    """A tool call id as Mistral takes it (exactly 9 of ``[a-zA-Z0-9]``): its own ids as they are,
    another provider's (``call_…``, ``toolu_…``, made-up ones) by a hash, so that a conversation
    begun elsewhere continues on Mistral and a call and its result still match."""
    if len(call_id) == 9 and call_id.isascii() and call_id.isalnum():
        return call_id
    number = int.from_bytes(hashlib.sha256(call_id.encode()).digest()[:8], "big")
    return "".join(_BASE62[(number // 62**i) % 62] for i in range(9))


def _user_content(parts: Sequence[ContentPart], dialect: ChatDialect) -> str | list[dict[str, Any]]:
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts if p["type"] == "text")
    content: list[dict[str, Any]] = []
    for part in parts:
        if part["type"] == "text":
            content.append({"type": "text", "text": part["text"]})
        elif part["type"] == "image":
            url = data_url(part)
            content.append({"type": "image_url", "image_url": url if dialect.image_url_as_string else {"url": url}})
    return content


@dataclass
class _Call:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    whole: Any = None  # some servers send the arguments as an object, not a string


class ChatDecoder:
    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._calls: list[_Call] = []
        self._by_index: dict[int, _Call] = {}
        self._finish: str | None = None
        self._usage: tuple[int, int] | None = None
        self._refused = False  # the model declined: its words are the text, the finish content_filter

    def feed(self, event: Any) -> list[StreamChunk]:
        if not isinstance(event, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object in the stream, got {type(event).__name__}")
        if event.get("error"):
            raise _errors.from_payload(self._provider, event)
        usage = event.get("usage")
        if isinstance(usage, dict):
            self._usage = (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        chunks: list[StreamChunk] = []
        for choice in event.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            whole = delta is None
            delta = (choice.get("message") or {}) if whole else delta
            chunks.extend(self._content(delta))
            for position, call in enumerate(delta.get("tool_calls") or []):
                self._tool_delta(call, None if whole else call.get("index", position))
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return chunks

    def finish(self) -> list[StreamChunk]:
        if self._finish is None:
            raise ProtocolError(f"{self._provider}: the stream ended before the model finished (no finish_reason)")
        finish = _FINISH.get(self._finish, "stop")
        if self._refused and finish == "stop":
            finish = "content_filter"
        calls = [tool_call_unless_cut(c.id, c.name, c.whole if c.whole is not None else "".join(c.arguments), finish)
                 for c in self._calls]  # fmt: skip
        chunks = [call for call in calls if call is not None]
        why = f"{self._provider}: the reply ended with finish_reason {self._finish!r}"
        return chunks + closing_chunks(finish, self._usage, bool(chunks), why)

    def _content(self, delta: dict[str, Any]) -> list[StreamChunk]:
        chunks: list[StreamChunk] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            chunks.append({"type": "thinking", "text": reasoning})
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._refused = True
            chunks.append({"type": "text", "text": refusal})
        content = delta.get("content")
        if isinstance(content, str):
            if content:
                chunks.append({"type": "text", "text": content})
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text" and part.get("text"):
                    chunks.append({"type": "text", "text": part["text"]})
                elif part.get("type") == "thinking":
                    text = "".join(t.get("text", "") for t in part.get("thinking") or [] if isinstance(t, dict))
                    if text:
                        chunks.append({"type": "thinking", "text": text})
        return chunks

    def _tool_delta(self, delta: dict[str, Any], index: int | None) -> None:
        call = self._by_index.get(index) if index is not None else None
        new_id = delta.get("id")
        if call is None or (new_id and call.id and new_id != call.id):
            call = _Call()
            self._calls.append(call)
            if index is not None:
                self._by_index[index] = call
        if new_id:
            call.id = new_id
        function = delta.get("function") or {}
        if function.get("name"):
            call.name = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            call.arguments.append(arguments)
        elif arguments is not None:
            call.whole = arguments


class OpenAIChatProvider(Provider):
    """A provider speaking the dialect: override the URLs and headers where they differ."""

    dialect: ClassVar[ChatDialect] = ChatDialect()
    auth: ClassVar[Literal["bearer", "api-key"]] = "bearer"

    def base(self, config: ModelConfig) -> str:
        return (config.api_base or "").rstrip("/")

    def chat_url(self, config: ModelConfig) -> str:
        return f"{self.base(config)}/chat/completions"

    def responses_url(self, config: ModelConfig) -> str | None:
        """The Responses API endpoint, for providers that offer it (config ``api: responses``)."""
        return None

    def responses_model(self, config: ModelConfig) -> str:
        return config.model

    def models_url(self, config: ModelConfig) -> str:
        return f"{self.base(config)}/models"

    def headers(self, config: ModelConfig) -> dict[str, str]:
        if config.api_key is None:
            return {}
        key = config.api_key.reveal()
        return {"api-key": key} if self.auth == "api-key" else {"Authorization": f"Bearer {key}"}

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        headers = {**self.headers(config), "Accept": "text/event-stream"}
        api = config.extra.get("api", "chat")
        responses_url = self.responses_url(config)
        if api == "responses" and responses_url is not None:
            body = _openai_responses.build_body(self.responses_model(config), messages, options)
            request = HTTPRequest("POST", responses_url, headers, body)
            new_decoder: Callable[[], ChunkDecoder] = partial(_openai_responses.ResponsesDecoder, self.id)
        elif api == "chat":
            body = build_body(config.model, messages, options, self.dialect)
            request = HTTPRequest("POST", self.chat_url(config), headers, body)
            new_decoder = partial(ChatDecoder, self.id)
        else:
            known = "'chat' or 'responses'" if responses_url is not None else "'chat' (the only API it speaks here)"
            raise InvalidConfigError(f"{self.id}: unknown api {api!r}; use {known}")
        async with aclosing(stream_chunks(self.client(), self.id, request, config, new_decoder)) as chunks:
            async for chunk in chunks:  # closing this stream closes the upstream exchange at once
                yield chunk

    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        payload = await get_json(
            self.client(), self.id, HTTPRequest("GET", self.models_url(config), self.headers(config)), config
        )
        models = payload.get("data", []) if isinstance(payload, dict) else []
        return [{"id": m["id"], "provider": self.id} for m in models if isinstance(m, dict) and "id" in m]
