"""Google Gemini API: ``POST {api_base}/v1beta/models/{model}:streamGenerateContent?alt=sse``
(default base ``https://generativelanguage.googleapis.com``, as Google's SDKs), key in the
``x-goog-api-key`` header (never in the URL, where it would end up in logs).

Request: ``contents`` with roles ``user``/``model``; system messages go to
``systemInstruction``; images are ``inlineData`` parts; tool calls are ``functionCall`` parts and
their results ``functionResponse`` parts (``{"result": …}`` or ``{"error": …}``), matched to the
call by name and order as in Google's examples (ids are not sent back: ours may be made up);
tools are ``functionDeclarations`` with the JSON Schema in ``parametersJsonSchema``;
``tool_choice`` maps to ``toolConfig.functionCallingConfig.mode`` (AUTO/ANY/NONE, ANY with
``allowedFunctionNames`` for a named tool); temperature, top_p, max_tokens and stop go to
``generationConfig``.

Response: each event is a ``GenerateContentResponse``. Parts with ``thought: true`` are thinking;
a ``functionCall`` arrives whole (ids are made up when the API sends none); the last
``usageMetadata`` wins (output counts candidates plus thoughts tokens); ``finishReason`` may be a
name or, with ``enum-encoding=int``, a number. Without ``alt=sse`` the API streams one JSON
array, which the JSON framing decodes element by element; a plain JSON body decodes the same way.
Models come from ``GET {api_base}/v1beta/models`` (paginated), those that can ``generateContent``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from functools import partial
from typing import Any
from urllib.parse import quote

from bridge.errors import ProtocolError
from bridge.providers import _errors
from bridge.providers._content import closing_chunks, parts_of, text_chunk, tool_call_chunk
from bridge.providers._http import HTTPRequest, get_json, stream_chunks
from bridge.providers.base import ModelConfig, Provider
from bridge.redact import redact
from protocol import ChatMessage, FinishReason, ModelInfo, StreamChunk, StreamOptions

_FINISH: dict[str, FinishReason] = {
    "STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter", "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter", "MALFORMED_FUNCTION_CALL": "error", "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error", "OTHER": "stop", "LANGUAGE": "stop",
}  # fmt: skip
# google.ai.generativelanguage.v1beta.Candidate.FinishReason numbering, for enum-encoding=int
# (OTHER is 5 and LANGUAGE 6: the proto declares them out of order).
_FINISH_NUMBERS = ("", "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "LANGUAGE", "BLOCKLIST",
                   "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL", "IMAGE_SAFETY",
                   "UNEXPECTED_TOOL_CALL")  # fmt: skip


def build_body(messages: list[ChatMessage], options: StreamOptions) -> dict[str, Any]:
    names = {p["id"]: p["name"] for m in messages for p in parts_of(m) if p["type"] == "tool_call"}
    contents: list[dict[str, Any]] = []
    system: list[dict[str, Any]] = []
    for message in messages:
        if message["role"] == "system":
            system.extend({"text": p["text"]} for p in parts_of(message) if p["type"] == "text")
            continue
        role = "model" if message["role"] == "assistant" else "user"
        parts = [_part(p, names) for p in parts_of(message) if p["type"] != "text" or p["text"]]
        if not parts:  # the API refuses a turn with no parts
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    generation = {
        theirs: options[ours]  # type: ignore[literal-required]
        for ours, theirs in (("temperature", "temperature"), ("top_p", "topP"), ("max_tokens", "maxOutputTokens"),
                             ("stop", "stopSequences"))
        if ours in options
    }  # fmt: skip
    if generation:
        body["generationConfig"] = generation
    if options.get("tools"):
        declarations = [
            {"name": t["name"], **({"description": t["description"]} if "description" in t else {}),
             "parametersJsonSchema": t["parameters"]}
            for t in options["tools"]
        ]  # fmt: skip
        body["tools"] = [{"functionDeclarations": declarations}]
    choice = options.get("tool_choice")
    if isinstance(choice, dict):
        body["toolConfig"] = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice["name"]]}}
    elif choice is not None:
        body["toolConfig"] = {
            "functionCallingConfig": {"mode": {"auto": "AUTO", "required": "ANY", "none": "NONE"}[choice]}
        }
    return body


def _part(part: Any, names: dict[str, str]) -> dict[str, Any]:
    if part["type"] == "text":  # with its signature, the model's reasoning carries over to this turn
        return {"text": part["text"], **_signed(part)}
    if part["type"] == "image":
        return {"inlineData": {"mimeType": part["media_type"], "data": part["data"]}}
    if part["type"] == "tool_call":  # Gemini 3 refuses a call in the history without its signature
        return {"functionCall": {"name": part["name"], "args": part["arguments"]}, **_signed(part)}
    name = part.get("name") or names.get(part["tool_call_id"], part["tool_call_id"])
    response = {"error": part["content"]} if part.get("is_error") else {"result": part["content"]}
    return {"functionResponse": {"name": name, "response": response}}


def _signed(part: Any) -> dict[str, Any]:
    """The part's thoughtSignature, as Gemini gave it, for the part sent back."""
    return {"thoughtSignature": part["signature"]} if "signature" in part else {}


class GenerateContentDecoder:
    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._finish: str | None = None
        self._usage: tuple[int, int] | None = None
        self._tool_calls = 0
        self._blocked = False
        self._finish_message: str | None = None  # what the API says of a finish, when it says anything

    def feed(self, event: Any) -> list[StreamChunk]:
        if not isinstance(event, dict):
            raise ProtocolError(f"{self._provider}: expected a JSON object in the stream")
        if event.get("error"):
            raise _errors.from_payload(self._provider, event)
        usage = event.get("usageMetadata")
        if isinstance(usage, dict):
            output = int(usage.get("candidatesTokenCount") or 0) + int(usage.get("thoughtsTokenCount") or 0)
            self._usage = (int(usage.get("promptTokenCount") or 0), output)
        if (event.get("promptFeedback") or {}).get("blockReason"):
            self._blocked = True
        chunks: list[StreamChunk] = []
        for candidate in (event.get("candidates") or [])[:1]:
            for part in (candidate.get("content") or {}).get("parts") or []:
                text, signature = part.get("text"), part.get("thoughtSignature")
                if isinstance(text, str) and isinstance(signature, str) and not part.get("thought"):
                    chunks.append({"type": "text", "text": text, "signature": signature})  # often empty text
                elif isinstance(text, str) and text:
                    chunks.append(text_chunk(text, thinking=bool(part.get("thought"))))
                elif isinstance(part.get("functionCall"), dict):
                    call = part["functionCall"]
                    self._tool_calls += 1
                    signature = part.get("thoughtSignature")
                    chunks.append(tool_call_chunk(call.get("id"), call.get("name", ""), call.get("args"), signature))
            reason = candidate.get("finishReason")
            if isinstance(reason, int):
                reason = _FINISH_NUMBERS[reason] if 0 < reason < len(_FINISH_NUMBERS) else "OTHER"
            if reason:
                self._finish = reason
                message = candidate.get("finishMessage")
                self._finish_message = message if isinstance(message, str) else None
        return chunks

    def finish(self) -> list[StreamChunk]:
        if self._blocked and self._finish is None:
            return closing_chunks("content_filter", self._usage, False)
        if self._finish is None:
            raise ProtocolError(f"{self._provider}: the stream ended before a finishReason")
        why = f"{self._provider}: the model stopped with {self._finish}"
        if self._finish_message:
            why += f": {redact(self._finish_message)[:500]}"
        return closing_chunks(_FINISH.get(self._finish, "stop"), self._usage, self._tool_calls > 0, why)


class GeminiProvider(Provider):
    def _headers(self, config: ModelConfig) -> dict[str, str]:
        return {"x-goog-api-key": config.api_key.reveal()} if config.api_key is not None else {}

    def _base(self, config: ModelConfig) -> str:
        return (config.api_base or "").rstrip("/")

    async def stream_chat(
        self, messages: list[ChatMessage], config: ModelConfig, options: StreamOptions
    ) -> AsyncGenerator[StreamChunk, None]:
        model = quote(config.model.removeprefix("models/"), safe="")
        url = f"{self._base(config)}/v1beta/models/{model}:streamGenerateContent?alt=sse"
        request = HTTPRequest(
            "POST", url, {**self._headers(config), "Accept": "text/event-stream"}, build_body(messages, options)
        )
        decoder = partial(GenerateContentDecoder, self.id)
        async with aclosing(stream_chunks(self.client(), self.id, request, config, decoder)) as chunks:
            async for chunk in chunks:  # closing this stream closes the upstream exchange at once
                yield chunk

    async def list_models(self, config: ModelConfig) -> list[ModelInfo]:
        models: list[ModelInfo] = []
        token = ""
        while True:
            url = f"{self._base(config)}/v1beta/models?pageSize=1000{token}"
            page = await get_json(self.client(), self.id, HTTPRequest("GET", url, self._headers(config)), config)
            for m in page.get("models", []):
                if "generateContent" in m.get("supportedGenerationMethods", ["generateContent"]):
                    info: ModelInfo = {"id": m["name"].removeprefix("models/"), "provider": self.id,
                                       "display_name": m.get("displayName", m["name"])}  # fmt: skip
                    if "inputTokenLimit" in m:
                        info["context_window"] = m["inputTokenLimit"]
                    if "outputTokenLimit" in m:
                        info["max_output_tokens"] = m["outputTokenLimit"]
                    models.append(info)
            if not page.get("nextPageToken"):
                return models
            token = f"&pageToken={quote(page['nextPageToken'], safe='')}"
