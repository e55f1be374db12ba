"""Generated from schemas/mcp.schema.json (sha256 ab497ed28ba6e43f69a772e77b85cb047a8ba5de3f5233ca946dd6fdaaf5ce91); do not edit.

Regenerate with: python -m protocol._codegen
"""

from __future__ import annotations

from typing import NotRequired, TypedDict
from protocol._generated.core import ErrorChunk, FinishReason, ToolCallPart, Usage

__all__ = ["McpChatResult", "McpCompareEntry", "McpCompareResult"]


class McpChatResult(TypedDict):
    """What one `chat` call produced. `conversation_id` continues the conversation in a later call."""

    provider: str
    model: str
    text: str
    finish_reason: FinishReason
    usage: Usage | None
    conversation_id: str
    tool_calls: NotRequired[list[ToolCallPart]]


class McpCompareEntry(TypedDict):
    """One model's answer in a `compare` call, with its timings; `error` is set when that model failed."""

    provider: str
    model: str
    text: str
    finish_reason: FinishReason
    usage: Usage | None
    seconds: float
    first_chunk_seconds: float | None
    error: ErrorChunk | None


class McpCompareResult(TypedDict):
    results: list[McpCompareEntry]
