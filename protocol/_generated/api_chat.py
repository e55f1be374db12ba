"""Generated from schemas/api-chat.schema.json (sha256 324eec664833e1a8a45591fd65fd2c7abfeb2c611b8e67ed83d102774c7a5d42); do not edit.

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
    approve_tools: NotRequired[bool]


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
