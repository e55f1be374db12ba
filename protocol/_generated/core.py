"""Generated from schemas/core.schema.json (sha256 e8243eff5f55dee877d0ae495acb5c9e4e87b8e86371e3227600fec5814485cf); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = ["ChatMessage", "ContentPart", "DoneChunk", "ErrorChunk", "ErrorCode", "FinishReason", "ImagePart", "ModelInfo", "NamedToolChoice", "ProviderCapabilities", "ProviderConfig", "ProviderMetadata", "Role", "StreamChunk", "StreamOptions", "TextChunk", "TextPart", "ThinkingChunk", "ThinkingPart", "ToolCallChunk", "ToolCallPart", "ToolChoice", "ToolResultPart", "ToolSpec", "Usage", "UsageChunk"]


Role = Literal["system", "user", "assistant", "tool"]


class TextPart(TypedDict):
    type: Literal["text"]
    text: str
    signature: NotRequired[str]


class ImagePart(TypedDict):
    """An image given inline as base64 (no data: prefix)."""

    type: Literal["image"]
    media_type: Literal["image/png", "image/jpeg", "image/gif", "image/webp"]
    data: str


class ToolCallPart(TypedDict):
    type: Literal["tool_call"]
    id: str
    name: str
    arguments: dict[str, Any]
    signature: NotRequired[str]


class ToolResultPart(TypedDict):
    type: Literal["tool_result"]
    tool_call_id: str
    name: NotRequired[str]
    content: str
    is_error: NotRequired[bool]


class ThinkingPart(TypedDict):
    """A model's reasoning in an assistant turn sent back, as its ThinkingChunks gave it: the text with its signature, or a redacted block's data. Anthropic requires the turn's thinking before its tool calls when thinking is on; other providers leave it out."""

    type: Literal["thinking"]
    text: str
    signature: NotRequired[str]
    redacted: NotRequired[str]


ContentPart = TextPart | ImagePart | ToolCallPart | ToolResultPart | ThinkingPart


class ChatMessage(TypedDict):
    role: Role
    content: str | list[ContentPart]
    name: NotRequired[str]


class ToolSpec(TypedDict):
    name: str
    description: NotRequired[str]
    parameters: dict[str, Any]


class NamedToolChoice(TypedDict):
    type: Literal["tool"]
    name: str


ToolChoice = Literal["auto", "none", "required"] | NamedToolChoice


class StreamOptions(TypedDict):
    temperature: NotRequired[float]
    max_tokens: NotRequired[int]
    top_p: NotRequired[float]
    stop: NotRequired[list[str]]
    tools: NotRequired[list[ToolSpec]]
    tool_choice: NotRequired[ToolChoice]


FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


ErrorCode = Literal["auth", "not_found", "rate_limited", "bad_request", "context_length", "server", "network", "timeout", "cancelled", "protocol", "missing_key", "unknown_provider", "unknown_model", "invalid_config", "host_unavailable", "unauthorized", "tool_error", "internal"]
"""Why a request failed. The first ten come from providers; the rest from the bridge itself."""


class TextChunk(TypedDict):
    type: Literal["text"]
    text: str
    signature: NotRequired[str]


class ThinkingChunk(TypedDict):
    """Reasoning text. Where the provider signs its reasoning (Anthropic), the block ends with a chunk of empty text and the signature, and a redacted block is one chunk of empty text with its data: a turn sent back with tool results must carry them (ThinkingPart)."""

    type: Literal["thinking"]
    text: str
    signature: NotRequired[str]
    redacted: NotRequired[str]


class ToolCallChunk(TypedDict):
    """One whole tool call, assembled from its deltas, arguments parsed."""

    type: Literal["tool_call"]
    id: str
    name: str
    arguments: dict[str, Any]
    signature: NotRequired[str]
    invalid_arguments: NotRequired[str]


class UsageChunk(TypedDict):
    type: Literal["usage"]
    input_tokens: int
    output_tokens: int


class DoneChunk(TypedDict):
    type: Literal["done"]
    finish_reason: FinishReason


class ErrorChunk(TypedDict):
    type: Literal["error"]
    code: ErrorCode
    message: str
    retryable: bool
    status: int | None


StreamChunk = TextChunk | ThinkingChunk | ToolCallChunk | UsageChunk | DoneChunk | ErrorChunk


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int


class ProviderCapabilities(TypedDict):
    streaming: bool
    tools: bool
    images: bool
    thinking: bool
    model_discovery: bool


class ProviderMetadata(TypedDict):
    id: str
    display_name: str
    default_api_base: str | None
    env_vars: list[str]
    needs_key: bool
    capabilities: ProviderCapabilities


class ProviderConfig(TypedDict):
    """One provider's settings as merged from YAML files and the editor host. Provider-specific fields (api_version, deployment, ...) are allowed."""

    name: str
    enabled: NotRequired[bool]
    api_base: NotRequired[str | None]
    models: NotRequired[list[str]]
    api_key_env: NotRequired[str]
    api_version: NotRequired[str]
    deployment: NotRequired[str]
    source: NotRequired[Literal["user", "workspace", "host", "memory", "default"]]
    source_detail: NotRequired[str]


class ModelInfo(TypedDict):
    id: str
    provider: str
    display_name: NotRequired[str]
    context_window: NotRequired[int | None]
    max_output_tokens: NotRequired[int | None]
    tools: NotRequired[bool]
    images: NotRequired[bool]
