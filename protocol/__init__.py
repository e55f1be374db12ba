"""Open LLM Bridge wire types and schema validation.

The types are generated from ``schemas/*.schema.json`` (the one source of truth) into
``protocol/_generated``; this module re-exports the public ones.
"""

from __future__ import annotations

from protocol._generated.api_chat import (
    ChatChunkParams,
    ChatRequest,
    ChatStreamParams,
    ChatStreamResult,
    ModelsListParams,
    ModelsListResult,
    ProvidersListParams,
    ProvidersListResult,
)
from protocol._generated.core import (
    ChatMessage,
    ContentPart,
    DoneChunk,
    ErrorChunk,
    ErrorCode,
    FinishReason,
    ImagePart,
    ModelInfo,
    NamedToolChoice,
    ProviderCapabilities,
    ProviderConfig,
    ProviderMetadata,
    Role,
    StreamChunk,
    StreamOptions,
    TextChunk,
    TextPart,
    ThinkingChunk,
    ToolCallChunk,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    ToolSpec,
    Usage,
    UsageChunk,
)
from protocol._generated.jsonrpc import ErrorObject, RequestId
from protocol._generated.mcp import McpChatResult, McpCompareEntry, McpCompareResult
from protocol._schemas import MethodSpec, SchemaError, definitions, is_valid, methods, validate
from protocol._wire import dumps, loads

__all__ = [
    "ChatChunkParams",
    "ChatMessage",
    "ChatRequest",
    "ChatStreamParams",
    "ChatStreamResult",
    "ContentPart",
    "DoneChunk",
    "ErrorChunk",
    "ErrorCode",
    "ErrorObject",
    "FinishReason",
    "ImagePart",
    "McpChatResult",
    "McpCompareEntry",
    "McpCompareResult",
    "MethodSpec",
    "ModelInfo",
    "ModelsListParams",
    "ModelsListResult",
    "NamedToolChoice",
    "ProviderCapabilities",
    "ProviderConfig",
    "ProviderMetadata",
    "ProvidersListParams",
    "ProvidersListResult",
    "RequestId",
    "Role",
    "SchemaError",
    "StreamChunk",
    "StreamOptions",
    "TextChunk",
    "TextPart",
    "ThinkingChunk",
    "ToolCallChunk",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "ToolSpec",
    "Usage",
    "UsageChunk",
    "definitions",
    "dumps",
    "is_valid",
    "loads",
    "methods",
    "validate",
]
