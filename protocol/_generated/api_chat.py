"""Generated from schemas/api-chat.schema.json (sha256 f517a17b66808e46eb5c337d409ae1b1b02579e2c37879fbfe21f99160b59790); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import NotRequired, TypedDict
from protocol._generated.core import ChatMessage, FinishReason, ModelInfo, ProviderMetadata, StreamChunk, StreamOptions, Usage

__all__ = ["ChatChunkParams", "ChatRequest", "ChatStreamParams", "ChatStreamResult", "ModelsListParams", "ModelsListResult", "ProvidersListParams", "ProvidersListResult"]


class ChatRequest(TypedDict):
    """What a caller asks the engine for: the same shape on every surface."""

    provider: str
    model: str
    messages: list[ChatMessage]
    options: NotRequired[StreamOptions]
    api_base: NotRequired[str]


class ChatStreamParams(TypedDict):
    provider: str
    model: str
    messages: list[ChatMessage]
    options: NotRequired[StreamOptions]
    api_base: NotRequired[str]
    run_tools: NotRequired[bool]
    max_tool_rounds: NotRequired[int]


class ChatStreamResult(TypedDict):
    message: ChatMessage
    finish_reason: FinishReason
    usage: Usage | None


class ChatChunkParams(TypedDict):
    request_id: int | str
    chunk: StreamChunk


class ProvidersListParams(TypedDict):
    pass


class ProvidersListResult(TypedDict):
    providers: list[ProviderMetadata]


class ModelsListParams(TypedDict):
    provider: str


class ModelsListResult(TypedDict):
    models: list[ModelInfo]
